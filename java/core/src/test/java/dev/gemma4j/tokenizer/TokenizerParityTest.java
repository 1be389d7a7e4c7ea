package dev.gemma4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.gemma4j.Home;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gemma4j's tokenizer against Hugging Face {@code tokenizers} (through DJL, which runs the Rust
 * library from a native library inside its jar, offline) on Gemma's real tokenizer.json. Ids are
 * compared exactly; decoded text is compared exactly. The corpus is seeded: pass
 * {@code -Dgemma4j.tokenizer.seed=N} to repeat a run.
 */
class TokenizerParityTest {
    private static final int MAX_REPORTED = 10;

    @TempDir
    static Path tempDir;

    private static GemmaTokenizer gemma;
    private static HuggingFaceTokenizer hf;
    private static HuggingFaceTokenizer hfInstruct;
    private static List<String> corpus;
    private static long seed;

    @BeforeAll
    static void setUp() throws IOException {
        // Throws "Gemma tokenizer not found ... run scripts/fetch-tokenizer.sh" when the file is missing.
        Path json = Home.gemmaTokenizerJson();
        long t0 = System.nanoTime();
        gemma = GemmaTokenizer.load(json);
        System.out.printf("gemma4j tokenizer loaded from %s in %.0f ms%n", json, (System.nanoTime() - t0) / 1e6);
        hf = huggingFace(json);
        hfInstruct = huggingFace(withTurnMarkers(json));
        seed = Long.getLong("gemma4j.tokenizer.seed", System.nanoTime());
        corpus = TokenizerCorpus.build(seed);
        System.out.println("tokenizer parity corpus: " + corpus.size() + " strings, seed " + seed
                + " (repeat with -Dgemma4j.tokenizer.seed=" + seed + ")");
    }

    /** DJL truncates to 512 ids unless told not to; Hugging Face's own default (and this file) has no truncation. */
    static HuggingFaceTokenizer huggingFace(Path json) throws IOException {
        return HuggingFaceTokenizer.builder().optTokenizerPath(json).optAddSpecialTokens(true).optTruncation(false)
                .optPadding(false).build();
    }

    @AfterAll
    static void tearDown() {
        if (hf != null) hf.close();
        if (hfInstruct != null) hfInstruct.close();
    }

    /**
     * Gemma's instruction-tuned tokenizer.json: the same file with {@code <start_of_turn>} (106) and
     * {@code <end_of_turn>} (107) added as special, non-normalized added tokens.
     */
    private static Path withTurnMarkers(Path json) throws IOException {
        String text = Files.readString(json, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"added_tokens\"\\s*:\\s*\\[").matcher(text);
        assertTrue(m.find(), "no added_tokens array in " + json);
        String entries = """
                {"id":106,"content":"<start_of_turn>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},\
                {"id":107,"content":"<end_of_turn>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},""";
        Path out = tempDir.resolve("tokenizer-instruct.json");
        Files.writeString(out, text.substring(0, m.end()) + entries + text.substring(m.end()), StandardCharsets.UTF_8);
        return out;
    }

    private static int[] ints(long[] ids) {
        return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
    }

