package dev.gemma4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * A vocabulary in the form llama.cpp's "llama" (SentencePiece) tokenizer reads from GGUF:
 * {@code tokenizer.ggml.tokens}, {@code tokenizer.ggml.scores} and {@code tokenizer.ggml.token_type};
 * as a GGUF file holds it ({@link GgufCheckpoint}), or derived from a Hugging Face
 * {@code tokenizer.json} (SentencePiece BPE, as Gemma's) by {@link #read}, as below.
 *
 * <p>Token types are llama.cpp's {@code llama_token_type}, as its converter writes them: the added
 * tokens marked special are CONTROL (3), the other added tokens USER_DEFINED (4), the model's
 * {@code unk_token} is UNKNOWN (2), the byte-fallback pieces {@code <0xNN>} are BYTE (6), every other
 * piece is NORMAL (1). (Gemma's vocabulary has 255 of them, ids 217 to 472: byte 0x09 is the ordinary
 * piece "\t" at id 226; llama.cpp's loader only looks up {@code <0x0A>}, for its newline token, and
 * tolerates its absence.) Rows of the embedding past the tokenizer's pieces (tiny-gemma3's 262,208
 * rows, 262,145 pieces) get the converter's padding pieces {@code [PADn]}, UNUSED (5), score -1000.
 * tokenizer.json holds no piece scores, only the merges Hugging Face derived from tokenizer.model's
 * scores, so the scores here are ones that derive the same merges back ({@link #mergeScores}).
 *
 * @param tokens pieces by id
 * @param scores one per piece
 * @param types  one per piece, llama_token_type values
 */
public record GgufVocabulary(String[] tokens, float[] scores, int[] types) {
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-F]{2}>");

    /**
     * Reads the first {@code vocabSize} pieces of {@code tokenizerJson}; ids 0 to vocabSize - 1 must
     * each name exactly one piece.
     */
    public static GgufVocabulary read(Path tokenizerJson, int vocabSize) {
        String key;
        try {
            key = tokenizerJson.toRealPath() + "|" + Files.getLastModifiedTime(tokenizerJson) + "|"
                    + Files.size(tokenizerJson) + "|" + vocabSize;
        } catch (IOException e) {
            throw new IllegalArgumentException(tokenizerJson + ": cannot be read: " + e.getMessage(), e);
        }
        SoftReference<GgufVocabulary> cached = READ.get(key);
        GgufVocabulary v = cached != null ? cached.get() : null;
        if (v == null) {
            v = parse(tokenizerJson, vocabSize);
            READ.put(key, new SoftReference<>(v));
        }
        return v;
    }

    /**
     * Vocabularies read, by file, modification time and size: a Gemma tokenizer.json is tens of MB of
     * JSON, often written into several files in a row (one model at several types). Held softly, so
     * the collector frees them before memory runs short.
     */
    private static final Map<String, SoftReference<GgufVocabulary>> READ = new ConcurrentHashMap<>();

    private static GgufVocabulary parse(Path tokenizerJson, int vocabSize) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(tokenizerJson + ": cannot be read as JSON: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) {
            throw new IllegalArgumentException(tokenizerJson + ": expected model.vocab to be an object of piece -> id, found "
                    + vocab.getNodeType());
        }
        String[] tokens = new String[vocabSize];
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            put(tokens, e.getValue().asInt(-1), e.getKey(), tokenizerJson, "model.vocab");
        }
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt(-1);
            String content = added.path("content").asText();
            if (id >= 0 && id < vocabSize && tokens[id] != null && !tokens[id].equals(content)) {
                throw new IllegalArgumentException(tokenizerJson + ": added token " + id + " is '" + content
                        + "' but model.vocab names '" + tokens[id] + "' for that id");
            }
            put(tokens, id, content, tokenizerJson, "added_tokens");
        }
        int pieces = 0;
        while (pieces < vocabSize && tokens[pieces] != null) pieces++;
        for (int id = pieces; id < vocabSize; id++) {
            if (tokens[id] != null) {
                throw new IllegalArgumentException(tokenizerJson + ": no piece for token id " + pieces + " but one for " + id);
            }
            tokens[id] = "[PAD" + (id - pieces + 1) + "]";   // llama.cpp's converter pads the vocabulary so
        }
        float[] ranks = mergeScores(model, tokens);

        String unk = model.path("unk_token").asText(null);
        float[] scores = new float[vocabSize];
        int[] types = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            String t = tokens[id];
            if (id >= pieces) {
                types[id] = GemmaTokenizer.TYPE_UNUSED;
                scores[id] = PAD_SCORE;
            } else if (t.equals(unk)) {
                types[id] = GemmaTokenizer.TYPE_UNKNOWN;
            } else if (BYTE_PIECE.matcher(t).matches()) {
                types[id] = GemmaTokenizer.TYPE_BYTE;
            } else {
                types[id] = GemmaTokenizer.TYPE_NORMAL;
            }
            if (id < pieces) scores[id] = ranks[id];
        }
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt(-1);
            if (id < vocabSize && types[id] != GemmaTokenizer.TYPE_UNKNOWN) {
                types[id] = added.path("special").asBoolean(false) ? GemmaTokenizer.TYPE_CONTROL
                        : GemmaTokenizer.TYPE_USER_DEFINED;
            }
        }
        return new GgufVocabulary(tokens, scores, types);
    }

    /** llama.cpp's converter's score of a padding piece. */
    private static final float PAD_SCORE = -1000f;

    /**
     * Piece scores under which Hugging Face's {@code generate_merges} (sort the split rules by the merged
     * piece's score, then the halves' lengths, descending) gives back the merge order of tokenizer.json,
     * as the scores of the tokenizer.model it was converted from do: a piece's score is minus the rank of
     * its first merge rule, and pieces whose rules interleave in the file (Gemma 3's whitespace runs,
     * all of score 0 in tokenizer.model, sorted by length) share the score of the first of them. A piece
     * no rule produces scores below every merged piece, by id.
     */
    private static float[] mergeScores(JsonNode model, String[] tokens) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.length; i++) ids.put(tokens[i], i);
        int[] first = new int[tokens.length];
        int[] last = new int[tokens.length];
        Arrays.fill(first, -1);
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String merged = m.isArray() ? m.get(0).asText() + m.get(1).asText() : m.asText().replace(" ", "");
            Integer id = ids.get(merged);
            if (id != null) {
                if (first[id] < 0) first[id] = rank;
                last[id] = rank;
            }
            rank++;
        }
        Integer[] byFirst = IntStream.range(0, tokens.length).filter(i -> first[i] >= 0).boxed()
                .sorted(Comparator.comparingInt(i -> first[i])).toArray(Integer[]::new);
        float[] scores = new float[tokens.length];
        for (int i = 0; i < tokens.length; i++) scores[i] = -(rank + i);
        int groupStart = -1;
        int groupEnd = -1;
        for (int id : byFirst) {
            if (first[id] > groupEnd) groupStart = first[id];
            groupEnd = Math.max(groupEnd, last[id]);
            scores[id] = -groupStart;
        }
        return scores;
    }

    private static void put(String[] tokens, int id, String piece, Path file, String where) {
        if (id < 0) {
            throw new IllegalArgumentException(file + ": " + where + " gives piece '" + piece + "' no valid id");
        }
        if (id >= tokens.length) return;
        if (tokens[id] != null && !tokens[id].equals(piece)) {
            throw new IllegalArgumentException(file + ": " + where + ": token id " + id + " names both '" + tokens[id]
                    + "' and '" + piece + "'");
        }
        tokens[id] = piece;
    }
}
