package dev.gemma4j.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Quantizes float weights into ggml blocks as llama.cpp's quantizer does for these types, bit for
 * bit: ggml's reference quantizers ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref} in
 * ggml-quants.c), which {@code llama_model_quantize} runs for Q8_0 and Q4_0 tensors.
 *
 * <ul>
 *   <li>Q8_0, per block of 32: amax = max |x|, d = amax / 127, id = 1 / d (0 when d is 0), q =
 *       round(x · id) half away from zero; d stored as fp16 (to nearest even).
 *   <li>Q4_0: max = the element of largest magnitude (the first of equals), d = max / −8, id as
 *       above, q = min(15, trunc(x · id + 8.5)), element j in the low nibble of byte j, element
 *       j + 16 in its high nibble.
 * </ul>
 * Every product and sum is one fp32 operation, as ggml's C does them.
 */
public final class BlockQuantizer {
    private BlockQuantizer() {}

    /** The types gemma4j quantizes to. */
    public static final Set<DType> TYPES = Collections.unmodifiableSet(EnumSet.of(DType.Q8_0, DType.Q4_0));

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = 32;

    /** @throws IllegalArgumentException naming the type and the ones gemma4j quantizes to */
    public static void check(DType type) {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + ": expected one of " + names());
        }
    }

    /**
     * The type a command-line name denotes ("q8_0", "Q4_0", case-insensitive).
     *
     * @throws IllegalArgumentException naming the text and the accepted names
     */
    public static DType parse(String text) {
        for (DType t : TYPES) if (t.name().equalsIgnoreCase(text)) return t;
        throw new IllegalArgumentException("unknown quantized type '" + text + "', expected one of " + names());
    }

    private static String names() {
        return TYPES.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ", "[", "]"));
    }

    /**
     * Quantizes {@code x[off .. off + n)} ({@code n} a multiple of 32, every value finite) into
     * {@code n / 32} blocks of {@code type} at byte {@code at} of {@code dst}.
     */
    public static void quantizeRow(DType type, float[] x, int off, int n, MemorySegment dst, long at) {
        check(type);
        if (n % BLOCK != 0) throw new IllegalArgumentException(n + " elements are not whole blocks of " + BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            int x0 = off + b * BLOCK;
            long block = at + (long) b * type.blockBytes();
            if (type == DType.Q8_0) q8_0(x, x0, dst, block);
            else q4_0(x, x0, dst, block);
        }
    }

    private static void q8_0(float[] x, int x0, MemorySegment dst, long block) {
        float amax = 0;
        for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[x0 + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(SHORT_LE, block, Float.floatToFloat16(d));
        for (int j = 0; j < BLOCK; j++) {
            float v = x[x0 + j] * id;
            // C's roundf: half away from zero (Math.round rounds halves up, which differs below zero).
            int r = Math.round(Math.abs(v));
            dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) (v < 0 ? -r : r));
        }
    }

    private static void q4_0(float[] x, int x0, MemorySegment dst, long block) {
        float amax = 0, max = 0;
        for (int j = 0; j < BLOCK; j++) {
            float v = x[x0 + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(SHORT_LE, block, Float.floatToFloat16(d));
        for (int j = 0; j < BLOCK / 2; j++) {
            int lo = Math.min(15, (int) (x[x0 + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[x0 + BLOCK / 2 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) (lo | hi << 4));
        }
    }

    /**
     * A float matrix [rows, cols] quantized to {@code type}, its blocks allocated in {@code arena} (a
     * shared or global one: rows are quantized in parallel, on the common pool's threads).
     *
     * @throws ModelFormatException naming the tensor when it is not a float matrix of whole blocks, or
     *                              holds a value that is not finite
     */
    public static Tensor quantize(Tensor t, DType type, Arena arena) {
        check(type);
        checkQuantizable(t, type);
        int rows = Math.toIntExact(t.rows()), cols = Math.toIntExact(t.cols());
        long rowBytes = type.byteSize(cols);
        MemorySegment out = arena.allocate(rowBytes * rows, 64);
        ThreadLocal<float[]> buffer = ThreadLocal.withInitial(() -> new float[cols]);
        IntStream.range(0, rows).parallel().forEach(r -> {
            float[] row = buffer.get();
            long base = (long) r * cols;
            for (int i = 0; i < cols; i++) {
                float v = t.getFloat(base + i);
                if (!Float.isFinite(v)) {
                    throw new ModelFormatException("quantizing tensor '" + t.name() + "' to " + type + ": element ["
                            + r + ", " + i + "] is " + v + ", expected a finite value");
                }
                row[i] = v;
            }
            quantizeRow(type, row, 0, cols, out, r * rowBytes);
        });
        return new Tensor(t.name(), type, t.shape(), out);
    }

    /**
     * Checks that {@link #quantize} can quantize {@code t} to {@code type}, before any of it is read.
     *
     * @throws ModelFormatException naming the tensor when it is already quantized, not a matrix, or its rows
     *                              are not whole blocks
     */
    static void checkQuantizable(Tensor t, DType type) {
        if (t.dtype().quantized()) throw alreadyQuantized(t, type);
        if (t.rank() != 2) {
            throw new ModelFormatException("quantizing tensor '" + t.name() + "' to " + type + ": expected a float"
                    + " matrix, found " + t.dtype() + " " + java.util.Arrays.toString(t.shape()));
        }
        if (t.cols() % BLOCK != 0) {
            throw new ModelFormatException("quantizing tensor '" + t.name() + "' to " + type + ": rows of " + t.cols()
                    + " elements, expected a multiple of " + type + "'s block of " + BLOCK);
        }
    }

    private static ModelFormatException alreadyQuantized(Tensor t, DType type) {
        return new ModelFormatException("cannot quantize to " + type + ": tensor '" + t.name() + "' is already "
                + t.dtype() + "; quantize a float checkpoint (safetensors, or an F32, F16 or BF16 GGUF)");
    }

    /**
     * The weights of {@code source} with every matrix (the embedding and the projections) quantized to
     * {@code type} now, the norms as they are; closing it closes {@code source} and frees the blocks.
     *
     * @throws ModelFormatException naming the tensor when a matrix is already quantized or cannot be
     */
    public static WeightSource quantized(WeightSource source, DType type) {
        check(type);
        Arena arena = Arena.ofShared();
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : source.tensors().entrySet()) {
                Tensor t = e.getValue();
                if (t.dtype().quantized()) throw alreadyQuantized(t, type);
                tensors.put(e.getKey(), t.rank() == 2 ? quantize(t, type, arena) : t);
            }
            return new Quantized(source, Collections.unmodifiableMap(tensors), arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private record Quantized(WeightSource source, Map<String, Tensor> tensors, Arena arena) implements WeightSource {
        @Override
        public GemmaConfig config() {
            return source.config();
        }

        @Override
        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            return t != null ? t : source.tensor(name);
        }

        @Override
        public Path tokenizerJson() {
            return source.tokenizerJson();
        }

        @Override
        public dev.gemma4j.tokenizer.GemmaTokenizer tokenizer() {
            return source.tokenizer();
        }

        @Override
        public void checkUnchanged() {
            source.checkUnchanged();
        }

        @Override
        public void close() {
            try {
                source.close();
            } finally {
                if (arena.scope().isAlive()) arena.close();
            }
        }
    }
}
