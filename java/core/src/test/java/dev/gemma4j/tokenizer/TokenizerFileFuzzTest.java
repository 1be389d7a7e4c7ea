package dev.gemma4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.Mutator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random mutations of a tokenizer.json in Gemma's layout: every case ends in a tokenizer
 * that encodes and decodes, or in an {@link IllegalArgumentException} naming the file. Any other
 * exception or error, from loading or from using what loaded, fails. {@code -Dgemma4j.fuzz.seed=N}
 * replays a run, {@code -Dgemma4j.fuzz.cases=N} sets the number of cases.
 */
class TokenizerFileFuzzTest {
    private static final String[] TEXTS = {"abc cab", "  aaaa\n\n", "\u65e5\u65e5 \u00e9x", "<bos>a<unk>", ""};

    @TempDir
    Path dir;

    @Test
    void everyMutationLoadsOrFailsWithAClearError() throws IOException {
        long seed = Long.getLong("gemma4j.fuzz.seed", System.nanoTime());
        int cases = Integer.getInteger("gemma4j.fuzz.cases", 2000);
        System.out.println("TokenizerFileFuzzTest seed " + seed + ", " + cases + " cases");
        SplittableRandom seeds = new SplittableRandom(seed);
        String valid = SmallTokenizers.json(SmallTokenizers.NORMALIZER, SmallTokenizers.MERGES);
        Path file = dir.resolve("tokenizer.json");
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases; i++) {
            long caseSeed = seeds.nextLong();
            Mutator.Mutation m = new Mutator(caseSeed).mutate(valid);
            Files.writeString(file, m.text());
            String outcome;
            long start = System.nanoTime();
            try {
                GemmaTokenizer t = GemmaTokenizer.load(file);
                for (String text : TEXTS) {
                    int[] ids = t.encodeWithBos(text);
                    t.decode(ids, false);
                    t.decode(ids, true);
                }
                outcome = "loaded and used";
            } catch (IllegalArgumentException e) {
                outcome = e.getMessage() != null && e.getMessage().contains(file.toString()) ? "refused" : "FAILED";
                if (outcome.equals("FAILED") && failures.size() < 10) {
                    failures.add("case seed " + caseSeed + ", " + m.kind() + ": message without the file: " + e.getMessage());
                }
            } catch (Throwable t) {
                outcome = "FAILED";
                if (failures.size() < 10) failures.add("case seed " + caseSeed + ", " + m.kind() + ": " + t);
            }
            if (System.nanoTime() - start > 10_000_000_000L) {
                outcome = "FAILED";
                failures.add("case seed " + caseSeed + ", " + m.kind() + ": ran for more than 10 s");
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.println("  tokenizer.json: " + cases + " cases, outcomes " + outcomes);
        failures.forEach(f -> System.out.println("    FAILED " + f));
        assertEquals(0, outcomes.getOrDefault("FAILED", 0), "seed " + seed + ": " + failures);
        assertTrue(outcomes.getOrDefault("refused", 0) > cases / 20 && outcomes.getOrDefault("loaded and used", 0) > cases / 20,
                "the mutations both break and keep tokenizers: " + outcomes);
    }
}
