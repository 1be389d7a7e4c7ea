package dev.gemma4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Home;
import dev.gemma4j.model.GgufVocabulary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tokenizer a GGUF file's metadata gives ({@link GemmaTokenizer#fromScores}: tokens, scores,
 * token types, no merges) against the tokenizer.json path, for Gemma's and Gemma 3's vocabularies:
 * the derived merge rules against the file's, and the ids of every string of the tokenizer corpus.
 * The vocabularies are written as llama.cpp's converter writes them ({@link GgufVocabulary}).
 */
class GgufTokenizerParityTest {
    private static final long SEED = Long.getLong("gemma4j.tokenizer.seed", System.nanoTime());

    @Test
    void gemmaVocabularyGivesTheSameIds() {
        compare(Home.gemmaTokenizerJson(), false);
    }

    @Test
    void gemma3VocabularyGivesTheSameIds() {
        compare(Home.gemma3TokenizerJson(), true);
    }

    private static void compare(Path json, boolean gemma3) {
        GemmaTokenizer fromJson = GemmaTokenizer.load(json);
        GgufVocabulary v = GgufVocabulary.read(json, fromJson.vocabSize());
        long start = System.nanoTime();
        GemmaTokenizer fromGguf = GemmaTokenizer.fromScores(json, v.tokens(), v.scores(), v.types(), fromJson.bosId());
        System.out.printf("GGUF tokenizer of %s built in %.2f s; corpus seed %d (repeat with -Dgemma4j.tokenizer.seed=%d)%n",
                json, (System.nanoTime() - start) / 1e9, SEED, SEED);
        assertEquals(fromJson.vocabSize(), fromGguf.vocabSize(), "pieces");

        int[] ours = fromGguf.mergeRules();
        int[] theirs = fromJson.mergeRules();
        assertEquals(theirs.length, ours.length, "merge rules derived from the scores");
        if (gemma3) {
            // tokenizer.json was converted with the length tie-break that ScoreMerges implements: the same list.
            assertArrayEquals(theirs, ours, "Gemma 3: merge rules derived from the scores vs tokenizer.json's");
        } else {
            // Converted by an older transformers that ordered one piece's rules by id instead of by length: the
            // ranks of each merged piece's block agree, and within a block every rule yields the same piece.
            for (int r = 0; r < ours.length / 3; r++) {
                if (ours[3 * r + 2] != theirs[3 * r + 2]) {
                    throw new AssertionError("rank " + r + ": derived rule merges to piece " + ours[3 * r + 2]
                            + ", tokenizer.json's to " + theirs[3 * r + 2]);
                }
            }
            Map<Long, Integer> rules = new HashMap<>();
            for (int r = 0; r < theirs.length / 3; r++) rules.merge(((long) theirs[3 * r] << 32) | theirs[3 * r + 1], 1, Integer::sum);
            for (int r = 0; r < ours.length / 3; r++) rules.merge(((long) ours[3 * r] << 32) | ours[3 * r + 1], -1, Integer::sum);
            assertTrue(rules.values().stream().allMatch(c -> c == 0), "the same set of merge rules");
        }

        List<String> corpus = new ArrayList<>(TokenizerCorpus.build(SEED));
        corpus.add("<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
        corpus.add("a\n\n\nb\t\tc    d<image_soft_token><start_of_image> e <end_of_image><unused0>");
        corpus.add(String.join(" ", corpus));
        int mismatches = 0;
        for (String s : corpus) {
            for (int mode = 0; mode < 3; mode++) {
                int[] a = mode == 0 ? fromJson.encode(s) : mode == 1 ? fromJson.encodeWithBos(s) : fromJson.encodeWithTurnMarkers(s);
                int[] b = mode == 0 ? fromGguf.encode(s) : mode == 1 ? fromGguf.encodeWithBos(s) : fromGguf.encodeWithTurnMarkers(s);
                if (!Arrays.equals(a, b)) {
                    if (mismatches++ < 3) {
                        System.out.println("mode " + mode + " " + TokenizerCorpus.escape(s) + "\n  json " + Arrays.toString(a)
                                + "\n  gguf " + Arrays.toString(b));
                    }
                }
            }
            assertEquals(fromJson.decode(fromJson.encode(s)), fromGguf.decode(fromGguf.encode(s)), () -> TokenizerCorpus.escape(s));
        }
        System.out.println(corpus.size() + " strings x 3 encodings: " + mismatches + " differ");
        assertEquals(0, mismatches, "strings whose ids differ between the GGUF and the tokenizer.json tokenizer");
        assertTrue(corpus.size() >= 2000, "corpus of " + corpus.size() + " strings");
    }
}
