package dev.gemma4j.cuda;

import static dev.gemma4j.cuda.GpuFixture.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched decode on the CUDA backend: several sequences of different lengths in one step, the KV
 * pool's slots, the decode step replayed as a CUDA graph with sampling on the device.
 */
@Tag("gpu")
class CudaDecodeStepGpuTest {
    private static CudaContext probe;
    /** Same bounds as CudaBackendGpuTest, for the same reasons: fp16 weights and GEMM inputs. */
    private static final double LOGITS_TOLERANCE = 1e-2;
    private static final double POSITION_TOLERANCE = 3e-2;
    private static final int STEPS = 6;
    /**
     * Random models with a 5,000-token vocabulary (a full 4,096-entry sampling chunk and a partial
     * one): the sampling kernels' cost grows with the vocabulary, and the stand-in driver emulates
     * every CUDA thread in turn on one host thread, so Gemma's 256,000 would take seconds per step there.
     */
    private static WeightSource model(String name, long seed) {
        GemmaConfig c = switch (name) {
            case "mqa" -> GemmaConfig.of(5000, 64, 128, 2, 4, 1, 32, "float16");
            case "mha" -> GemmaConfig.of(5000, 64, 128, 2, 4, 4, 16, "float16");
            default -> throw new IllegalArgumentException(name);
        };
        return SyntheticWeights.of(c, DType.F16, seed);
    }

    @BeforeAll
    static void open() {
        probe = GpuFixture.openContextOrSkip();
    }

    @AfterAll
    static void close() {
        if (probe != null) probe.close();
    }

    private static CudaBackend.Settings settings(int sequences) {
        return CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 64, 64).withMaxSequences(sequences);
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

    private static KvCache[] caches(dev.gemma4j.engine.Backend backend, int count, int capacity) {
        KvCache[] c = new KvCache[count];
        for (int i = 0; i < count; i++) c[i] = backend.newCache(capacity);
        return c;
    }

    /** Prefills prompt i into caches[i]; returns each prompt's last logits row. */
    private static float[][] prefill(Forward f, KvCache[] caches, int[][] prompts) {
        float[][] last = new float[prompts.length][];
        for (int i = 0; i < prompts.length; i++) last[i] = f.run(prompts[i], caches[i], 0, 1);
        return last;
    }

