package dev.gemma4j.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BenchmarkTest {
    /**
     * A batch of B rows and B separate one-row steps sum each dot product in a different order on the
     * CPU (MatMul takes 4 tokens per pass over a weight row, single rows on their own): fp32 rounding
     * of sums over at most 256 terms, about 1e-6 of the largest logit. Greedy tokens may therefore part
     * only where the two candidates' logits are within 2 x 1e-5 x max |logit| (a margin of 10 over
     * that rounding); anything wider is a real difference between batched and single-sequence decode.
     */
    private static final double NEAR_TIE = 1e-5;

    /**
     * Each sequence of a batched run decodes the same greedy tokens as that sequence run alone on the
     * same prompt (batch 5 takes MatMul's 4-token path and its 1-token remainder).
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void batchedDecodeMatchesSeparateRunsOfOneSequence(String model) {
        long seed = System.nanoTime();
        System.out.println("BenchmarkTest.batchedDecodeMatchesSeparateRunsOfOneSequence " + model + " seed " + seed);
        int batch = 5, promptTokens = 7, newTokens = 10;
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model)); CpuBackend backend = new CpuBackend(w)) {
            int[][] prompts = Benchmark.prompts(w.config(), batch, promptTokens, seed);
            Benchmark bench = new Benchmark(backend, newTokens);
            BatchRun together = bench.run(prompts, () -> {}, null);
            assertEquals(batch, together.tokens().length);
            int nearTies = 0;
            for (int b = 0; b < batch; b++) {
                int[] alone = bench.run(new int[][] {prompts[b]}, () -> {}, null).tokens()[0];
                int[] batched = together.tokens()[b];
                assertEquals(newTokens, batched.length);
                int j = 0;
                while (j < newTokens && batched[j] == alone[j]) j++;
                if (j == newTokens) continue;
                // The runs part at token j: both continued the same prefix, so one set of logits decides.
                int[] prefix = Arrays.copyOf(prompts[b], promptTokens + j);
                System.arraycopy(alone, 0, prefix, promptTokens, j);
                float[] logits;
                try (KvCache cache = backend.newCache(prefix.length)) {
                    logits = new Forward(backend).run(prefix, cache, 0, 1);
                }
                double gap = Math.abs((double) logits[batched[j]] - logits[alone[j]]);
                double bound = 2 * NEAR_TIE * maxAbs(logits);
                System.out.printf("  sequence %d parts at token %d: %d batched, %d alone, logits %.3e apart (bound %.3e)%n",
                        b, j, batched[j], alone[j], gap, bound);
                assertTrue(gap <= bound, "sequence " + b + " of the batch decodes " + Arrays.toString(batched)
                        + ", alone " + Arrays.toString(alone) + ": they part at token " + j + " with logits " + gap
                        + " apart, more than the near-tie bound " + bound);
                nearTies++;
            }
            System.out.println("  " + (batch - nearTies) + " of " + batch + " sequences identical, " + nearTies + " part at a near-tie");
        }
    }

    @Test
    void reportsOneProgressStepPerPrefillAndDecodeStepAndTimesEachPart() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa")); CpuBackend backend = new CpuBackend(w)) {
            int newTokens = 3;
            Benchmark bench = new Benchmark(backend, newTokens);
            for (int batch : new int[] {1, 4}) {
                AtomicInteger steps = new AtomicInteger();
                BatchRun r = bench.run(Benchmark.prompts(w.config(), batch, 5, 99), steps::incrementAndGet,
                        () -> new BatchRun.MemoryUse(7, 11));
                // warm-up: 1 prefill + min(3, newTokens - 1) steps; then batch prefills and newTokens - 1 steps
                assertEquals(1 + 2 + batch + 2, steps.get());
                assertEquals(steps.get(), bench.steps(batch, 5));
                assertEquals(newTokens - 1, r.decodeSteps());
                assertTrue(r.timeToFirstTokenSeconds() > 0 && r.timeToFirstTokenSeconds() <= r.prefillSeconds(),
                        r.timeToFirstTokenSeconds() + " s to the first token, " + r.prefillSeconds() + " s of prefill");
                assertTrue(r.decodeSeconds() > 0);
                assertEquals(new BatchRun.MemoryUse(7, 11), r.memory());
                for (int[] t : r.tokens()) {
                    for (int id : t) assertTrue(id >= 0 && id < w.config().vocabSize(), "token " + id);
                }
            }
        }
    }

    @Test
    void promptsDependOnlyOnSeedAndIndex() {
        GemmaConfig c = GemmaConfig.gemma2B();
        long seed = new SplittableRandom().nextLong();
        System.out.println("BenchmarkTest.promptsDependOnlyOnSeedAndIndex seed " + seed);
        int[][] five = Benchmark.prompts(c, 5, 40, seed);
        int[][] two = Benchmark.prompts(c, 2, 40, seed);
        assertArrayEquals(two[0], five[0]);
        assertArrayEquals(two[1], five[1]);
        assertFalse(Arrays.equals(five[0], five[1]), "two prompts of one batch are equal");
        assertFalse(Arrays.equals(five[0], Benchmark.prompts(c, 1, 40, seed + 1)[0]), "another seed gives the same prompt");
        for (int[] p : five) {
            assertEquals(c.bosTokenId(), p[0]);
            for (int i = 1; i < p.length; i++) assertTrue(p[i] >= 1000 && p[i] < c.vocabSize(), "id " + p[i] + " at " + i);
        }
    }

    @Test
    void rejectsTooFewNewTokensAndPromptsOfDifferentLengths() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa")); CpuBackend backend = new CpuBackend(w)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Benchmark(backend, 1));
            assertTrue(e.getMessage().contains("at least 2 new tokens") && e.getMessage().contains("found 1"), e.getMessage());
            Benchmark bench = new Benchmark(backend, 2);
            e = assertThrows(IllegalArgumentException.class, () -> bench.run(new int[][] {{2, 1000}, {2}}, () -> {}, null));
            assertTrue(e.getMessage().contains("prompt 1 has 1"), e.getMessage());
        }
    }

    /** The projections, the output projection and the norms add up to the model's parameter count. */
    @Test
    void costCountsEveryProjectionOnce() {
        for (GemmaConfig c : List.of(GemmaConfig.gemma2B(), GemmaConfig.gemma7B())) {
            Cost cost = Cost.of(c, 1, 1);
            long norms = 2L * c.numHiddenLayers() * c.hiddenSize() + c.hiddenSize();
            assertEquals(c.parameterCount(), cost.matmulParameters() + cost.logitParameters() + norms);
        }
        // DESIGN.md: 2.51 B parameters for 2B, of which the 256000 x 2048 embedding is 0.52 B.
        assertEquals(1.98e9, Cost.of(GemmaConfig.gemma2B(), 1, 1).matmulParameters(), 0.01e9);
    }

    /** The mean KV tokens per step equals the sum over the actual steps, each row attending [0, position]. */
    @Test
    void kvTokensPerStepIsTheMeanOverTheDecodeSteps() {
        for (int[] shape : new int[][] {{1, 8, 4}, {3, 8, 4}, {64, 128, 128}, {2, 1, 2}, {5, 1024, 17}}) {
            int batch = shape[0], prompt = shape[1], newTokens = shape[2];
            long sum = 0;
            for (int s = 1; s < newTokens; s++) sum += (long) batch * (prompt + s - 1 + 1);
            assertEquals((double) sum / (newTokens - 1), Cost.kvTokensPerDecodeStep(batch, prompt, newTokens), 1e-9,
                    Arrays.toString(shape));
        }
    }

    /**
     * Figures against limits, with a GEMM rate as on CUDA: each limit and fraction follows from the
     * timings, the cost and the limits; the table and the JSON carry the same rows.
     */
    @Test
    void figuresStateEachSpeedAgainstItsLimit() {
        GemmaConfig c = GemmaConfig.gemma2B();
        Cost cost = Cost.of(c, 5_100_000_000L, 18_432);
        Limits limits = new Limits(3.0e12, "device copy", 7.0e14, "16384 x 1024 x 2048");
        int prompt = 1024, newTokens = 128;
        BatchRun one = new BatchRun(1, prompt, newTokens, 0.02, 0.02, 127 / 500.0, new int[1][newTokens],
                new BatchRun.MemoryUse(6L << 30, 7L << 30));
        BatchRun many = new BatchRun(8, prompt, newTokens, 0.02, 0.16, 127 / 400.0, new int[8][newTokens],
                new BatchRun.MemoryUse(7L << 30, 8L << 30));
        BatchFigures f1 = BatchFigures.of(one, cost, limits);
        double bytes = 5.1e9 + 18_432.0 * (prompt + newTokens / 2.0);
        assertEquals(bytes, f1.bytesPerDecodeStep(), 1e-3);
        assertEquals(3.0e12 / bytes, f1.decodeLimitTokensPerSecondPerSequence(), 1e-9);
        assertEquals(500 / (3.0e12 / bytes), f1.decodeFractionOfLimit(), 1e-12);
        double flops = 2.0 * cost.matmulParameters() * prompt + 2.0 * cost.logitParameters();
        assertEquals(7.0e14 * prompt / flops, f1.prefillLimitTokensPerSecond(), 1e-6);
        assertEquals((prompt / 0.02) / (7.0e14 * prompt / flops), f1.prefillFractionOfLimit(), 1e-12);
        BatchFigures f8 = BatchFigures.of(many, cost, limits);
        assertEquals(3200, f8.decodeTokensPerSecondAggregate(), 1e-9);
        assertEquals(8 * f8.decodeLimitTokensPerSecondPerSequence(), f8.decodeLimitTokensPerSecondAggregate(), 1e-9);
        assertEquals(8 * prompt / 0.16, f8.prefillTokensPerSecond(), 1e-9);

        Report report = new Report(Map.of("model", "synthetic-2b"), cost, limits, List.of(f1, f8));
        String[] lines = report.table().split("\n");
        List<String> rows = Arrays.stream(lines).map(String::strip).filter(l -> l.matches("\\d+ .*")).toList();
        assertEquals(2, rows.size(), report.table());
        assertTrue(rows.get(0).startsWith("1 ") && rows.get(1).startsWith("8 "), report.table());
        assertTrue(rows.get(0).contains(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * f1.decodeFractionOfLimit())),
                report.table());
        JsonNode json = report.json();
        assertEquals("synthetic-2b", json.get("model").asText());
        assertEquals(7L << 30, json.get("peak_device_memory_bytes").asLong());
        assertEquals(f8.prefillFractionOfLimit(), json.get("batches").get(1).get("prefill_fraction_of_limit").asDouble());
        assertEquals(7.0e14, json.get("limits").get("flops_per_s").asDouble());
    }

    /** On the CPU the prefill is stated against the FMA peak: a figure like any other, in the table and the JSON. */
    @Test
    void cpuPrefillIsStatedAgainstTheFmaPeak() {
        Cost cost = Cost.of(GemmaConfig.gemma2B(), 5_100_000_000L, 36_864);
        Limits limits = new Limits(2.0e10, "memory read", 3.2e11, "fp32 FMA peak");
        BatchRun r = new BatchRun(2, 16, 8, 1, 2, 7, new int[2][8], null);
        BatchFigures f = BatchFigures.of(r, cost, limits);
        assertEquals(3.2e11 * 16 / cost.prefillFlops(16), f.prefillLimitTokensPerSecond(), 1e-9);
        assertEquals(16.0 / f.prefillLimitTokensPerSecond(), f.prefillFractionOfLimit(), 1e-15);
        assertNull(f.enginePeakBytes());
        String table = new Report(Map.of(), cost, limits, List.of(f)).table();
        assertTrue(table.contains("prefill limit: fp32 FMA peak 320.0 GFLOP/s"), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * f.prefillFractionOfLimit())), table);
        assertEquals("fp32 FMA peak", new Report(Map.of(), cost, limits, List.of(f)).json().get("limits").get("flops_source").asText());
    }

    @Test
    void limitsMustBePositiveAndSayWhereTheyCameFrom() {
        assertThrows(IllegalArgumentException.class, () -> new Limits(Double.NaN, "x", 1e12, "y"));
        assertThrows(IllegalArgumentException.class, () -> new Limits(1e9, "x", Double.NaN, "y"));
        assertThrows(IllegalArgumentException.class, () -> new Limits(1e9, "x", 0, "y"));
        assertThrows(IllegalArgumentException.class, () -> new Limits(1e9, "x", 1e12, null));
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
