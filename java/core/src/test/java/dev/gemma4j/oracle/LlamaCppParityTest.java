package dev.gemma4j.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationResult.StopReason;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.testmodels.TestModelSpec;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole-model parity of gemma4j's CPU engine against llama.cpp, an implementation gemma4j shares no
 * code with (node-llama-cpp 3.22.1's prebuilt CPU binary, run by {@code scripts/oracle/logits.mjs}).
 *
 * <p>Each F32 test model is written as a GGUF file ({@link GgufWriter}), which gemma4j also loads
 * (its logits must be bit-identical to those from the safetensors folder); both engines then see the
 * same token sequences: Gemma-tokenized prompts with BOS, and random ids drawn from a printed seed.
 * Compared:
 * <ul>
 *   <li>the logits at every position of each sequence (llama.cpp evaluates it in one batch, gemma4j
 *       in one forward pass), as ||a-b||/||b|| and max|a-b|/max|b| per position;
 *   <li>the 32-token greedy continuations (argmax, ties to the lowest id): llama.cpp's from one-token
 *       decode steps, gemma4j's from {@link Gemma#generate} with its KV cache. gemma4j stops at eos
 *       or {@code <end_of_turn>}, llama.cpp's script never does, so gemma4j's stop token must be
 *       llama.cpp's token at that step. The two may part only at a near-tie (see
 *       {@link #greedyVerdict}).
 * </ul>
 * Only F32 models are compared: with BF16 or F16 weights llama.cpp also rounds activations, and
 * Hugging Face rounds sqrt(hidden) to the checkpoint's dtype while llama.cpp does not.
 *
 * <p>The test fails, never skips, when the oracle is not installed: run {@code scripts/install-oracle.sh}.
 */
class LlamaCppParityTest {
    /** Greedy tokens generated after every sequence, by each engine. */
    static final int GENERATE = 32;
    /** node, llama.cpp and about 60 rows of 256000 logits per model take 10-20 s on 2 cores. */
    private static final Duration ORACLE_TIMEOUT = Duration.ofMinutes(4);

    /**
     * Full models: llama.cpp's CPU GELU (ggml-cpu vec.h, GGML_GELU_FP16) rounds its input to fp16 and
     * reads the result from an fp16 table, so its output is rounded to fp16 as well: a relative error
     * up to 2^-11 (4.9e-4) twice per GeGLU element, which the layers carry into the logits. Measured
     * here: 3-7e-4 per position against gemma4j's fp32 (and 1-1.6e-3 of max |logit| against float64
     * elsewhere); 4e-3 bounds that with room. Gross mistakes land far above it (measured on
     * tiny-mqa: norm weights used as w instead of 1 + w give 1.7, RoPE pairing i with i+1 instead of
     * i + head_dim/2 gives 0.61), but an embedding scale off by 1e-3 (sqrt(hidden) rounded to bf16
     * is off by 1.3e-3) gives only 1.6e-3: the attention-only models below catch that.
     */
    private static final double FULL_MODEL_TOLERANCE = 4e-3;
    /**
     * Attention-only models (every down_proj zero, so the GELU result is multiplied by zero and the
     * fp16 table drops out): what remains is fp32 rounding in two different orders: summation order
     * in the matmuls and in RMSNorm's mean of squares, ggml's vectorised expf in the softmax, and
     * RoPE angles that ggml builds by multiplying theta_scale repeatedly in float
     * (ggml_rope_cache_init: relative error up to head_dim/2 x 2^-24 per angle). Measured here:
     * 2e-7 to 1.9e-6 per position over repeated runs (gemma4j's own logits move by up to 5e-7 of
     * max |logit| between the first and later forward passes in one JVM); 1e-5 leaves a margin of 5
     * times the worst of that, while an embedding scale off by 1e-3 gives 1.2e-3 on tiny-mqa-attn.
     */
    private static final double ATTENTION_ONLY_TOLERANCE = 1e-5;

    /** Prompts of 8 to 40 tokens: prose, and code with newlines and indentation. */
    private static final List<String> PROMPTS = List.of(
            "The capital of France is Paris, and the capital of Italy is",
            "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    if n < 2:\n        return n\n");
    /** Length of the random-id sequence, BOS included. */
    private static final int RANDOM_LENGTH = 16;
    /** Seed of the random ids; -Dgemma4j.oracle.seed=N repeats a run. */
    private static final long SEED = Long.getLong("gemma4j.oracle.seed", System.nanoTime());

    @BeforeAll
    static void oracleInstalled() {
        LlamaCppOracle.requireInstalled();
        System.out.println("llama.cpp parity: random token ids from seed " + SEED
                + " (repeat with -Dgemma4j.oracle.seed=" + SEED + ")");
    }

    @Test
    void tinyMqaMatchesLlamaCpp(@TempDir Path work) {
        compare("tiny-mqa", TestModels.resolve("tiny-mqa"), FULL_MODEL_TOLERANCE, work);
    }

    @Test
    void tinyMhaMatchesLlamaCpp(@TempDir Path work) {
        compare("tiny-mha", TestModels.resolve("tiny-mha"), FULL_MODEL_TOLERANCE, work);
    }

    @Test
    void attentionOnlyTinyMqaMatchesLlamaCppTightly(@TempDir Path work) {
        compare("tiny-mqa-attn", TestModels.resolve("tiny-mqa-attn"), ATTENTION_ONLY_TOLERANCE, work);
    }

    @Test
    void attentionOnlyTinyMhaMatchesLlamaCppTightly(@TempDir Path work) throws IOException {
        TestModelSpec mha = TestModels.preset("tiny-mha", DType.F32);
        TestModelSpec attentionOnly = new TestModelSpec("tiny-mha-attn", mha.vocabSize(), mha.hiddenSize(),
                mha.intermediateSize(), mha.layers(), mha.heads(), mha.kvHeads(), mha.headDim(), DType.F32, mha.seed(),
                true, false);
        Path dir = TestModels.write(attentionOnly, work.resolve("tiny-mha-attn"));
        compare("tiny-mha-attn", dir, ATTENTION_ONLY_TOLERANCE, work);
    }

    /** Per-row comparison figures of one sequence. */
    record RowErrors(double[] relative, double[] maxRatio) {
        static RowErrors of(float[][] ours, float[][] theirs) {
            double[] rel = new double[theirs.length];
            double[] ratio = new double[theirs.length];
            for (int r = 0; r < theirs.length; r++) {
                float[] a = ours[r];
                float[] b = theirs[r];
                double diff2 = 0;
                double ref2 = 0;
                double maxDiff = 0;
                double maxRef = 0;
                for (int i = 0; i < b.length; i++) {
                    double d = (double) a[i] - b[i];
                    diff2 += d * d;
                    ref2 += (double) b[i] * b[i];
                    maxDiff = Math.max(maxDiff, Math.abs(d));
                    maxRef = Math.max(maxRef, Math.abs(b[i]));
                    if (!Float.isFinite(a[i]) || !Float.isFinite(b[i])) {
                        maxDiff = Double.NaN;                 // NaN or infinity never passes
                        break;
                    }
                }
                rel[r] = Double.isNaN(maxDiff) ? Double.NaN : Math.sqrt(diff2 / ref2);
                ratio[r] = Double.isNaN(maxDiff) ? Double.NaN : maxDiff / maxRef;
            }
            return new RowErrors(rel, ratio);
        }

        /** The largest value in rows [from, to), NaN if any is NaN. */
        static double worst(double[] v, int from, int to) {
            double w = 0;
            for (int i = from; i < to; i++) {
                if (Double.isNaN(v[i])) return Double.NaN;
                w = Math.max(w, v[i]);
            }
            return w;
        }
    }

    private static void compare(String name, Path modelDir, double tolerance, Path work) {
        Path gguf = work.resolve(name + ".gguf");
        try (Checkpoint weights = Checkpoint.open(modelDir)) {
            if (!"float32".equals(weights.config().torchDtype())) {
                fail(name + ": only F32 models are compared with llama.cpp, found torch_dtype " + weights.config().torchDtype());
            }
            GgufWriter.write(weights, name, gguf);
        }
        List<String> failures = new ArrayList<>();
        // gemma4j also runs the file llama.cpp runs: the same logits as from the folder, so the same agreement.
        try (Gemma gemma = Gemma.load(modelDir); Gemma fromFile = Gemma.load(gguf)) {
            GemmaConfig c = gemma.config();
            List<int[]> inputs = inputs(gemma.tokenizer(), c.vocabSize());
            long start = System.nanoTime();
            LlamaCppOracle.Result oracle = LlamaCppOracle.run(gguf, inputs, GENERATE, work.resolve("oracle"), ORACLE_TIMEOUT);
            double oracleSeconds = (System.nanoTime() - start) / 1e9;

            // What llama.cpp read from the GGUF metadata must be the model's configuration.
            assertEquals(c.vocabSize(), oracle.vocab(), name + ": vocabulary size as llama.cpp read it");
            assertEquals(c.hiddenSize(), oracle.model().embeddingLength(), name + ": embedding length as llama.cpp read it");
            assertEquals(c.maxPositionEmbeddings(), oracle.model().trainContextSize(), name + ": context length as llama.cpp read it");
            assertEquals(c.bosTokenId(), oracle.model().bos(), name + ": BOS id as llama.cpp read it");
            assertEquals(c.eosTokenId(), oracle.model().eos(), name + ": EOS id as llama.cpp read it");
            assertEquals(inputs.size(), oracle.sequences().size(), name + ": sequences returned by llama.cpp");
            System.out.printf("%s vs %s (%.1f s; tolerance %.0e on ||a-b||/||b|| and on max|a-b|/max|b| per position):%n",
                    name, oracle.llamaCpp(), oracleSeconds, tolerance);

            for (int s = 0; s < inputs.size(); s++) {
                LlamaCppOracle.Sequence theirs = oracle.sequences().get(s);
                int[] prompt = inputs.get(s);
                assertTrue(Arrays.equals(prompt, theirs.prompt()), name + ": sequence " + s + " echoed by llama.cpp");
                assertEquals(GENERATE, theirs.continuation().length, name + ": llama.cpp continuation length");
                assertEquals(prompt.length, theirs.logits().length, name + ": rows of llama.cpp logits");

                // gemma4j's logits on prompt ++ llama.cpp's continuation: the prompt rows are compared,
                // the rest serve the near-tie test of the greedy comparison.
                int[] tokens = Arrays.copyOf(prompt, prompt.length + GENERATE - 1);
                System.arraycopy(theirs.continuation(), 0, tokens, prompt.length, GENERATE - 1);
                float[][] ours = gemma.logits(tokens);
                float[][] fromGguf = fromFile.logits(tokens);
                for (int t = 0; t < tokens.length; t++) {
                    if (!Arrays.equals(ours[t], fromGguf[t])) {
                        failures.add("sequence " + s + " position " + t + ": gemma4j's logits from the GGUF file are not"
                                + " bit-identical to those from the safetensors folder");
                        break;
                    }
                }
                RowErrors e = RowErrors.of(ours, theirs.logits());
                double rel = RowErrors.worst(e.relative(), 0, prompt.length);
                double maxRatio = RowErrors.worst(e.maxRatio(), 0, prompt.length);

                GenerationResult generated = gemma.generate(prompt, GenerationOptions.greedy(GENERATE));
                Verdict greedy = greedyVerdict(generated, theirs, ours, gemma.tokenizer(), tolerance);
                String greedyText = greedy.failure() != null ? greedy.failure()
                        : greedy.nearTie() ? greedy.agreed() + " tokens identical, then a near-tie (comparison ends)"
                        : greedy.agreed() + " tokens identical" + (greedy.agreed() < GENERATE ? ", the last a stop token" : "");

                System.out.printf("  seq %d (%s, %d tokens): worst position ||a-b||/||b|| %.2e, max|a-b|/max|b| %.2e;"
                        + " greedy: %s%n", s, s < PROMPTS.size() ? "text" : "random ids", prompt.length, rel, maxRatio,
                        greedyText);
                double worst = Math.max(rel, maxRatio);
                if (!(worst <= tolerance)) {                       // written so that NaN fails
                    failures.add(String.format("sequence %d: logits differ by %.3e, tolerance %.0e", s, worst, tolerance));
                }
                if (greedy.failure() != null) failures.add("sequence " + s + ": greedy " + greedy.failure());
            }
        }
        if (!failures.isEmpty()) fail(name + " differs from llama.cpp: " + String.join("; ", failures));
    }

    /**
     * Empty when gemma4j's greedy tokens agree with llama.cpp's, else what differs. A divergence is
     * accepted only at a near-tie: where gemma4j's own logits for the two choices (row {@code row}
     * of {@code ours}, computed on the prefix both engines share) differ by at most 2 x tolerance x
     * max |logit|, the largest gap that two logit rows within the tolerance can order oppositely.
     * With 256000 tokens whose logits spread over a few units, the top two are that close at some
     * step of some sequence (observed: a gap of 4.9e-4 at token 16 of tiny-mqa's first prompt), and
     * after it the continuations share no prefix, so the comparison ends there.
     *
     * @param ours gemma4j's logits on prompt ++ llama.cpp's continuation without its last token
     */
    static Verdict greedyVerdict(GenerationResult generated, LlamaCppOracle.Sequence theirs, float[][] ours,
            GemmaTokenizer tokenizer, double tolerance) {
        int prompt = theirs.prompt().length;
        int[] l = theirs.continuation();
        int[] g = generated.generatedTokens();
        if (generated.stopReason() == StopReason.END_OF_SEQUENCE) {
            // generatedTokens() leaves out the stop token (eos or <end_of_turn>); gemma4j chose the more likely.
            float[] row = ours[prompt - 1 + g.length];
            int stop = row[tokenizer.eosId()] >= row[tokenizer.endOfTurnId()] ? tokenizer.eosId() : tokenizer.endOfTurnId();
            g = Arrays.copyOf(g, g.length + 1);
            g[g.length - 1] = stop;
        } else if (g.length != GENERATE) {
            return new Verdict(0, false, "gemma4j generated " + g.length + " tokens (" + generated.stopReason() + "), expected "
                    + GENERATE);
        }
        for (int j = 0; j < Math.min(g.length, l.length); j++) {
            if (g[j] == l[j]) continue;
            float[] row = ours[prompt - 1 + j];
            double gap = Math.abs((double) row[g[j]] - row[l[j]]);
            double bound = 2 * tolerance * maxAbs(row);
            String what = String.format("token %d: gemma4j %d, llama.cpp %d, gemma4j's logits for them %.3e apart", j, g[j],
                    l[j], gap);
            return gap <= bound
                    ? new Verdict(j, true, null)
                    : new Verdict(j, false, "diverges at " + what + String.format(" (near-tie bound %.3e)", bound));
        }
        return new Verdict(g.length, false, null);
    }

    /**
     * @param agreed  leading tokens identical in both continuations
     * @param nearTie the continuations part at a near-tie after {@code agreed} tokens
     * @param failure why the continuations disagree beyond a near-tie, or null
     */
    record Verdict(int agreed, boolean nearTie, String failure) {}

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** The Gemma-tokenized prompts with BOS, then BOS and RANDOM_LENGTH - 1 ids drawn uniformly from the vocabulary. */
    static List<int[]> inputs(GemmaTokenizer tokenizer, int vocab) {
        List<int[]> out = new ArrayList<>();
        for (String p : PROMPTS) out.add(tokenizer.encodeWithBos(p));
        SplittableRandom random = new SplittableRandom(SEED);
        int[] ids = new int[RANDOM_LENGTH];
        ids[0] = tokenizer.bosId();
        for (int i = 1; i < ids.length; i++) ids[i] = random.nextInt(vocab);
        out.add(ids);
        return out;
    }
}
