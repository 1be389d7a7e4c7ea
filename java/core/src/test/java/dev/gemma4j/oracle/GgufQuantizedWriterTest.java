package dev.gemma4j.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GgufCheckpoint;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.testmodels.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GGUF files gemma4j quantizes itself ({@link GgufWriter.Matrices#quantized}, what {@code gemma4j quantize}
 * writes) from tiny-mqa's safetensors folder: every tensor byte-identical to the file llama.cpp's own
 * quantizer makes from the F32 GGUF of the same weights (its embedding forced to the same type), and
 * llama.cpp's logits on gemma4j's file against gemma4j's on it, within the tolerance
 * {@link LlamaCppQuantizedTest} derives, on one short prompt.
 */
class GgufQuantizedWriterTest {
    private static final String PROMPT = "The quick brown fox jumps over the lazy dog";

    @TempDir static Path work;
    private static Path f32;
    private static Path tokenizerJson;

    @BeforeAll
    static void writeF32() {
        LlamaCppOracle.requireInstalled();
        f32 = work.resolve("tiny-mqa-f32.gguf");
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            GgufWriter.write(c, "tiny-mqa", f32);
            tokenizerJson = c.tokenizerJson();
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0"})
    void gemma4jsFileHasLlamaCppsTensorsAndLlamaCppAgreesOnIt(DType type) throws Exception {
        String name = "tiny-mqa-" + type.shortName();
        Path ours = Files.createDirectories(work.resolve(name + "-gemma4j")).resolve(name + ".gguf");
        List<String> progress = new ArrayList<>();
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            GgufWriter.write(c, "tiny-mqa", ours, GgufWriter.Matrices.quantized(type),
                    (done, total, bytesDone, bytesTotal) -> progress.add(done + "/" + total + " " + bytesDone + "/" + bytesTotal));
        }
        assertFalse(Files.exists(ours.resolveSibling(ours.getFileName() + ".part")), "the temporary file is moved into place");
        assertEquals(1 + 2 + 9 * 2, progress.size(), "progress before the data and after each tensor: " + progress);
        assertTrue(progress.getFirst().startsWith("0/20 0/"), progress.getFirst());
        assertTrue(progress.getLast().startsWith("20/20 "), progress.getLast());
        String[] bytes = progress.getLast().split(" ")[1].split("/");
        assertEquals(bytes[0], bytes[1], "the bytes told when done are the total");

        Path theirs = Files.createDirectories(work.resolve(name + "-llama.cpp")).resolve(name + ".gguf");
        LlamaCppQuantizer.quantize(f32, theirs, type == DType.Q8_0 ? LlamaCppQuantizer.FTYPE_MOSTLY_Q8_0
                : LlamaCppQuantizer.FTYPE_MOSTLY_Q4_0, LlamaCppQuantizer.ggmlType(type));
        int matrices = 0;
        // The norms are compared as gemma4j reads them (stored - 1, exact, so equal exactly when the stored floats are).
        try (GgufCheckpoint a = GgufCheckpoint.open(ours, true); GgufCheckpoint b = GgufCheckpoint.open(theirs, true)) {
            assertEquals(b.tensors().keySet(), a.tensors().keySet(), "tensor names");
            for (Map.Entry<String, Tensor> e : b.tensors().entrySet()) {
                Tensor mine = a.tensor(e.getKey()), llama = e.getValue();
                assertEquals(llama.dtype(), mine.dtype(), e.getKey());
                assertArrayEquals(llama.shape(), mine.shape(), e.getKey());
                assertEquals(-1, mine.data().mismatch(llama.data()), e.getKey() + ": bytes differ from llama.cpp's");
                if (mine.rank() == 2) {
                    matrices++;
                    assertEquals(type, mine.dtype(), e.getKey());
                }
            }
            System.out.printf("GgufQuantizedWriterTest %s: %d tensors (%d matrices %s) byte-identical to llama.cpp's"
                    + " quantizer's file; %d MB%n", type, a.tensors().size(), matrices, type, Files.size(ours) >> 20);
        }
        assertEquals(15, matrices, "matrices of tiny-mqa (embedding and 7 per layer)");

        LlamaCppQuantizedTest.checkAgainstLlamaCpp("gemma4j's " + type + " file", ours, tokenizerJson, List.of(type),
                gemma -> List.of(gemma.tokenizer().encodeWithBos(PROMPT)));
    }

    /** An already quantized source is refused naming the tensor, before any file is created. */
    @Test
    void quantizedSourceIsRefusedAndNothingIsWritten() {
        Path q8 = work.resolve("already-q8_0.gguf");
        LlamaCppQuantizer.quantize(f32, q8, LlamaCppQuantizer.FTYPE_MOSTLY_Q8_0, LlamaCppQuantizer.GGML_TYPE_Q8_0);
        Path out = work.resolve("requantized.gguf");
        try (GgufCheckpoint c = GgufCheckpoint.open(q8, true)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> GgufWriter.write(c, "tiny-mqa", out, GgufWriter.Matrices.quantized(DType.Q4_0)));
            assertTrue(e.getMessage().contains("is already Q8_0") && e.getMessage().contains("embed_tokens"), e.getMessage());
        }
        assertFalse(Files.exists(out), "no file written");
        assertFalse(Files.exists(out.resolveSibling(out.getFileName() + ".part")), "no temporary file left");
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> GgufWriter.Matrices.quantized(DType.Q4_K));
        assertTrue(k.getMessage().contains("Q4_K") && k.getMessage().contains("q8_0"), k.getMessage());
    }
}
