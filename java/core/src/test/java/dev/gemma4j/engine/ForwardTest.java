package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ForwardTest {

    static int[] randomTokens(SplittableRandom rnd, int n) {
        int[] t = new int[n];
        t[0] = 2;
        for (int i = 1; i < n; i++) t[i] = rnd.nextInt(256000);
        return t;
    }

    static double relativeError(float[] a, double[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i])) return Double.NaN;
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    static double relativeError(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Float.isNaN(b[i])) return Double.NaN;
            num += (double) (a[i] - b[i]) * (a[i] - b[i]);
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    /** The engine's logits at every position against a plain float64 implementation of the equations. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha", "tiny-gqa", "tiny-mqa-bf16", "tiny-mha-f16"})
    void matchesFloat64Reference(String model) {
        long seed = System.nanoTime();
        System.out.println("ForwardTest.matchesFloat64Reference " + model + " seed " + seed);
        int[] tokens = randomTokens(new SplittableRandom(seed), 13);
        try (Gemma gemma = Gemma.load(TestModels.resolve(model));
             WeightSource w = Checkpoint.open(TestModels.resolve(model))) {
            float[][] got = gemma.logits(tokens);
            double[][] want = new ReferenceGemma(w).logits(tokens);
            for (int t = 0; t < tokens.length; t++) {
                double rel = relativeError(got[t], want[t]);
                System.out.printf("  position %2d relative error %.2e%n", t, rel);
                // fp32 sums of at most 256 products per dot over 2 layers: ~1e-6; 1e-5 leaves 10x margin.
                assertTrue(rel < 1e-5, model + " position " + t + ": relative error " + rel);
            }
        }
    }

    /** Prefill of a prefix then one token at a time gives the logits of one full pass. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void incrementalDecodeEqualsFullRecompute(String model) {
        long seed = System.nanoTime();
        System.out.println("ForwardTest.incrementalDecodeEqualsFullRecompute " + model + " seed " + seed);
        int n = 21;
        int[] tokens = randomTokens(new SplittableRandom(seed), n);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend backend = new CpuBackend(w)) {
            Forward f = new Forward(backend);
            int vocab = w.config().vocabSize();
            float[] full;
            try (KvCache cache = backend.newCache(n)) {
                full = f.run(tokens, cache, 0, n);
            }
            int prefix = 7;
            try (KvCache cache = backend.newCache(n)) {
                float[] first = f.run(java.util.Arrays.copyOf(tokens, prefix), cache, 0, prefix);
                for (int t = 0; t < n; t++) {
                    float[] step = t < prefix
                            ? java.util.Arrays.copyOfRange(first, t * vocab, (t + 1) * vocab)
                            : f.run(new int[] {tokens[t]}, cache, t, 1);
                    double rel = relativeError(step, java.util.Arrays.copyOfRange(full, t * vocab, (t + 1) * vocab));
                    // Same math, different grouping of the fp32 sums (1 token vs blocks of 4): ~1e-7.
                    assertTrue(rel < 1e-5, model + " position " + t + ": relative error " + rel);
                }
            }
        }
    }

    /** Greedy generation picks the argmax of the full-pass logits at every step. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void greedyGenerationFollowsArgmaxOfLogits(String model) {
        try (Gemma gemma = Gemma.load(TestModels.resolve(model))) {
            int[] prompt = gemma.tokenizer().encodeWithBos("The quick brown fox");
            GenerationResult r = gemma.generate(prompt, GenerationOptions.greedy(12));
            int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + r.generatedTokens().length);
            System.arraycopy(r.generatedTokens(), 0, seq, prompt.length, r.generatedTokens().length);
            float[][] logits = gemma.logits(seq);
            int[] expected = new int[r.generatedTokens().length];
            for (int i = 0; i < expected.length; i++) {
                float[] row = logits[prompt.length - 1 + i];
                expected[i] = Sampler.argmax(row, 0, row.length);
            }
            assertArrayEquals(expected, r.generatedTokens());
        }
    }

    /** A backend that takes at most {@code limit} tokens per batch, so Forward must chunk. */
    private static final class ChunkedBackend extends DelegatingBackend {
        final int limit;

        ChunkedBackend(Backend inner, int limit) {
            super(inner);
            this.limit = limit;
        }

        @Override public int maxBatchTokens() { return limit; }
        @Override public void embed(int[] tokens) {
            if (tokens.length > limit) throw new AssertionError(tokens.length + " tokens > limit " + limit);
            inner.embed(tokens);
        }
    }

    /** A prompt run in chunks of 5 tokens gives the logits of one pass over all of it. */
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 12})
    void chunkedPrefillEqualsOnePass(int logitRows) {
        long seed = System.nanoTime();
        System.out.println("ForwardTest.chunkedPrefillEqualsOnePass seed " + seed);
        int n = 12;
        int[] tokens = randomTokens(new SplittableRandom(seed), n);
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-gqa"));
             CpuBackend backend = new CpuBackend(w)) {
            float[] whole;
            try (KvCache cache = backend.newCache(n)) {
                whole = new Forward(backend).run(tokens, cache, 0, logitRows);
            }
            float[] chunked;
            try (KvCache cache = backend.newCache(n)) {
                chunked = new Forward(new ChunkedBackend(backend, 5)).run(tokens, cache, 0, logitRows);
            }
            double rel = relativeError(chunked, whole);
            // Same math; only the grouping of tokens into matmul blocks of 4 differs: ~1e-7.
            assertTrue(rel < 1e-5, "relative error " + rel);
        }
    }
    /** A backend that records the steps it is asked for, and the observer's reports, in one list. */
    private static final class RecordingBackend extends DelegatingBackend {
        final java.util.List<String> calls = new java.util.ArrayList<>();

        RecordingBackend(Backend inner) {
            super(inner);
        }

        @Override public void embed(int[] tokens) { calls.add("embed"); inner.embed(tokens); }
        @Override public void attentionBlock(int layer, KvCache cache, int startPos) {
            calls.add("attention " + layer);
            inner.attentionBlock(layer, cache, startPos);
        }
        @Override public void decodeAttentionBlock(int layer, KvCache[] caches, int[] positions) {
            calls.add("attention " + layer);
            inner.decodeAttentionBlock(layer, caches, positions);
        }
        @Override public void mlpBlock(int layer) { calls.add("mlp " + layer); inner.mlpBlock(layer); }
        @Override public float[] logits(int firstRow, int rows) { calls.add("logits"); return inner.logits(firstRow, rows); }
    }

    /**
     * Forward.run (one chunk and two) and Forward.decode ask the backend for the steps in the order of
     * Forward.pass, and the observer hears of each step, by name, right after it ran (the logits unreported).
     */
    @org.junit.jupiter.api.Test
    void runAndDecodeFollowThePassOrder() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-gqa"));
             CpuBackend cpu = new CpuBackend(w)) {
            int layers = w.config().numHiddenLayers();
            java.util.List<String> pass = new java.util.ArrayList<>(java.util.List.of("embed", "observed embed"));
            for (int l = 0; l < layers; l++) {
                pass.addAll(java.util.List.of("attention " + l, "observed layer " + l + " attention", "mlp " + l,
                        "observed layer " + l + " mlp"));
            }
            java.util.List<String> withLogits = new java.util.ArrayList<>(pass);
            withLogits.add("logits");

            RecordingBackend whole = new RecordingBackend(cpu);
            Forward.StepObserver wholeObserver = (step, b) -> whole.calls.add("observed " + step);
            try (KvCache cache = whole.newCache(8)) {
                new Forward(whole).run(new int[] {2, 5, 9}, cache, 0, 1, wholeObserver);
                assertEquals(withLogits, whole.calls);
                whole.calls.clear();
                new Forward(whole).decode(new int[] {7}, new KvCache[] {cache}, new int[] {3}, wholeObserver);
                assertEquals(withLogits, whole.calls);
            }

            // Chunks of 2: the first chunk holds no logit row, so it asks for none.
            RecordingBackend chunked = new RecordingBackend(new ChunkedBackend(cpu, 2));
            Forward.StepObserver chunkedObserver = (step, b) -> chunked.calls.add("observed " + step);
            try (KvCache cache = chunked.newCache(8)) {
                new Forward(chunked).run(new int[] {2, 5, 9}, cache, 0, 1, chunkedObserver);
                java.util.List<String> twice = new java.util.ArrayList<>(pass);
                twice.addAll(withLogits);
                assertEquals(twice, chunked.calls);
            }
        }
    }
}
