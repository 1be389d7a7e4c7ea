package dev.gemma4j.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.engine.ReferenceGemma;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.testmodels.TestModelSpec;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The float64 reference of Hugging Face's Gemma 2 and Gemma 3 ({@code ReferenceGemma}) against
 * llama.cpp (node-llama-cpp 3.22.1) on the same weights written as gemma2 / gemma3 GGUF files, on
 * 16-token sequences, 4 times the sliding window: so the reference's reading of windows, soft-caps,
 * sandwich norms, q/k norms and per-kind RoPE is checked by an implementation it shares nothing
 * with; and gemma4j's engine, loading the same GGUF file, against llama.cpp within the same bounds.
 * Tolerances as in {@link LlamaCppParityTest}, relative to max |logit| per sequence: 4e-3
 * for full models (llama.cpp's fp16 GELU table), 1e-5 with every down_proj zero (no GELU result
 * reaches the residual; fp32 rounding in llama.cpp's order remains).
 */
class Gemma23LlamaCppTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final double FULL_MODEL_TOLERANCE = 4e-3;
    private static final double ATTENTION_ONLY_TOLERANCE = 1e-5;
    private static final long SEED = Long.getLong("gemma4j.oracle.seed", System.nanoTime());

    @BeforeAll
    static void oracleInstalled() {
        LlamaCppOracle.requireInstalled();
        System.out.println("Gemma 2/3 llama.cpp check: random ids from seed " + SEED
                + " (repeat with -Dgemma4j.oracle.seed=" + SEED + ")");
    }

    /**
     * Gemma 3 with 6 layers (5 sliding, 1 full: llama.cpp's fixed pattern) and Gemma 3's tokenizer,
     * whose 262,145 ids are the vocabulary (llama.cpp needs a piece for every embedding row).
     */
    private static TestModelSpec gemma3(boolean attentionOnly) {
        return new TestModelSpec(attentionOnly ? "tiny-gemma3-6-attn" : "tiny-gemma3-6", 262145, 64, 256, 6, 4, 2, 32,
                DType.F32, 0x1F83D9ABFB41BD6BL, attentionOnly, false, "gemma3");
    }

    private static TestModelSpec gemma2(boolean attentionOnly) {
        TestModelSpec s = TestModels.preset("tiny-gemma2", DType.F32);
        return new TestModelSpec(attentionOnly ? "tiny-gemma2-attn" : s.name(), s.vocabSize(), s.hiddenSize(),
                s.intermediateSize(), s.layers(), s.heads(), s.kvHeads(), s.headDim(), s.dtype(), s.seed(),
                attentionOnly, false, "gemma2");
    }

    @Test
    void gemma2ReferenceMatchesLlamaCpp(@TempDir Path work) throws IOException {
        compare(gemma2(false), FULL_MODEL_TOLERANCE, work);
    }

    @Test
    void attentionOnlyGemma2ReferenceMatchesLlamaCppTightly(@TempDir Path work) throws IOException {
        compare(gemma2(true), ATTENTION_ONLY_TOLERANCE, work);
    }

    @Test
    void gemma3ReferenceMatchesLlamaCpp(@TempDir Path work) throws IOException {
        compare(gemma3(false), FULL_MODEL_TOLERANCE, work);
    }

    @Test
    void attentionOnlyGemma3ReferenceMatchesLlamaCppTightly(@TempDir Path work) throws IOException {
        compare(gemma3(true), ATTENTION_ONLY_TOLERANCE, work);
    }

    private static void compare(TestModelSpec spec, double tolerance, Path work) throws IOException {
        Path dir = TestModels.write(spec, work.resolve(spec.name()));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            Path gguf = work.resolve(spec.name() + ".gguf");
            GgufWriter.write(ckpt, spec.name(), gguf);
            SplittableRandom random = new SplittableRandom(SEED ^ spec.seed());
            int[] ids = new int[16];
            ids[0] = ckpt.config().bosTokenId();
            for (int i = 1; i < ids.length; i++) ids[i] = 1000 + random.nextInt(200_000);
            LlamaCppOracle.Result r = LlamaCppOracle.run(gguf, List.of(ids), 1, work.resolve("oracle"), TIMEOUT);
            System.out.println(spec.name() + ": llama.cpp " + r.llamaCpp() + ", " + r.model().description());
            assertEquals(ckpt.config().vocabSize(), r.vocab());
            float[][] theirs = r.sequences().getFirst().logits();
            double[][] ours = new ReferenceGemma(ckpt).logits(ids);
            double worst = 0;
            for (int t = 0; t < ids.length; t++) {
                double max = 0, diff = 0;
                for (int i = 0; i < ours[t].length; i++) {
                    max = Math.max(max, Math.abs(ours[t][i]));
                    double d = Math.abs(ours[t][i] - theirs[t][i]);
                    diff = Double.isNaN(d) ? Double.NaN : Math.max(diff, d);
                }
                double rel = diff / max;
                worst = Double.isNaN(rel) ? rel : Math.max(worst, rel);
                assertTrue(rel < tolerance, spec.name() + " position " + t + ": max |reference - llama.cpp| / max |reference| "
                        + rel + " (NaN fails), expected below " + tolerance + "; ids " + Arrays.toString(ids));
            }
            System.out.printf("%s: window %d, 16 positions, worst relative error %.3e (bound %.0e)%n", spec.name(),
                    ckpt.config().family().slidingWindow(), worst, tolerance);
            // gemma4j's engine on the same GGUF file: against llama.cpp within the same bound.
            try (Gemma fromFile = Gemma.load(gguf)) {
                float[][] engine = fromFile.logits(ids);
                double worstEngine = 0;
                for (int t = 0; t < ids.length; t++) {
                    double max = 0, diff = 0;
                    for (int i = 0; i < engine[t].length; i++) {
                        max = Math.max(max, Math.abs(theirs[t][i]));
                        double d = Math.abs((double) engine[t][i] - theirs[t][i]);
                        diff = Double.isNaN(d) ? Double.NaN : Math.max(diff, d);
                    }
                    double rel = diff / max;
                    worstEngine = Double.isNaN(rel) ? rel : Math.max(worstEngine, rel);
                    assertTrue(rel < tolerance, spec.name() + " position " + t + ": gemma4j from the GGUF file vs llama.cpp: "
                            + rel + " (NaN fails), expected below " + tolerance + "; ids " + Arrays.toString(ids));
                }
                System.out.printf("%s: gemma4j from the GGUF file vs llama.cpp, worst relative error %.3e%n", spec.name(),
                        worstEngine);
            }
        }
    }
}
