package dev.gemma4j;

import java.util.List;

/**
 * The log-probability of one generated token and of the most likely tokens at its position, under the
 * model's distribution there: the log-softmax of the fp32 logits, computed in float64, before temperature,
 * top-k and top-p (the figures OpenAI's {@code logprobs} and evaluation harnesses report).
 *
 * @param token   the chosen token id
 * @param logprob its natural-log probability (at most 0)
 * @param top     the most likely tokens, most likely first (lower id first among equals), as many as
 *                {@link GenerationOptions#topLogprobs()} asked for; may or may not contain {@code token}
 */
public record TokenLogprob(int token, double logprob, List<Alternative> top) {
    /** One of the most likely tokens at a position. */
    public record Alternative(int token, double logprob) {}

    public TokenLogprob {
        top = List.copyOf(top);
    }
}
