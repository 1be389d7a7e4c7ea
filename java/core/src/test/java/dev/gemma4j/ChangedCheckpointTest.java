package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint file that changes while the model runs: with mapped weights each later request fails
 * with an error naming the file and the change (reading a page past a truncated file's end would
 * crash the JVM), the model goes on refusing clearly, and loading it again works; with the weights read
 * into memory the change does not reach the model at all.
 */
class ChangedCheckpointTest {
    private static final int[] PROMPT = {2, 651, 4320, 8426};

    @TempDir
    Path tmp;

    private Path copyOfTinyModel(String name) throws IOException {
        Path dst = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(TestModels.resolve("tiny-mqa"))) {
            for (Path p : files.toList()) Files.copy(p, dst.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        return dst;
    }

    private static void truncate(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
    }

    @Test
    void aTruncatedMappedFileFailsEachLaterRequestClearly() throws IOException {
        Path dir = copyOfTinyModel("mapped");
        Path weights = dir.resolve(Checkpoint.SINGLE_FILE);
        int[] expected;
        try (Gemma gemma = Gemma.load(dir, LoadOptions.cpu())) {
            expected = gemma.generate(PROMPT, GenerationOptions.greedy(6)).generatedTokens();
            truncate(weights);
            for (int attempt = 0; attempt < 2; attempt++) {
                Exception e = assertThrows(Exception.class, () -> gemma.generate(PROMPT, GenerationOptions.greedy(6)));
                ModelFormatException cause = causeOf(e);
                System.out.println("  request after truncation: " + cause.getMessage());
                assertTrue(cause.getMessage().contains(weights.toString()) && cause.getMessage().contains("size changed")
                        && cause.getMessage().contains("--no-mmap"), cause.getMessage());
            }
        }
        // The file restored, a new load runs as before.
        Files.copy(TestModels.resolve("tiny-mqa").resolve(Checkpoint.SINGLE_FILE), weights, StandardCopyOption.REPLACE_EXISTING);
        try (Gemma again = Gemma.load(dir, LoadOptions.cpu())) {
            assertArrayEquals(expected, again.generate(PROMPT, GenerationOptions.greedy(6)).generatedTokens());
        }
    }

    @Test
    void rewrittenAndReplacedFilesAreNoticed() throws IOException {
        Path dir = copyOfTinyModel("rewritten");
        Path weights = dir.resolve(Checkpoint.SINGLE_FILE);
        try (Checkpoint cp = Checkpoint.open(dir)) {
            cp.checkUnchanged();
            Files.setLastModifiedTime(weights, FileTime.fromMillis(Files.getLastModifiedTime(weights).toMillis() + 5000));
            ModelFormatException e = assertThrows(ModelFormatException.class, cp::checkUnchanged);
            assertTrue(e.getMessage().contains("rewritten"), e.getMessage());
        }
        try (Checkpoint cp = Checkpoint.open(dir)) {
            Path other = Files.copy(weights, dir.resolve("other"));
            Files.move(other, weights, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ModelFormatException e = assertThrows(ModelFormatException.class, cp::checkUnchanged);
            assertTrue(e.getMessage().contains("replaced by another file"), e.getMessage());
        }
    }

    @Test
    void weightsReadIntoMemoryAreNotReachedByChanges() throws IOException {
        Path dir = copyOfTinyModel("copied");
        int[] expected;
        try (Gemma mapped = Gemma.load(dir, LoadOptions.cpu())) {
            expected = mapped.generate(PROMPT, GenerationOptions.greedy(6)).generatedTokens();
        }
        try (Gemma gemma = Gemma.load(dir, LoadOptions.cpu().withMappedWeights(false))) {
            truncate(dir.resolve(Checkpoint.SINGLE_FILE));
            assertArrayEquals(expected, gemma.generate(PROMPT, GenerationOptions.greedy(6)).generatedTokens());
        }
    }

    private static ModelFormatException causeOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ModelFormatException m) return m;
        }
        throw new AssertionError("no ModelFormatException in the chain of " + e, e);
    }
}
