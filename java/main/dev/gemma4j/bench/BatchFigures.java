package dev.gemma4j.bench;

/**
 * The figures of one batch size, each with its limit and the fraction of it reached. Decode: a step
 * reads {@link #bytesPerDecodeStep} bytes, so at the measured bandwidth a sequence can receive at most
 * bandwidth ÷ bytes-per-step tokens per second. Prefill (where a GEMM rate was measured): a prompt costs
 * {@link Cost#prefillFlops} flops, so at the measured rate at most rate × prompt ÷ flops prompt tokens per
 * second go through.
 *
 * @param prefillLimitTokensPerSecond null where no GEMM rate was measured (the CPU); so is its fraction
 * @param kvTokensPerDecodeStep       cached tokens the batch's decode steps read, on average
 * @param enginePeakBytes             the engine's device allocations at their peak, or null on the CPU
 * @param deviceUsedBytes             device memory in use (total − free, every process) after the last
 *                                    decode step, or null on the CPU
 */
public record BatchFigures(int batch, double timeToFirstTokenSeconds, double prefillSeconds,
                           double prefillTokensPerSecond, Double prefillLimitTokensPerSecond,
                           Double prefillFractionOfLimit, int decodeSteps, double decodeSeconds,
                           double decodeTokensPerSecondPerSequence, double decodeTokensPerSecondAggregate,
                           double kvTokensPerDecodeStep, double bytesPerDecodeStep,
                           double decodeLimitTokensPerSecondPerSequence, double decodeLimitTokensPerSecondAggregate,
                           double decodeFractionOfLimit, Long enginePeakBytes, Long deviceUsedBytes) {

    public static BatchFigures of(BatchRun r, Cost cost, Limits limits) {
        Double prefillLimit = null;
        Double prefillFraction = null;
        if (limits.hasGemmRate()) {
            prefillLimit = limits.gemmFlopsPerSecond() * r.promptTokens() / cost.prefillFlops(r.promptTokens());
            prefillFraction = r.prefillTokensPerSecond() / prefillLimit;
        }
        double bytesPerStep = cost.bytesPerDecodeStep(r.batch(), r.promptTokens(), r.newTokens());
        double limitPerSequence = limits.bandwidthBytesPerSecond() / bytesPerStep;
        return new BatchFigures(r.batch(), r.timeToFirstTokenSeconds(), r.prefillSeconds(), r.prefillTokensPerSecond(),
                prefillLimit, prefillFraction, r.decodeSteps(), r.decodeSeconds(), r.decodeTokensPerSecondPerSequence(),
                r.decodeTokensPerSecondAggregate(), Cost.kvTokensPerDecodeStep(r.batch(), r.promptTokens(), r.newTokens()),
                bytesPerStep, limitPerSequence, r.batch() * limitPerSequence,
                r.decodeTokensPerSecondPerSequence() / limitPerSequence,
                r.memory() == null ? null : r.memory().enginePeakBytes(),
                r.memory() == null ? null : r.memory().deviceUsedBytes());
    }
}
