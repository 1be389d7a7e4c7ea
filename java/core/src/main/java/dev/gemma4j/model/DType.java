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
 * Element types gemma4j reads from safetensors files. Values are stored little-endian, as the
 * safetensors format requires.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32("F32", "float32", 4),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16("BF16", "bfloat16", 2),
    /** IEEE 754 binary16. */
    F16("F16", "float16", 2);

    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String safetensorsName;
    private final String torchName;
    private final int bytes;

    DType(String safetensorsName, String torchName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.torchName = torchName;
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
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
            if (t.safetensorsName.equals(name)) return t;
        }
        throw new ModelFormatException(file + ": tensor '" + tensor + "' has dtype '" + name
                + "', expected one of " + supported(DType::safetensorsName));
    }

    /**
     * The dtype a short name ("f32", "bf16", "f16"), a safetensors name or a torch name denotes,
     * case-insensitively.
     *
     * @throws IllegalArgumentException naming the text and the accepted names
     */
    public static DType parse(String text) {
        for (DType t : values()) {
            if (t.shortName().equalsIgnoreCase(text) || t.torchName.equalsIgnoreCase(text)) return t;
        }
        throw new IllegalArgumentException("unknown dtype '" + text + "', expected one of "
                + supported(DType::shortName) + " or " + supported(DType::torchName));
    }

    /** Element {@code index} of little-endian {@code data} in this dtype, widened to float exactly. */
    public float read(MemorySegment data, long index) {
        return switch (this) {
            case F32 -> data.get(FLOAT_LE, index * 4);
            case BF16 -> Float.intBitsToFloat((data.get(SHORT_LE, index * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(SHORT_LE, index * 2));
        };
    }

    /**
     * Stores {@code value} as element {@code index} of little-endian {@code data}, rounded to this
     * dtype to nearest, ties to even (values beyond the range round to infinity, as IEEE 754 does).
     */
    public void write(MemorySegment data, long index, float value) {
        switch (this) {
            case F32 -> data.set(FLOAT_LE, index * 4, value);
            case BF16 -> data.set(SHORT_LE, index * 2, toBFloat16(value));
            case F16 -> data.set(SHORT_LE, index * 2, Float.floatToFloat16(value));
        }
    }

    /** {@code value} rounded to this dtype's precision and range (to nearest, ties to even). */
    public float round(float value) {
        return switch (this) {
            case F32 -> value;
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

    private static String supported(Function<DType, String> name) {
        return Arrays.stream(values()).map(name).collect(Collectors.joining(", ", "[", "]"));
    }
}
