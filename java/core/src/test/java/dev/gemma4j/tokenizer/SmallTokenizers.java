package dev.gemma4j.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Small tokenizer.json files in Gemma's layout (same normalizer, decoder and post-processor) with
 * a vocabulary of a few pieces, for reaching paths Gemma's own file never takes: unknown
 * characters, missing byte pieces, merges of byte pieces.
 */
final class SmallTokenizers {
    private SmallTokenizers() {}

    static final String NORMALIZER = "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\u2581\"}";

    /** Pieces before the byte pieces; merges below combine them. */
    static final List<String> PIECES = List.of("<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>",
            "a", "b", "c", "\u2581", "x", "\n", "ab", "bc", "abc", "\u2581a", "\u2581ab", "\u2581abc", "\u2581\u2581",
            "aa", "aaa", "aaaa", "ca", "cab", "\n\n", "\u65e5", "\u65e5\u65e5");

    static final List<String> MERGES = List.of("a b", "b c", "ab c", "\u2581 a", "\u2581a b", "\u2581ab c",
            "\u2581 \u2581", "a a", "aa a", "aa aa", "c a", "ca b", "\n \n", "\u65e5 \u65e5");

    static String json(String normalizer, List<String> merges) {
        return json(normalizer, merges, List.of(), "\"<unk>\"", true, true);
    }

    /**
     * @param bytes        bytes that get a {@code <0xNN>} piece (all 256 when empty)
     * @param unkToken     JSON value of model.unk_token
     */
    static String json(String normalizer, List<String> merges, List<Integer> bytes, String unkToken, boolean fuseUnk,
            boolean byteFallback) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String p : PIECES) vocab.put(p, vocab.size());
        for (int b = 0; b < 256; b++) {
            if (bytes.isEmpty() || bytes.contains(b)) vocab.put(String.format("<0x%02X>", b), vocab.size());
        }
        for (String m : merges) {
            String joined = m.replaceFirst(" ", "");
            if (m.startsWith("<0x") && !vocab.containsKey(joined)) vocab.put(joined, vocab.size());
        }
        List<String> added = new ArrayList<>();
        for (int id = 0; id < 4; id++) {
            added.add("{\"id\":" + id + ",\"content\":\"" + PIECES.get(id)
                    + "\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}");
        }
        String vocabJson = vocab.entrySet().stream().map(e -> quote(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(","));
        String mergesJson = merges.stream().map(SmallTokenizers::quote).collect(Collectors.joining(","));
        return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + String.join(",", added)
                + "],\"normalizer\":" + normalizer + ",\"pre_tokenizer\":null,"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<bos>\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[{\"SpecialToken\":{\"id\":\"<bos>\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"<bos>\",\"type_id\":1}},"
                + "{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],\"special_tokens\":{\"<bos>\":{\"id\":\"<bos>\",\"ids\":[2],"
                + "\"tokens\":[\"<bos>\"]}}},"
                + "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\u2581\"},"
                + "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"}]},"
                + "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":" + unkToken
                + ",\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":" + fuseUnk
                + ",\"byte_fallback\":" + byteFallback + ",\"vocab\":{" + vocabJson + "},\"merges\":[" + mergesJson + "]}}";
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
