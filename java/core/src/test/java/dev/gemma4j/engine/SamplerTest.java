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

    /** Each refusal names the parameter, the value and the range; the bounds themselves are taken. */
    @Test
    void samplingParametersAreCheckedInOnePlace() {
        GenerationOptions d = GenerationOptions.defaults();
        var subnormal = assertThrows(IllegalArgumentException.class, () -> d.withTemperature(1e-39f));
        assertEquals("temperature must be 0 (greedy) or in [1.1754944E-38, 100.0], found 1.0E-39", subnormal.getMessage());
        for (float t : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 100.01f, Float.MIN_VALUE}) {
            var e = assertThrows(IllegalArgumentException.class, () -> d.withTemperature(t), "temperature " + t);
            assertTrue(e.getMessage().endsWith("found " + t), e.getMessage());
        }
        assertEquals(Float.MIN_NORMAL, d.withTemperature(Float.MIN_NORMAL).temperature());
        assertEquals(100f, d.withTemperature(100f).temperature());
        assertTrue(d.withTemperature(0f).isGreedy());
        var rounded = assertThrows(IllegalArgumentException.class, () -> GenerationOptions.checkTemperature("--temperature", 1e-50));
        assertEquals("--temperature must be 0 (greedy) or in [1.1754944E-38, 100.0], found 1.0E-50", rounded.getMessage());
        for (float p : new float[] {0f, -0.5f, 1.5f, Float.NaN, Float.POSITIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class, () -> d.withTopP(p), "top-p " + p);
            assertEquals("top-p must be in (0, 1], found " + p, e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.checkTopP("'top_p'", 1e-50));
        assertEquals(Float.MIN_VALUE, d.withTopP(Float.MIN_VALUE).topP());
        assertThrows(IllegalArgumentException.class, () -> d.withTopK(-1));
        var k = assertThrows(IllegalArgumentException.class, () -> GenerationOptions.checkTopK("top-k", 1001, 1000));
        assertEquals("top-k must be in [0, 1000] (0 keeps all tokens; at most the model's vocabulary), found 1001", k.getMessage());
        assertEquals(1000, GenerationOptions.checkTopK("top-k", 1000, 1000));
    }

    /**
     * Weights that do not sum to a positive finite number (an infinite logit: inf - inf is NaN; a row of -inf)
     * are an error of that row, never a silent pick of the last candidate.
     */
    @Test
    void weightsThatSumToNothingAreAnError() {
        for (float[] logits : new float[][] {{0f, Float.POSITIVE_INFINITY, 1f},
                {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}}) {
            for (GenerationOptions o : List.of(opts(1f, 0, 1f, 1), opts(0.7f, 2, 0.9f, 1))) {
                var e = assertThrows(ArithmeticException.class, () -> new Sampler(o).sample(logits, 0, 3),
                        java.util.Arrays.toString(logits) + " with " + o);
                assertTrue(e.getMessage().contains("sum to NaN") && e.getMessage().contains("no token can be drawn"),
                        e.getMessage());
            }
        }
        var row = assertThrows(DecodeRowFailure.class, () -> Sampler.sampleRows(new float[] {0f, 1f, 2f, 0f, Float.POSITIVE_INFINITY, 1f},
                new Sampler[] {new Sampler(opts(1f, 0, 1f, 1)), new Sampler(opts(1f, 0, 1f, 1))}, 3));
        assertTrue(row.getMessage().contains("row 1"), row.getMessage());
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
