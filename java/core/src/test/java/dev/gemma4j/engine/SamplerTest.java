package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationOptions;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static GenerationOptions opts(float temperature, int topK, float topP, long seed) {
        return GenerationOptions.defaults().withMaxNewTokens(8).withTemperature(temperature).withTopK(topK).withTopP(topP).withSeed(seed);
    }

    @Test
    void argmaxTakesLowestIdOnTiesAndRejectsNaN() {
        assertEquals(1, Sampler.argmax(new float[] {0, 3, 3, 1}, 0, 4));
        assertEquals(0, Sampler.argmax(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 0, 2));
        assertThrows(ArithmeticException.class, () -> Sampler.argmax(new float[] {0, Float.NaN, 1}, 0, 3));
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        long seed = System.nanoTime();
        System.out.println("SamplerTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] logits = new float[1000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) rnd.nextGaussian();
        int[] a = draw(new Sampler(opts(1f, 0, 1f, 7)), logits, 64);
        int[] b = draw(new Sampler(opts(1f, 0, 1f, 7)), logits, 64);
        int[] c = draw(new Sampler(opts(1f, 0, 1f, 8)), logits, 64);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertTrue(!java.util.Arrays.equals(a, c), "seeds 7 and 8 drew the same 64 tokens from 1000");
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        float[] logits = {0.1f, 2f, 1.9f, -3f};
        for (int i = 0; i < 50; i++) {
            assertEquals(1, new Sampler(opts(1.5f, 1, 1f, i)).sample(logits, 0, 4));
            assertEquals(1, new Sampler(opts(1.5f, 0, 1e-6f, i)).sample(logits, 0, 4));
        }
    }

    @Test
    void topKAndTopPOnlyDrawFromTheKeptSet() {
        float[] logits = {5f, 4f, 3f, 2f, 1f, 0f};
        Sampler k2 = new Sampler(opts(1f, 2, 1f, 3));
        // softmax of 5,4,3,...: p = .634, .233, .086, .032, .012, .004; top-p 0.85 keeps {0, 1}.
        Sampler p85 = new Sampler(opts(1f, 0, 0.85f, 3));
        for (int i = 0; i < 2000; i++) {
            assertTrue(k2.sample(logits, 0, 6) <= 1);
            assertTrue(p85.sample(logits, 0, 6) <= 1);
        }
    }

    /**
     * Top-p applies to the top-k set renormalised (Hugging Face's warper order): softmax of 5, 4 over
     * the two kept is .731, .269, so top-p 0.7 keeps only token 0. Over the whole vocabulary token 0
     * has .634 < 0.7 and token 1 would be kept too.
     */
    @Test
    void topPIsRenormalisedOverTopK() {
        float[] logits = {5f, 4f, 3f, 2f, 1f, 0f};
        Sampler s = new Sampler(opts(1f, 2, 0.7f, 9));
        for (int i = 0; i < 500; i++) assertEquals(0, s.sample(logits, 0, 6));
        Sampler all = new Sampler(opts(1f, 0, 0.7f, 9));
        boolean sawOne = false;
        for (int i = 0; i < 500; i++) sawOne |= all.sample(logits, 0, 6) == 1;
        assertTrue(sawOne, "top-p 0.7 over all tokens keeps token 1 (cumulative .634 after token 0)");
    }

    /** Frequencies follow softmax(logits / T): each within 5 standard deviations of its expectation. */
    @Test
    void frequenciesFollowTemperatureSoftmax() {
        float[] logits = {1f, 0f, -1f, 0.5f};
        float temperature = 0.7f;
        double[] p = new double[4];
        double sum = 0;
        for (int i = 0; i < 4; i++) sum += p[i] = Math.exp(logits[i] / temperature);
        int draws = 40000;
        int[] counts = new int[4];
        Sampler s = new Sampler(opts(temperature, 0, 1f, 11));
        for (int i = 0; i < draws; i++) counts[s.sample(logits, 0, 4)]++;
        for (int i = 0; i < 4; i++) {
            double expected = draws * p[i] / sum;
            double sd = Math.sqrt(expected * (1 - p[i] / sum));
            assertTrue(Math.abs(counts[i] - expected) < 5 * sd, "token " + i + ": " + counts[i] + " draws, expected " + expected);
        }
    }

    @Test
    void optionsRejectBadValues() {
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.greedy(0));
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.greedy(-3));
        assertThrows(IllegalArgumentException.class, () -> opts(-1f, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> opts(Float.NaN, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> opts(1f, -1, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> opts(1f, 0, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> opts(1f, 0, 1.5f, 0));
    }

    private static int[] draw(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(logits, 0, logits.length);
        return out;
    }
}
