package dev.gemma4j.cuda;

import static dev.gemma4j.cuda.GpuFixture.relativeError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
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
 * {@code --compute bf16} on CUDA against the CPU backend (fp32 from the weights as stored).
 *
 * <p>The bound: bf16 keeps 8 significant bits, so each rounding of an activation to bf16 is at most
 * 2^-8 = 3.9e-3 relative, about 1.7e-3 rms over a row (the emulation's kernel tests measure 1.6e-3 to
 * 1.8e-3). A layer rounds five tensors that feed its GEMMs (normed input, q/k/v, attention output,
 * normed post-attention input, GeGLU output), and the final norm one more, which reaches the logits
 * unchanged through a linear projection: 2 layers give 11 roundings, about √11 x 1.7e-3 = 5.6e-3 if
 * independent. A random model amplifies them through softmax and GeGLU; CudaBackendGpuTest allows a
 * factor of about 20 over fp16's own rms rounding (2.1e-4 against its bound 1e-2 for 2 to 4 layers, with
 * fp16 weights on top). The same factor over 1.7e-3 gives {@value #LOGITS_TOLERANCE}: 8 times fp16's
 * bound, the 2^3 of the three significand bits bf16 lacks.
 */
@Tag("gpu")
class CudaBf16GpuTest {
    private static final double LOGITS_TOLERANCE = 8e-2;
    private static final int DECODE_STEPS = 3;
    private static CudaContext probe;

    @BeforeAll
    static void open() {
        probe = GpuFixture.openContextOrSkip();
    }

    @AfterAll
    static void close() {
        if (probe != null) probe.close();
    }

    private static CudaBackend.Settings bf16(int sequences) {
        return CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 64, 64).withMaxSequences(sequences)
                .withCompute(Compute.BF16);
    }

    /**
     * A bf16 checkpoint (kept as stored) and an fp16 one (converted to bf16 at upload): prefill logits
     * at every position, then decode steps through the decode attention kernels, within the bound.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa-bf16", "tiny-mha-f16"})
    void bf16LogitsMatchTheCpuBackend(String model) {
        long seed = System.nanoTime();
        System.out.println("CudaBf16GpuTest.bf16LogitsMatchTheCpuBackend " + model + " seed " + seed);
        try (WeightSource w = Checkpoint.open(TestModels.resolve(model));
             CpuBackend cpu = new CpuBackend(w);
             CudaBackend gpu = CudaBackend.open(w, bf16(1), LoadListener.NONE)) {
            int vocab = w.config().vocabSize();
            SplittableRandom random = new SplittableRandom(seed);
            int[] tokens = new int[9];
            tokens[0] = 2;
            for (int i = 1; i < tokens.length; i++) tokens[i] = random.nextInt(vocab);
            int n = tokens.length;
            Forward fc = new Forward(cpu), fg = new Forward(gpu);
            try (KvCache cc = cpu.newCache(n + DECODE_STEPS); KvCache gc = gpu.newCache(n + DECODE_STEPS)) {
                float[] lc = fc.run(tokens, cc, 0, n);
                float[] lg = fg.run(tokens, gc, 0, n);
                double prefill = relativeError(lg, lc);
                System.out.printf("  prefill logits, %d positions: relative error %.2e (tolerance %.0e)%n", n, prefill,
                        LOGITS_TOLERANCE);
                assertTrue(prefill <= LOGITS_TOLERANCE, model + " prefill logits: " + prefill);
                int token = Sampler.argmax(lc, (n - 1) * vocab, vocab);
                for (int step = 0; step < DECODE_STEPS; step++) {
                    int[] one = {token};
                    int[] at = {n + step};
                    float[] dc = fc.decode(one, new KvCache[] {cc}, at, null);
                    float[] dg = fg.decode(one, new KvCache[] {gc}, at, null);
                    double rel = relativeError(dg, dc);
                    System.out.printf("  decode step %d logits: relative error %.2e%n", step, rel);
                    assertTrue(rel <= LOGITS_TOLERANCE, model + " decode step " + step + ": " + rel);
                    token = Sampler.argmax(dc, 0, vocab);
                }
            }
        }
    }

    /**
     * Fp16RangeGpuTest's hot model, whose hot token's GeGLU output (about 5e8) fails the request in
     * fp16, runs in bf16: no error, and the logits of a prompt holding the hot token agree with the CPU's.
     */
    @Test
    void aModelThatOverflowsFp16RunsInBf16() {
        long seed = System.nanoTime();
        System.out.println("CudaBf16GpuTest.aModelThatOverflowsFp16RunsInBf16 seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int[] prompt = Fp16RangeGpuTest.prompt(random, 5);
        prompt[2] = Fp16RangeGpuTest.HOT;
        try (WeightSource w = Fp16RangeGpuTest.hotModel(seed, 1000f);
             CpuBackend cpu = new CpuBackend(w)) {
            GemmaConfig c = w.config();
            try (CudaBackend fp16 = CudaBackend.open(w, CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 64, 64),
                    LoadListener.NONE); KvCache cache = fp16.newCache(64)) {
                ArithmeticException e = assertThrows(ArithmeticException.class,
                        () -> new Forward(fp16).run(prompt, cache, 0, 1));
                System.out.println("  fp16: " + e.getMessage());
                assertTrue(e.getMessage().contains("--compute bf16"), e.getMessage());
            }
            float[] want;
            try (KvCache cache = cpu.newCache(64)) {
                want = new Forward(cpu).run(prompt, cache, 0, prompt.length);
            }
            try (CudaBackend gpu = CudaBackend.open(w, bf16(1), LoadListener.NONE); KvCache cache = gpu.newCache(64)) {
                float[] got = new Forward(gpu).run(prompt, cache, 0, prompt.length);
                assertEquals(prompt.length * c.vocabSize(), got.length);
                double rel = relativeError(got, want);
                System.out.printf("  bf16 logits vs CPU, %d positions: relative error %.3g (tolerance %.0e)%n",
                        prompt.length, rel, LOGITS_TOLERANCE);
                assertTrue(rel <= LOGITS_TOLERANCE, "logits relative error " + rel);
                int next = Sampler.argmax(got, (prompt.length - 1) * c.vocabSize(), c.vocabSize());
                Sampler[] greedy = {new Sampler(dev.gemma4j.GenerationOptions.greedy(4))};
                int[] decoded = gpu.decodeStep(new int[] {Fp16RangeGpuTest.HOT}, new KvCache[] {cache},
                        new int[] {prompt.length}, greedy);
                System.out.println("  a decode step reading the hot token: " + Arrays.toString(decoded) + " after "
                        + next);
                assertTrue(decoded[0] >= 0 && decoded[0] < c.vocabSize(), "decoded " + decoded[0]);
            }
        }
    }

    /** Synthetic device weights are fp16 only: refused with bf16 before anything is allocated. */
    @Test
    void syntheticDeviceWeightsAreRefusedInBf16() {
        GemmaConfig c = GemmaConfig.of(5000, 64, 128, 2, 4, 4, 16, "float16");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaBackend.openSynthetic(c, 1, bf16(1), LoadListener.NONE));
        assertTrue(e.getMessage().contains("fp16 only") && e.getMessage().contains("bf16"), e.getMessage());
    }
}
