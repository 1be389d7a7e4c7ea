package dev.gemma4j.bench;

/**
 * The limits a benchmark states its figures against, measured on the machine it runs on in the same run.
 *
 * @param bandwidthBytesPerSecond the memory bandwidth a decode step can reach: on a GPU the device copy
 *                                bandwidth (bytes read plus bytes written), on the CPU the read bandwidth
 * @param bandwidthSource         how {@code bandwidthBytesPerSecond} was measured, for the report
 * @param flopsPerSecond          the arithmetic rate a prefill can reach: on a GPU the cuBLAS fp16 GEMM rate
 *                                (fp32 accumulation), on the CPU the fp32 FMA peak of all cores
 * @param flopsSource             how {@code flopsPerSecond} was measured (on a GPU with the GEMM's shape)
 */
public record Limits(double bandwidthBytesPerSecond, String bandwidthSource, double flopsPerSecond,
                     String flopsSource) {
    public Limits {
        if (!(bandwidthBytesPerSecond > 0) || Double.isInfinite(bandwidthBytesPerSecond)) {
            throw new IllegalArgumentException("bandwidth must be a positive number of bytes per second, found "
                    + bandwidthBytesPerSecond);
        }
        if (!(flopsPerSecond > 0) || Double.isInfinite(flopsPerSecond) || flopsSource == null) {
            throw new IllegalArgumentException("a prefill's flop rate must be a positive number of flop/s and say how it"
                    + " was measured, found " + flopsPerSecond + " flop/s from " + flopsSource);
        }
    }
}
