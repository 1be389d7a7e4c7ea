package dev.gemma4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A ggml tensor type as GGUF numbers it (ggml.h {@code enum ggml_type}): its block of elements, the
 * bytes of one block, and the {@link DType} gemma4j reads it as, or null for a type gemma4j does
 * not read yet. A quantized type becomes readable by giving it a DType.
 *
 * @param id        the number in the file
 * @param name      ggml's name
 * @param blockSize elements per block (1 for the float types)
 * @param blockBytes bytes per block
 * @param dtype     the element type gemma4j reads, or null
 */
record GgmlType(int id, String name, int blockSize, int blockBytes, DType dtype) {
    private static final GgmlType[] BY_ID = new GgmlType[40];

    static {
        add(0, "F32", 1, 4, DType.F32);
        add(1, "F16", 1, 2, DType.F16);
        add(2, "Q4_0", 32, 18, DType.Q4_0);
        add(3, "Q4_1", 32, 20, DType.Q4_1);
        add(6, "Q5_0", 32, 22, DType.Q5_0);
        add(7, "Q5_1", 32, 24, DType.Q5_1);
        add(8, "Q8_0", 32, 34, DType.Q8_0);
        add(9, "Q8_1", 32, 36, null);
        add(10, "Q2_K", 256, 84, null);
        add(11, "Q3_K", 256, 110, null);
        add(12, "Q4_K", 256, 144, DType.Q4_K);
        add(13, "Q5_K", 256, 176, DType.Q5_K);
        add(14, "Q6_K", 256, 210, DType.Q6_K);
        add(15, "Q8_K", 256, 292, null);
        add(16, "IQ2_XXS", 256, 66, null);
        add(17, "IQ2_XS", 256, 74, null);
        add(18, "IQ3_XXS", 256, 98, null);
        add(19, "IQ1_S", 256, 50, null);
        add(20, "IQ4_NL", 32, 18, null);
        add(21, "IQ3_S", 256, 110, null);
        add(22, "IQ2_S", 256, 82, null);
        add(23, "IQ4_XS", 256, 136, null);
        add(24, "I8", 1, 1, null);
        add(25, "I16", 1, 2, null);
        add(26, "I32", 1, 4, null);
        add(27, "I64", 1, 8, null);
        add(28, "F64", 1, 8, null);
        add(29, "IQ1_M", 256, 56, null);
        add(30, "BF16", 1, 2, DType.BF16);
        add(34, "TQ1_0", 256, 54, null);
        add(35, "TQ2_0", 256, 66, null);
        add(39, "MXFP4", 32, 17, null);
    }

    private static void add(int id, String name, int blockSize, int blockBytes, DType dtype) {
        BY_ID[id] = new GgmlType(id, name, blockSize, blockBytes, dtype);
    }

    /** The type numbered {@code id}, or null for a number ggml does not define. */
    static GgmlType of(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /**
     * The ggml type gemma4j's {@code dtype} is stored as.
     *
     * @throws IllegalArgumentException for a dtype no ggml type reads as (none, today)
     */
    static GgmlType of(DType dtype) {
        for (GgmlType t : BY_ID) if (t != null && t.dtype() == dtype) return t;
        throw new IllegalArgumentException("no ggml type is stored as " + dtype);
    }

    /** The ggml name of type {@code id}, or "unknown" for a number ggml does not define. */
    static String describe(int id) {
        GgmlType t = of(id);
        return t == null ? "unknown" : t.name();
    }

    /** The names of the types gemma4j reads, e.g. "F32, F16, BF16". */
    static String supported() {
        List<String> names = new ArrayList<>();
        for (GgmlType t : BY_ID) if (t != null && t.dtype() != null) names.add(t.name());
        return String.join(", ", names);
    }

    /**
     * Bytes of {@code elements} elements, a whole number of blocks (the caller checks that rows are).
     *
     * @throws ArithmeticException when they overflow a long
     */
    long byteSize(long elements) {
        return Math.multiplyExact(elements / blockSize, blockBytes);
    }

    @Override
    public String toString() {
        return name;
    }
}
