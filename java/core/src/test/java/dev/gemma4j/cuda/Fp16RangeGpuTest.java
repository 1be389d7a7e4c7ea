package dev.gemma4j.cuda;

import static dev.gemma4j.cuda.GpuFixture.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cpu.CpuOps;
import dev.gemma4j.engine.Batcher;
import dev.gemma4j.engine.DecodeRowFailure;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * fp16 range on the CUDA backend: activations beyond fp16 are flagged on the device, and fail only
 * the sequence they belong to. The models are random ones with one "hot" token: only its embedding
 * has components in the first {@link #HOT_DIMS} hidden dimensions, no o_proj or down_proj writes
 * there, and layer 0's gate and up row 0 read only those dimensions with weight {@code gain}. Every
 * other token keeps those dimensions at exactly 0 through the whole model (so its GeGLU row 0 is 0 and
 * its logit of the hot token is 0), while the hot token's GeGLU output 0 of layer 0 is about
 * {@code (gain * 8 * 2.8)^2}.
 */
@Tag("gpu")
class Fp16RangeGpuTest {
    private static CudaContext probe;
    static final int HOT = 4321;
    private static final int HOT_DIMS = 8;
    private static final int STEPS = 5;
    /** CudaBackendGpuTest's bound for logits, for its reason: fp16 weights and GEMM inputs. */
    private static final double LOGITS_TOLERANCE = 1e-2;
    /** The stand-in driver emulates every CUDA thread on the host: a request of a few steps takes a while there. */
    private static final long WAIT_SECONDS = 1200;

    @BeforeAll
    static void open() {
        probe = GpuFixture.openContextOrSkip();
    }

    @AfterAll
    static void close() {
        if (probe != null) probe.close();
    }

    /** Vocabulary 5,000 (see CudaDecodeStepGpuTest), hidden 64, GeGLU 128, 2 layers, 4 heads of 16. */
    static WeightSource hotModel(long seed, float gain) {
        GemmaConfig c = GemmaConfig.of(5000, 64, 128, 2, 4, 4, 16, "float16");
        SyntheticWeights base = SyntheticWeights.of(c, DType.F16, seed);
        int hidden = c.hiddenSize();
        Map<String, Tensor> tensors = new LinkedHashMap<>(base.tensors());
        float[] embed = tensors.get(GemmaTensorNames.embed()).toFloatArray();
        for (int t = 0; t < c.vocabSize(); t++) {
            for (int d = 0; d < HOT_DIMS; d++) embed[t * hidden + d] = 0f;
        }
        Arrays.fill(embed, HOT * hidden, (HOT + 1) * hidden, 0f);
        Arrays.fill(embed, HOT * hidden, HOT * hidden + HOT_DIMS, 0.5f);
        replace(tensors, GemmaTensorNames.embed(), embed);
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            for (String out : List.of(GemmaTensorNames.O_PROJ, GemmaTensorNames.DOWN_PROJ)) {
                String name = GemmaTensorNames.layer(layer, out);
                float[] w = tensors.get(name).toFloatArray();
                int cols = (int) tensors.get(name).cols();
                Arrays.fill(w, 0, HOT_DIMS * cols, 0f);   // output rows 0..7: nothing written to the hot dims
                replace(tensors, name, w);
            }
        }
        for (String in : List.of(GemmaTensorNames.GATE_PROJ, GemmaTensorNames.UP_PROJ)) {
            String name = GemmaTensorNames.layer(0, in);
            float[] w = tensors.get(name).toFloatArray();
            Arrays.fill(w, 0, hidden, 0f);
            Arrays.fill(w, 0, HOT_DIMS, gain);
            replace(tensors, name, w);
        }
        return new WeightSource() {
            @Override public GemmaConfig config() { return c; }
            @Override public Tensor tensor(String name) { return tensors.get(name); }
            @Override public Map<String, Tensor> tensors() { return tensors; }
            @Override public Path tokenizerJson() { return base.tokenizerJson(); }
            @Override public void close() { base.close(); }
        };
    }

    private static void replace(Map<String, Tensor> tensors, String name, float[] values) {
        Tensor t = tensors.get(name);
        tensors.put(name, Tensor.of(name, DType.F16, t.shape(), values));
    }

    private static CudaBackend.Settings settings(int sequences) {
        return CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 64, 64).withMaxSequences(sequences);
    }

    static int[] prompt(SplittableRandom random, int n) {
        int[] t = new int[n];
        t[0] = 2;
        for (int i = 1; i < n; i++) {
            do t[i] = random.nextInt(5000); while (t[i] == HOT);
        }
        return t;
    }

    /**
     * A decode step whose middle row is the hot token: that row fails, naming layer 0's GeGLU output,
     * saturated, and what to do; the other rows' tokens equal those of the same sequences decoded
     * without it. A prompt holding the hot token fails its prefill the same way.
     */
    @Test
    void anOverflowingRowFailsOnlyItsSequence() {
        long seed = System.nanoTime();
        System.out.println("Fp16RangeGpuTest.anOverflowingRowFailsOnlyItsSequence seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int[][] prompts = {prompt(random, 5), prompt(random, 3), prompt(random, 7)};
        try (WeightSource w = hotModel(seed, 1000f);
             CudaBackend gpu = CudaBackend.open(w, settings(4), LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            Forward forward = new Forward(gpu);
            int[][] alone = new int[3][];
            for (int s = 0; s < 3; s++) alone[s] = greedyAlone(gpu, forward, prompts[s], vocab);
            System.out.println("  alone: " + Arrays.deepToString(alone));
            for (int[] tokens : alone) {
                assertFalse(Arrays.stream(tokens).anyMatch(t -> t == HOT), "a normal sequence picked the hot token");
            }

            KvCache[] caches = new KvCache[3];
            int[] tokens = new int[3];
            int[] positions = new int[3];
            Sampler[] greedy = new Sampler[3];
            for (int s = 0; s < 3; s++) {
                caches[s] = gpu.newCache(64);
                float[] logits = forward.run(prompts[s], caches[s], 0, 1);
                tokens[s] = Sampler.argmax(logits, 0, vocab);
                assertEquals(alone[s][0], tokens[s], "sequence " + s + ", the prefill's token");
                positions[s] = prompts[s].length;
                greedy[s] = new Sampler(GenerationOptions.greedy(8));
            }
            tokens[1] = HOT;   // sequence 1 reads the hot token next
            DecodeRowFailure failure = assertThrows(DecodeRowFailure.class,
                    () -> gpu.decodeStep(tokens.clone(), caches, positions, greedy));
            System.out.println("  " + failure.getMessage());
            assertNull(failure.cause(0));
            assertNull(failure.cause(2));
            String message = failure.cause(1).getMessage();
            assertTrue(message.contains("sequence 1 of the decode step") && message.contains("GeGLU output")
                    && message.contains("of layer 0 (saturated)") && message.contains("--device cpu"), message);
            assertThrows(IllegalStateException.class, () -> failure.token(1));
            int[] first = {failure.token(0), failure.token(2)};
            assertArrayEquals(new int[] {alone[0][1], alone[2][1]}, first, "the other rows' first decoded tokens");
            // The other two go on alone in the same caches; the failed one leaves.
            KvCache[] rest = {caches[0], caches[2]};
            int[] next = first;
            int[] at = {positions[0] + 1, positions[2] + 1};
            Sampler[] two = {greedy[0], greedy[2]};
            for (int step = 1; step < STEPS; step++) {
                next = gpu.decodeStep(next, rest, at, two);
                assertEquals(alone[0][step + 1], next[0], "sequence 0, token " + (step + 1));
                assertEquals(alone[2][step + 1], next[1], "sequence 2, token " + (step + 1));
                at[0]++;
                at[1]++;
            }

            int[] hotPrompt = {2, prompts[0][1], HOT, prompts[0][2]};
            try (KvCache cache = gpu.newCache(64)) {
                ArithmeticException prefill = assertThrows(ArithmeticException.class,
                        () -> forward.run(hotPrompt, cache, 0, 1));
                System.out.println("  prefill: " + prefill.getMessage());
                assertTrue(prefill.getMessage().contains("the prompt in KV slot")
                        && prefill.getMessage().contains("GeGLU output (down_proj's input) of layer 0 (saturated)"),
                        prefill.getMessage());
            }
            // The slot's flags start clear for its next sequence.
            try (KvCache cache = gpu.newCache(64)) {
                float[] logits = forward.run(prompts[1], cache, 0, 1);
                assertEquals(alone[1][0], Sampler.argmax(logits, 0, vocab), "a fresh sequence in the reused slot");
            }
            for (KvCache cache : caches) cache.close();
        }
    }

    /**
     * Greedy tokens of {@code prompt} alone: element 0 is the prefill's token, elements 1..STEPS
     * those of STEPS decode steps of one row after it.
     */
    private static int[] greedyAlone(CudaBackend gpu, Forward forward, int[] prompt, int vocab) {
        try (KvCache cache = gpu.newCache(64)) {
            int[] out = new int[STEPS + 1];
            int token = Sampler.argmax(forward.run(prompt, cache, 0, 1), 0, vocab);
            out[0] = token;
            Sampler[] greedy = {new Sampler(GenerationOptions.greedy(8))};
            for (int step = 0; step < STEPS; step++) {
                token = gpu.decodeStep(new int[] {token}, new KvCache[] {cache}, new int[] {prompt.length + step},
                        greedy)[0];
                out[step + 1] = token;
            }
            return out;
        }
    }

    /**
     * Through the Batcher: three requests, the middle one's prompt holding the hot token. It fails
     * with the range error; the others finish with the tokens they give alone.
     */
    @Test
    void theBatcherFailsOnlyTheRequestThatOverflows() throws Exception {
        long seed = System.nanoTime();
        System.out.println("Fp16RangeGpuTest.theBatcherFailsOnlyTheRequestThatOverflows seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int[][] prompts = {prompt(random, 4), prompt(random, 6), prompt(random, 5)};
        prompts[1][3] = HOT;
        GenerationOptions options = GenerationOptions.greedy(STEPS);
        try (WeightSource w = hotModel(seed, 1000f);
             CudaBackend gpu = CudaBackend.open(w, settings(3), LoadListener.NONE)) {
            GemmaTokenizer tokenizer = GemmaTokenizer.load(w.tokenizerJson());
            Forward forward = new Forward(gpu);
            List<GenerationResult> alone = new ArrayList<>();
            try (Batcher batcher = new Batcher(forward, tokenizer, 3)) {
                for (int s : new int[] {0, 2}) alone.add(batcher.submit(prompts[s], options, 64, null).get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            try (Batcher batcher = new Batcher(forward, tokenizer, 3)) {
                List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
                for (int[] p : prompts) futures.add(batcher.submit(p, options, 64, null));
                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> futures.get(1).get(WAIT_SECONDS, TimeUnit.SECONDS));
                System.out.println("  request 1: " + failed.getCause().getMessage());
                assertInstanceOf(ArithmeticException.class, failed.getCause());
                assertTrue(failed.getCause().getMessage().contains("GeGLU output (down_proj's input) of layer 0"),
                        failed.getCause().getMessage());
                GenerationResult r0 = futures.get(0).get(WAIT_SECONDS, TimeUnit.SECONDS);
                GenerationResult r2 = futures.get(2).get(WAIT_SECONDS, TimeUnit.SECONDS);
                System.out.println("  requests 0 and 2: " + Arrays.toString(r0.generatedTokens()) + ", "
                        + Arrays.toString(r2.generatedTokens()));
                assertArrayEquals(alone.get(0).generatedTokens(), r0.generatedTokens(), "request 0");
                assertArrayEquals(alone.get(1).generatedTokens(), r2.generatedTokens(), "request 2");
                // The engine still serves new work.
                GenerationResult again = batcher.submit(prompts[0], options, 64, null).get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertArrayEquals(alone.get(0).generatedTokens(), again.generatedTokens(), "request 0 again");
            }
        }
    }

    /**
     * GeGLU outputs beyond 65504 but within 65504 x 2^5 are kept, not saturated: the hot token's
     * GeGLU output of layer 0 (computed here from the CPU reference's residual) lies in that band,
     * the CUDA prefill reports nothing, and its logits agree with the CPU's.
     */
    @Test
    void gegluOutputsBeyondFp16AreKeptByTheScale() {
        long seed = System.nanoTime();
        System.out.println("Fp16RangeGpuTest.gegluOutputsBeyondFp16AreKeptByTheScale seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int[] prompt = prompt(random, 6);
        prompt[2] = HOT;
        try (WeightSource w = hotModel(seed, 28f);
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, settings(1), LoadListener.NONE)) {
            GemmaConfig c = w.config();
            float[][] residual = new float[1][];
            float[] want;
            try (KvCache cache = cpu.newCache(64)) {
                want = new Forward(cpu).run(prompt, cache, 0, 1, (step, b) -> {
                    if (step.equals("layer 0 attention")) residual[0] = b.residual();
                });
            }
            double geglu = hotGeglu(w, residual[0], 2);
            System.out.printf("  the hot token's GeGLU output 0 of layer 0: %.4g%n", geglu);
            assertTrue(Math.abs(geglu) > 65520 && Math.abs(geglu) < 65504.0 * 32,
                    "the test model must put the GeGLU output between fp16's range and 32 times it: " + geglu);
            float[] got;
            try (KvCache cache = gpu.newCache(64)) {
                got = new Forward(gpu).run(prompt, cache, 0, 1);
            }
            double rel = relativeError(got, want);
            System.out.printf("  logits vs CPU: relative error %.3g (tolerance %.0e)%n", rel, LOGITS_TOLERANCE);
            assertTrue(rel < LOGITS_TOLERANCE, "logits relative error " + rel);
            assertEquals(c.vocabSize(), got.length);
        }
    }

    /** gelu_tanh(gate_0 · x) * (up_0 · x) of layer 0 for row {@code row}, x = post_attention_layernorm(h). */
    private static double hotGeglu(WeightSource w, float[] h, int row) {
        GemmaConfig c = w.config();
        int hidden = c.hiddenSize();
        float[] x = new float[hidden];
        CpuOps.rmsNorm(Arrays.copyOfRange(h, row * hidden, (row + 1) * hidden),
                w.tensor(GemmaTensorNames.layer(0, GemmaTensorNames.POST_ATTENTION_LAYERNORM)).toFloatArray(),
                (float) c.rmsNormEps(), 1, hidden, x);
        float[] gate = w.tensor(GemmaTensorNames.layer(0, GemmaTensorNames.GATE_PROJ)).toFloatArray();
        float[] up = w.tensor(GemmaTensorNames.layer(0, GemmaTensorNames.UP_PROJ)).toFloatArray();
        double g = 0, u = 0;
        for (int d = 0; d < hidden; d++) {
            g += (double) gate[d] * x[d];
            u += (double) up[d] * x[d];
        }
        return 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g))) * u;
    }
}
