package dev.gemma4j.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Element types of weights. The float types (F32, BF16, F16) come from safetensors or GGUF files;
 * the quantized types (Q8_0, Q4_0) only from GGUF files, in ggml's block layouts (ggml-common.h):
 * a row is a sequence of blocks of {@link #blockSize()} elements, each {@link #blockBytes()} bytes.
 * Values are stored little-endian.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32("F32", "float32", 4),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16("BF16", "bfloat16", 2),
    /** IEEE 754 binary16. */
    F16("F16", "float16", 2),
    /** ggml block_q8_0: an fp16 scale d, then 32 int8 q; element = q · d. */
    Q8_0("Q8_0", "q8_0", 32, 34),
    /**
     * ggml block_q4_0: an fp16 scale d, then 16 bytes; element j (0..15) is the low nibble of byte j,
     * element j + 16 its high nibble, each as (nibble − 8) · d.
     */
    Q4_0("Q4_0", "q4_0", 32, 18);

    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String safetensorsName;
    private final String torchName;
    private final int blockSize;
    private final int blockBytes;

    DType(String safetensorsName, String torchName, int bytes) {
        this(safetensorsName, torchName, 1, bytes);
    }

    DType(String safetensorsName, String torchName, int blockSize, int blockBytes) {
        this.safetensorsName = safetensorsName;
        this.torchName = torchName;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /**
     * Bytes per element of a float type.
     *
     * @throws IllegalStateException for a quantized type, whose elements share a block's bytes
     */
    public int bytes() {
        if (blockSize != 1) {
            throw new IllegalStateException(this + " is quantized: " + blockBytes + " bytes per block of "
                    + blockSize + " elements, not a whole number of bytes per element");
        }
        return blockBytes;
    }

    /** Whether elements come in scaled blocks (Q8_0, Q4_0) rather than one float each. */
    public boolean quantized() {
        return blockSize != 1;
    }

    /** Elements per block: 1 for the float types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /**
     * Bytes of {@code elements} elements, a whole number of blocks.
     *
     * @throws IllegalArgumentException when {@code elements} is not a multiple of the block size
     * @throws ArithmeticException      when the size overflows a long
     */
    public long byteSize(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements are not a whole number of " + this
                    + " blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The dtype string in a safetensors header: "F32", "BF16" or "F16". */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** The {@code torch_dtype} string of a Hugging Face config.json: "float32", "bfloat16", "float16". */
    public String torchName() {
        return torchName;
    }

    /** Lower-case short name used in model folder names and on the command line: "f32", "bf16", "f16". */
    public String shortName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The dtype a safetensors header names.
     *
     * @throws ModelFormatException naming the file, the tensor, the dtype found and the supported ones
     */
    public static DType fromSafetensors(String name, Path file, String tensor) {
        for (DType t : values()) {
            if (!t.quantized() && t.safetensorsName.equals(name)) return t;
        }
        throw new ModelFormatException(file + ": tensor '" + tensor + "' has dtype '" + name
                + "', expected one of " + supported(DType::safetensorsName, false));
    }

    /**
     * The dtype a short name ("f32", "bf16", "f16"), a safetensors name or a torch name denotes,
     * case-insensitively.
     *
     * @throws IllegalArgumentException naming the text and the accepted names
     */
    public static DType parse(String text) {
        for (DType t : values()) {
            if (!t.quantized() && (t.shortName().equalsIgnoreCase(text) || t.torchName.equalsIgnoreCase(text))) return t;
        }
        throw new IllegalArgumentException("unknown dtype '" + text + "', expected one of "
                + supported(DType::shortName, false) + " or " + supported(DType::torchName, false));
    }

    /**
     * Element {@code index} of little-endian {@code data} in this dtype, widened to float exactly (a
     * quantized element dequantized: its integer times its block's fp16 scale, one fp32 rounding).
     */
    public float read(MemorySegment data, long index) {
        return switch (this) {
            case F32 -> data.get(FLOAT_LE, index * 4);
            case BF16 -> Float.intBitsToFloat((data.get(SHORT_LE, index * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(SHORT_LE, index * 2));
            case Q8_0, Q4_0 -> {
                long block = (index / blockSize) * blockBytes;
                float d = Float.float16ToFloat(data.get(SHORT_LE, block));
                yield quantizedValue(data, block, (int) (index % blockSize)) * d;
            }
        };
    }

    /** The integer of element {@code j} of the quantized block at byte {@code block}. */
    private int quantizedValue(MemorySegment data, long block, int j) {
        return switch (this) {
            case Q8_0 -> data.get(ValueLayout.JAVA_BYTE, block + 2 + j);
            case Q4_0 -> {
                int b = data.get(ValueLayout.JAVA_BYTE, block + 2 + (j & 15)) & 0xFF;
                yield (j < 16 ? b & 0xF : b >>> 4) - 8;
            }
            default -> throw new IllegalStateException(this + " is not quantized");
        };
    }

    /**
     * Stores {@code value} as element {@code index} of little-endian {@code data}, rounded to this
     * dtype to nearest, ties to even (values beyond the range round to infinity, as IEEE 754 does).
     */
    public void write(MemorySegment data, long index, float value) {
        if (quantized()) throw new UnsupportedOperationException("writing single " + this + " elements");
        switch (this) {
            case F32 -> data.set(FLOAT_LE, index * 4, value);
            case BF16 -> data.set(SHORT_LE, index * 2, toBFloat16(value));
            case F16 -> data.set(SHORT_LE, index * 2, Float.floatToFloat16(value));
            default -> throw new AssertionError(this);
        }
    }

    /** {@code value} rounded to this dtype's precision and range (to nearest, ties to even). */
    public float round(float value) {
        return switch (this) {
            case F32, Q8_0, Q4_0 -> value;
            case BF16 -> Float.intBitsToFloat((toBFloat16(value) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(value));
        };
    }

    /** Round-to-nearest-even bfloat16 bits of {@code value}; NaN becomes the quiet NaN 0x7FC0. */
    static short toBFloat16(float value) {
        if (Float.isNaN(value)) return (short) 0x7FC0;
        int bits = Float.floatToRawIntBits(value);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    private static String supported(Function<DType, String> name, boolean quantized) {
        return Arrays.stream(values()).filter(t -> t.quantized() == quantized).map(name)
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
