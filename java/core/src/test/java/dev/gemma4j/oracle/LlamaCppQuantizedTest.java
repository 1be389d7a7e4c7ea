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
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.model.RandomBlocks;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Quantized GGUF files made by llama.cpp's own quantizer ({@code llama_model_quantize}, through
 * {@link LlamaCppQuantizer}) from a tiny model written as F32 GGUF, loaded by gemma4j with no
 * tokenizer.json beside them: Q8_0 and Q4_0 from tiny-mqa; Q4_K_M, Q5_K_M and Q6_K from a model
 * 256 wide ({@link #K_MODEL}), whose rows are whole 256-element super-blocks so that llama.cpp
 * gives its matrices the K-quant types (on tiny-mqa, whose rows are 64 wide, it falls back to Q5_0
 * and Q8_0 — a case here too; Q4_1 and Q5_1, which only such fallbacks make, are checked on random
 * blocks). Each file is checked three ways:
 * <ol>
 *   <li>every block of every quantized tensor dequantizes in gemma4j bit for bit as ggml's
 *       {@code dequantize_row_*} does, and gemma4j reads each tensor as the type llama.cpp reads;
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
     * about 2.5 / 127 / √12 ≈ 0.6% of a Gaussian block's RMS, through 15 matmuls; for K-quant
     * weights it rounds x to Q8_K, 8 bits per 256 elements, somewhat coarser). The norms
     * differ slightly in their reference rows, hence a 10% allowance on the sum.
     */
    private static final double F32_PARITY = 4e-3, SLACK = 1.1;
    /** Activation rounding larger than this would mean llama.cpp did something else than round to 8 bits. */
    private static final double ACTIVATION_ROUNDING_CAP = 0.1;

    /** Hidden 256, GeGLU 512, 2 layers, 4 query heads of 64 and 1 key/value head: every row whole super-blocks. */
    static final GemmaConfig K_MODEL = GemmaConfig.of(256000, 256, 512, 2, 4, 1, 64, "float32");
    private static final long K_MODEL_SEED = 0x243F6A8885A308D3L;

    @TempDir static Path work;
    private static Path f32, kF32;
    private static Path tokenizerJson;

    /**
     * A file type as llama.cpp's quantizer makes it from {@code model}'s F32 file, the embedding
     * forced to {@code embeddingType} or left to llama.cpp; {@code expected} are the quantized types
     * its matrices must include.
     */
    record Case(String label, String model, int ftype, int embeddingType, List<DType> expected) {
        @Override
        public String toString() {
            return label + " from " + model;
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("Q8_0", "tiny-mqa", LlamaCppQuantizer.FTYPE_MOSTLY_Q8_0, LlamaCppQuantizer.GGML_TYPE_Q8_0,
                        List.of(DType.Q8_0)),
                new Case("Q4_0", "tiny-mqa", LlamaCppQuantizer.FTYPE_MOSTLY_Q4_0, LlamaCppQuantizer.GGML_TYPE_Q4_0,
                        List.of(DType.Q4_0)),
                new Case("Q4_K_M", "k-model", LlamaCppQuantizer.FTYPE_MOSTLY_Q4_K_M, LlamaCppQuantizer.LLAMA_CHOOSES,
                        List.of(DType.Q4_K, DType.Q6_K)),
                new Case("Q5_K_M", "k-model", LlamaCppQuantizer.FTYPE_MOSTLY_Q5_K_M, LlamaCppQuantizer.LLAMA_CHOOSES,
                        List.of(DType.Q5_K, DType.Q6_K)),
                new Case("Q6_K", "k-model", LlamaCppQuantizer.FTYPE_MOSTLY_Q6_K, LlamaCppQuantizer.LLAMA_CHOOSES,
                        List.of(DType.Q6_K)),
                new Case("Q4_K_M", "tiny-mqa", LlamaCppQuantizer.FTYPE_MOSTLY_Q4_K_M, LlamaCppQuantizer.LLAMA_CHOOSES,
                        List.of(DType.Q4_K, DType.Q5_0, DType.Q6_K, DType.Q8_0)));
    }

    @BeforeAll
    static void writeF32() {
        LlamaCppOracle.requireInstalled();
        Path dir = TestModels.resolve("tiny-mqa");
        f32 = work.resolve("tiny-mqa-f32.gguf");
        try (Checkpoint c = Checkpoint.open(dir)) {
            GgufWriter.write(c, "tiny-mqa", f32);
            tokenizerJson = c.tokenizerJson();
        }
        kF32 = work.resolve("k-model-f32.gguf");
        try (SyntheticWeights k = SyntheticWeights.of(K_MODEL, DType.F32, K_MODEL_SEED)) {
            GgufWriter.write(k, "k-model", kF32);
        }
    }

    /**
     * Every quantized type's dequantization against ggml's on random blocks (every bit pattern, not
     * only those llama.cpp's quantizer writes): bit for bit.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void randomBlocksDequantizeAsGgml(DType dtype) {
        long seed = System.nanoTime();
        Tensor t = RandomBlocks.tensor(dtype, 8, 4 * dtype.blockSize(), new SplittableRandom(seed));
        int n = Math.toIntExact(t.elementCount());
        assertBitIdentical(dtype + " random blocks, seed " + seed, t, LlamaCppQuantizer.dequantize(dtype, t.data(), n));
        System.out.printf("%s: %d random blocks (seed %d) dequantized bit-identically to ggml's%n", dtype,
                n / dtype.blockSize(), seed);
    }

    /** {@code t} dequantized by gemma4j, checked bit for bit against {@code ggml}; returned for reuse. */
    private static float[] assertBitIdentical(String what, Tensor t, float[] ggml) {
        float[] ours = t.toFloatArray();
        int bs = t.dtype().blockSize();
        for (int i = 0; i < ours.length; i++) {
            if (Float.floatToRawIntBits(ours[i]) != Float.floatToRawIntBits(ggml[i])) {
                fail(what + " " + t.name() + " block " + i / bs + " element " + i % bs + ": gemma4j " + ours[i]
                        + ", ggml " + ggml[i]);
            }
        }
        return ours;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void llamaCppQuantizedFileMatches(Case kase) throws Exception {
        boolean k = kase.model().equals("k-model");
        String name = kase.model() + "-" + kase.label().toLowerCase(java.util.Locale.ROOT);
        Path dir = Files.createDirectories(work.resolve(name));
        Path quantized = dir.resolve(name + ".gguf");
        LlamaCppQuantizer.quantize(k ? kF32 : f32, quantized, kase.ftype(), kase.embeddingType());
        checkAgainstLlamaCpp(kase.toString(), quantized, k ? SyntheticWeights.tokenizerJson(K_MODEL) : tokenizerJson,
                kase.expected(), gemma -> LlamaCppParityTest.inputs(gemma.tokenizer(), gemma.config().vocabSize()));
    }

    /**
     * The three checks of the class comment on the quantized GGUF file {@code quantized} (its
     * vocabulary that of {@code tokenizerJson}), on the sequences {@code inputs} makes from gemma4j's
     * model of it; {@code expected} are quantized types its matrices must include. Work files go
     * beside {@code quantized}.
     */
    static void checkAgainstLlamaCpp(String label, Path quantized, Path tokenizerJson, List<DType> expected,
            Function<Gemma, List<int[]>> inputsOf) {
        Path dir = quantized.getParent();
        String name = quantized.getFileName().toString().replaceFirst("\\.gguf$", "");
        Path dequantized = dir.resolve(name + "-dequantized.gguf");

        // 1. Block by block against ggml's dequantization; the types as llama.cpp reads them.
        Map<String, Long> ours = new TreeMap<>();
        Map<String, Tensor> widenedTensors = new java.util.LinkedHashMap<>();
        long blocks = 0;
        try (GgufCheckpoint q = GgufCheckpoint.open(quantized, true)) {
            for (Tensor t : q.tensors().values()) {
                ours.merge(t.dtype().name(), 1L, Long::sum);
                if (!t.dtype().quantized()) {
                    assertEquals(1, t.rank(), t.name() + ": llama.cpp quantizes every matrix");
                    widenedTensors.put(t.name(), t);
                    continue;
                }
                int n = Math.toIntExact(t.elementCount());
                float[] values = assertBitIdentical(label, t, LlamaCppQuantizer.dequantize(t.dtype(), t.data(), n));
                widenedTensors.put(t.name(), Tensor.of(t.name(), DType.F32, t.shape(), values));
                blocks += n / t.dtype().blockSize();
            }
            try (WeightSource widened = new Dequantized(q.config(), widenedTensors, tokenizerJson)) {
                GgufWriter.write(widened, name, dequantized);
            }
        }
        System.out.printf("%s: tensors by type %s; %d blocks dequantized bit-identically to ggml's dequantize_row_*%n",
                label, ours, blocks);
        for (DType type : expected) {
            assertTrue(ours.containsKey(type.name()), label + ": the file has no matrix " + type + ": " + ours);
        }

        List<String> failures = new ArrayList<>();
        try (Gemma gemma = Gemma.load(quantized); Gemma widened = Gemma.load(dequantized)) {
            assertTrue(!Files.exists(quantized.resolveSibling("tokenizer.json")), "no tokenizer.json beside the file");
            List<int[]> inputs = inputsOf.apply(gemma);
            LlamaCppOracle.Result oracle = LlamaCppOracle.run(quantized, inputs, LlamaCppParityTest.GENERATE,
                    dir.resolve("oracle"), ORACLE_TIMEOUT);
            LlamaCppOracle.Result oracleF32 = LlamaCppOracle.run(dequantized, inputs, 1, dir.resolve("oracle-f32"),
                    ORACLE_TIMEOUT);
            assertEquals(inputs.size(), oracle.sequences().size(), "sequences returned by llama.cpp");
            assertEquals(inputs.size(), oracleF32.sequences().size(), "sequences returned by llama.cpp on the F32 file");
            Map<String, Long> theirs = new TreeMap<>();
            for (int type : oracle.model().tensorTypes().values()) theirs.merge(typeName(type), 1L, Long::sum);
            assertEquals(theirs, ours, label + ": tensors by type, llama.cpp's reading against gemma4j's");
            System.out.printf("%s vs %s (tolerances: %.0e against the dequantized F32 file; against llama.cpp,"
                    + " %.1f x (llama.cpp's own quantized-vs-F32 difference + %.0e + %.0e)):%n",
                    label, oracle.llamaCpp(), DEQUANTIZED_TOLERANCE, SLACK, F32_PARITY, DEQUANTIZED_TOLERANCE);
            for (int s = 0; s < inputs.size(); s++) {
                LlamaCppOracle.Sequence llama = oracle.sequences().get(s);
                int[] prompt = inputs.get(s);
                int[] tokens = Arrays.copyOf(prompt, prompt.length + LlamaCppParityTest.GENERATE - 1);
                System.arraycopy(llama.continuation(), 0, tokens, prompt.length, LlamaCppParityTest.GENERATE - 1);
                float[][] logits = gemma.logits(tokens);
                float[][] floatPath = widened.logits(tokens);

                LlamaCppParityTest.RowErrors self = LlamaCppParityTest.RowErrors.of(logits, floatPath);
                double selfWorst = Math.max(LlamaCppParityTest.RowErrors.worst(self.relative(), 0, tokens.length),
                        LlamaCppParityTest.RowErrors.worst(self.maxRatio(), 0, tokens.length));
                LlamaCppParityTest.RowErrors e = LlamaCppParityTest.RowErrors.of(logits, llama.logits());
                double rel = LlamaCppParityTest.RowErrors.worst(e.relative(), 0, prompt.length);
                double maxRatio = LlamaCppParityTest.RowErrors.worst(e.maxRatio(), 0, prompt.length);
                LlamaCppParityTest.RowErrors act = LlamaCppParityTest.RowErrors.of(llama.logits(),
                        oracleF32.sequences().get(s).logits());
                double rounding = Math.max(LlamaCppParityTest.RowErrors.worst(act.relative(), 0, prompt.length),
                        LlamaCppParityTest.RowErrors.worst(act.maxRatio(), 0, prompt.length));
                double tolerance = SLACK * (rounding + F32_PARITY + DEQUANTIZED_TOLERANCE);

                GenerationResult generated = gemma.generate(prompt, GenerationOptions.greedy(LlamaCppParityTest.GENERATE));
                LlamaCppParityTest.Verdict greedy = LlamaCppParityTest.greedyVerdict(generated, llama, logits,
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
        if (!failures.isEmpty()) fail(label + ": " + String.join("; ", failures));
    }

    /** The name ggml gives type number {@code type}, for the types gemma4j reads. */
    private static String typeName(int type) {
        if (type == 0) return "F32";
        for (DType d : DType.values()) {
            if (d.quantized() && LlamaCppQuantizer.ggmlType(d) == type) return d.name();
        }
        return "ggml type " + type;
    }

    /** A quantized model's weights dequantized to F32 (each element a · q + b), with a tokenizer.json for the writer. */
    private record Dequantized(GemmaConfig config, Map<String, Tensor> tensors, Path tokenizerJson) implements WeightSource {
        @Override
        public Tensor tensor(String name) {
            return tensors.get(name);
        }

        @Override
        public void close() {}
    }
}
