package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.ArrayList;
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
     * onText runs on the engine thread: a call into the model from there (which would wait for itself) and
     * close() are refused with IllegalStateException, and the generation goes on.
     */
    @Test
    void callsFromOnTextAreRefused() {
        try (Gemma gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withMaxSequences(2), Gemma.LoadMonitor.SILENT)) {
            int[] prompt = {2, 651, 4320, 8426};
            List<Throwable> refused = new ArrayList<>();
            GenerationResult r = gemma.generate(prompt, GenerationOptions.greedy(6), piece -> {
                if (!refused.isEmpty()) return;
                for (Runnable call : List.<Runnable>of(() -> gemma.generate(prompt, GenerationOptions.greedy(2)),
                        () -> gemma.logits(prompt), gemma::close)) {
                    try {
                        call.run();
                    } catch (Throwable t) {
                        refused.add(t);
                    }
                }
            });
            assertEquals(3, refused.size(), "calls refused: " + refused);
            for (Throwable t : refused) {
                assertInstanceOf(IllegalStateException.class, t);
                assertTrue(t.getMessage().contains("engine thread"), t.getMessage());
            }
            System.out.println("GemmaTest.callsFromOnTextAreRefused: " + refused.get(0).getMessage());
            // The refused calls left the generation alone: it equals the same request made again.
            assertArrayEquals(gemma.generate(prompt, GenerationOptions.greedy(6)).generatedTokens(), r.generatedTokens());
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
