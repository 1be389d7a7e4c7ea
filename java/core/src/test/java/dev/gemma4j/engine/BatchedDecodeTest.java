package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CPU backend's batched decode step against each sequence decoded alone. */
class BatchedDecodeTest {
    private static final int STEPS = 4;
    private static final int MAX_PROMPT = 12;

    /** One sampler per row: greedy and seeded temperature / top-k / top-p settings, by row index. */
    private static final List<GenerationOptions> SAMPLING = List.of(
            GenerationOptions.greedy(16),
            GenerationOptions.defaults().withMaxNewTokens(16).withTemperature(0.8f).withTopK(40).withTopP(1f).withSeed(11L),
            GenerationOptions.defaults().withMaxNewTokens(16).withTemperature(1.2f).withTopK(0).withTopP(0.9f).withSeed(12L),
            GenerationOptions.defaults().withMaxNewTokens(16).withTemperature(1.0f).withTopK(0).withTopP(1f).withSeed(13L),
            GenerationOptions.defaults().withMaxNewTokens(16).withTemperature(0.7f).withTopK(20).withTopP(0.8f).withSeed(14L));

    /** Prompts of random lengths in [1, MAX_PROMPT], BOS first. */
    private static int[][] prompts(SplittableRandom rnd, int rows) {
        int[][] p = new int[rows][];
        for (int b = 0; b < rows; b++) p[b] = ForwardTest.randomTokens(rnd, 1 + rnd.nextInt(MAX_PROMPT));
        return p;
    }

    /** A cache per prompt, of prompt + STEPS tokens, with the prompt run alone into it. */
    private static KvCache[] prefilled(Forward f, int[][] prompts) {
        KvCache[] caches = new KvCache[prompts.length];
        for (int b = 0; b < prompts.length; b++) {
            caches[b] = f.backend().newCache(prompts[b].length + STEPS);
            f.run(prompts[b], caches[b], 0, 1);
        }
        return caches;
    }

    private static int[] lengths(int[][] prompts) {
        return Arrays.stream(prompts).mapToInt(p -> p.length).toArray();
    }

    private static void closeAll(KvCache[]... sets) {
        for (KvCache[] set : sets) for (KvCache c : set) c.close();
    }

