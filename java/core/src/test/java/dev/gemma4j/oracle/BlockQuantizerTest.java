package dev.gemma4j.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gemma4j.Gemma;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.model.BlockQuantizer;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GgufCheckpoint;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * gemma4j's quantizer against llama.cpp's: blocks bit-identical to ggml's reference quantizers on
 * random rows (with ties, zeros and extremes), and tiny-mqa quantized at load equal, tensor by tensor
 * and logit by logit, to the file llama.cpp's {@code llama_model_quantize} makes from the same weights.
 */
class BlockQuantizerTest {
    @TempDir static Path work;
    private static Path f32;

    @BeforeAll
    static void writeF32() {
        LlamaCppOracle.requireInstalled();
        f32 = work.resolve("tiny-mqa-f32.gguf");
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            GgufWriter.write(c, "tiny-mqa", f32);
        }
    }

    /**
     * Random rows: Gaussian blocks at scales over six decades, blocks of one repeated value, all-zero
     * blocks, values at exact halves of the step (where rounding directions differ) and near fp32's
     * range: every byte equal to ggml's.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0"})
    void blocksAreBitIdenticalToGgmlsReferenceQuantizer(DType type) {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[32 * 400];
        for (int b = 0; b < 400; b++) {
            int kind = b % 5;
            float scale = (float) Math.scalb(1.0, rnd.nextInt(-20, 20));
            for (int j = 0; j < 32; j++) {
                int i = b * 32 + j;
                x[i] = switch (kind) {
                    case 0 -> (float) rnd.nextGaussian() * scale;
                    case 1 -> scale;                                     // one repeated value
                    case 2 -> 0f;
                    case 3 -> (j == 0 ? 127 : rnd.nextInt(-127, 128) + 0.5f) * scale;   // halves of the Q8_0 step
                    default -> (float) rnd.nextGaussian() * 1e37f;
                };
            }
        }
        byte[] ggml = LlamaCppQuantizer.quantizeReference(type, x);
        MemorySegment ours = MemorySegment.ofArray(new byte[ggml.length]);
        BlockQuantizer.quantizeRow(type, x, 0, x.length, ours, 0);
        byte[] mine = ours.toArray(ValueLayout.JAVA_BYTE);
        for (int i = 0; i < ggml.length; i++) {
            if (mine[i] != ggml[i]) {
                int block = i / type.blockBytes();
                fail(type + " seed " + seed + ": block " + block + " (kind " + block % 5 + ") byte " + i % type.blockBytes()
                        + ": gemma4j " + mine[i] + ", ggml " + ggml[i]);
            }
        }
        System.out.printf("BlockQuantizerTest %s seed %d: %d blocks bit-identical to ggml's quantize_row_%s_ref%n", type,
                seed, ggml.length / type.blockBytes(), type.name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * tiny-mqa with --quantize: every matrix of the safetensors folder quantized holds the bytes of
     * llama.cpp's file made from the same weights (the embedding forced to the same type, which
     * llama.cpp would otherwise make Q8_0 or Q6_K); and the F32 GGUF quantized at load gives logits
     * bit-identical to gemma4j's on llama.cpp's file (from the GGUF, whose norms, stored as 1 + w, come
     * back as the same floats in both; the folder's differ from them in the last bit).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0"})
    void quantizingAtLoadGivesLlamaCppsFile(DType type) {
        boolean q8 = type == DType.Q8_0;
        Path file = work.resolve("tiny-mqa-" + type.shortName() + ".gguf");
        LlamaCppQuantizer.quantize(f32, file, q8 ? LlamaCppQuantizer.FTYPE_MOSTLY_Q8_0 : LlamaCppQuantizer.FTYPE_MOSTLY_Q4_0,
                LlamaCppQuantizer.ggmlType(type));
        LoadOptions options = LoadOptions.cpu().withQuantize(type);
        int matrices = 0;
        try (WeightSource ours = BlockQuantizer.quantized(Checkpoint.open(TestModels.resolve("tiny-mqa")), type);
             GgufCheckpoint theirs = GgufCheckpoint.open(file, true)) {
            for (Map.Entry<String, Tensor> e : ours.tensors().entrySet()) {
                Tensor a = e.getValue(), b = theirs.tensor(e.getKey());
                if (a.rank() == 2) {
                    matrices++;
                    assertEquals(type, a.dtype(), e.getKey());
                    assertEquals(type, b.dtype(), e.getKey() + " in llama.cpp's file");
                    assertEquals(-1, a.data().mismatch(b.data()), e.getKey() + ": blocks differ from llama.cpp's");
                }
            }
        }
        assertEquals(15, matrices, "matrices of tiny-mqa (embedding and 7 per layer)");
        try (Gemma quantized = Gemma.load(f32, options);
             Gemma file2 = Gemma.load(file, LoadOptions.cpu())) {
            int[] tokens = quantized.tokenizer().encodeWithBos("The quick brown fox jumps over the lazy dog");
            float[][] a = quantized.logits(tokens), b = file2.logits(tokens);
            for (int t = 0; t < tokens.length; t++) {
                assertTrue(Arrays.equals(a[t], b[t]), type + ": logits at position " + t + " differ from llama.cpp's file");
            }
            System.out.printf("BlockQuantizerTest %s: %d matrices byte-identical to llama.cpp's; logits at %d positions"
                    + " bit-identical%n", type, matrices, tokens.length);
        }
    }

    /** A checkpoint that is already quantized, a matrix with a non-finite value and an unsupported type are refused by name. */
    @Test
    void badInputIsRefusedNamingTheTensor() {
        Path file = work.resolve("already-q8.gguf");
        LlamaCppQuantizer.quantize(f32, file, LlamaCppQuantizer.FTYPE_MOSTLY_Q8_0, LlamaCppQuantizer.GGML_TYPE_Q8_0);
        ModelFormatException already = assertThrows(ModelFormatException.class,
                () -> Gemma.load(file, LoadOptions.cpu().withQuantize(DType.Q4_0)));
        assertTrue(already.getMessage().contains("is already Q8_0") && already.getMessage().contains("token_embd")
                || already.getMessage().contains("embed_tokens"), already.getMessage());

        float[] values = new float[4 * 64];
        values[3 * 64 + 5] = Float.NaN;
        try (Arena arena = Arena.ofShared()) {
            Tensor t = Tensor.of("model.layers.0.mlp.up_proj.weight", DType.F32, new long[] {4, 64}, values);
            ModelFormatException nan = assertThrows(ModelFormatException.class, () -> BlockQuantizer.quantize(t, DType.Q8_0, arena));
            assertTrue(nan.getMessage().contains("model.layers.0.mlp.up_proj.weight") && nan.getMessage().contains("[3, 5]")
                    && nan.getMessage().contains("NaN"), nan.getMessage());
            Tensor odd = Tensor.of("model.layers.0.mlp.down_proj.weight", DType.F32, new long[] {2, 48}, new float[96]);
            ModelFormatException rows = assertThrows(ModelFormatException.class, () -> BlockQuantizer.quantize(odd, DType.Q4_0, arena));
            assertTrue(rows.getMessage().contains("down_proj") && rows.getMessage().contains("48"), rows.getMessage());
        }
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> BlockQuantizer.parse("q4_k"));
        assertTrue(type.getMessage().contains("'q4_k'") && type.getMessage().contains("q8_0"), type.getMessage());
    }
}
