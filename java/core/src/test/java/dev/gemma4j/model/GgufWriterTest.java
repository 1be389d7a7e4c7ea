package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link GgufWriter} states in the file: each tensor's ggml type, {@code general.file_type} as llama.cpp's
 * {@code llama_ftype}, a GGUF source's own vocabulary, quantized blocks copied as stored; and a failed write
 * leaves no file.
 */
class GgufWriterTest {
    @TempDir Path work;

    private static GgufFile header(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return GgufFile.read(file, ch);
        }
    }

    /** general.file_type, and every tensor's ggml type: the norms F32, the matrices {@code matrices}. */
    private static void assertTypes(Path file, long fileType, int matrices) throws IOException {
        GgufFile g = header(file);
        assertEquals(fileType, ((Number) g.metadata().get("general.file_type").value()).longValue(), file + ": general.file_type");
        for (GgufFile.TensorInfo t : g.tensors()) {
            assertEquals(t.ne().length == 1 ? 0 : matrices, t.type().id(), file + ": " + t.name());
        }
    }

    @Test
    void typesAndFileTypeAreLlamaCpps() throws IOException {
        Path f32 = work.resolve("f32.gguf"), q8 = work.resolve("q8_0.gguf"), q4 = work.resolve("q4_0.gguf");
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            GgufWriter.write(c, "tiny-mqa", f32);
            GgufWriter.write(c, "tiny-mqa", q8, GgufWriter.Matrices.quantized(DType.Q8_0));
            GgufWriter.write(c, "tiny-mqa", q4, GgufWriter.Matrices.quantized(DType.Q4_0));
        }
        assertTypes(f32, 0, 0);      // ALL_F32; GGML_TYPE_F32
        assertTypes(q8, 7, 8);       // MOSTLY_Q8_0; GGML_TYPE_Q8_0
        assertTypes(q4, 2, 2);       // MOSTLY_Q4_0; GGML_TYPE_Q4_0
        Path bf16 = work.resolve("bf16.gguf");
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-gqa-bf16"))) {
            GgufWriter.write(c, "tiny-gqa-bf16", bf16, GgufWriter.Matrices.AS_STORED);
        }
        assertTypes(bf16, 32, 30);   // MOSTLY_BF16; GGML_TYPE_BF16
    }

    /**
     * Quantized matrices held in memory are written as stored, block for block; a GGUF source's vocabulary is
     * written back as it was read.
     */
    @Test
    void quantizedBlocksAndAGgufsVocabularyAreCopied() throws IOException {
        Path f32 = work.resolve("f32.gguf"), stored = work.resolve("stored-q4_0.gguf"), fromGguf = work.resolve("q8_0.gguf");
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            GgufWriter.write(c, "tiny-mqa", f32);
        }
        try (WeightSource q = BlockQuantizer.quantized(Checkpoint.open(TestModels.resolve("tiny-mqa")), DType.Q4_0)) {
            GgufWriter.write(q, "tiny-mqa", stored, GgufWriter.Matrices.AS_STORED);
            try (GgufCheckpoint back = GgufCheckpoint.open(stored, true)) {
                for (Map.Entry<String, Tensor> e : q.tensors().entrySet()) {
                    if (e.getValue().rank() != 2) continue;
                    assertEquals(DType.Q4_0, back.tensor(e.getKey()).dtype(), e.getKey());
                    assertEquals(-1, back.tensor(e.getKey()).data().mismatch(e.getValue().data()), e.getKey());
                }
            }
        }
        assertTypes(stored, 2, 2);
        try (GgufCheckpoint source = GgufCheckpoint.open(f32, true)) {
            GgufWriter.write(source, "tiny-mqa", fromGguf, GgufWriter.Matrices.quantized(DType.Q8_0));
            try (GgufCheckpoint back = GgufCheckpoint.open(fromGguf, true)) {
                GgufVocabulary a = source.vocabulary(), b = back.vocabulary();
                assertArrayEquals(a.tokens(), b.tokens());
                assertArrayEquals(a.scores(), b.scores());
                assertArrayEquals(a.types(), b.types());
            }
        }
        assertTypes(fromGguf, 7, 8);
    }

    /** A write that fails (here: no such folder) names the file and leaves neither it nor its .part. */
    @Test
    void aFailedWriteLeavesNoFile() {
        Path out = work.resolve("missing").resolve("x.gguf");
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> GgufWriter.write(c, "tiny-mqa", out, GgufWriter.Matrices.quantized(DType.Q8_0)));
            assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("no such file"), e.getMessage());
        }
        assertFalse(Files.exists(out.resolveSibling("x.gguf.part")));
        assertFalse(Files.exists(out));
    }
}
