package dev.gemma4j.cuda;

import static dev.gemma4j.cuda.GpuFixture.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CUDA backend against the CPU reference through {@link Forward}, and its device memory:
 * everything it allocates is returned on close, after a refused plan and after an upload that
 * fails part-way.
 */
@Tag("gpu")
class CudaBackendGpuTest {
    /** Holds device 0's primary context between loads, so free memory can be measured. */
    private static CudaContext probe;
    private static final CudaBackend.Settings TINY = CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 64, 256);
    private static final int NEW_TOKENS = 32;
    /**
     * Whole-model logits, over all positions of a run: weights rounded to fp16 (2^-12 relative
     * each), fp16 GEMM inputs, q/k/v and attention outputs, fp32 everywhere else, give about 2e-3
     * (mean 2.1e-3 per position on the tiny models, kernels run by cuda-kernels/emulation); 1e-2
     * leaves room and still catches a wrong layer, head or position (errors of order 1, or
     * 1/sqrt(positions) for one broken position).
     */
    private static final double LOGITS_TOLERANCE = 1e-2;
    /**
     * One position's logits: fp16 q and k shift attention scores by about |score| x 2^-11, which a
     * peaked softmax row amplifies, so single positions spread wider than the whole (up to 1.3e-2
     * seen in about 3,000 decode steps); 3e-2 bounds one position.
     */
    private static final double POSITION_TOLERANCE = 3e-2;

    @BeforeAll
    static void open() {
        probe = GpuFixture.openContextOrSkip();
        // A first load lets the context grow what it keeps for its lifetime (kernel local memory,
        // cuBLAS's per-context state); from then on a load and close must leave the engine's bytes as
        // they were, and free memory within FREE_SLACK_BYTES of where it was.
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"));
             CudaBackend warm = CudaBackend.open(w, TINY, LoadListener.NONE)) {
            runOnce(warm, 1);
        }
    }

    @AfterAll
    static void close() {
        if (probe != null) probe.close();
    }

    /**
     * How far the device's free memory may be from where it was after a backend is closed: the
     * driver maps device memory in 2 MiB pages, and cuBLAS loads the kernel modules of GEMM shapes
     * it meets for the first time into the context (lazily, CUDA_MODULE_LOADING=LAZY being the
     * default) and keeps them for the context's life. A handful of those stays well under 32 MiB,
     * a small part of what a leaked backend holds (its weights and logits alone are over 64 MiB);
     * the engine's own bytes are compared exactly.
     */
    private static final long FREE_SLACK_BYTES = 32L << 20;

    private static long freeBytes() {
        probe.makeCurrent();
        return probe.memoryInfo().freeBytes();
    }

    /** The device memory where a test began: the engine's own bytes held, and the device's free bytes. */
    private record Memory(long engineBytes, long freeBytes) {
        static Memory now() {
            return new Memory(DeviceMemory.heldByAll(), CudaBackendGpuTest.freeBytes());
        }

        /** The engine holds exactly what it held at {@code this}, and free memory is within the slack. */
        void assertBack(String when) {
            Memory now = now();
            System.out.printf("%s: engine bytes %,d -> %,d, free %,d -> %,d%n", when, engineBytes, now.engineBytes,
                    freeBytes, now.freeBytes);
            assertEquals(engineBytes, now.engineBytes, "the engine's device bytes " + when);
            assertTrue(Math.abs(now.freeBytes - freeBytes) <= FREE_SLACK_BYTES, String.format(
                    "free device memory %s: %,d bytes, %,d before, more than %,d apart", when, now.freeBytes,
                    freeBytes, FREE_SLACK_BYTES));
        }
    }

    private static int[] prompt(SplittableRandom random, int n, int vocab) {
        int[] t = new int[n];
        t[0] = 2;
        for (int i = 1; i < n; i++) t[i] = random.nextInt(vocab);
        return t;
    }

    private static LoadListener printing() {
        return new LoadListener() {
            @Override
            public void planned(MemoryPlan plan, CudaContext.DeviceInfo device, CudaContext.MemoryInfo memory) {
                System.out.print("  " + device + ", " + memory + "\n" + plan.describe());
            }
        };
    }

    /**
     * The rms of {@code gpu - cpu} over the 64 largest CPU logits: the difference the two backends
     * show among the candidates for the next token (it grows with the logits' magnitude, so the
     * whole vocabulary's rms would understate it).
     */
    private static double topRmsDifference(float[] gpu, float[] cpu) {
        PriorityQueue<Integer> top = new PriorityQueue<>(Comparator.comparingDouble(i -> cpu[i]));
        for (int i = 0; i < cpu.length; i++) {
            top.add(i);
            if (top.size() > 64) top.poll();
        }
        double sum = 0;
        for (int i : top) sum += ((double) gpu[i] - cpu[i]) * ((double) gpu[i] - cpu[i]);
        return Math.sqrt(sum / top.size());
    }

    /** Row {@code row} of [rows, vocab] logits. */
    private static float[] row(float[] logits, int row, int vocab) {
        return Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab);
    }

    /** Greedy continuation of NEW_TOKENS tokens from the last prefill logits; decode logits collected. */
    private static int[] greedy(Forward f, KvCache cache, float[] logits, int pos, List<float[]> stepLogits) {
        int vocab = f.config().vocabSize();
        int[] out = new int[NEW_TOKENS];
        for (int i = 0; i < NEW_TOKENS; i++) {
            out[i] = Sampler.argmax(logits, 0, vocab);
            logits = f.run(new int[] {out[i]}, cache, pos++, 1);
            stepLogits.add(logits);
        }
        return out;
    }

    /**
     * Logits of a 21-token prompt (two logit GEMM turns of 16 rows) and 32 greedy decode steps
     * against the CPU backend, with the residual after every step printed to locate a failure:
     * relative error over all positions within 1e-2, each position within 3e-2.
     * Random tiny models often rank their top two tokens a few 1e-3 apart, closer than fp16
     * activations keep the backends: the GPU is fed the CPU's greedy tokens, and a step where it
     * ranks another token first passes only as such a tie (CPU margin within 4 x the rms logit
     * difference among the 64 largest logits of that step); when no step ties, the GPU's greedy
     * continuation is the CPU's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha", "tiny-gqa", "tiny-mqa-bf16", "tiny-mha-f16"})
    void forwardMatchesTheCpuBackend(String model) {
        long seed = System.nanoTime();
        System.out.println("CudaBackendGpuTest.forwardMatchesTheCpuBackend " + model + " seed " + seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, TINY, printing())) {
            int vocab = w.config().vocabSize();
            int[] tokens = prompt(new SplittableRandom(seed), 21, vocab);
            int n = tokens.length;
            System.out.println("  fp16 overflows: " + gpu.fp16Overflows());
            Forward fc = new Forward(cpu), fg = new Forward(gpu);
            try (KvCache cc = cpu.newCache(n + NEW_TOKENS); KvCache gc = gpu.newCache(n + NEW_TOKENS)) {
                List<String> steps = new ArrayList<>();
                List<float[]> cpuResiduals = new ArrayList<>();
                List<float[]> gpuResiduals = new ArrayList<>();
                float[] lc = fc.run(tokens, cc, 0, n, (step, b) -> {
                    steps.add(step);
                    cpuResiduals.add(b.residual());
                });
                float[] lg = fg.run(tokens, gc, 0, n, (step, b) -> gpuResiduals.add(b.residual()));
                for (int s = 0; s < steps.size(); s++) {
                    System.out.printf("  residual after %-18s relative error %.2e%n", steps.get(s),
                            relativeError(gpuResiduals.get(s), cpuResiduals.get(s)));
                }
                for (int t = 0; t < n; t++) {
                    double rel = relativeError(row(lg, t, vocab), row(lc, t, vocab));
                    System.out.printf("  prefill position %2d logits relative error %.2e%n", t, rel);
                    assertTrue(rel <= POSITION_TOLERANCE, model + " prefill position " + t + ": " + rel);
                }
                double prefill = relativeError(lg, lc);
                System.out.printf("  prefill logits, all %d positions: relative error %.2e%n", n, prefill);
                assertTrue(prefill <= LOGITS_TOLERANCE, model + " prefill logits: " + prefill);
                // The CPU's greedy continuation, fed to both backends: at every step the GPU's
                // argmax must be the CPU's, so its own greedy continuation is the same tokens.
                List<float[]> cpuSteps = new ArrayList<>();
                int[] cpuTokens = greedy(fc, cc, row(lc, n - 1, vocab), n, cpuSteps);
                System.out.println("  cpu greedy " + Arrays.toString(cpuTokens));
                float[] gpuLogits = row(lg, n - 1, vocab);
                float[] cpuLogits = row(lc, n - 1, vocab);
                int ties = 0;
                double difference = 0, norm = 0;
                for (int i = 0; i < NEW_TOKENS; i++) {
                    double rel = relativeError(gpuLogits, cpuLogits);
                    System.out.printf("  decode step %2d (position %d) logits relative error %.2e%n", i, n + i - 1, rel);
                    assertTrue(rel <= POSITION_TOLERANCE, model + " decode step " + i + ": " + rel);
                    for (int v = 0; v < vocab; v++) {
                        difference += ((double) gpuLogits[v] - cpuLogits[v]) * ((double) gpuLogits[v] - cpuLogits[v]);
                        norm += (double) cpuLogits[v] * cpuLogits[v];
                    }
                    int gpuToken = Sampler.argmax(gpuLogits, 0, vocab);
                    if (gpuToken != cpuTokens[i]) {
                        // A tie: the CPU's two candidates lie closer than the backends' logits differ
                        // (4 x their rms difference among the top 64 candidates). Anything wider is a bug.
                        double margin = cpuLogits[cpuTokens[i]] - cpuLogits[gpuToken];
                        double noise = topRmsDifference(gpuLogits, cpuLogits);
                        System.out.printf("  step %d: gpu picks %d, cpu %d; cpu margin %.5f, top-64 rms difference %.5f%n",
                                i, gpuToken, cpuTokens[i], margin, noise);
                        assertTrue(margin <= 4 * noise, model + " step " + i + ": the GPU picks " + gpuToken
                                + " over the CPU's " + cpuTokens[i] + " with a CPU margin of " + margin
                                + ", more than 4 x the top-64 rms logit difference " + noise);
                        ties++;
                    }
                    gpuLogits = fg.run(new int[] {cpuTokens[i]}, gc, n + i, 1);
                    cpuLogits = cpuSteps.get(i);
                }
                double decode = Math.sqrt(difference / norm);
                System.out.printf("  decode logits, all %d steps: relative error %.2e%n", NEW_TOKENS, decode);
                assertTrue(decode <= LOGITS_TOLERANCE, model + " decode logits: " + decode);
                System.out.println("  greedy tokens the GPU picks differently (near ties): " + ties + " of " + NEW_TOKENS);
            }
        }
    }

    /** A batch larger than the activations hold is refused by the backend and run in chunks by Forward. */
    @Test
    void promptInChunksEqualsOnePass() {
        long seed = System.nanoTime();
        System.out.println("CudaBackendGpuTest.promptInChunksEqualsOnePass seed " + seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mha"));
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, CudaBackend.Settings.of(DeviceBudget.parse("1GiB"), 8, 64),
                     LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            int n = 19;
            int[] tokens = prompt(new SplittableRandom(seed), n, vocab);
            float[] want;
            try (KvCache cc = cpu.newCache(n)) {
                want = new Forward(cpu).run(tokens, cc, 0, n);
            }
            assertEquals(8, gpu.maxBatchTokens());
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> gpu.embed(tokens));
            assertTrue(tooLong.getMessage().contains("a batch of 19 tokens exceeds the 8 tokens"), tooLong.getMessage());
            try (KvCache gc = gpu.newCache(n)) {
                // Chunks of 8 + 8 + 3 tokens, the last two starting at positions 8 and 16.
                float[] got = new Forward(gpu).run(tokens, gc, 0, n);
                for (int t = 0; t < n; t++) {
                    double rel = relativeError(row(got, t, vocab), row(want, t, vocab));
                    assertTrue(rel <= POSITION_TOLERANCE, "position " + t + " of the chunked prompt: " + rel);
                }
                double rel = relativeError(got, want);
                System.out.printf("  19 tokens in chunks of 8 against one pass: logits relative error %.2e%n", rel);
                assertTrue(rel <= LOGITS_TOLERANCE, "chunked prefill " + rel);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.newCache(1_000_000));
            assertTrue(e.getMessage().contains("a KV cache of 1,000,000 tokens exceeds the context of 64 tokens"),
                    e.getMessage());
        }
    }

    @Test
    void syntheticWeightsOnTheDeviceEqualTheHostOnes() {
        long seed = System.nanoTime();
        System.out.println("CudaBackendGpuTest.syntheticWeightsOnTheDeviceEqualTheHostOnes seed " + seed);
        try (SyntheticWeights sw = SyntheticWeights.create("synthetic-2b", 1, DType.F16, seed);
             CpuBackend cpu = new CpuBackend(sw);
             CudaBackend gpu = CudaBackend.openSynthetic(sw.config(), seed,
                     CudaBackend.Settings.of(DeviceBudget.parse("4GiB"), 16, 32), printing())) {
            int[] tokens = prompt(new SplittableRandom(seed), 7, sw.config().vocabSize());
            cpu.embed(tokens);
            gpu.embed(tokens);
            // Both widen the same fp16 embedding rows and multiply by the same fp32 scale.
            assertArrayEquals(cpu.residual(), gpu.residual(), "embedding rows from the synthetic fill");
            float[] want, got;
            try (KvCache cc = cpu.newCache(7); KvCache gc = gpu.newCache(7)) {
                want = new Forward(cpu).run(tokens, cc, 0, 1);
                got = new Forward(gpu).run(tokens, gc, 0, 1);
            }
            double rel = relativeError(got, want);
            System.out.printf("  synthetic-2b, 1 layer: logits relative error %.2e%n", rel);
            // Identical fp16 weights; fp16 activations at the GEMM inputs: ~1e-3.
            assertTrue(rel <= LOGITS_TOLERANCE, "synthetic logits " + rel);
        }
    }

    private static void runOnce(CudaBackend gpu, int seedTokens) {
        int vocab = gpu.config().vocabSize();
        int[] tokens = prompt(new SplittableRandom(seedTokens), 9, vocab);
        try (KvCache cache = gpu.newCache(16)) {
            Forward f = new Forward(gpu);
            float[] logits = f.run(tokens, cache, 0, 1);
            f.run(new int[] {Sampler.argmax(logits, 0, vocab)}, cache, 9, 1);
        }
    }

    @Test
    void closingReturnsDeviceMemoryToWhereItWas() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            Memory before = Memory.now();
            long peak;
            DeviceMemory memory;
            try (CudaBackend gpu = CudaBackend.open(w, TINY, LoadListener.NONE)) {
                runOnce(gpu, 2);
                KvCache left = gpu.newCache(200);
                assertNotNull(left, "a cache the backend frees on close");
                memory = gpu.memory();
                peak = memory.peakBytes();
                assertEquals(before.engineBytes() + memory.allocatedBytes(), DeviceMemory.heldByAll());
                assertTrue(memory.allocatedBytes() > FREE_SLACK_BYTES, "the backend holds " + memory.allocatedBytes()
                        + " bytes, no more than the slack on free memory");
                assertTrue(freeBytes() <= before.freeBytes() - memory.allocatedBytes() + FREE_SLACK_BYTES,
                        "the backend's allocations are device memory");
            }
            System.out.printf("peak held %,d%n", peak);
            assertEquals(0, memory.allocatedBytes(), "bytes the closed backend holds");
            assertEquals(0, memory.liveBuffers(), "buffers the closed backend holds");
            before.assertBack("after close");
        }
    }

    @Test
    void aPlanThatDoesNotFitIsRefusedBeforeAnyAllocation() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            Memory before = Memory.now();
            AtomicReference<MemoryPlan> seen = new AtomicReference<>();
            LoadListener listener = new LoadListener() {
                @Override
                public void planned(MemoryPlan plan, CudaContext.DeviceInfo device, CudaContext.MemoryInfo memory) {
                    seen.set(plan);
                }

                @Override
                public void uploaded(long done, long total) {
                    throw new AssertionError("nothing may be uploaded when the plan does not fit");
                }
            };
            DeviceMemoryException e = assertThrows(DeviceMemoryException.class, () -> CudaBackend.open(w,
                    CudaBackend.Settings.of(DeviceBudget.parse("40MiB"), 64, 256), listener));
            System.out.println(e.getMessage());
            assertNotNull(seen.get());
            assertFalse(seen.get().fits());
            assertEquals(seen.get().refusal(), e.getMessage());
            before.assertBack("after a refused plan");
        }
    }

    /** {@code source} with tensor {@code name} replaced by {@code replacement}. */
    private static WeightSource replacing(WeightSource source, String name, Tensor replacement) {
        Map<String, Tensor> tensors = new LinkedHashMap<>(source.tensors());
        tensors.put(name, replacement);
        return new WeightSource() {
            @Override public GemmaConfig config() { return source.config(); }
            @Override public Tensor tensor(String n) { return tensors.get(n); }
            @Override public Map<String, Tensor> tensors() { return tensors; }
            @Override public Path tokenizerJson() { return source.tokenizerJson(); }
            @Override public void close() {}
        };
    }

    @Test
    void anUploadThatFailsPartWayFreesEverything() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            Memory before = Memory.now();
            // Cancelled by the progress listener after the first chunk.
            RuntimeException cancelled = new IllegalStateException("cancelled by the test");
            LoadListener cancelling = new LoadListener() {
                @Override
                public void uploaded(long done, long total) {
                    throw cancelled;
                }
            };
            assertEquals(cancelled, assertThrows(IllegalStateException.class,
                    () -> CudaBackend.open(w, TINY, cancelling)));
            before.assertBack("after a cancelled upload");

            // The last tensor's bytes cannot be read (its memory is gone): every earlier one was sent.
            String last = GemmaTensorNames.finalNorm();
            Tensor original = w.tensor(last);
            Arena gone = Arena.ofConfined();
            MemorySegment data = gone.allocate(original.data().byteSize());
            gone.close();
            WeightSource corrupt = replacing(w, last, new Tensor(last, original.dtype(), original.shape(), data));
            long[] uploaded = {0, 0};
            LoadListener counting = new LoadListener() {
                @Override
                public void uploaded(long done, long total) {
                    uploaded[0] = done;
                    uploaded[1] = total;
                }
            };
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> CudaBackend.open(corrupt, TINY, counting));
            System.out.printf("upload stopped at %,d of %,d bytes: %s%n", uploaded[0], uploaded[1], e.getMessage());
            assertEquals(uploaded[1] - original.data().byteSize(), uploaded[0], "stopped at the last tensor");
            before.assertBack("after an upload that failed part-way");

            // A backend still loads and runs after both failures.
            try (CudaBackend gpu = CudaBackend.open(w, TINY, LoadListener.NONE)) {
                runOnce(gpu, 3);
            }
            before.assertBack("after a good load and close");
        }
    }

    @Test
    void aClosedBackendAndForeignCachesAreRefused() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"));
             CpuBackend cpu = new CpuBackend(w)) {
            CudaBackend gpu = CudaBackend.open(w, TINY, LoadListener.NONE);
            try {
                try (KvCache foreign = cpu.newCache(4)) {
                    gpu.embed(new int[] {2, 5});
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> gpu.attentionBlock(0, foreign, 0));
                    assertTrue(e.getMessage().contains("not made by this CUDA backend"), e.getMessage());
                }
                gpu.close();
                gpu.close();
                assertThrows(IllegalStateException.class, () -> gpu.embed(new int[] {2}));
                assertThrows(IllegalStateException.class, () -> gpu.newCache(4));
            } finally {
                gpu.close();
            }
        }
    }
}