    /**
     * Forward.decode over B = 1..5 sequences of different lengths gives, row by row, the logits of each
     * sequence decoded alone with Forward.run, over several consecutive steps.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha", "tiny-gqa"})
    void batchedDecodeEqualsEachSequenceAlone(String model) {
        long seed = System.nanoTime();
        System.out.println("BatchedDecodeTest.batchedDecodeEqualsEachSequenceAlone " + model + " seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend backend = new CpuBackend(w)) {
            Forward f = new Forward(backend);
            int vocab = w.config().vocabSize();
            for (int rows = 1; rows <= 5; rows++) {
                int[][] prompts = prompts(rnd, rows);
                KvCache[] batched = prefilled(f, prompts);
                KvCache[] alone = prefilled(f, prompts);
                int[] positions = lengths(prompts);
                double worst = 0;
                for (int step = 0; step < STEPS; step++) {
                    int[] tokens = new int[rows];
                    for (int b = 0; b < rows; b++) tokens[b] = rnd.nextInt(vocab);
                    float[] logits = f.decode(tokens, batched, positions, null);
                    assertTrue(logits.length == rows * vocab, "logits of " + rows + " rows: " + logits.length);
                    for (int b = 0; b < rows; b++) {
                        float[] want = f.run(new int[] {tokens[b]}, alone[b], positions[b], 1);
                        float[] got = Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab);
                        worst = Math.max(worst, ForwardTest.relativeError(got, want));
                        // The CPU backend computes every row with the same summation order whatever the
                        // batch (MatMul's chunk order, per-row attention), so a batched row is bit for bit
                        // the row decoded alone.
                        assertArrayEquals(want, got, model + " B=" + rows + " step " + step + " row " + b
                                + " (prompt " + prompts[b].length + " tokens)");
                    }
                    for (int b = 0; b < rows; b++) positions[b]++;
                }
                System.out.printf("  B=%d prompt lengths %s: worst row relative error over %d steps %.2e%n",
                        rows, Arrays.toString(lengths(prompts)), STEPS, worst);
                closeAll(batched, alone);
            }
        }
    }

    /**
     * A prompt run in one pass (the prefill's GEMM tiles, prefill attention) and the same prompt fed
     * one token at a time (decode tiles) give bit-identical logits at every position: every step
     * computes each row the same way whatever the number of tokens sharing it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void prefillEqualsTokenByTokenBitForBit(String model) {
        long seed = System.nanoTime();
        System.out.println("BatchedDecodeTest.prefillEqualsTokenByTokenBitForBit " + model + " seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend backend = new CpuBackend(w)) {
            Forward f = new Forward(backend);
            int vocab = w.config().vocabSize();
            int n = 21;   // more than one 8-row group and 2-token group of the prefill tiles, with leftovers
            int[] prompt = new int[n];
            for (int i = 0; i < n; i++) prompt[i] = rnd.nextInt(vocab);
            try (KvCache whole = backend.newCache(n); KvCache single = backend.newCache(n)) {
                float[] all = f.run(prompt, whole, 0, n);
                for (int i = 0; i < n; i++) {
                    float[] one = f.run(new int[] {prompt[i]}, single, i, 1);
                    assertArrayEquals(Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab), one,
                            model + " position " + i);
                }
            }
        }
    }

    /**
     * decodeStep's tokens are Sampler.sampleRows of Forward.decode's logits, step after step, for greedy
     * and seeded samplers (each path with its own fresh samplers of the same seeds).
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha", "tiny-gqa"})
    void decodeStepPicksSampleRowsOfTheLogits(String model) {
        long seed = System.nanoTime();
        System.out.println("BatchedDecodeTest.decodeStepPicksSampleRowsOfTheLogits " + model + " seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend backend = new CpuBackend(w)) {
            Forward f = new Forward(backend);
            int vocab = w.config().vocabSize();
            int rows = 5;
            int[][] prompts = prompts(rnd, rows);
            KvCache[] viaStep = prefilled(f, prompts);
            KvCache[] viaLogits = prefilled(f, prompts);
            Sampler[] stepSamplers = samplers(rows);
            Sampler[] logitSamplers = samplers(rows);
            int[] positions = lengths(prompts);
            int[] tokens = new int[rows];
            for (int b = 0; b < rows; b++) tokens[b] = rnd.nextInt(vocab);
            for (int step = 0; step < STEPS; step++) {
                int[] got = backend.decodeStep(tokens, viaStep, positions.clone(), stepSamplers);
                int[] want = Sampler.sampleRows(f.decode(tokens, viaLogits, positions.clone(), null), logitSamplers, vocab);
                System.out.println("  step " + step + " tokens " + Arrays.toString(got));
                assertArrayEquals(want, got, model + " step " + step);
                tokens = got;
                for (int b = 0; b < rows; b++) positions[b]++;
            }
            closeAll(viaStep, viaLogits);
        }
    }

    private static Sampler[] samplers(int rows) {
        Sampler[] s = new Sampler[rows];
        for (int b = 0; b < rows; b++) s[b] = new Sampler(SAMPLING.get(b % SAMPLING.size()));
        return s;
    }

    /** A backend that takes at most {@code limit} rows per decode step. */
    private static final class LimitedBackend extends DelegatingBackend {
        final int limit;

        LimitedBackend(Backend inner, int limit) {
            super(inner);
            this.limit = limit;
        }

