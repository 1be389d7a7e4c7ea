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
 * the quantized types (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) only from GGUF files, in
 * ggml's block layouts (ggml-common.h): a row is a sequence of blocks of {@link #blockSize()}
 * elements, each {@link #blockBytes()} bytes. A block is made of groups of {@link #groupSize()}
 * elements sharing a scale a and an offset b (0 for the types without mins): element = a · q + b,
 * q its integer, exactly as ggml's {@code dequantize_row_*} computes it. Values are stored little-endian.
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
    Q4_0("Q4_0", "q4_0", 32, 18),
    /** ggml block_q4_1: fp16 d and m, then Q4_0's 16 bytes of nibbles; element = nibble · d + m. */
    Q4_1("Q4_1", "q4_1", 32, 20),
    /**
     * ggml block_q5_0: fp16 d, a little-endian uint32 qh, then Q4_0's 16 bytes of nibbles; element j
     * is (nibble | bit j of qh · 16 − 16) · d.
     */
    Q5_0("Q5_0", "q5_0", 32, 22),
    /** ggml block_q5_1: fp16 d and m, qh as in Q5_0, 16 bytes of nibbles; element = (nibble | bit · 16) · d + m. */
    Q5_1("Q5_1", "q5_1", 32, 24),
    /**
     * ggml block_q4_K: a super-block of 256 = 8 groups of 32. fp16 d and dmin, 12 bytes of 6-bit group
     * scales and mins (ggml's get_scale_min_k4), 128 bytes of nibbles: group g's element l (0..31) is
     * the low (g even) or high (g odd) nibble of byte 32 · (g / 2) + l; element = (d · sc_g) · q − dmin · m_g.
     */
    Q4_K("Q4_K", "q4_k", 256, 144),
    /**
     * ggml block_q5_K: Q4_K's d, dmin and scales, then 32 bytes qh, then Q4_K's 128 bytes of nibbles;
     * group g's element l gains bit g of qh[l] · 16.
     */
    Q5_K("Q5_K", "q5_k", 256, 176),
    /**
     * ggml block_q6_K: a super-block of 256 = 16 groups of 16. 128 bytes ql (low 4 bits), 64 bytes qh
     * (2 high bits each), 16 int8 group scales, fp16 d; element = (d · sc_g) · (q − 32).
     */
    Q6_K("Q6_K", "q6_k", 256, 210);

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

    /** Whether elements come in scaled blocks (Q8_0, Q4_0, K-quants, ...) rather than one float each. */
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
     * quantized element dequantized as ggml does: {@code a · q} or {@code a · q + b}, each operation
     * rounded to fp32, with its group's {@link #groupScale} a and {@link #groupOffset} b).
     */
    public float read(MemorySegment data, long index) {
        return switch (this) {
            case F32 -> data.get(FLOAT_LE, index * 4);
            case BF16 -> Float.intBitsToFloat((data.get(SHORT_LE, index * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(SHORT_LE, index * 2));
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> {
                long block = (index / blockSize) * blockBytes;
                int j = (int) (index % blockSize);
                int g = j / groupSize();
                float a = groupScale(data, block, g);
                float q = quantizedValue(data, block, j);
                yield hasOffsets() ? a * q + groupOffset(data, block, g) : a * q;
            }
        };
    }

    /** Elements per group sharing one scale and offset: 16 for Q6_K, 32 for the other quantized types, 1 for floats. */
    public int groupSize() {
        return switch (this) {
            case F32, BF16, F16 -> 1;
            case Q6_K -> 16;
            default -> 32;
        };
    }

    /** Whether groups have an offset b besides their scale (Q4_1, Q5_1, Q4_K, Q5_K: ggml's m or min). */
    public boolean hasOffsets() {
        return this == Q4_1 || this == Q5_1 || this == Q4_K || this == Q5_K;
    }

    /** Scale a of group {@code g} of the quantized block at byte {@code block} (fp32, as ggml computes it). */
    public float groupScale(MemorySegment data, long block, int g) {
        return switch (this) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> half(data, block);
            case Q4_K, Q5_K -> half(data, block) * kScale(data, block + 4, g);
            case Q6_K -> half(data, block + 208) * data.get(ValueLayout.JAVA_BYTE, block + 192 + g);
            default -> throw new IllegalStateException(this + " is not quantized");
        };
    }

    /** Offset b of group {@code g} (0 for types without offsets): ggml's m, or −(dmin · min) for the K-quants. */
    public float groupOffset(MemorySegment data, long block, int g) {
        return switch (this) {
            case Q4_1, Q5_1 -> half(data, block + 2);
            case Q4_K, Q5_K -> -(half(data, block + 2) * kMin(data, block + 4, g));
            default -> 0f;
        };
    }

    private static float half(MemorySegment data, long at) {
        return Float.float16ToFloat(data.get(SHORT_LE, at));
    }

    private static int u8(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** Q4_K / Q5_K 6-bit scale of group g from the 12 bytes at {@code scales} (ggml's get_scale_min_k4). */
    private static int kScale(MemorySegment data, long scales, int g) {
        return g < 4 ? u8(data, scales + g) & 63
                : (u8(data, scales + g + 4) & 0xF) | ((u8(data, scales + g - 4) >>> 6) << 4);
    }

    /** Q4_K / Q5_K 6-bit min of group g (ggml's get_scale_min_k4). */
    private static int kMin(MemorySegment data, long scales, int g) {
        return g < 4 ? u8(data, scales + g + 4) & 63
                : (u8(data, scales + g + 4) >>> 4) | ((u8(data, scales + g) >>> 6) << 4);
    }

    /** The integer q of element {@code j} of the quantized block at byte {@code block}. */
    public int quantizedValue(MemorySegment data, long block, int j) {
        return switch (this) {
            case Q8_0 -> data.get(ValueLayout.JAVA_BYTE, block + 2 + j);
            case Q4_0 -> nibble(data, block + 2, j) - 8;
            case Q4_1 -> nibble(data, block + 4, j);
            case Q5_0 -> (nibble(data, block + 6, j) | fifthBit(data, block + 2, j)) - 16;
            case Q5_1 -> nibble(data, block + 8, j) | fifthBit(data, block + 4, j);
            case Q4_K -> kNibble(data, block + 16, j);
            case Q5_K -> kNibble(data, block + 48, j) | (((u8(data, block + 16 + (j & 31)) >>> (j >>> 5)) & 1) << 4);
            case Q6_K -> {
                int h = j >>> 7, k = (j >>> 5) & 3, l = j & 31;
                int low = u8(data, block + 64 * h + 32 * (k & 1) + l);
                int high = (u8(data, block + 128 + 32 * h + l) >>> (2 * k)) & 3;
                yield ((k < 2 ? low & 0xF : low >>> 4) | (high << 4)) - 32;
            }
            default -> throw new IllegalStateException(this + " is not quantized");
        };
    }

    /** Element j of a 32-element block of nibbles at {@code qs}: the low nibble of byte j below 16, else the high one of byte j − 16. */
    private static int nibble(MemorySegment data, long qs, int j) {
        int b = u8(data, qs + (j & 15));
        return j < 16 ? b & 0xF : b >>> 4;
    }

    /** Bit j of the little-endian uint32 at {@code qh}, times 16. */
    private static int fifthBit(MemorySegment data, long qh, int j) {
        return ((u8(data, qh + (j >>> 3)) >>> (j & 7)) & 1) << 4;
    }

    /** Element j of a K-quant super-block's 128 bytes of nibbles: group j / 32 takes the low or high nibbles of bytes 32 · (group / 2) ... */
    private static int kNibble(MemorySegment data, long qs, int j) {
        int g = j >>> 5;
        int b = u8(data, qs + 32 * (g >>> 1) + (j & 31));
        return (g & 1) == 0 ? b & 0xF : b >>> 4;
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
            case F32, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> value;
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
