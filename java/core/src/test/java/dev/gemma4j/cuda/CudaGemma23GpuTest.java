package dev.gemma4j.cuda;

import static dev.gemma4j.cuda.GpuFixture.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.LayerPlan;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gemma 2 and Gemma 3 on the CUDA backend against the CPU backend, on the tiny models: a sliding
 * layer (window 4) then a full one; Gemma 2's sandwich norms and soft-caps (scores 50, logits 30),
 * Gemma 3's q/k norms, RoPE bases per layer kind and linear scaling. Chunks of at most 8 tokens make
 * the sliding layer's cache a ring of 4 + 8 - 1 = 11 rows in a 40-token context, so the prompt
 * (19 tokens: chunks of 8, 8, 3) and the decode steps after it wrap the ring.
 */
@Tag("gpu")
class CudaGemma23GpuTest {
    private static CudaContext probe;
    /** Chunks of 8 tokens, a context of 40, two KV slots (the fused decode step runs both). */
    private static final CudaBackend.Settings SETTINGS = CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 8, 40)
            .withMaxSequences(2);
    private static final int PROMPT = 19;
    private static final int STEPS = 6;
    /**
     * Whole-model logits, as {@code CudaBackendGpuTest}: fp16 weights (2^-12 relative each), fp16 GEMM
     * inputs, q/k/v and attention outputs, fp32 elsewhere, give about 2e-3 on the tiny models; the
     * soft-caps only shrink the logits and scores, and the q/k norms bound q and k, so Gemma 2 and 3 add
     * no error source of their own. 1e-2 still catches a wrong window, ring row, norm or cap (errors
     * of order 1/sqrt(positions) and above).
     */
    private static final double LOGITS_TOLERANCE = 1e-2;
    /** One position's logits: a peaked softmax row amplifies fp16 q and k, as in {@code CudaBackendGpuTest}. */
    private static final double POSITION_TOLERANCE = 3e-2;

    @BeforeAll
    static void open() {
        probe = GpuFixture.openContextOrSkip();
    }

    @AfterAll
    static void close() {
        if (probe != null) probe.close();
    }

    /**
     * {@code --compute bf16}: bf16 weights, KV rings and activations (rope_and_cache_bf16 with the q/k
     * norms, rmsnorm_add_f32_bf16). The bound is {@code CudaBf16GpuTest}'s, 8e-2: bf16's 8 significant
     * bits round each 16-bit tensor that feeds a GEMM to about 1.7e-3 rms, eight times fp16's; the
     * sandwich norms add none (o_proj's and down_proj's outputs stay fp32), nor do the q/k norms (their
     * output is rotated before the one rounding q and k had already).
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2-bf16", "tiny-gemma3-bf16"})
    void bf16ComputeMatchesTheCpuBackend(String model) {
        double tolerance = 8e-2;
        long seed = System.nanoTime();
        System.out.println("CudaGemma23GpuTest bf16 " + model + " seed " + seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, SETTINGS.withCompute(Compute.BF16), LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            int[] tokens = prompt(new SplittableRandom(seed), PROMPT, vocab);
            Forward fc = new Forward(cpu), fg = new Forward(gpu);
            try (KvCache cc = cpu.newCache(40); KvCache gc = gpu.newCache(40)) {
                float[] lc = fc.run(tokens, cc, 0, PROMPT);
                float[] lg = fg.run(tokens, gc, 0, PROMPT);
                double prefill = relativeError(lg, lc);
                System.out.printf("  %s bf16 prefill of %d tokens: logits relative error %.2e (tolerance %.0e)%n", model,
                        PROMPT, prefill, tolerance);
                assertTrue(prefill <= tolerance, model + " bf16 prefill logits: " + prefill);
                int token = Sampler.argmax(lc, (PROMPT - 1) * vocab, vocab);
                for (int step = 0; step < 3; step++) {
                    int[] one = {token};
                    int[] at = {PROMPT + step};
                    float[] dc = fc.decode(one, new KvCache[] {cc}, at, null);
                    float[] dg = fg.decode(one, new KvCache[] {gc}, at, null);
                    double rel = relativeError(dg, dc);
                    System.out.printf("  bf16 decode position %d logits relative error %.2e%n", PROMPT + step, rel);
                    assertTrue(rel <= tolerance, model + " bf16 decode position " + (PROMPT + step) + ": " + rel);
                    token = Sampler.argmax(dc, 0, vocab);
                }
            }
        }
    }

    /**
     * Gemma 3 1B's first layer (sliding, q/k norms) with synthetic weights filled on the device: the
     * fill numbers the tensors in checkpoint order while the weights buffer places q_norm and k_norm
     * after v_proj, and the result must equal the host's weights: the same embedding rows, and logits
     * within the whole-model bound.
     */
    @Test
    void syntheticGemma3WeightsOnTheDeviceEqualTheHostOnes() {
        long seed = System.nanoTime();
        System.out.println("CudaGemma23GpuTest synthetic-gemma3-1b seed " + seed);
        try (SyntheticWeights sw = SyntheticWeights.create("synthetic-gemma3-1b", 1, DType.F16, seed);
             CpuBackend cpu = new CpuBackend(sw);
             CudaBackend gpu = CudaBackend.openSynthetic(sw.config(), seed,
                     CudaBackend.Settings.of(DeviceBudget.parse("4GiB"), 16, 32), LoadListener.NONE)) {
            assertTrue(sw.config().family().qkNorms() && LayerPlan.of(sw.config()).layer(0).sliding());
            int[] tokens = prompt(new SplittableRandom(seed), 7, sw.config().vocabSize());
            cpu.embed(tokens);
            gpu.embed(tokens);
            assertArrayEquals(cpu.residual(), gpu.residual(), "embedding rows from the synthetic fill");
            float[] want, got;
            try (KvCache cc = cpu.newCache(7); KvCache gc = gpu.newCache(7)) {
                want = new Forward(cpu).run(tokens, cc, 0, 1);
                got = new Forward(gpu).run(tokens, gc, 0, 1);
            }
            double rel = relativeError(got, want);
            System.out.printf("  synthetic-gemma3-1b, 1 layer: logits relative error %.2e%n", rel);
            assertTrue(rel <= LOGITS_TOLERANCE, "synthetic Gemma 3 logits " + rel);
        }
    }

    /**
     * Past 192 keys the full layer's decode split grows (the stand-in's 3 SMs give 3 splits: 64 keys
     * each up to 192, then 128), while the sliding layer keeps splits of 64 over its window of 4: a
     * step at position 200 runs each layer on its own split, eagerly and as a graph, and both match
     * the CPU (the full layer on the sliding layer's split would miss keys, and come out NaN).
     */
    @Test
    void fullAndSlidingLayersDecodeOnTheirOwnSplits() {
        long seed = System.nanoTime();
        System.out.println("CudaGemma23GpuTest splits seed " + seed);
        int n = 200;
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-gemma3"));
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 8, 256)
                     .withMaxSequences(2), LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            int[] tokens = prompt(new SplittableRandom(seed), n, vocab);
            // Graph changes: where the full layer's split grows (the sliding split stays at 64 past the window).
            int[] warmUp = gpu.decodeWarmUpPositions(1, 1, 250);
            System.out.println("  warm-up positions " + Arrays.toString(warmUp) + " on "
                    + gpu.device().multiprocessors() + " SMs");
            Forward fc = new Forward(cpu), fg = new Forward(gpu);
            try (KvCache cc = cpu.newCache(256); KvCache gc = gpu.newCache(256); KvCache fused = gpu.newCache(256)) {
                float[] want = fc.run(tokens, cc, 0, 1);
                float[] got = fg.run(tokens, gc, 0, 1);
                fg.run(tokens, fused, 0, 1);
                double prefill = relativeError(got, want);
                System.out.printf("  200-token prefill, last position: logits relative error %.2e%n", prefill);
                assertTrue(prefill <= POSITION_TOLERANCE, "prefill " + prefill);
                Sampler[] greedy = {new Sampler(GenerationOptions.greedy(4))};
                int token = Sampler.argmax(want, 0, vocab);
                for (int step = 0; step < 2; step++) {
                    int[] one = {token};
                    int[] at = {n + step};
                    float[] c = fc.decode(one, new KvCache[] {cc}, at, null);
                    float[] e = fg.decode(one, new KvCache[] {gc}, at, null);
                    int[] picked = gpu.decodeStep(one, new KvCache[] {fused}, at, greedy);
                    float[] g = gpu.decodeLogits(1);
                    double eager = relativeError(e, c), graph = relativeError(g, c);
                    System.out.printf("  decode position %d: eager %.2e, graph %.2e%n", n + step, eager, graph);
                    assertTrue(eager <= POSITION_TOLERANCE && graph <= POSITION_TOLERANCE,
                            "position " + (n + step) + ": eager " + eager + ", graph " + graph);
                    assertEquals(Sampler.argmax(g, 0, vocab), picked[0], "the device's greedy pick");
                    token = Sampler.argmax(c, 0, vocab);
                }
            }
        }
    }

    private static int[] prompt(SplittableRandom random, int n, int vocab) {
        int[] t = new int[n];
        t[0] = 2;
        for (int i = 1; i < n; i++) t[i] = random.nextInt(vocab);
        return t;
    }

    private static float[] row(float[] logits, int row, int vocab) {
        return Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab);
    }

    /**
     * A 19-token prefill in chunks of 8 (every position's logits) and 6 decode steps fed the CPU's
     * greedy tokens, through the backend's separate steps; then both sequences decoded together as
     * fused steps (the CUDA graph path, logits soft-capped before the device samples), the device's
     * greedy pick checked against the argmax of the logits it sampled from.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2", "tiny-gemma3"})
    void forwardMatchesTheCpuBackendAcrossTheRing(String model) {
        long seed = System.nanoTime();
        System.out.println("CudaGemma23GpuTest " + model + " seed " + seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, SETTINGS, LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            LayerPlan layers = LayerPlan.of(w.config());
            assertTrue(layers.layer(0).sliding() && !layers.layer(1).sliding(), model + ": a sliding layer, a full one");
            assertEquals(11, gpu.plan().cacheRows(0), "the sliding layer's ring: window 4 + chunk 8 - 1");
            assertEquals(40, gpu.plan().cacheRows(1), "the full layer holds the context");
            SplittableRandom random = new SplittableRandom(seed);
            int[][] prompts = {prompt(random, PROMPT, vocab), prompt(random, PROMPT - 4, vocab)};
            Forward fc = new Forward(cpu), fg = new Forward(gpu);
            KvCache[] cc = {cpu.newCache(40), cpu.newCache(40)};
            KvCache[] gc = {gpu.newCache(40), gpu.newCache(40)};
            try {
                float[] lc = fc.run(prompts[0], cc[0], 0, PROMPT);
                float[] lg = fg.run(prompts[0], gc[0], 0, PROMPT);
                for (int t = 0; t < PROMPT; t++) {
                    double rel = relativeError(row(lg, t, vocab), row(lc, t, vocab));
                    System.out.printf("  prefill position %2d logits relative error %.2e%n", t, rel);
                    assertTrue(rel <= POSITION_TOLERANCE, model + " prefill position " + t + ": " + rel);
                }
                double prefill = relativeError(lg, lc);
                System.out.printf("  %s prefill of %d tokens in chunks of 8: logits relative error %.2e%n", model,
                        PROMPT, prefill);
                assertTrue(prefill <= LOGITS_TOLERANCE, model + " prefill logits: " + prefill);

                // Decode steps through the backend's blocks, teacher-forced with the CPU's greedy tokens.
                float[] cpuLogits = row(lc, PROMPT - 1, vocab), gpuLogits;
                double difference = 0, norm = 0;
                for (int i = 0; i < STEPS; i++) {
                    int next = Sampler.argmax(cpuLogits, 0, vocab);
                    cpuLogits = fc.run(new int[] {next}, cc[0], PROMPT + i, 1);
                    gpuLogits = fg.run(new int[] {next}, gc[0], PROMPT + i, 1);
                    double rel = relativeError(gpuLogits, cpuLogits);
                    System.out.printf("  decode position %d logits relative error %.2e%n", PROMPT + i, rel);
                    assertTrue(rel <= POSITION_TOLERANCE, model + " decode position " + (PROMPT + i) + ": " + rel);
                    for (int v = 0; v < vocab; v++) {
                        difference += ((double) gpuLogits[v] - cpuLogits[v]) * ((double) gpuLogits[v] - cpuLogits[v]);
                        norm += (double) cpuLogits[v] * cpuLogits[v];
                    }
                }
                double decode = Math.sqrt(difference / norm);
                System.out.printf("  %s decode, %d steps: logits relative error %.2e%n", model, STEPS, decode);
                assertTrue(decode <= LOGITS_TOLERANCE, model + " decode logits: " + decode);

                // Both sequences in fused decode steps: the second one's prompt first, then steps of two rows.
                float[] second = fc.run(prompts[1], cc[1], 0, 1);
                fg.run(prompts[1], gc[1], 0, 1);
                int[] tokens = {Sampler.argmax(cpuLogits, 0, vocab), Sampler.argmax(second, 0, vocab)};
                int[] positions = {PROMPT + STEPS, prompts[1].length};
                Sampler[] greedy = {new Sampler(GenerationOptions.greedy(STEPS)), new Sampler(GenerationOptions.greedy(STEPS))};
                difference = 0;
                norm = 0;
                for (int step = 0; step < 3; step++) {
                    float[] want = fc.decode(tokens, cc, positions, null);
                    int[] picked = gpu.decodeStep(tokens, gc, positions, greedy);
                    float[] graph = gpu.decodeLogits(2);
                    for (int b = 0; b < 2; b++) {
                        float[] f = row(graph, b, vocab), c = row(want, b, vocab);
                        double rel = relativeError(f, c);
                        System.out.printf("  fused step %d row %d (position %d) logits relative error %.2e%n", step, b,
                                positions[b], rel);
                        assertTrue(rel <= POSITION_TOLERANCE, model + " fused step " + step + " row " + b + ": " + rel);
                        assertEquals(Sampler.argmax(f, 0, vocab), picked[b], model + " fused step " + step + " row " + b
                                + ": the device's greedy pick against the argmax of its logits");
                        for (int v = 0; v < vocab; v++) {
                            difference += ((double) f[v] - c[v]) * ((double) f[v] - c[v]);
                            norm += (double) c[v] * c[v];
                        }
                        tokens[b] = Sampler.argmax(want, b * vocab, vocab);
                        positions[b]++;
                    }
                }
                double fused = Math.sqrt(difference / norm);
                System.out.printf("  %s fused decode, 3 steps of 2 sequences: logits relative error %.2e%n", model, fused);
                assertTrue(fused <= LOGITS_TOLERANCE, model + " fused decode logits: " + fused);
                if (layers.finalLogitSoftcap() > 0) {
                    float cap = layers.finalLogitSoftcap();
                    float[] graph = gpu.decodeLogits(2);
                    for (float x : graph) assertTrue(Math.abs(x) <= cap, model + ": a logit " + x + " beyond the cap " + cap);
                }
            } finally {
                for (KvCache k : cc) k.close();
                for (KvCache k : gc) k.close();
            }
        }
    }
}