    private static long[] longs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }

    /** Compares ids for every string; reports the first mismatches with the string escaped and both id lists. */
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
                if (report.size() < MAX_REPORTED) report.add(describe(s, expected, actual));
            }
        }
        System.out.printf("%s: %d strings, %d ids, %d mismatches (seed %d)%n", what, strings.size(), ids, mismatches, seed);
        if (mismatches > 0) {
            fail(what + ": " + mismatches + " of " + strings.size() + " strings differ (seed " + seed + "):\n"
                    + String.join("\n", report));
        }
    }

    /** The string (escaped, cut to 600 characters) and both id lists, cut to 40 ids around the first difference. */
    static String describe(String s, int[] expected, int[] actual) {
        int first = Arrays.mismatch(expected, actual);
        int from = Math.max(0, first - 20);
        String text = TokenizerCorpus.escape(s.length() > 600 ? s.substring(0, 600) + "..." : s);
        return "  string " + text + " (" + s.length() + " chars)\n    first difference at id " + first + "; ids from " + from
                + ":\n    huggingface " + window(expected, from) + " (" + expected.length + " ids)\n    gemma4j     "
                + window(actual, from) + " (" + actual.length + " ids)";
    }

    private static String window(int[] ids, int from) {
        return Arrays.toString(Arrays.copyOfRange(ids, Math.min(from, ids.length), Math.min(from + 40, ids.length)));
    }

    @Test
    void encodeWithBosMatchesHuggingFace() {
        assertTrue(corpus.size() >= 2000, "corpus has " + corpus.size() + " strings, expected at least 2000");
        compareIds("encodeWithBos vs HF encode(add_special_tokens=true)", corpus, gemma::encodeWithBos,
                s -> ints(hf.encode(s).getIds()));
    }

    @Test
    void encodeMatchesHuggingFace() {
        compareIds("encode vs HF encode(add_special_tokens=false)", corpus, gemma::encode,
                s -> ints(hf.encode(s, false, false).getIds()));
    }

    @Test
    void longTextsMatchHuggingFace() {
        // One string holding the whole corpus exercises long runs without spaces (split at unglued pairs)
        // and many special tokens in one text; shuffled joins vary the neighbours of each piece.
        Random random = new Random(seed);
        List<String> longTexts = new ArrayList<>();
        longTexts.add(String.join("", corpus));
        for (int i = 0; i < 3; i++) {
            List<String> shuffled = new ArrayList<>(corpus);
            java.util.Collections.shuffle(shuffled, random);
            longTexts.add(String.join(i == 0 ? " " : i == 1 ? "\n" : "", shuffled));
        }
        StringBuilder cjk = new StringBuilder();
        while (cjk.length() < 200_000) cjk.append(TokenizerCorpus.PROSE.get(24 + random.nextInt(6)));
        longTexts.add(cjk.toString());
        compareIds("long texts (" + longTexts.stream().mapToInt(String::length).sum() + " chars)", longTexts,
                gemma::encodeWithBos, s -> ints(hf.encode(s).getIds()));
    }

    @Test
    void decodeMatchesHuggingFaceAndRoundTrips() {
        int roundTrips = 0;
        List<String> report = new ArrayList<>();
        for (String s : corpus) {
            int[] ids = gemma.encodeWithBos(s);
            for (boolean skip : new boolean[] {false, true}) {
                String expected = hf.decode(longs(ids), skip);
                String actual = gemma.decode(ids, skip);
                if (!expected.equals(actual) && report.size() < MAX_REPORTED) {
                    report.add("  ids " + Arrays.toString(ids) + " skipSpecial=" + skip + "\n    huggingface "
                            + TokenizerCorpus.escape(expected) + "\n    gemma4j     " + TokenizerCorpus.escape(actual));
                }
            }
            int[] plain = gemma.encode(s);
            if (hf.decode(longs(plain), false).equals(s)) {
                roundTrips++;
                assertEquals(s, gemma.decode(plain), () -> "decode(encode(s)) differs from s = " + TokenizerCorpus.escape(s)
                        + " although Hugging Face round-trips it");
            }
        }
        System.out.printf("decode: %d strings, %d round-trip through Hugging Face and gemma4j (seed %d)%n",
                corpus.size(), roundTrips, seed);
        if (!report.isEmpty()) fail("decode differs from Hugging Face (seed " + seed + "):\n" + String.join("\n", report));
        // Only strings containing U+2581 (decoded as a space) may fail to round-trip.
        long withMetaSpace = corpus.stream().filter(s -> s.indexOf('\u2581') >= 0).count();
        assertEquals(corpus.size() - withMetaSpace, roundTrips, "strings without U+2581 that do not round-trip");
    }

    @Test
    void decodeOfRandomIdsMatchesHuggingFace() {
        // Random id sequences reach what encode never produces: invalid byte-piece runs, special
        // tokens between byte pieces, unk, unused pieces.
        Random random = new Random(seed ^ 0x5DEECE66DL);
        int byteBase = gemma.encode("\u0000")[0]; // <0x00>
        assertEquals("<0x00>", gemma.piece(byteBase));
        List<String> report = new ArrayList<>();
        int sequences = 1000;
        for (int n = 0; n < sequences; n++) {
            int[] ids = new int[random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = switch (random.nextInt(4)) {
                    case 0 -> byteBase + random.nextInt(256);
                    case 1 -> byteBase + 0x80 + random.nextInt(0x80); // continuation and lead bytes
                    case 2 -> random.nextInt(110);
                    default -> random.nextInt(gemma.vocabSize());
                };
            }
            for (boolean skip : new boolean[] {false, true}) {
                String expected = hf.decode(longs(ids), skip);
                String actual = gemma.decode(ids, skip);
                if (!expected.equals(actual) && report.size() < MAX_REPORTED) {
                    report.add("  ids " + Arrays.toString(ids) + " skipSpecial=" + skip + "\n    huggingface "
                            + TokenizerCorpus.escape(expected) + "\n    gemma4j     " + TokenizerCorpus.escape(actual));
                }
            }
        }
        System.out.printf("decode of random ids: %d sequences (seed %d)%n", sequences, seed);
        if (!report.isEmpty()) fail("decode differs from Hugging Face (seed " + seed + "):\n" + String.join("\n", report));
    }

    @Test
    void streamingDecoderAgreesWithDecode() {
        for (String s : corpus) {
            int[] ids = gemma.encodeWithBos(s);
            for (boolean skip : new boolean[] {false, true}) {
                StreamingDecoder decoder = gemma.streamingDecoder(skip);
                StringBuilder streamed = new StringBuilder();
                for (int id : ids) {
                    String piece = decoder.push(id);
                    GemmaTokenizerTest.assertWellFormed(piece, s);
                    streamed.append(piece);
                }
                streamed.append(decoder.flush());
                assertEquals(gemma.decode(ids, skip), streamed.toString(),
                        () -> "streamed text of " + TokenizerCorpus.escape(s) + ", skipSpecial=" + skip);
            }
        }
    }

    @Test
    void turnMarkersMatchHuggingFaceInstructionTokenizer() {
        List<String> strings = new ArrayList<>(corpus);
        strings.add(ChatTemplate.format(List.of(ChatMessage.user("Hi"), ChatMessage.model("Hello!"),
                ChatMessage.user("  What is 2+2?\n")), true));
        strings.add(ChatTemplate.format(List.of(ChatMessage.user("Write <end_of_turn> literally")), false));
        compareIds("encodeWithTurnMarkers vs HF with <start_of_turn>/<end_of_turn> added", strings,
                gemma::encodeWithTurnMarkers, s -> ints(hfInstruct.encode(s, false, false).getIds()));
    }

    @Test
    void chatTemplateEncodeMatchesHuggingFaceApplyChatTemplate() {
        List<List<ChatMessage>> conversations = List.of(
                List.of(ChatMessage.user("Hello")),
                List.of(ChatMessage.user("Hi"), new ChatMessage("assistant", "Hello! How can I help?"),
                        ChatMessage.user("\tTranslate 'cat' to French.  \n")),
                List.of(ChatMessage.user("日本語で答えて"), ChatMessage.model("はい、わかりました。"), ChatMessage.user("🙂")));
        for (List<ChatMessage> conversation : conversations) {
            for (boolean prompt : new boolean[] {false, true}) {
                String text = ChatTemplate.format(conversation, prompt);
                // apply_chat_template(tokenize=True) tokenizes the rendered text with add_special_tokens=False.
                int[] expected = ints(hfInstruct.encode(text, false, false).getIds());
                int[] actual = ChatTemplate.encode(gemma, conversation, prompt);
                assertEquals(Arrays.toString(expected), Arrays.toString(actual), () -> TokenizerCorpus.escape(text));
                assertEquals(2, actual[0]);
                assertEquals(1, Arrays.stream(actual).filter(id -> id == 2).count(), "BOS appears once");
            }
        }
    }
}