        @Override public int maxDecodeBatch() { return limit; }
        @Override public int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
            DecodeBatch.check(tokens, caches, positions, samplers, config().vocabSize(), limit);
            return inner.decodeStep(tokens, caches, positions, samplers);
        }
    }

    /**
     * Forward.decode and decodeStep reject a batch that breaks a rule, before anything changes: each
     * rejected batch writes (were it run) the last prompt position of every row with a different token, so
     * a later decode that reads those positions gives different logits unless the caches were left alone;
     * the samplers must not have drawn either. The control shows such a write is visible.
     */
    @Test
    void rejectedStepsChangeNothing() {
        long seed = System.nanoTime();
        System.out.println("BatchedDecodeTest.rejectedStepsChangeNothing seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"));
             CpuBackend cpu = new CpuBackend(w)) {
            Backend backend = new LimitedBackend(cpu, 3);
            Forward f = new Forward(backend);
            int vocab = w.config().vocabSize();
            int rows = 3;
            int[][] prompts = prompts(rnd, rows);
            KvCache[] target = prefilled(f, prompts);
            KvCache[] untouched = prefilled(f, prompts);
            KvCache[] control = prefilled(f, prompts);
            int[] last = lengths(prompts);
            for (int b = 0; b < rows; b++) last[b]--;
            int[] other = new int[rows];
            for (int b = 0; b < rows; b++) other[b] = (prompts[b][last[b]] + 1 + rnd.nextInt(vocab - 1)) % vocab;
            Sampler[] drawn = samplers(rows);

            List<Consumer<Sampler[]>> rejected = List.of(
                    s -> f.decode(other, target, Arrays.copyOf(last, 2), null),
                    s -> backend.decodeStep(Arrays.copyOf(other, 2), target, last, s),
                    s -> backend.decodeStep(other, target, last, Arrays.copyOf(s, 2)),
                    s -> f.decode(other, new KvCache[] {target[0], target[1], target[0]}, last, null),
                    s -> backend.decodeStep(other, new KvCache[] {target[0], target[1], target[0]}, last, s),
                    s -> f.decode(other, target, new int[] {last[0], target[1].capacity(), last[2]}, null),
                    s -> backend.decodeStep(other, target, new int[] {last[0], last[1], -1}, s),
                    s -> f.decode(new int[] {other[0], other[1], vocab}, target, last, null),
                    s -> backend.decodeStep(new int[] {-1, other[1], other[2]}, target, last, s),
                    s -> f.decode(new int[0], new KvCache[0], new int[0], null),
                    s -> backend.decodeStep(other, target, last, new Sampler[] {s[0], null, s[2]}));
            for (int i = 0; i < rejected.size(); i++) {
                Consumer<Sampler[]> call = rejected.get(i);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> call.accept(drawn),
                        "rejected batch " + i);
                System.out.println("  rejected: " + e.getMessage());
            }
            // Four rows where the backend takes three: Forward.decode, decodeStep and the check itself.
            KvCache extra = backend.newCache(4);
            KvCache[] four = {target[0], target[1], target[2], extra};
            int[] fourTokens = {other[0], other[1], other[2], 5};
            int[] fourPositions = {last[0], last[1], last[2], 0};
            Sampler[] fourSamplers = {drawn[0], drawn[1], drawn[2], new Sampler(SAMPLING.get(1))};
            for (Runnable call : List.<Runnable>of(
                    () -> f.decode(fourTokens, four, fourPositions, null),
                    () -> backend.decodeStep(fourTokens, four, fourPositions, fourSamplers),
                    () -> DecodeBatch.check(fourTokens, four, fourPositions, fourSamplers, vocab, 3))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
                assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
                System.out.println("  rejected: " + e.getMessage());
            }
            extra.close();

            int[] tokens = new int[rows];
            for (int b = 0; b < rows; b++) tokens[b] = rnd.nextInt(vocab);
            int[] next = lengths(prompts);
            float[] afterRejected = f.decode(tokens, target, next, null);
            float[] clean = f.decode(tokens, untouched, next, null);
            assertArrayEquals(clean, afterRejected, "logits after the rejected batches differ from a clean run");
            // The samplers that saw the rejected decodeStep calls drew nothing: they pick as fresh ones do.
            int[] fromDrawn = backend.decodeStep(tokens, target, lengths(prompts), drawn);
            int[] fromFresh = backend.decodeStep(tokens, untouched, lengths(prompts), samplers(rows));
            assertArrayEquals(fromFresh, fromDrawn, "samplers advanced by rejected decode steps");

            // Control: the same write, accepted, changes what a later decode sees.
            f.decode(other, control, last, null);
            float[] afterWrite = f.decode(tokens, control, lengths(prompts), null);
            double rel = ForwardTest.relativeError(afterWrite, clean);
            System.out.printf("  control: a real write of the last prompt positions moves later logits by %.2e%n", rel);
            assertFalse(rel < 1e-3, "rewriting the last prompt positions left later logits unchanged: " + rel);
            closeAll(target, untouched, control);
        }
    }
}