    /**
     * Three sequences (prompts of 5, 17 and 11 tokens) decoded together, a fourth one prefilled and
     * left idle: the batched logits of the per-layer path and of the fused step (one CUDA graph, a
     * padding row to the 4-row bucket) match the CPU backend's within the whole-model bounds; the
     * device's greedy pick is exactly the argmax of the logits it sampled from; and the idle
     * sequence's cache is untouched by the padding row (its later decode still matches the CPU).
     */
    @ParameterizedTest
    @ValueSource(strings = {"mqa", "mha"})
    void batchedDecodeMatchesTheCpuAndTheGraphPicksItsArgmax(String model) {
        long seed = System.nanoTime();
        System.out.println("CudaDecodeStepGpuTest.batchedDecode " + model + " seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        try (WeightSource w = model(model, seed);
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, settings(8), LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            int[][] prompts = {prompt(random, 5, vocab), prompt(random, 17, vocab), prompt(random, 11, vocab),
                prompt(random, 7, vocab)};
            int b = 3;
            Forward fc = new Forward(cpu), fg = new Forward(gpu);
            KvCache[] cc = caches(cpu, 4, 64);
            KvCache[] eager = caches(gpu, 4, 64);
            KvCache[] fused = caches(gpu, 3, 64);
            float[][] lastCpu = prefill(fc, cc, prompts);
            prefill(fg, eager, prompts);
            prefill(fg, fused, Arrays.copyOf(prompts, 3));
            int[] tokens = new int[b];
            int[] positions = new int[b];
            for (int i = 0; i < b; i++) {
                tokens[i] = Sampler.argmax(lastCpu[i], 0, vocab);
                positions[i] = prompts[i].length;
            }
            KvCache[] rowsCpu = Arrays.copyOf(cc, b), rowsEager = Arrays.copyOf(eager, b);
            Sampler[] greedy = new Sampler[b];
            for (int i = 0; i < b; i++) greedy[i] = new Sampler(GenerationOptions.greedy(STEPS));
            double difference = 0, norm = 0;
            for (int step = 0; step < STEPS; step++) {
                float[] want = fc.decode(tokens, rowsCpu, positions, null);
                float[] got = fg.decode(tokens, rowsEager, positions, null);
                int[] picked = gpu.decodeStep(tokens, fused, positions, greedy);
                float[] graph = gpu.decodeLogits(b);
                for (int i = 0; i < b; i++) {
                    float[] g = row(got, i, vocab), c = row(want, i, vocab), f = row(graph, i, vocab);
                    double rel = relativeError(g, c);
                    double fusedRel = relativeError(f, c);
                    assertTrue(rel <= POSITION_TOLERANCE, model + " step " + step + " row " + i + ": " + rel);
                    assertTrue(fusedRel <= POSITION_TOLERANCE, model + " fused step " + step + " row " + i + ": " + fusedRel);
                    for (int v = 0; v < vocab; v++) {
                        difference += ((double) g[v] - c[v]) * ((double) g[v] - c[v]);
                        norm += (double) c[v] * c[v];
                    }
                    assertEquals(Sampler.argmax(f, 0, vocab), picked[i], model + " step " + step + " row " + i
                            + ": the device's greedy pick against the argmax of its logits");
                }
                // Teacher-forced with the CPU's greedy tokens, so near-ties cannot make the rows part.
                for (int i = 0; i < b; i++) {
                    tokens[i] = Sampler.argmax(want, i * vocab, vocab);
                    positions[i]++;
                }
            }
            double rel = Math.sqrt(difference / norm);
            System.out.printf("  %s: %d steps of %d sequences, logits relative error %.2e; %d graph(s) captured%n",
                    model, STEPS, b, rel, gpu.capturedGraphs());
            assertTrue(rel <= LOGITS_TOLERANCE, model + " batched decode logits " + rel);
            // Every step: a 4-row bucket, contexts under 64 keys, so one split size.
            assertEquals(1, gpu.capturedGraphs(), "graphs for one bucket and split size");
            // The idle fourth sequence: its next step still matches the CPU's.
            int next = Sampler.argmax(lastCpu[3], 0, vocab);
            float[] want = fc.run(new int[] {next}, cc[3], prompts[3].length, 1);
            float[] got = fg.run(new int[] {next}, eager[3], prompts[3].length, 1);
            double idle = relativeError(got, want);
            System.out.printf("  idle sequence after the batched steps: logits relative error %.2e%n", idle);
            assertTrue(idle <= POSITION_TOLERANCE, "idle sequence " + idle);
        }
    }

    /**
     * Seeded sampling on the device (temperature, top-k, top-p, all tokens) and on the host for a
     * top-k above the kernels' 64 picks the same tokens as the CPU sampler given the same logits
     * (those the step sampled from) and seeds; a greedy row stays greedy. With graphs switched off
     * the same launches run one by one and give the same tokens.
     */
    @Test
    void deviceSamplingEqualsTheHostSamplerAndGraphsEqualLaunches() {
        long seed = System.nanoTime();
        System.out.println("CudaDecodeStepGpuTest.deviceSampling seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        List<GenerationOptions> options = List.of(
                GenerationOptions.defaults().withMaxNewTokens(STEPS).withTemperature(0.8f).withTopK(40).withTopP(0.9f).withSeed(seed),
                GenerationOptions.defaults().withMaxNewTokens(STEPS).withTemperature(1.3f).withTopK(0).withTopP(1f).withSeed(seed + 1),
                GenerationOptions.defaults().withMaxNewTokens(STEPS).withTemperature(0.7f).withTopK(100).withTopP(0.95f).withSeed(seed + 2),
                GenerationOptions.greedy(STEPS),
                GenerationOptions.defaults().withMaxNewTokens(STEPS).withTemperature(1.0f).withTopK(5).withTopP(1f).withSeed(seed + 3));
        int b = options.size();
        try (WeightSource w = model("mqa", seed)) {
            int vocab = w.config().vocabSize();
            int[][] prompts = new int[b][];
            for (int i = 0; i < b; i++) prompts[i] = prompt(random, 3 + random.nextInt(20), vocab);
            int[][] withGraphs = run(w, prompts, options, true);
            int[][] launches = run(w, prompts, options, false);
            for (int s = 0; s < STEPS; s++) {
                assertArrayEquals(withGraphs[s], launches[s], "step " + s + ": graph replay against launches");
            }
        }
    }

