package dev.gemma4j;

/**
 * How likely the model finds a continuation after a context, as evaluation harnesses (lm-evaluation-harness's
 * {@code loglikelihood}) ask for it.
 *
 * @param logLikelihood  the sum of {@code tokenLogprobs}: natural-log probability of the whole continuation
 * @param greedy         true when every continuation token is the argmax at its position (what greedy
 *                       decoding would have produced)
 * @param tokenLogprobs  per continuation token, its log-probability given the context and the tokens before
 *                       it (log-softmax of the fp32 logits, in float64)
 */
public record Score(double logLikelihood, boolean greedy, double[] tokenLogprobs) {}
