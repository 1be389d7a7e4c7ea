package dev.gemma4j.cuda;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Choices between two implementations of one CUDA step, each a system property read when a
 * backend is opened. Every choice keeps both paths so that one run on a GPU can time them side by
 * side ({@code scripts/gpu-check.sh}) and pick the default from figures; until then the default is
 * the path that came first.
 */
public final class CudaSwitches {
    private CudaSwitches() {}

    /** {@code gemma4j.cuda.decodeAttention}: how decode attention reads the cache. */
    public enum DecodeAttention { SCALAR, VECTOR }

    /** {@code gemma4j.cuda.decodeGemv}: what computes the matrix products of small decode batches. */
    public enum DecodeGemv { CUBLAS, OWN }

    /** {@code gemma4j.cuda.prefillAttention}: what computes prefill attention. */
    public enum PrefillAttention { SIMT, WMMA }

    public static final String DECODE_ATTENTION = "gemma4j.cuda.decodeAttention";
    public static final String DECODE_GEMV = "gemma4j.cuda.decodeGemv";
    public static final String PREFILL_ATTENTION = "gemma4j.cuda.prefillAttention";

    public static DecodeAttention decodeAttention() {
        return read(DECODE_ATTENTION, DecodeAttention.class, DecodeAttention.SCALAR);
    }

    public static DecodeGemv decodeGemv() {
        return read(DECODE_GEMV, DecodeGemv.class, DecodeGemv.CUBLAS);
    }

    public static PrefillAttention prefillAttention() {
        return read(PREFILL_ATTENTION, PrefillAttention.class, PrefillAttention.SIMT);
    }

    /**
     * Refuses the switches whose kernels have no instantiation for {@code compute}: the own GEMV
     * kernels, the tensor-core prefill (fp16 wmma fragments) and the vector decode attention are
     * fp16 only.
     *
     * @throws IllegalArgumentException naming the switch, its value and the compute type
     */
    static void requireSupported(Compute compute) {
        if (compute == Compute.FP16) return;
        String refused = decodeGemv() == DecodeGemv.OWN ? DECODE_GEMV + "=own"
                : prefillAttention() == PrefillAttention.WMMA ? PREFILL_ATTENTION + "=wmma"
                : decodeAttention() == DecodeAttention.VECTOR ? DECODE_ATTENTION + "=vector" : null;
        if (refused != null) {
            throw new IllegalArgumentException("-D" + refused + " has fp16 kernels only and cannot run with compute "
                    + compute.label() + "; drop the switch or use --compute fp16");
        }
    }

    /**
     * Refuses the switches whose kernels compute Gemma 1's layers only (full, uncapped attention,
     * no q/k norms) for a model that needs {@code needs} (a {@link dev.gemma4j.engine.LayerPlan#beyondGemma1()}
     * list), naming the switch; nothing for a Gemma 1 model ({@code needs} null).
     */
    static void requireSupported(String needs) {
        if (needs == null) return;
        String refused = decodeGemv() == DecodeGemv.OWN ? DECODE_GEMV + "=own"
                : prefillAttention() == PrefillAttention.WMMA ? PREFILL_ATTENTION + "=wmma"
                : decodeAttention() == DecodeAttention.VECTOR ? DECODE_ATTENTION + "=vector" : null;
        if (refused != null) {
            throw new IllegalArgumentException("-D" + refused + " has kernels for Gemma 1's layers only; this model needs "
                    + needs + ", which only the default kernels compute: drop the switch");
        }
    }

    /** The value of {@code property} (case-insensitive), {@code fallback} when unset. */
    static <E extends Enum<E>> E read(String property, Class<E> type, E fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) return fallback;
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value.strip())) return e;
        }
        throw new IllegalArgumentException("system property " + property + ": expected one of "
                + Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(", "))
                + ", found \"" + value + "\"");
    }
}