    /** Decodes STEPS steps of every prompt; checks each step against host sampling of the same logits. */
    private static int[][] run(WeightSource w, int[][] prompts, List<GenerationOptions> options, boolean graphs) {
        int b = prompts.length;
        int vocab = w.config().vocabSize();
        String previous = System.getProperty(CudaBackend.GRAPHS_PROPERTY);
        System.setProperty(CudaBackend.GRAPHS_PROPERTY, Boolean.toString(graphs));
        CudaBackend gpu;
        try {
            gpu = CudaBackend.open(w, settings(2 * b), LoadListener.NONE);
        } finally {
            if (previous == null) System.clearProperty(CudaBackend.GRAPHS_PROPERTY);
            else System.setProperty(CudaBackend.GRAPHS_PROPERTY, previous);
        }
        try (gpu) {
            Forward f = new Forward(gpu);
            KvCache[] fused = caches(gpu, b, 64);
            float[][] last = prefill(f, fused, prompts);
            Sampler[] device = new Sampler[b];
            Sampler[] host = new Sampler[b];
            int[] tokens = new int[b];
            int[] positions = new int[b];
            for (int i = 0; i < b; i++) {
                device[i] = new Sampler(options.get(i));
                host[i] = new Sampler(options.get(i));
                tokens[i] = device[i].sample(last[i], 0, vocab);
                assertEquals(tokens[i], host[i].sample(last[i], 0, vocab));
                positions[i] = prompts[i].length;
            }
            int[][] out = new int[STEPS][];
            for (int s = 0; s < STEPS; s++) {
                int[] got = gpu.decodeStep(tokens, fused, positions, device);
                int[] want = Sampler.sampleRows(gpu.decodeLogits(b), host, vocab);
                assertArrayEquals(want, got, (graphs ? "graphs" : "launches") + ", step " + s + ": device sampling "
                        + "against the host sampler on the same logits");
                out[s] = got;
                tokens = got;
                for (int i = 0; i < b; i++) positions[i]++;
            }
            assertEquals(graphs ? 1 : 0, gpu.capturedGraphs(), "graphs captured: one bucket, one split size");
            System.out.println("  " + (graphs ? "graphs" : "launches") + ": " + Arrays.deepToString(out));
            return out;
        }
    }

