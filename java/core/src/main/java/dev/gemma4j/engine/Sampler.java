package dev.gemma4j.engine;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.TokenLogprob;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Picks the next token from fp32 logits: greedy, or temperature with top-k and top-p. When the options ask
 * for log-probabilities it records those of each pick ({@link #takeLogprob()}); a backend that samples on
 * the device hands such rows to {@link #sample(float[], int, int, double)} on the host
 * ({@link #needsHostLogits()}).
 */
public final class Sampler {
    private final GenerationOptions options;
    private final SplittableRandom random;
    /**
     * Ids in [0, sampleable) can be drawn: a checkpoint's embedding may have more rows than its
     * tokenizer has pieces (padding, as fine-tunes ship), and an id past the tokenizer has no text.
     */
    private final int sampleable;
    /** The log-probabilities of the last pick, when the options ask for them; null once taken. */
    private TokenLogprob lastLogprob;

    public Sampler(GenerationOptions options) {
        this(options, Integer.MAX_VALUE);
    }

    /**
     * A sampler that draws only ids below {@code sampleable} (the tokenizer's size): logits of the rows
     * past it are neither picked nor counted in probabilities.
     */
    public Sampler(GenerationOptions options, int sampleable) {
        if (sampleable < 1) throw new IllegalArgumentException("at least one id must be sampleable, found " + sampleable);
        this.options = options;
        this.random = new SplittableRandom(options.seed());
        this.sampleable = sampleable;
    }

    /** Ids below this can be drawn ({@link Integer#MAX_VALUE}: every id of the row). */
    public int sampleable() {
        return sampleable;
    }

    /** Index of the largest value, lowest index on ties; NaN anywhere is an error. */
    public static int argmax(float[] logits, int offset, int length) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            float v = logits[offset + i];
            if (Float.isNaN(v)) {
                throw new ArithmeticException("logit of token " + i + " is NaN");
            }
            if (best < 0 || v > bestValue) {
                best = i;
                bestValue = v;
            }
        }
        return best;
    }

    public GenerationOptions options() {
        return options;
    }

    /** True when every pick needs the whole row of logits on the host (to record log-probabilities). */
    public boolean needsHostLogits() {
        return options.logprobs();
    }

    /** The log-probabilities of the last pick (null when none were asked for or they were taken already). */
    public TokenLogprob takeLogprob() {
        TokenLogprob t = lastLogprob;
        lastLogprob = null;
        return t;
    }

    /**
     * log-softmax of logits [offset, offset + vocab) in float64: {@code out[i] = x[i] - max - log(sum exp(x - max))}.
     */
    public static double[] logSoftmax(float[] logits, int offset, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i] - max);
        double shift = max + Math.log(sum);
        double[] out = new double[vocab];
        for (int i = 0; i < vocab; i++) out[i] = logits[offset + i] - shift;
        return out;
    }

    /** The chosen token's log-probability and the {@code top} most likely tokens (lower id first among equals). */
    public static TokenLogprob logprobOf(float[] logits, int offset, int vocab, int chosen, int top) {
        double[] lp = logSoftmax(logits, offset, vocab);
        // Partial selection: top is at most 20, so n × top comparisons beat sorting the vocabulary.
        int[] best = new int[top];
        int found = 0;
        for (int i = 0; i < vocab; i++) {
            int k = found;
            if (k == top && !(lp[i] > lp[best[top - 1]])) continue;
            if (k == top) k--;
            while (k > 0 && lp[i] > lp[best[k - 1]]) {
                best[k] = best[k - 1];
                k--;
            }
            best[k] = i;
            if (found < top) found++;
        }
        List<TokenLogprob.Alternative> alternatives = new ArrayList<>(found);
        for (int k = 0; k < found; k++) alternatives.add(new TokenLogprob.Alternative(best[k], lp[best[k]]));
        return new TokenLogprob(chosen, lp[chosen], alternatives);
    }

    /**
     * The random number the next non-greedy {@link #sample(float[], int, int)} would draw, drawn now;
     * pass it to {@link #sample(float[], int, int, double)}. A backend that samples on the device draws
     * it here, so both paths consume the same stream.
     *
     * @throws IllegalStateException for a greedy sampler, which draws nothing
     */
    public double nextUniform() {
        if (options.isGreedy()) throw new IllegalStateException("a greedy sampler draws no random numbers");
        return random.nextDouble();
    }

    /** Samples from logits [offset, offset + vocab). */
    public int sample(float[] logits, int offset, int vocab) {
        return sample(logits, offset, vocab, options.isGreedy() ? 0 : nextUniform());
    }

    /**
     * Picks each row b of logits [B, vocab] with {@code samplers[b]}.
     *
     * @throws DecodeRowFailure naming the rows that hold a NaN, with the other rows' tokens
     */
    public static int[] sampleRows(float[] logits, Sampler[] samplers, int vocab) {
        int[] next = new int[samplers.length];
        ArithmeticException[] failed = new ArithmeticException[samplers.length];
        for (int b = 0; b < samplers.length; b++) {
            try {
                next[b] = samplers[b].sample(logits, b * vocab, vocab);
            } catch (ArithmeticException e) {
                failed[b] = new ArithmeticException("row " + b + " of the decode batch: " + e.getMessage());
            }
        }
        DecodeRowFailure.throwIfAny(next, failed);
        return next;
    }

    /**
     * Samples from logits [offset, offset + vocab) with the uniform number {@code u} in [0, 1) given
     * (from {@link #nextUniform()}); greedy samplers ignore it.
     */
    public int sample(float[] logits, int offset, int vocab, double u01) {
        vocab = Math.min(vocab, sampleable);
        int picked = pick(logits, offset, vocab, u01);
        if (options.logprobs()) lastLogprob = logprobOf(logits, offset, vocab, picked, options.topLogprobs());
        return picked;
    }

    private int pick(float[] logits, int offset, int vocab, double u01) {
        int greedy = argmax(logits, offset, vocab);
        if (options.isGreedy()) {
            return greedy;
        }
        float inv = 1f / options.temperature();
        float max = logits[offset + greedy];
        double[] p = new double[vocab];                  // unnormalised probabilities
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[offset + i] - max) * inv);
        }
        int[] candidates = candidates(logits, offset, p);
        double total = 0;
        for (int id : candidates) total += p[id];
        if (!(total > 0 && total < Double.POSITIVE_INFINITY)) {
            // The best logit's weight is e^0 = 1, so only NaN or infinite logits (or temperatures the options
            // refuse) get here; picking a token anyway would hide them.
            throw new ArithmeticException("sampling weights of " + candidates.length + " candidates sum to " + total
                    + " (temperature " + options.temperature() + ", best logit " + max + "): no token can be drawn");
        }
        double u = u01 * total;
        double acc = 0;
        int lastWeighted = -1;
        for (int id : candidates) {
            acc += p[id];
            if (u < acc) return id;
            if (p[id] > 0) lastWeighted = id;
        }
        // u01 * total rounded up to total: the last candidate that has weight, never one of weight 0.
        return lastWeighted;
    }

    /**
     * Token ids that survive top-k and top-p, ranked by logit (lower id first among equals). As in
     * Hugging Face's warpers, top-p applies to what top-k kept, with probabilities renormalised
     * over that set.
     */
    private int[] candidates(float[] logits, int offset, double[] p) {
        int vocab = p.length;
        if (options.topK() == 0 && options.topP() >= 1f) {
            int[] all = new int[vocab];
            for (int i = 0; i < vocab; i++) all[i] = i;
            return all;
        }
        // Sort keys: the logit's bits made monotone as a signed int, above the inverted id.
        long[] keys = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            int bits = Float.floatToIntBits(logits[offset + i]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) ordered << 32) | (0xffffffffL - i);
        }
        Arrays.sort(keys);
        int keep = options.topK() > 0 ? Math.min(vocab, options.topK()) : vocab;
        int[] ids = new int[keep];
        for (int k = 0; k < keep; k++) {
            ids[k] = (int) (0xffffffffL - (keys[vocab - 1 - k] & 0xffffffffL));
        }
        if (options.topP() >= 1f) return ids;
        double norm = 0;
        if (options.topK() > 0) {
            for (int id : ids) norm += p[id];
        } else {
            for (double v : p) norm += v;
        }
        double cum = 0;
        for (int k = 0; k < keep; k++) {
            cum += p[ids[k]] / norm;
            if (cum >= options.topP()) return Arrays.copyOf(ids, k + 1);
        }
        return ids;
    }
}
