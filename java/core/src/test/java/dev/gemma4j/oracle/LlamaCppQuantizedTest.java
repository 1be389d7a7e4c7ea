package dev.gemma4j.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GgufCheckpoint;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Quantized GGUF files made by llama.cpp's own quantizer ({@code llama_model_quantize}, through
 * {@link LlamaCppQuantizer}) from tiny-mqa written as F32 GGUF, loaded by gemma4j with no
 * tokenizer.json beside them, checked three ways:
 * <ol>
 *   <li>every block of every quantized tensor dequantizes in gemma4j bit for bit as ggml's
 *       {@code dequantize_row_*} does;
 *   <li>gemma4j's logits on the quantized file against its logits on the same weights dequantized to
 *       an F32 file, isolating the fused kernels from activation rounding;
 *   <li>gemma4j's logits at every position against llama.cpp's on the quantized file, and the greedy
 *       continuations (see {@link LlamaCppParityTest#greedyVerdict} for near-ties).
 * </ol>
 */
class LlamaCppQuantizedTest {
    private static final Duration ORACLE_TIMEOUT = Duration.ofMinutes(4);
    /**
     * Quantized against dequantized-to-F32, whole model: each matmul differs by at most
     * 2 · (inDim / L + 38) · 2^-24 of Σ|w x| (QuantizedMatMul), which for tiny-mqa's inDim ≤ 256 is
     * below 5e-6 and in practice ~1e-7; the layers carry that into the logits without blowing it up
     * (two layers). 1e-5 of ||logits|| is the bound asked of the kernels.
     */
    private static final double DEQUANTIZED_TOLERANCE = 1e-5;
    /**
     * Against llama.cpp, derived per position by the triangle inequality over four runs on the same
     * weight values: gemma4j quantized (g_q), gemma4j on the dequantized F32 file (g_f), llama.cpp
     * on that F32 file (l_f) and llama.cpp quantized (l_q):
     * |g_q − l_q| ≤ |g_q − g_f| + |g_f − l_f| + |l_f − l_q|. The first term is at most
     * {@link #DEQUANTIZED_TOLERANCE}; the second is F32 parity, at most
     * {@link LlamaCppParityTest}'s 4e-3 (llama.cpp's fp16 GELU table); the third is measured here on
     * llama.cpp alone: the same weight values, so it is what llama.cpp's 8-bit rounding of the
     * activations costs (its CPU dot products for Q8_0 and Q4_0 weights quantize x to Q8_0 first:
     * per 32 elements, multiples of max|x| / 127, an error uniform in ±max|x| / 254 per element,
     * about 2.5 / 127 / √12 ≈ 0.6% of a Gaussian block's RMS, through 15 matmuls). The norms
     * differ slightly in their reference rows, hence a 10% allowance on the sum.
     */
    private static final double F32_PARITY = 4e-3, SLACK = 1.1;
    /** Activation rounding larger than this would mean llama.cpp did something else than round to 8 bits. */
    private static final double ACTIVATION_ROUNDING_CAP = 0.1;

    @TempDir static Path work;
    private static Path f32;
    private static Path tokenizerJson;

    @BeforeAll
    static void writeF32() {
        LlamaCppOracle.requireInstalled();
        Path dir = TestModels.resolve("tiny-mqa");
        f32 = work.resolve("tiny-mqa-f32.gguf");
        try (Checkpoint c = Checkpoint.open(dir)) {
            GgufWriter.write(c, "tiny-mqa", f32);
            tokenizerJson = c.tokenizerJson();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0"})
    void llamaCppQuantizedFileMatches(DType dtype) throws Exception {
        boolean q8 = dtype == DType.Q8_0;
        Path dir = Files.createDirectories(work.resolve(dtype.shortName()));
        Path quantized = dir.resolve("tiny-mqa-" + dtype.shortName() + ".gguf");
        LlamaCppQuantizer.quantize(f32, quantized, q8 ? LlamaCppQuantizer.FTYPE_MOSTLY_Q8_0 : LlamaCppQuantizer.FTYPE_MOSTLY_Q4_0,
                q8 ? LlamaCppQuantizer.GGML_TYPE_Q8_0 : LlamaCppQuantizer.GGML_TYPE_Q4_0);
        Path dequantized = work.resolve("tiny-mqa-" + dtype.shortName() + "-dequantized.gguf");

        // 1. Block by block against ggml's dequantization; every matrix is of the file's type.
        int matrices = 0;
        long blocks = 0;
        try (GgufCheckpoint q = GgufCheckpoint.open(quantized, true)) {
            for (Tensor t : q.tensors().values()) {
                if (t.rank() == 1) {
                    assertEquals(DType.F32, t.dtype(), t.name() + ": llama.cpp keeps 1-D tensors in F32");
                    continue;
                }
                assertEquals(dtype, t.dtype(), t.name() + ": type llama.cpp gave it");
                matrices++;
                int n = Math.toIntExact(t.elementCount());
                float[] ggml = LlamaCppQuantizer.dequantize(q8 ? LlamaCppQuantizer.GGML_TYPE_Q8_0 : LlamaCppQuantizer.GGML_TYPE_Q4_0,
                        t.data(), n);
                float[] ours = t.toFloatArray();
                for (int i = 0; i < n; i++) {
                    if (Float.floatToRawIntBits(ours[i]) != Float.floatToRawIntBits(ggml[i])) {
                        fail(dtype + " " + t.name() + " block " + i / 32 + " element " + i % 32 + ": gemma4j " + ours[i]
                                + ", ggml " + ggml[i]);
                    }
                }
                blocks += n / 32;
            }
            try (WeightSource widened = new Dequantized(q, tokenizerJson)) {
                GgufWriter.write(widened, "tiny-mqa", dequantized);
            }
        }
        System.out.printf("%s: %d matrices, %d blocks dequantized bit-identically to ggml's dequantize_row_%s%n", dtype,
                matrices, blocks, dtype.shortName());
        assertEquals(15, matrices, "matrices of tiny-mqa (embedding and 7 per layer)");

        List<String> failures = new ArrayList<>();
        try (Gemma gemma = Gemma.load(quantized); Gemma widened = Gemma.load(dequantized)) {
            assertTrue(!Files.exists(quantized.resolveSibling("tokenizer.json")), "no tokenizer.json beside the file");
            GemmaConfig c = gemma.config();
            List<int[]> inputs = LlamaCppParityTest.inputs(gemma.tokenizer(), c.vocabSize());
            LlamaCppOracle.Result oracle = LlamaCppOracle.run(quantized, inputs, LlamaCppParityTest.GENERATE,
                    dir.resolve("oracle"), ORACLE_TIMEOUT);
            LlamaCppOracle.Result oracleF32 = LlamaCppOracle.run(dequantized, inputs, 1, dir.resolve("oracle-f32"),
                    ORACLE_TIMEOUT);
            assertEquals(inputs.size(), oracle.sequences().size(), "sequences returned by llama.cpp");
            assertEquals(inputs.size(), oracleF32.sequences().size(), "sequences returned by llama.cpp on the F32 file");
            for (Map.Entry<String, Integer> e : oracle.model().tensorTypes().entrySet()) {
                if (e.getKey().endsWith("norm.weight")) continue;
                assertEquals(q8 ? LlamaCppQuantizer.GGML_TYPE_Q8_0 : LlamaCppQuantizer.GGML_TYPE_Q4_0, e.getValue(),
                        e.getKey() + ": type as llama.cpp read it");
            }
            System.out.printf("%s vs %s (tolerances: %.0e against the dequantized F32 file; against llama.cpp,"
                    + " %.1f x (llama.cpp's own quantized-vs-F32 difference + %.0e + %.0e)):%n",
                    dtype, oracle.llamaCpp(), DEQUANTIZED_TOLERANCE, SLACK, F32_PARITY, DEQUANTIZED_TOLERANCE);
            for (int s = 0; s < inputs.size(); s++) {
                LlamaCppOracle.Sequence theirs = oracle.sequences().get(s);
                int[] prompt = inputs.get(s);
                int[] tokens = Arrays.copyOf(prompt, prompt.length + LlamaCppParityTest.GENERATE - 1);
                System.arraycopy(theirs.continuation(), 0, tokens, prompt.length, LlamaCppParityTest.GENERATE - 1);
                float[][] ours = gemma.logits(tokens);
                float[][] floatPath = widened.logits(tokens);

                LlamaCppParityTest.RowErrors self = LlamaCppParityTest.RowErrors.of(ours, floatPath);
                double selfWorst = Math.max(LlamaCppParityTest.RowErrors.worst(self.relative(), 0, tokens.length),
                        LlamaCppParityTest.RowErrors.worst(self.maxRatio(), 0, tokens.length));
                LlamaCppParityTest.RowErrors e = LlamaCppParityTest.RowErrors.of(ours, theirs.logits());
                double rel = LlamaCppParityTest.RowErrors.worst(e.relative(), 0, prompt.length);
                double maxRatio = LlamaCppParityTest.RowErrors.worst(e.maxRatio(), 0, prompt.length);
                LlamaCppParityTest.RowErrors act = LlamaCppParityTest.RowErrors.of(theirs.logits(),
                        oracleF32.sequences().get(s).logits());
                double rounding = Math.max(LlamaCppParityTest.RowErrors.worst(act.relative(), 0, prompt.length),
                        LlamaCppParityTest.RowErrors.worst(act.maxRatio(), 0, prompt.length));
                double tolerance = SLACK * (rounding + F32_PARITY + DEQUANTIZED_TOLERANCE);

                GenerationResult generated = gemma.generate(prompt, GenerationOptions.greedy(LlamaCppParityTest.GENERATE));
                LlamaCppParityTest.Verdict greedy = LlamaCppParityTest.greedyVerdict(generated, theirs, ours,
                        gemma.tokenizer(), tolerance);
                String greedyText = greedy.failure() != null ? greedy.failure()
                        : greedy.nearTie() ? greedy.agreed() + " tokens identical, then a near-tie (comparison ends)"
                        : greedy.agreed() + " tokens identical";
                System.out.printf("  seq %d (%d tokens): vs dequantized F32 %.2e; llama.cpp quantized vs its F32 %.2e;"
                        + " vs llama.cpp ||a-b||/||b|| %.2e, max|a-b|/max|b| %.2e (tolerance %.2e); greedy: %s%n", s,
                        prompt.length, selfWorst, rounding, rel, maxRatio, tolerance, greedyText);
                if (!(rounding <= ACTIVATION_ROUNDING_CAP)) {
                    failures.add(String.format("sequence %d: llama.cpp's quantized and F32 logits differ by %.3e, over %.0e",
                            s, rounding, ACTIVATION_ROUNDING_CAP));
                }
                if (!(selfWorst <= DEQUANTIZED_TOLERANCE)) {
                    failures.add(String.format("sequence %d: quantized and dequantized-F32 logits differ by %.3e", s, selfWorst));
                }
                double worst = Math.max(rel, maxRatio);
                if (!(worst <= tolerance)) {
                    failures.add(String.format("sequence %d: logits differ from llama.cpp's by %.3e", s, worst));
                }
                if (greedy.failure() != null) failures.add("sequence " + s + ": greedy " + greedy.failure());
            }
        }
        if (!failures.isEmpty()) fail(dtype + ": " + String.join("; ", failures));
    }

    /** A quantized model's weights dequantized to F32 (each element q · d), with a tokenizer.json for the writer. */
    private record Dequantized(WeightSource source, Path tokenizerJson) implements WeightSource {
        @Override
        public GemmaConfig config() {
            return source.config();
        }

        @Override
        public Tensor tensor(String name) {
            Tensor t = source.tensor(name);
            return t.dtype().quantized() ? Tensor.of(t.name(), DType.F32, t.shape(), t.toFloatArray()) : t;
        }

        @Override
        public Map<String, Tensor> tensors() {
            Map<String, Tensor> out = new java.util.LinkedHashMap<>();
            for (String name : source.tensors().keySet()) out.put(name, tensor(name));
            return out;
        }

        @Override
        public void close() {}
    }
}
