package dev.gemma4j.bench;

/**
 * The figures of one batch size, each with its limit and the fraction of it reached. Decode: a step
 * reads {@link #bytesPerDecodeStep} bytes, so at the measured bandwidth a sequence can receive at most
 * bandwidth ÷ bytes-per-step tokens per second. Prefill: a prompt costs {@link Cost#prefillFlops} flops, so
 * at the measured flop rate (a GEMM's on a GPU, the FMA peak on the CPU) at most rate × prompt ÷ flops
 * prompt tokens per second go through.
 *
 * @param kvTokensPerDecodeStep cached tokens the batch's decode steps read, on average
 * @param enginePeakBytes       the engine's device allocations at their peak, or null on the CPU
 * @param deviceUsedBytes       device memory in use (total − free, every process) after the last decode
 *                              step, or null on the CPU
 */
public record BatchFigures(int batch, double timeToFirstTokenSeconds, double prefillSeconds,
                           double prefillTokensPerSecond, double prefillLimitTokensPerSecond,
                           double prefillFractionOfLimit, int decodeSteps, double decodeSeconds,
                           double decodeTokensPerSecondPerSequence, double decodeTokensPerSecondAggregate,
                           double kvTokensPerDecodeStep, double bytesPerDecodeStep,
                           double decodeLimitTokensPerSecondPerSequence, double decodeLimitTokensPerSecondAggregate,
                           double decodeFractionOfLimit, Long enginePeakBytes, Long deviceUsedBytes) {

    public static BatchFigures of(BatchRun r, Cost cost, Limits limits) {
        double prefillLimit = limits.flopsPerSecond() * r.promptTokens() / cost.prefillFlops(r.promptTokens());
        double bytesPerStep = cost.bytesPerDecodeStep(r.batch(), r.promptTokens(), r.newTokens());
        double limitPerSequence = limits.bandwidthBytesPerSecond() / bytesPerStep;
        return new BatchFigures(r.batch(), r.timeToFirstTokenSeconds(), r.prefillSeconds(), r.prefillTokensPerSecond(),
                prefillLimit, r.prefillTokensPerSecond() / prefillLimit, r.decodeSteps(), r.decodeSeconds(),
                r.decodeTokensPerSecondPerSequence(), r.decodeTokensPerSecondAggregate(), Cost.kvTokensPerDecodeStep(r.batch(), r.promptTokens(), r.newTokens()),
                bytesPerStep, limitPerSequence, r.batch() * limitPerSequence,
                r.decodeTokensPerSecondPerSequence() / limitPerSequence,
                r.memory() == null ? null : r.memory().enginePeakBytes(),
                r.memory() == null ? null : r.memory().deviceUsedBytes());
    }
}
