package dev.gemma4j.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.gemma4j.io.WholeFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.CharBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a Hugging Face tokenizer.json that gemma4j implements, read with Jackson's streaming
 * parser (the vocabulary and merges hold 256000 and 580604 entries for Gemma). Every section whose
 * behaviour gemma4j does not implement is rejected with the section, what was expected and what
 * was found, so a file that would tokenize differently never loads silently.
 *
 * @param pieces       vocabulary piece of each id, ids 0..n-1
 * @param pieceIds     id of each piece
 * @param merges       merge rule r (r = rank) as ids at [3r] (left), [3r+1] (right), [3r+2] (merged)
 * @param addedTokens  the file's added_tokens, in file order
 * @param unkToken     the BPE model's unk_token, or null when it has none
 * @param fuseUnk      whether consecutive unknown characters become one unk token
 * @param byteFallback whether unknown characters become {@code <0xNN>} byte pieces
 * @param prefixIds    ids the post-processor puts before the sequence (Gemma: BOS)
 */
record TokenizerFile(Path path, String[] pieces, PieceIndex pieceIds, int[] merges, List<AddedToken> addedTokens,
        String unkToken, boolean fuseUnk, boolean byteFallback, int[] prefixIds) {

    // Field-name canonicalization would intern all 256000 vocabulary pieces: off. A key given twice
    // (a vocabulary piece, "model") is an error rather than the last one silently winning.
    private static final ObjectMapper MAPPER = new ObjectMapper(
            JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    /** Normalizer gemma4j implements: every U+0020 becomes U+2581 (SentencePiece's meta space). */
    private static final String NORMALIZER = """
            {"type":"Replace","pattern":{"String":" "},"content":"\u2581"}""";
    /**
     * The one pre-tokenizer gemma4j accepts besides none, Gemma 3's: a split at spaces. Hugging Face
     * pre-tokenizes the normalized text, in which the normalizer has replaced every space by U+2581,
     * so this split never finds a space and changes nothing.
     */
    private static final String PRE_TOKENIZER = """
            {"type":"Split","pattern":{"String":" "},"behavior":"MergedWithPrevious","invert":false}""";
    /** Decoder gemma4j implements: U+2581 back to space, byte pieces to UTF-8, then concatenation. */
    private static final String DECODER = """
            {"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"\u2581"},"content":" "},\
            {"type":"ByteFallback"},{"type":"Fuse"}]}""";

    static TokenizerFile read(Path path) {
        // Decoded in one pass up front: Jackson then scans a char[] (its Reader-based parser, the
        // one used without field-name canonicalization) instead of decoding in small chunks.
        CharBuffer text = WholeFile.readUtf8(path, WholeFile.TOKENIZER_LIMIT, "tokenizer file",
                IllegalArgumentException::new);
        try (JsonParser p = MAPPER.createParser(text.array(), text.arrayOffset() + text.position(), text.remaining())) {
            return new Reader(path, p).readTop();
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new IllegalArgumentException("malformed tokenizer file " + path + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer file " + path + ": " + e.getMessage(), e);
        }
    }

    private static final class Reader {
        private final Path path;
        private final JsonParser p;

        private String[] pieces;
        private PieceIndex pieceIds;
        private int[] merges;
        private List<String[]> unresolvedMerges; // merge rules read before the vocabulary
        private final List<AddedToken> added = new ArrayList<>();
        private String unkToken;
        private boolean fuseUnk;
        private boolean byteFallback;
        private int[] prefixIds;
        private boolean sawModel;
        private boolean sawPostProcessor;

        Reader(Path path, JsonParser p) {
            this.path = path;
            this.p = p;
        }

        private IllegalArgumentException unsupported(String section, String expected, Object found) {
            return new IllegalArgumentException("tokenizer file " + path + ": unsupported " + section + ": expected "
                    + expected + ", found " + found);
        }

        private IllegalArgumentException malformed(String what) {
            JsonLocation at = p.currentLocation();
            return new IllegalArgumentException("malformed tokenizer file " + path + " at line " + at.getLineNr()
                    + ", column " + at.getColumnNr() + ": " + what);
        }

        private void expect(JsonToken actual, JsonToken expected, String what) {
            if (actual != expected) throw malformed("expected " + what + ", found " + actual);
        }

        TokenizerFile readTop() throws IOException {
            expect(p.nextToken(), JsonToken.START_OBJECT, "a JSON object at the top level");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "model" -> readModel(value);
                    case "added_tokens" -> readAddedTokens(p.readValueAsTree());
                    case "normalizer" -> requireJson("normalizer", p.readValueAsTree(), NORMALIZER);
                    case "decoder" -> requireJson("decoder", p.readValueAsTree(), DECODER);
                    case "post_processor" -> readPostProcessor(p.readValueAsTree());
                    case "pre_tokenizer" -> {
                        JsonNode node = p.readValueAsTree();
                        if (node != null && !node.isNull()) requireJson("pre_tokenizer", node, "null or " + PRE_TOKENIZER);
                    }
                    case "truncation", "padding" -> requireNull(field, p.readValueAsTree());
                    case "version" -> {
                        JsonNode v = p.readValueAsTree();
                        if (!v.isTextual() || !v.asText().equals("1.0")) throw unsupported("version", "\"1.0\"", v);
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) throw malformed("content after the top-level object");
            if (!sawModel) throw malformed("no \"model\" section");
            if (!sawPostProcessor) {
                throw unsupported("post_processor", "TemplateProcessing that puts the BOS token first", "none");
            }
            appendAddedPieces();
            for (AddedToken t : added) {
                if (t.id() < 0 || t.id() >= pieces.length || !pieces[t.id()].equals(t.content())) {
                    String inVocab = t.id() >= 0 && t.id() < pieces.length ? "'" + pieces[t.id()] + "'" : "no piece";
                    throw unsupported("added token " + t.id(), "its content '" + t.content()
                            + "' to be the vocabulary piece of the same id", inVocab);
                }
            }
            return new TokenizerFile(path, pieces, pieceIds, merges, List.copyOf(added), unkToken, fuseUnk,
                    byteFallback, prefixIds);
        }

        /**
         * Added tokens with ids past the BPE vocabulary extend it, as in Hugging Face (Gemma 3:
         * {@code <image_soft_token>} 262144 after 262,144 pieces); their ids must follow on without gaps.
         */
        private void appendAddedPieces() {
            List<AddedToken> beyond = added.stream().filter(t -> t.id() >= pieces.length)
                    .sorted(java.util.Comparator.comparingInt(AddedToken::id)).toList();
            if (beyond.isEmpty()) return;
            int first = pieces.length;
            pieces = Arrays.copyOf(pieces, first + beyond.size());
            for (int i = 0; i < beyond.size(); i++) {
                AddedToken t = beyond.get(i);
                if (t.id() != first + i) {
                    throw unsupported("added token " + t.id() + " '" + t.content() + "'", "id " + (first + i)
                            + " (added tokens past the vocabulary of " + first + " pieces follow on without gaps)", t.id());
                }
                pieces[t.id()] = t.content();
            }
        }

        private void requireNull(String section, JsonNode node) {
            if (node != null && !node.isNull() && !node.isMissingNode()) throw unsupported(section, "null", node);
        }

        /** {@code expected} is the JSON text, optionally after "null or " (said in the error only). */
        private void requireJson(String section, JsonNode node, String expected) throws IOException {
            String json = expected.startsWith("null or ") ? expected.substring("null or ".length()) : expected;
            if (!MAPPER.readTree(json).equals(node)) throw unsupported(section, expected, node);
        }

        private void readAddedTokens(JsonNode list) {
            if (!list.isArray()) throw unsupported("added_tokens", "an array", list.getNodeType());
            for (JsonNode t : list) {
                if (!t.path("id").isInt() || !t.path("content").isTextual()) {
                    throw unsupported("added_tokens entry", "an object with integer id and string content", t);
                }
                AddedToken token = new AddedToken(t.get("id").asInt(), t.get("content").asText(),
                        t.path("special").asBoolean(false), t.path("normalized").asBoolean(false),
                        t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                        t.path("single_word").asBoolean(false));
                if (token.content().isEmpty()) throw unsupported("added token " + token.id(), "non-empty content", "''");
                if (token.normalized() || token.lstrip() || token.rstrip() || token.singleWord()) {
                    throw unsupported("added token " + token.id() + " '" + token.content() + "'",
                            "normalized, lstrip, rstrip and single_word all false", t);
                }
                added.add(token);
            }
        }

        private void readPostProcessor(JsonNode pp) {
            sawPostProcessor = true;
            String expected = "TemplateProcessing with single = [SpecialToken, Sequence A]";
            if (!"TemplateProcessing".equals(pp.path("type").asText(null))) throw unsupported("post_processor", expected, pp);
            JsonNode single = pp.path("single");
            if (!single.isArray() || single.size() != 2 || !single.get(0).has("SpecialToken")
                    || !"A".equals(single.get(1).path("Sequence").path("id").asText(null))) {
                throw unsupported("post_processor", expected, single);
            }
            String name = single.get(0).get("SpecialToken").path("id").asText(null);
            JsonNode ids = pp.path("special_tokens").path(name == null ? "" : name).path("ids");
            if (!ids.isArray() || ids.isEmpty()) {
                throw unsupported("post_processor", "special_tokens entry with ids for '" + name + "'", pp.path("special_tokens"));
            }
            prefixIds = new int[ids.size()];
            for (int i = 0; i < prefixIds.length; i++) prefixIds[i] = ids.get(i).asInt();
        }

        private void readModel(JsonToken start) throws IOException {
            expect(start, JsonToken.START_OBJECT, "\"model\" to be an object");
            sawModel = true;
            Map<String, JsonNode> scalars = new HashMap<>();
            boolean sawMerges = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "vocab" -> readVocab(value);
                    case "merges" -> {
                        readMerges(value);
                        sawMerges = true;
                    }
                    default -> scalars.put(field, p.readValueAsTree());
                }
            }
            requireText(scalars, "type", "BPE");
            JsonNode dropout = scalars.get("dropout");
            if (dropout != null && !dropout.isNull() && !(dropout.isNumber() && dropout.asDouble() == 0.0)) {
                throw unsupported("model.dropout", "null", dropout);
            }
            for (String f : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
                JsonNode n = scalars.get(f);
                if (n != null && !n.isNull()) throw unsupported("model." + f, "null", n);
            }
            JsonNode ignoreMerges = scalars.get("ignore_merges");
            if (ignoreMerges != null && ignoreMerges.asBoolean(false)) throw unsupported("model.ignore_merges", "false", ignoreMerges);
            JsonNode unk = scalars.get("unk_token");
            unkToken = unk == null || unk.isNull() ? null : unk.asText();
            fuseUnk = scalars.containsKey("fuse_unk") && scalars.get("fuse_unk").asBoolean(false);
            byteFallback = scalars.containsKey("byte_fallback") && scalars.get("byte_fallback").asBoolean(false);
            if (pieces == null) throw malformed("\"model\" has no \"vocab\"");
            if (!sawMerges) throw malformed("\"model\" has no \"merges\"");
            if (unkToken != null && pieceIds.id(unkToken) < 0) {
                throw unsupported("model.unk_token", "a piece of the vocabulary", "'" + unkToken + "'");
            }
            if (unresolvedMerges != null) {
                merges = new int[unresolvedMerges.size() * 3];
                for (int r = 0; r < unresolvedMerges.size(); r++) {
                    char[] l = unresolvedMerges.get(r)[0].toCharArray();
                    char[] rt = unresolvedMerges.get(r)[1].toCharArray();
                    resolveMerge(r, l, 0, l.length, rt, 0, rt.length);
                }
                unresolvedMerges = null;
            }
        }

        /** Stores rule {@code rank} as ids; every piece it names, and their concatenation, must be in the vocabulary. */
        private void resolveMerge(int rank, char[] a, int aFrom, int aLength, char[] b, int bFrom, int bLength) {
            int left = pieceIds.id(a, aFrom, aLength, null, 0, 0);
            int right = pieceIds.id(b, bFrom, bLength, null, 0, 0);
            int merged = pieceIds.id(a, aFrom, aLength, b, bFrom, bLength);
            if (left < 0 || right < 0 || merged < 0) {
                String l = new String(a, aFrom, aLength);
                String r = new String(b, bFrom, bLength);
                String missing = left < 0 ? l : right < 0 ? r : l + r;
                throw unsupported("merge rule " + rank + " ('" + l + "', '" + r + "')",
                        "pieces that are in the vocabulary", "'" + missing + "', which is not");
            }
            if (rank * 3 + 2 >= merges.length) merges = Arrays.copyOf(merges, Math.max(merges.length * 2, rank * 3 + 3));
            merges[rank * 3] = left;
            merges[rank * 3 + 1] = right;
            merges[rank * 3 + 2] = merged;
        }

        private void requireText(Map<String, JsonNode> fields, String name, String expected) {
            JsonNode n = fields.get(name);
            if (n == null || n.getNodeType() != JsonNodeType.STRING || !n.asText().equals(expected)) {
                throw unsupported("model." + name, "\"" + expected + "\"", n);
            }
        }

        private void readVocab(JsonToken start) throws IOException {
            expect(start, JsonToken.START_OBJECT, "\"vocab\" to be an object of piece: id");
            String[] names = new String[1 << 16];
            int[] ids = new int[1 << 16];
            int n = 0;
            int maxId = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String piece = p.currentName();
                expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT, "an integer id for vocabulary piece '" + piece + "'");
                int id = p.getIntValue();
                if (id < 0) throw malformed("negative id " + id + " for vocabulary piece '" + piece + "'");
                if (n == names.length) {
                    names = Arrays.copyOf(names, n * 2);
                    ids = Arrays.copyOf(ids, n * 2);
                }
                names[n] = piece;
                ids[n] = id;
                n++;
                maxId = Math.max(maxId, id);
            }
            if (maxId + 1 != n) {
                throw unsupported("model.vocab", "ids 0.." + (n - 1) + " for " + n + " pieces", "largest id " + maxId);
            }
            pieces = new String[n];
            for (int i = 0; i < n; i++) {
                if (pieces[ids[i]] != null) throw unsupported("model.vocab", "each id once", "id " + ids[i] + " twice");
                pieces[ids[i]] = names[i];
            }
            try {
                pieceIds = new PieceIndex(pieces);
            } catch (IllegalArgumentException e) {
                throw unsupported("model.vocab", "each piece once", e.getMessage());
            }
        }

        /**
         * Reads the merge list, either strings {@code "left right"} (exactly one space) or
         * two-string arrays; resolved to ids at once when the vocabulary came first in the file.
         */
        private void readMerges(JsonToken start) throws IOException {
            expect(start, JsonToken.START_ARRAY, "\"merges\" to be an array");
            boolean resolveNow = pieceIds != null;
            if (resolveNow) merges = new int[3 << 16];
            else unresolvedMerges = new ArrayList<>();
            int rank = 0;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == JsonToken.VALUE_STRING) {
                    char[] text = p.getTextCharacters();
                    int from = p.getTextOffset();
                    int length = p.getTextLength();
                    int space = -1;
                    int spaces = 0;
                    for (int k = 0; k < length; k++) {
                        if (text[from + k] == ' ') {
                            if (spaces++ == 0) space = k;
                        }
                    }
                    if (spaces != 1) {
                        throw malformed("merge rule " + rank + " '" + new String(text, from, length)
                                + "' is not two pieces separated by one space");
                    }
                    if (resolveNow) {
                        resolveMerge(rank, text, from, space, text, from + space + 1, length - space - 1);
                    } else {
                        unresolvedMerges.add(new String[] {new String(text, from, space),
                                new String(text, from + space + 1, length - space - 1)});
                    }
                } else if (t == JsonToken.START_ARRAY) {
                    expect(p.nextToken(), JsonToken.VALUE_STRING, "merge rule " + rank + " left piece");
                    String left = p.getText();
                    expect(p.nextToken(), JsonToken.VALUE_STRING, "merge rule " + rank + " right piece");
                    String right = p.getText();
                    expect(p.nextToken(), JsonToken.END_ARRAY, "merge rule " + rank + " to have two pieces");
                    if (resolveNow) {
                        resolveMerge(rank, left.toCharArray(), 0, left.length(), right.toCharArray(), 0, right.length());
                    } else {
                        unresolvedMerges.add(new String[] {left, right});
                    }
                } else {
                    throw malformed("merge rule " + rank + " is " + t + ", expected a string or a two-string array");
                }
                rank++;
            }
            if (resolveNow) merges = Arrays.copyOf(merges, rank * 3);
        }
    }
}
