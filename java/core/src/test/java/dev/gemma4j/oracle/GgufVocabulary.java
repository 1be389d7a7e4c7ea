package dev.gemma4j.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The vocabulary of a Hugging Face {@code tokenizer.json} (SentencePiece BPE, as Gemma's) in the form
 * llama.cpp's "llama" (SentencePiece) tokenizer reads from GGUF: {@code tokenizer.ggml.tokens},
 * {@code tokenizer.ggml.scores} and {@code tokenizer.ggml.token_type}.
 *
 * <p>Token types are llama.cpp's {@code llama_token_type}: the added tokens marked special are
 * CONTROL (3), the model's {@code unk_token} is UNKNOWN (2), the byte-fallback pieces {@code <0xNN>}
 * are BYTE (6), every other piece is NORMAL (1). (Gemma's vocabulary has 255 of them, ids 217 to
 * 472: byte 0x09 is the ordinary piece "\t" at id 226; llama.cpp's loader only looks up
 * {@code <0x0A>}, for its newline token, and tolerates its absence.) tokenizer.json holds no piece
 * scores (SentencePiece BPE keeps its merge order in the piece order), so the score of a normal piece
 * is minus its id and that of the others 0: llama.cpp's own tokenizer then prefers lower ids when
 * merging. The parity tests hand llama.cpp token ids, never text, so scores do not reach any
 * compared number.
 *
 * @param tokens pieces by id
 * @param scores one per piece
 * @param types  one per piece, llama_token_type values
 */
record GgufVocabulary(String[] tokens, float[] scores, int[] types) {
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int BYTE = 6;

    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-F]{2}>");

    /**
     * Reads the first {@code vocabSize} pieces of {@code tokenizerJson}; ids 0 to vocabSize - 1 must
     * each name exactly one piece.
     */
    static GgufVocabulary read(Path tokenizerJson, int vocabSize) {
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
        for (int id = 0; id < vocabSize; id++) {
            if (tokens[id] == null) {
                throw new IllegalArgumentException(tokenizerJson + ": no piece for token id " + id + " (the model's vocab_size is "
                        + vocabSize + ")");
            }
        }

        String unk = model.path("unk_token").asText(null);
        float[] scores = new float[vocabSize];
        int[] types = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            String t = tokens[id];
            if (t.equals(unk)) {
                types[id] = UNKNOWN;
            } else if (BYTE_PIECE.matcher(t).matches()) {
                types[id] = BYTE;
            } else {
                types[id] = NORMAL;
                scores[id] = -id;
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt(-1);
            if (id < vocabSize && added.path("special").asBoolean(false) && types[id] != UNKNOWN) {
                types[id] = CONTROL;
                scores[id] = 0f;
            }
        }
        return new GgufVocabulary(tokens, scores, types);
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