    /**
     * Under the stand-in driver, which counts what it runs: after the first step (the capture), each
     * decode step is one graph launch and no kernel or GEMM is launched outside it.
     */
    @Test
    void aDecodeStepIsOneGraphLaunch() throws Throwable {
        Optional<MemorySegment> symbol = CudaLibraries.load(CudaLibraries.Library.DRIVER).symbols()
                .find("gemma4j_fake_counters");
        if (symbol.isEmpty()) GpuFixture.skip("the CUDA driver has no launch counters (only the stand-in driver does)");
        MethodHandle counters = Linker.nativeLinker().downcallHandle(symbol.get(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        try (WeightSource w = model("mha", 7);
             CudaBackend gpu = CudaBackend.open(w, settings(4), LoadListener.NONE);
             Arena arena = Arena.ofConfined()) {
            int vocab = w.config().vocabSize();
            KvCache[] caches = caches(gpu, 3, 64);
            int[][] prompts = {{2, 5, 9}, {2, 7}, {2, 11, 13, 17}};
            float[][] last = prefill(new Forward(gpu), caches, prompts);
            int[] tokens = new int[3];
            int[] positions = new int[3];
            Sampler[] samplers = new Sampler[3];
            for (int i = 0; i < 3; i++) {
                tokens[i] = Sampler.argmax(last[i], 0, vocab);
                positions[i] = prompts[i].length;
                samplers[i] = new Sampler(GenerationOptions.greedy(8));
            }
            MemorySegment c = arena.allocate(ValueLayout.JAVA_LONG, 8);
            tokens = gpu.decodeStep(tokens, caches, positions, samplers);
            for (int i = 0; i < 3; i++) positions[i]++;
            counters.invokeExact(c);
            long[] before = c.toArray(ValueLayout.JAVA_LONG);
            int steps = 5;
            for (int s = 0; s < steps; s++) {
                tokens = gpu.decodeStep(tokens, caches, positions, samplers);
                for (int i = 0; i < 3; i++) positions[i]++;
            }
            counters.invokeExact(c);
            long[] after = c.toArray(ValueLayout.JAVA_LONG);
            System.out.println("  counters before " + Arrays.toString(before) + ", after " + Arrays.toString(after));
            assertEquals(0, after[0] - before[0], "kernels launched outside the graph");
            assertEquals(steps, after[1] - before[1], "graph launches");
            assertEquals(0, after[5] - before[5], "GEMMs run outside the graph");
            assertTrue(after[2] - before[2] >= steps * (long) (3 + 6 * w.config().numHiddenLayers()),
                    "kernel nodes replayed: " + (after[2] - before[2]));
            assertEquals(1, gpu.capturedGraphs());
        }
    }

    /**
     * A profile times every launch of the decode steps it spans (run launch by launch meanwhile),
     * grouped by kernel and by GEMM with the layer number left out; after it, steps replay a graph again.
     */
    @Test
    void aProfileTimesEveryLaunchOfADecodeStep() {
        try (WeightSource w = model("mqa", 11);
             CudaBackend gpu = CudaBackend.open(w, settings(2), LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            int layers = w.config().numHiddenLayers();
            KvCache[] caches = caches(gpu, 2, 64);
            int[][] prompts = {{2, 5, 9, 4}, {2, 7}};
            float[][] last = prefill(new Forward(gpu), caches, prompts);
            int[] tokens = {Sampler.argmax(last[0], 0, vocab), Sampler.argmax(last[1], 0, vocab)};
            Sampler[] greedy = {new Sampler(GenerationOptions.greedy(4)), new Sampler(GenerationOptions.greedy(4))};
            int steps = 2;
            gpu.startProfile();
            for (int s = 0; s < steps; s++) {
                tokens = gpu.decodeStep(tokens, caches, new int[] {4 + s, 2 + s}, greedy);
            }
            KernelProfile.Result r = gpu.stopProfile();
            System.out.print(r.table(steps));
            assertEquals(0, gpu.capturedGraphs(), "no graph while profiling");
            java.util.Map<String, Long> launches = new java.util.HashMap<>();
            for (KernelProfile.Entry e : r.entries()) {
                launches.put(e.name(), e.launches());
                assertTrue(e.millis() >= 0, e.toString());
            }
            assertEquals(steps * (long) layers, launches.get("attention_decode_partial"));
            assertEquals((long) steps, launches.get("sample_pick"));
            if (CudaSwitches.decodeGemv() == CudaSwitches.DecodeGemv.OWN) {
                // Per step: embedding, 6 kernels per layer, the logits GEMV and 3 sampling kernels; no GEMM.
                assertEquals(steps * (long) (5 + OWN_GEMV_LAUNCHES_PER_LAYER * layers), r.launches(), launches.toString());
                assertEquals(steps * (long) layers, launches.get("gemv_rmsnorm_rope"));
                assertEquals(steps * (long) 2 * layers, launches.get("gemv_f16_accumulate"));
                assertEquals((long) steps, launches.get("gemv_rmsnorm_f32"));
            } else {
                // Per step: embedding, 6 kernels per layer, the final norm and 3 sampling kernels; 4 GEMMs
                // per layer and the logits GEMM.
                assertEquals(steps * (long) (5 + 6 * layers + 4 * layers + 1), r.launches(), launches.toString());
                assertEquals(steps * (long) (2 * layers + 1), launches.get("rmsnorm_f16"));
                assertEquals(steps * (long) layers, launches.get("gemm layer q/k/v projection"));
                assertEquals((long) steps, launches.get("gemm logits of the decode step"));
            }
            assertTrue(r.spanMillis() >= r.kernelMillis() * 0.999 && r.kernelMillis() > 0, r.toString());
            gpu.decodeStep(tokens, caches, new int[] {4 + steps, 2 + steps}, greedy);
            assertEquals(1, gpu.capturedGraphs(), "graphs again after the profile");
            assertThrows(IllegalStateException.class, gpu::stopProfile);
        }
    }

    /**
     * The decode step's graph is {@link Forward#pass}: profiled (so queued launch by launch), one
     * decode step launches exactly what {@link Forward#decode} launches through the backend's
     * separate steps, in the same order, and then the three sampling kernels. A second layer loop
     * in the backend, or a step reordered in one path only, changes one of the two sequences.
     */
    @Test
    void theDecodeStepLaunchesForwardsStepsInTheSameOrder() {
        try (WeightSource w = model("mqa", 5);
             CudaBackend gpu = CudaBackend.open(w, settings(2), LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            int layers = w.config().numHiddenLayers();
            KvCache[] caches = caches(gpu, 2, 64);
            float[][] last = prefill(new Forward(gpu), caches, new int[][] {{2, 5, 9, 4}, {2, 7}});
            int[] tokens = {Sampler.argmax(last[0], 0, vocab), Sampler.argmax(last[1], 0, vocab)};
            int[] positions = {4, 2};
            Sampler[] greedy = {new Sampler(GenerationOptions.greedy(4)), new Sampler(GenerationOptions.greedy(4))};
            gpu.startProfile();
            new Forward(gpu).decode(tokens, caches, positions, null);
            List<String> separate = logitsGemmNamed(gpu.stopProfile().order());
            gpu.startProfile();
            gpu.decodeStep(tokens, caches, positions, greedy);
            List<String> step = logitsGemmNamed(gpu.stopProfile().order());
            List<String> want = new java.util.ArrayList<>(separate);
            want.addAll(List.of("sample_candidates", "sample_softmax_sums", "sample_pick"));
            assertEquals(want, step);
            // The embedding, then the same launches per layer, then the final norm and the logits GEMM.
            assertEquals("embedding_gather", separate.getFirst());
            boolean own = CudaSwitches.decodeGemv() == CudaSwitches.DecodeGemv.OWN;
            // The final norm and the logits: rmsnorm_f16 and a GEMM, or one GEMV.
            int logits = own ? 1 : 2;
            assertEquals(own ? "gemv_rmsnorm_f32" : "gemm logits", separate.getLast());
            assertEquals(0, (separate.size() - 1 - logits) % layers, separate.toString());
            int perLayer = (separate.size() - 1 - logits) / layers;
            System.out.println("CudaDecodeStepGpuTest: " + perLayer + " launches per layer ("
                    + CudaSwitches.decodeGemv().name().toLowerCase(java.util.Locale.ROOT) + " GEMV): "
                    + separate.subList(1, 1 + perLayer));
            assertEquals(own ? OWN_GEMV_LAUNCHES_PER_LAYER : CUBLAS_LAUNCHES_PER_LAYER, perLayer);
            List<String> layerless = separate.stream().map(n -> n.replaceFirst("layer \\d+ ", "")).toList();
            for (int l = 1; l < layers; l++) {
                assertEquals(layerless.subList(1, 1 + perLayer), layerless.subList(1 + l * perLayer,
                        1 + (l + 1) * perLayer), "layer " + l);
            }
        }
    }

    /** rmsnorm, q/k/v GEMM, rope_and_cache, attention partial and combine, o_proj; rmsnorm, gate/up, geglu, down_proj. */
    private static final int CUBLAS_LAUNCHES_PER_LAYER = 10;
    /** gemv_rmsnorm_rope, attention partial and combine, o_proj GEMV; gate/up GEMV with GeGLU, down_proj GEMV. */
    private static final int OWN_GEMV_LAUNCHES_PER_LAYER = 6;

    /** The logits GEMM of either path under one name (the separate step names its rows). */
    private static List<String> logitsGemmNamed(List<String> order) {
        return order.stream().map(n -> n.startsWith("gemm logits") ? "gemm logits" : n).toList();
    }

    /** The pool's slots: a fourth sequence on a 3-sequence backend waits for a free slot. */
    @Test
    void thePoolHandsOutItsSlotsAndRefusesBeyondThem() {
        try (WeightSource w = model("mqa", 3);
             CudaBackend gpu = CudaBackend.open(w, settings(3), LoadListener.NONE)) {
            assertEquals(3, gpu.maxDecodeBatch());
            KvCache[] held = caches(gpu, 3, 64);
            DeviceMemoryException full = assertThrows(DeviceMemoryException.class, () -> gpu.newCache(8));
            assertTrue(full.getMessage().contains("all 3 KV cache slots are in use"), full.getMessage());
            held[1].close();
            try (KvCache again = gpu.newCache(8)) {
                assertEquals(8, again.capacity());
            }
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> gpu.newCache(65));
            assertTrue(tooLong.getMessage().contains("a KV cache of 65 tokens exceeds the context of 64 tokens"),
                    tooLong.getMessage());
            KvCache spare = gpu.newCache(8);
            int[] four = {2, 2, 2, 2};
            Sampler[] greedy = new Sampler[4];
            Arrays.fill(greedy, new Sampler(GenerationOptions.greedy(1)));
            IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class, () -> gpu.decodeStep(four,
                    new KvCache[] {held[0], held[2], spare, spare}, new int[4], greedy));
            assertTrue(tooMany.getMessage().contains("exceeds the backend's 3"), tooMany.getMessage());
            IllegalArgumentException shared = assertThrows(IllegalArgumentException.class, () -> gpu.decodeStep(
                    new int[] {2, 2}, new KvCache[] {spare, spare}, new int[2], Arrays.copyOf(greedy, 2)));
            assertTrue(shared.getMessage().contains("share a KV cache"), shared.getMessage());
        }
    }
}
