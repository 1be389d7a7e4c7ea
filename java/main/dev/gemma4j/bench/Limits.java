package dev.gemma4j.bench;

/**
 * The limits a benchmark states its figures against, measured on the machine it runs on in the same run.
 *
 * @param bandwidthBytesPerSecond the memory bandwidth a decode step can reach: on a GPU the device copy
 *                                bandwidth (bytes read plus bytes written), on the CPU the read bandwidth
 * @param bandwidthSource         how {@code bandwidthBytesPerSecond} was measured, for the report
 * @param gemmFlopsPerSecond      the cuBLAS fp16 GEMM rate (fp32 accumulation) a prefill can reach, or
 *                                NaN where none was measured (the CPU)
 * @param gemmShape               the measured GEMM's m x n x k, or null with a NaN rate
 */
public record Limits(double bandwidthBytesPerSecond, String bandwidthSource, double gemmFlopsPerSecond,
                     String gemmShape) {
    public Limits {
        if (!(bandwidthBytesPerSecond > 0) || Double.isInfinite(bandwidthBytesPerSecond)) {
            throw new IllegalArgumentException("bandwidth must be a positive number of bytes per second, found "
                    + bandwidthBytesPerSecond);
        }
        if (!Double.isNaN(gemmFlopsPerSecond) && !(gemmFlopsPerSecond > 0 && gemmShape != null)) {
            throw new IllegalArgumentException("a GEMM rate must be positive and name its shape, found "
                    + gemmFlopsPerSecond + " flop/s for shape " + gemmShape);
        }
    }

    /** A memory read bandwidth and no GEMM rate: the CPU backend's limits. */
    public static Limits bandwidthOnly(double bytesPerSecond, String source) {
        return new Limits(bytesPerSecond, source, Double.NaN, null);
    }

    public boolean hasGemmRate() {
        return !Double.isNaN(gemmFlopsPerSecond);
    }
}
