package dev.gemma4j.engine;

import dev.gemma4j.GenerationOptions;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from fp32 logits: greedy, or temperature with top-k and top-p. */
public final class Sampler {
    private final GenerationOptions options;
    private final SplittableRandom random;

    public Sampler(GenerationOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
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
        return options.isGreedy() ? argmax(logits, offset, vocab) : sample(logits, offset, vocab, nextUniform());
    }

    /**
     * Picks each row b of logits [B, vocab] with {@code samplers[b]}.
     *
     * @throws ArithmeticException naming the row when a row holds a NaN
     */
    public static int[] sampleRows(float[] logits, Sampler[] samplers, int vocab) {
        int[] next = new int[samplers.length];
        for (int b = 0; b < samplers.length; b++) {
            try {
                next[b] = samplers[b].sample(logits, b * vocab, vocab);
            } catch (ArithmeticException e) {
                throw new ArithmeticException("row " + b + " of the decode batch: " + e.getMessage());
            }
        }
        return next;
    }

    /**
     * Samples from logits [offset, offset + vocab) with the uniform number {@code u} in [0, 1) given
     * (from {@link #nextUniform()}); greedy samplers ignore it.
     */
    public int sample(float[] logits, int offset, int vocab, double u01) {
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
        double u = u01 * total;
        double acc = 0;
        for (int id : candidates) {
            acc += p[id];
            if (u < acc) return id;
        }
        return candidates[candidates.length - 1];
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
