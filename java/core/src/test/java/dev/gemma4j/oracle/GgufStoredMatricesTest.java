package dev.gemma4j.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GGUF files whose matrices keep the checkpoint's BF16 or F16 bytes ({@link GgufWriter.Matrices#AS_STORED})
 * load in llama.cpp with those types, and compute what the F32 file of the same values computes, up to
 * the rounding of activations that llama.cpp adds for 16-bit weights.
 */
class GgufStoredMatricesTest {
    /** node, llama.cpp and one 16-token sequence of a tiny model take a few seconds on 2 cores. */
    private static final Duration ORACLE_TIMEOUT = Duration.ofMinutes(2);

    @BeforeAll
    static void oracleInstalled() {
        LlamaCppOracle.requireInstalled();
    }

    /**
     * Stated as max over positions of ||a-b||/||b|| between llama.cpp's logits on the stored file and
     * on the F32 file (identical weight values: bf16 and fp16 widen exactly). With BF16 weights ggml-cpu
     * rounds each matmul's activations to bf16 first (BF16's vec_dot type is BF16), a relative error up
     * to 2^-9 per element that the layers, with tiny-mqa's gains on q, o and down, carry into the
     * logits. Measured here: 1.7e-2 for bf16, and exactly 0 for fp16 (this build's F16 matmuls round
     * nothing that reaches the logits). The bf16 bound leaves a factor of 3; the fp16 bound is what
     * rounding activations to fp16 (2^-11 per element) would allow. A wrong type or wrong bytes give
     * unrelated logits, an error near 1.
     */
    private static double tolerance(DType dtype) {
        return dtype == DType.BF16 ? 5e-2 : 2e-3;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void storedMatricesLoadWithTheirTypeAndMatchTheF32File(DType dtype, @TempDir Path work) throws IOException {
        String name = "tiny-mqa-" + dtype.shortName();
        Path stored = work.resolve(name + ".gguf");
        Path widened = work.resolve(name + "-f32.gguf");
        List<int[]> sequences;
        long matrixBytes = 0;
        try (Checkpoint weights = Checkpoint.open(TestModels.resolve(name))) {
            GgufWriter.write(weights, name, stored, GgufWriter.Matrices.AS_STORED);
            GgufWriter.write(weights, name, widened, GgufWriter.Matrices.F32);
            for (Tensor t : weights.tensors().values()) {
                assertEquals(dtype, t.dtype(), t.name());
                if (t.shape().length == 2) matrixBytes += t.data().byteSize();
            }
            GemmaTokenizer tokenizer = GemmaTokenizer.load(weights.tokenizerJson());
            sequences = List.of(tokenizer.encodeWithBos("The capital of France is Paris, and the capital of Italy is"));
        }
        // Each matrix takes 2 bytes per value (its stored bytes), so the file is about half the F32 one.
        long f32Size = Files.size(widened);
        long storedSize = Files.size(stored);
        assertTrue(Math.abs(f32Size - storedSize - matrixBytes) < 32L * 64, "F32 file " + f32Size + " bytes, stored "
                + storedSize + " bytes, matrices stored in " + matrixBytes + " bytes");

        LlamaCppOracle.Result theirs = LlamaCppOracle.run(stored, sequences, 2, work.resolve("stored"), ORACLE_TIMEOUT);
        LlamaCppOracle.Result reference = LlamaCppOracle.run(widened, sequences, 2, work.resolve("f32"), ORACLE_TIMEOUT);

        int expectedType = GgufWriter.ggmlType(dtype);
        Map<String, Integer> types = theirs.model().tensorTypes();
        assertEquals(2 + 9 * 2, types.size(), "tensors llama.cpp found: " + types);
        types.forEach((tensor, type) -> assertEquals(tensor.endsWith("_norm.weight") ? GgufWriter.ggmlType(DType.F32) : expectedType,
                type, tensor + " as llama.cpp read it"));
        assertTrue(theirs.model().description().contains(dtype.safetensorsName()),
                "llama.cpp's description of the file type: " + theirs.model().description());
        reference.model().tensorTypes().forEach((tensor, type) -> assertEquals(GgufWriter.ggmlType(DType.F32), type, tensor));

        float[][] a = theirs.sequences().getFirst().logits();
        float[][] b = reference.sequences().getFirst().logits();
        double worst = 0;
        for (int r = 0; r < b.length; r++) {
            double diff2 = 0, ref2 = 0;
            for (int i = 0; i < b[r].length; i++) {
                double d = (double) a[r][i] - b[r][i];
                diff2 += d * d;
                ref2 += (double) b[r][i] * b[r][i];
            }
            double rel = Math.sqrt(diff2 / ref2);
            worst = Double.isNaN(rel) ? Double.NaN : Math.max(worst, rel);
        }
        System.out.printf("%s (%s): stored %s matrices vs F32 in llama.cpp: worst position ||a-b||/||b|| %.2e (tolerance %.0e)%n",
                name, theirs.model().description(), dtype, worst, tolerance(dtype));
        assertTrue(worst <= tolerance(dtype), name + ": logits of the stored file differ from the F32 file's by " + worst
                + ", tolerance " + tolerance(dtype));
    }
}
