package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model's lifecycle around the engine thread: sequence slots, calls from onText, close. */
class GemmaTest {

    @Test
    void openTakesMaxSequencesAndLoadPassesItOn() {
        WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"));
        GemmaTokenizer tokenizer = GemmaTokenizer.load(w.tokenizerJson());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemma.open(w, tokenizer, new CpuBackend(w), 0, 0));
        assertTrue(e.getMessage().contains("max sequences"), e.getMessage());
        try (Gemma one = Gemma.open(w, tokenizer, new CpuBackend(w), 0)) {
            assertEquals(1, one.maxSequences());
        }
        try (Gemma three = Gemma.load("tiny-mqa", LoadOptions.cpu().withMaxSequences(3), Gemma.LoadMonitor.SILENT)) {
            assertEquals(3, three.maxSequences());
        }
    }

    /**
     * onText runs off the engine thread: calls into the model from there (generate, logits) work, and the
     * generation they interrupt equals the same request made alone.
     */
    @Test
    void callsFromOnTextWork() {
        try (Gemma gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withMaxSequences(2), Gemma.LoadMonitor.SILENT)) {
            int[] prompt = {2, 651, 4320, 8426};
            List<GenerationResult> inner = new ArrayList<>();
            List<String> threads = new ArrayList<>();
            GenerationResult r = gemma.generate(prompt, GenerationOptions.greedy(6), piece -> {
                threads.add(Thread.currentThread().getName());
                if (inner.isEmpty()) {
                    inner.add(gemma.generate(prompt, GenerationOptions.greedy(2)));
                    assertEquals(prompt.length, gemma.logits(prompt).length);
                }
            });
            assertEquals(1, inner.size());
            assertTrue(threads.stream().noneMatch(t -> t.equals("gemma4j-engine")), "onText ran on " + threads);
            assertArrayEquals(gemma.generate(prompt, GenerationOptions.greedy(6)).generatedTokens(), r.generatedTokens());
            assertArrayEquals(Arrays.copyOf(r.generatedTokens(), 2), inner.get(0).generatedTokens());
        }
    }

    @Test
    void callsAfterCloseAreRefused() {
        Gemma gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withMaxSequences(2), Gemma.LoadMonitor.SILENT);
        int[] prompt = {2, 100, 200};
        assertEquals(3, gemma.logits(prompt).length);
        gemma.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> gemma.generate(prompt, GenerationOptions.greedy(3)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> gemma.logits(prompt));
        gemma.close();
    }
}
