package dev.gemma4j;

import java.util.List;

/**
 * What a generation produced.
 *
 * @param promptTokens    the prompt as token ids (BOS first when the prompt came as text)
 * @param generatedTokens the new tokens, without the stop token that ended generation
 * @param text            the new text, cut before a stop string when one ended generation
 * @param stopReason      why generation ended
 * @param prefillNanos    time from the start of work on the request to its first token: the prompt's
 *                        forward pass and the first pick
 * @param decodeNanos     time spent on the remaining tokens (shared decode steps with other sequences
 *                        when several generate at once)
 * @param queueNanos      time the request waited for a free sequence slot before work on it started
 * @param logprobs        one entry per generated token when {@link GenerationOptions#logprobs()} was asked
 *                        for, else empty
 */
public record GenerationResult(int[] promptTokens, int[] generatedTokens, String text, StopReason stopReason,
                               long prefillNanos, long decodeNanos, long queueNanos, List<TokenLogprob> logprobs) {
    public GenerationResult {
        logprobs = List.copyOf(logprobs);
    }

    /** Why a generation ended. */
    public enum StopReason {
        /** The model produced eos, {@code <end_of_turn>} or another of its end ids (generation_config.json). */
        END_OF_SEQUENCE,
        /** The text reached one of the stop strings. */
        STOP_STRING,
        /** The limit on new tokens was reached. */
        MAX_TOKENS,
        /** The context (KV cache) is full. */
        CONTEXT_FULL
    }
}
