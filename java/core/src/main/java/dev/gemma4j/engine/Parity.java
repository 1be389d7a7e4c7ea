package dev.gemma4j.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the same tokens through two backends and compares them after every step (embedding, each
 * attention and MLP block, logits) and by their greedy continuations.
 */
public final class Parity {
    private Parity() {}

    /** Relative error ‖a − b‖ / ‖b‖ of one step; {@code b} is the reference. */
    public record Step(String name, double relativeError, double maxAbsError) {}

    /**
     * @param steps          per-step comparison of the prompt's forward pass
     * @param greedyTest     greedy continuation on the backend under test
     * @param greedyReference greedy continuation on the reference backend
     */
    public record Report(List<Step> steps, int[] greedyTest, int[] greedyReference) {
        /** Leading tokens on which both continuations agree. */
        public int agreeingTokens() {
            int n = Math.min(greedyTest.length, greedyReference.length);
            for (int i = 0; i < n; i++) {
                if (greedyTest[i] != greedyReference[i]) return i;
            }
            return n;
        }

        public double logitsRelativeError() {
            return steps.get(steps.size() - 1).relativeError();
        }

        public double worstRelativeError() {
            return steps.stream().mapToDouble(Step::relativeError).max().orElse(Double.NaN);
        }
    }

    /** Relative error with NaN or infinity anywhere reported as NaN (it never passes a bound). */
    public static double relativeError(float[] test, float[] reference) {
        if (test.length != reference.length) {
            throw new IllegalArgumentException("compared arrays differ in length: " + test.length + " vs " + reference.length);
        }
        double num = 0, den = 0;
        for (int i = 0; i < test.length; i++) {
            if (!Float.isFinite(test[i]) || !Float.isFinite(reference[i])) return Double.NaN;
            double d = (double) test[i] - reference[i];
            num += d * d;
            den += (double) reference[i] * reference[i];
        }
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }

    static double maxAbsError(float[] test, float[] reference) {
        double m = 0;
        for (int i = 0; i < test.length; i++) {
            double d = Math.abs((double) test[i] - reference[i]);
            if (Double.isNaN(d)) return Double.NaN;
            m = Math.max(m, d);
        }
        return m;
    }

    /**
     * @param newTokens length of the greedy continuations to compare
     */
    public static Report compare(Forward test, Forward reference, int[] prompt, int newTokens) {
        List<float[]> testSteps = new ArrayList<>();
        List<String> names = new ArrayList<>();
        float[] testLogits;
        float[] refLogits;
        try (KvCache cache = test.backend().newCache(prompt.length)) {
            testLogits = test.run(prompt, cache, 0, prompt.length, (name, b) -> {
                names.add(name);
                testSteps.add(b.residual());
            });
        }
        List<Step> steps = new ArrayList<>();
        int[] index = {0};
        try (KvCache cache = reference.backend().newCache(prompt.length)) {
            refLogits = reference.run(prompt, cache, 0, prompt.length, (name, b) -> {
                float[] r = b.residual();
                float[] t = testSteps.get(index[0]++);
                steps.add(new Step(name, relativeError(t, r), maxAbsError(t, r)));
            });
        }
        if (index[0] != names.size()) {
            throw new IllegalStateException("backends ran different steps: " + names.size() + " vs " + index[0]);
        }
        steps.add(new Step("logits", relativeError(testLogits, refLogits), maxAbsError(testLogits, refLogits)));
        return new Report(steps, greedy(test, prompt, newTokens), greedy(reference, prompt, newTokens));
    }

    /** Greedy continuation, ignoring end-of-sequence tokens so both sides run the full length. */
    static int[] greedy(Forward f, int[] prompt, int newTokens) {
        int vocab = f.config().vocabSize();
        int[] out = new int[newTokens];
        try (KvCache cache = f.backend().newCache(prompt.length + newTokens)) {
            float[] logits = f.run(prompt, cache, 0, 1);
            for (int i = 0; i < newTokens; i++) {
                out[i] = Sampler.argmax(logits, 0, vocab);
                if (i + 1 < newTokens) logits = f.run(new int[] {out[i]}, cache, prompt.length + i, 1);
            }
        }
        return Arrays.copyOf(out, newTokens);
    }
}
