package dev.gemma4j.bench;

/**
 * The timings of one batch size: {@code batch} sequences each prefilled with its own prompt, then
 * {@code newTokens - 1} decode steps that advance all of them at once.
 *
 * @param timeToFirstTokenSeconds from the start of the first sequence's prefill to its first new token
 * @param prefillSeconds          all {@code batch} prefills, one after another, each with its first token
 * @param decodeSeconds           the {@code newTokens - 1} decode steps
 * @param tokens                  [batch][newTokens]: each sequence's new tokens, the first from its prefill
 * @param memory                  device memory after the last decode step, or null on the CPU
 */
public record BatchRun(int batch, int promptTokens, int newTokens, double timeToFirstTokenSeconds,
                       double prefillSeconds, double decodeSeconds, int[][] tokens, MemoryUse memory) {

    /** Device memory held by the engine (its peak so far) and in use on the whole device (cuMemGetInfo). */
    public record MemoryUse(long enginePeakBytes, long deviceUsedBytes) {}

    public int decodeSteps() {
        return newTokens - 1;
    }

    /** Prompt tokens of all sequences per second of prefill. */
    public double prefillTokensPerSecond() {
        return (double) batch * promptTokens / prefillSeconds;
    }

    /** Decode steps per second: the tokens per second each sequence receives. */
    public double decodeTokensPerSecondPerSequence() {
        return decodeSteps() / decodeSeconds;
    }

    /** Tokens per second of all sequences together: batch x steps / time. */
    public double decodeTokensPerSecondAggregate() {
        return (double) batch * decodeSteps() / decodeSeconds;
    }
}
