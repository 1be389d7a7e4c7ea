package dev.gemma4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face parity on small tokenizer.json files in Gemma's layout, for behaviour Gemma's own
 * file never shows: unknown characters (fused and not), missing byte pieces, no unk token, no byte
 * fallback, and merges of byte pieces (which turn off splitting long runs at unglued pairs).
 */
class SmallTokenizerParityTest {
    @TempDir
    Path dir;

    private static final List<Integer> SOME_BYTES = IntStream.concat(IntStream.range(0, 0x80), IntStream.of(0xC3, 0xA9, 0xE2, 0x82, 0xAC))
            .boxed().toList();

    /** Characters the small vocabularies know, spell with byte pieces, or cannot spell at all. */
    private static final String[] ALPHABET = {"a", "b", "c", " ", "  ", "x", "\n", "\u00e9", "\u00fc", "\u20ac", "\u65e5",
            "\u00df", "\u0416", "\ud83d\ude00", "<bos>", "<unk>", "abc", "aaaa", "cab"};

    private void compare(String name, String json, long seed) throws IOException {
        Path file = dir.resolve(name + ".json");
        Files.writeString(file, json);
        GemmaTokenizer ours = GemmaTokenizer.load(file);
        Random random = new Random(seed);
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            StringBuilder s = new StringBuilder();
            // Every tenth string is long enough to be split further than at meta spaces.
            int parts = i % 10 == 0 ? 60 + random.nextInt(100) : random.nextInt(12);
            for (int k = 0; k < parts; k++) {
                String part = ALPHABET[random.nextInt(ALPHABET.length)];
                s.append(i % 10 == 0 && part.isBlank() ? "a" : part);
            }
            strings.add(s.toString());
        }
        List<String> report = new ArrayList<>();
        try (HuggingFaceTokenizer hf = TokenizerParityTest.huggingFace(file)) {
            for (String s : strings) {
                int[] expected = Arrays.stream(hf.encode(s).getIds()).mapToInt(Math::toIntExact).toArray();
                int[] actual = ours.encodeWithBos(s);
                if (!Arrays.equals(expected, actual) && report.size() < 10) {
                    report.add(TokenizerParityTest.describe(s, expected, actual));
                }
                long[] ids = Arrays.stream(actual).asLongStream().toArray();
                assertEquals(hf.decode(ids, false), ours.decode(actual, false), TokenizerCorpus.escape(s));
                assertEquals(hf.decode(ids, true), ours.decode(actual, true), TokenizerCorpus.escape(s));
            }
        }
        System.out.printf("small tokenizer %s: %d strings (seed %d), %d mismatches%n", name, strings.size(), seed, report.size());
        if (!report.isEmpty()) fail(name + " (seed " + seed + "):\n" + String.join("\n", report));
    }

    private static long seed() {
        return Long.getLong("gemma4j.tokenizer.seed", System.nanoTime());
    }

    @Test
    void missingBytePiecesFusedUnk() throws IOException {
        compare("fused-unk", SmallTokenizers.json(SmallTokenizers.NORMALIZER, SmallTokenizers.MERGES, SOME_BYTES,
                "\"<unk>\"", true, true), seed());
    }

    @Test
    void missingBytePiecesUnfusedUnk() throws IOException {
        compare("unfused-unk", SmallTokenizers.json(SmallTokenizers.NORMALIZER, SmallTokenizers.MERGES, SOME_BYTES,
                "\"<unk>\"", false, true), seed());
    }

    @Test
    void noUnkToken() throws IOException {
        compare("no-unk", SmallTokenizers.json(SmallTokenizers.NORMALIZER, SmallTokenizers.MERGES, SOME_BYTES, "null",
                true, true), seed());
    }

    @Test
    void noByteFallback() throws IOException {
        compare("no-byte-fallback", SmallTokenizers.json(SmallTokenizers.NORMALIZER, SmallTokenizers.MERGES, List.of(),
                "\"<unk>\"", false, false), seed());
    }

    @Test
    void mergedBytePieces() throws IOException {
        List<String> merges = new ArrayList<>(SmallTokenizers.MERGES);
        merges.add("<0xC3> <0xA9>");
        merges.add("<0xE6> <0x97>");
        compare("merged-bytes", SmallTokenizers.json(SmallTokenizers.NORMALIZER, merges, List.of(), "\"<unk>\"", true,
                true), seed());
    }
}
