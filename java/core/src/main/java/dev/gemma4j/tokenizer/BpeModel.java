package dev.gemma4j.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hugging Face's BPE model as Gemma's tokenizer.json configures it: every character is a symbol
 * (its own piece, else its UTF-8 bytes as {@code <0xNN>} pieces, else unk), then the adjacent pair
 * with the lowest merge rank is merged, leftmost first on ties, until no rule applies. The merge
 * loop keeps the symbols in a linked list and the candidate pairs in a binary heap, O(n log n) for
 * n characters.
 *
 * <p>Gemma has no pre-tokenizer, so a whole run of text between special tokens is one BPE word.
 * If U+2581 is a piece and no merge result contains a non-U+2581 character followed by U+2581
 * (both checked at load), no merge can join the symbols on the two sides of such a place; each part between them then
 * merges exactly as it would inside the whole run, so the run is encoded part by part and the
 * parts (English words with their leading meta space) are cached.
 *
 * <p>A part longer than {@value #CACHE_MAX_WORD} characters (text without spaces: Chinese,
 * Japanese, long tokens) is split further the same way wherever two adjacent characters occur
 * together in no merge result ({@link GluedPairs}) and both are pieces of their own; that holds
 * only if no merge rule takes a byte piece or unk as an operand, also checked at load. Both kinds
 * of split also need every character to give at least one symbol (an unk token, or byte pieces for
 * all 256 bytes): a dropped character would make its neighbours adjacent.
 */
final class BpeModel {
    static final char META_SPACE = '\u2581';
    private static final int CACHE_ENTRIES = 1 << 17;
    private static final int CACHE_MAX_WORD = 64;

    private final String[] pieces;
    private final int[] bmpIds;                  // piece id of each BMP character, -1 if none
    private final Map<Integer, Integer> astralIds; // piece id of characters above U+FFFF
    private final int[] byteIds;                 // id of piece <0xNN>, -1 if none
    private final MergeTable merges;
    private final int unkId;                     // -1 when the model has no unk token
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean splitAtMetaSpace;
    private final boolean splitAtUngluedPairs;
    private final int[] mergeRules;              // the file's rules, kept for building gluedPairs on first use
    private volatile GluedPairs gluedPairs;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>(1 << 12);

    BpeModel(TokenizerFile file) {
        pieces = file.pieces();
        PieceIndex ids = file.pieceIds();
        bmpIds = new int[1 << 16];
        Arrays.fill(bmpIds, -1);
        astralIds = new HashMap<>();
        byteIds = new int[256];
        Arrays.fill(byteIds, -1);
        for (int id = 0; id < pieces.length; id++) {
            String piece = pieces[id];
            if (piece.length() == 1) {
                bmpIds[piece.charAt(0)] = id;
            } else if (piece.length() == 2 && Character.isSurrogatePair(piece.charAt(0), piece.charAt(1))) {
                astralIds.put(piece.codePointAt(0), id);
            }
        }
        for (int b = 0; b < 256; b++) {
            byteIds[b] = ids.id(String.format("<0x%02X>", b));
        }
        unkId = file.unkToken() == null ? -1 : ids.id(file.unkToken());
        fuseUnk = file.fuseUnk();
        byteFallback = file.byteFallback();

        int[] rules = file.merges();
        merges = new MergeTable(rules.length / 3);
        boolean[] byteOrUnk = new boolean[pieces.length];
        for (int id : byteIds) if (id >= 0) byteOrUnk[id] = true;
        if (unkId >= 0) byteOrUnk[unkId] = true;
        boolean crossesMetaSpace = false;
        boolean mergesByteOrUnk = false;
        for (int rank = 0; rank < rules.length / 3; rank++) {
            int left = rules[3 * rank];
            int right = rules[3 * rank + 1];
            int merged = rules[3 * rank + 2];
            merges.put(left, right, rank, merged);
            crossesMetaSpace |= hasMetaSpaceAfterOther(pieces[merged]);
            mergesByteOrUnk |= byteOrUnk[left] || byteOrUnk[right];
        }
        // With neither unk nor a complete set of byte pieces, an unknown character is dropped and
        // the symbols on its two sides become neighbours: no split is safe then.
        boolean everyCharHasSymbol = unkId >= 0 || (byteFallback && Arrays.stream(byteIds).allMatch(id -> id >= 0));
        splitAtMetaSpace = everyCharHasSymbol && bmpIds[META_SPACE] >= 0 && !crossesMetaSpace;
        splitAtUngluedPairs = everyCharHasSymbol && !mergesByteOrUnk;
        mergeRules = rules;
    }

    /** The merge rules as the file gave them, [3r] left, [3r+1] right, [3r+2] merged (not copied: not to be changed). */
    int[] rules() {
        return mergeRules;
    }

    private static boolean hasMetaSpaceAfterOther(String s) {
        for (int i = s.indexOf(META_SPACE, 1); i > 0; i = s.indexOf(META_SPACE, i + 1)) {
            if (s.charAt(i - 1) != META_SPACE) return true;
        }
        return false;
    }

    /** Whether runs are encoded part by part at meta spaces (see the class comment). */
    boolean splitsAtMetaSpace() {
        return splitAtMetaSpace;
    }

    /**
     * Encodes the already-normalized characters {@code text[from, to)} (one BPE word in Hugging
     * Face's terms) and appends the ids to {@code out}.
     */
    void encodeRun(char[] text, int from, int to, Scratch scratch, IntList out) {
        if (!splitAtMetaSpace) {
            encodeWord(text, from, to, scratch, out);
            return;
        }
        int start = from;
        for (int i = from + 1; i < to; i++) {
            if (text[i] == META_SPACE && text[i - 1] != META_SPACE) {
                encodeWord(text, start, i, scratch, out);
                start = i;
            }
        }
        if (start < to) encodeWord(text, start, to, scratch, out);
    }

    private void encodeWord(char[] text, int from, int to, Scratch scratch, IntList out) {
        if (to - from <= CACHE_MAX_WORD || !splitAtUngluedPairs) {
            encodeCached(text, from, to, scratch, out);
            return;
        }
        GluedPairs glued = gluedPairs();
        int start = from;
        int x = Character.codePointAt(text, from, to);
        for (int i = from + Character.charCount(x); i < to; ) {
            int y = Character.codePointAt(text, i, to);
            // Only between two characters that are pieces themselves: unknown neighbours may fuse into one unk.
            if (charId(x) >= 0 && charId(y) >= 0 && !glued.contains(x, y)) {
                encodeCached(text, start, i, scratch, out);
                start = i;
            }
            x = y;
            i += Character.charCount(y);
        }
        encodeCached(text, start, to, scratch, out);
    }

    private int charId(int cp) {
        return cp < 0x10000 ? bmpIds[cp] : astralIds.getOrDefault(cp, -1);
    }

    private GluedPairs gluedPairs() {
        GluedPairs g = gluedPairs;
        if (g == null) {
            synchronized (this) {
                g = gluedPairs;
                if (g == null) gluedPairs = g = new GluedPairs(pieces, mergeRules);
            }
        }
        return g;
    }

    private void encodeCached(char[] text, int from, int to, Scratch scratch, IntList out) {
        int length = to - from;
        if (length == 0) return;
        if (length == 1) {
            int id = bmpIds[text[from]];
            if (id >= 0) {
                out.add(id);
                return;
            }
        }
        if (length > CACHE_MAX_WORD) {
            mergeWord(text, from, to, scratch, out);
            return;
        }
        String key = new String(text, from, length);
        int[] cached = cache.get(key);
        if (cached == null) {
            int mark = out.size();
            mergeWord(text, from, to, scratch, out);
            cached = out.copyRange(mark, out.size());
            if (cache.size() < CACHE_ENTRIES) cache.putIfAbsent(key, cached);
            return;
        }
        out.addAll(cached);
    }

    /** Per-call working arrays of the merge loop; one per encode call, never shared between threads. */
    static final class Scratch {
        int[] sym = new int[64];   // piece id of each symbol; -1 once merged into its left neighbour
        int[] next = new int[64];  // index of the next live symbol, -1 at the end
        int[] prev = new int[64];  // index of the previous live symbol, -1 at the start
        long[] heap = new long[64]; // (rank << 32) | index of the pair's left symbol, min-heap
        int heapSize;
        final byte[] utf8 = new byte[4]; // bytes of one character for byte fallback

        void ensure(int symbols) {
            if (sym.length < symbols) {
                int n = Math.max(symbols, sym.length * 2);
                sym = new int[n];
                next = new int[n];
                prev = new int[n];
                heap = new long[n];
            }
        }
    }

    private void mergeWord(char[] text, int from, int to, Scratch s, IntList out) {
        // At most 3 symbols per UTF-16 unit: a BMP character has at most 3 UTF-8 bytes, an astral one 4 for 2 units.
        s.ensure((to - from) * 3);
        int n = initialSymbols(text, from, to, s.sym, s.utf8);
        if (n == 0) return;
        int[] sym = s.sym;
        int[] next = s.next;
        int[] prev = s.prev;
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        s.heapSize = 0;
        for (int i = 0; i + 1 < n; i++) {
            long m = merges.get(sym[i], sym[i + 1]);
            if (m >= 0) s.heap[s.heapSize++] = (m & 0xFFFFFFFF00000000L) | i;
        }
        for (int i = s.heapSize / 2 - 1; i >= 0; i--) siftDown(s.heap, s.heapSize, i);

        while (s.heapSize > 0) {
            long top = s.heap[0];
            s.heap[0] = s.heap[--s.heapSize];
            siftDown(s.heap, s.heapSize, 0);
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (sym[pos] < 0) continue;
            int right = next[pos];
            if (right < 0) continue;
            // Skip a stale entry: the pair at pos changed since it was queued.
            long m = merges.get(sym[pos], sym[right]);
            if (m < 0 || (int) (m >>> 32) != rank) continue;
            sym[pos] = (int) m;
            sym[right] = -1;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            int before = prev[pos];
            if (before >= 0) {
                long mb = merges.get(sym[before], sym[pos]);
                if (mb >= 0) push(s, (mb & 0xFFFFFFFF00000000L) | before);
            }
            if (after >= 0) {
                long ma = merges.get(sym[pos], sym[after]);
                if (ma >= 0) push(s, (ma & 0xFFFFFFFF00000000L) | pos);
            }
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(sym[i]);
    }

    /**
     * Fills {@code sym} with the initial symbols of {@code text[from, to)} as Hugging Face's
     * BPE.merge_word does: the character's own piece; else with byte fallback its UTF-8 bytes as
     * byte pieces (a pending unk is not emitted first, exactly as there); else unk, consecutive
     * unks fused into one when fuse_unk is set; with no unk token the character is dropped.
     */
    private int initialSymbols(char[] text, int from, int to, int[] sym, byte[] utf8) {
        int n = 0;
        boolean pendingUnk = false;
        for (int i = from; i < to; ) {
            int cp = Character.codePointAt(text, i, to);
            i += Character.charCount(cp);
            int id = charId(cp);
            if (id >= 0) {
                if (pendingUnk) {
                    sym[n++] = unkId;
                    pendingUnk = false;
                }
                sym[n++] = id;
                continue;
            }
            if (byteFallback) {
                int len = Utf8.encode(cp, utf8);
                boolean all = true;
                for (int b = 0; b < len; b++) all &= byteIds[utf8[b] & 0xFF] >= 0;
                if (all) {
                    for (int b = 0; b < len; b++) sym[n++] = byteIds[utf8[b] & 0xFF];
                    continue;
                }
            }
            if (unkId >= 0) {
                if (pendingUnk && !fuseUnk) sym[n++] = unkId;
                pendingUnk = true;
            }
        }
        if (pendingUnk) sym[n++] = unkId;
        return n;
    }

    private static void push(Scratch s, long entry) {
        if (s.heapSize == s.heap.length) s.heap = Arrays.copyOf(s.heap, s.heap.length * 2);
        long[] h = s.heap;
        int i = s.heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (h[parent] <= entry) break;
            h[i] = h[parent];
            i = parent;
        }
        h[i] = entry;
    }

    private static void siftDown(long[] h, int size, int i) {
        long entry = h[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && h[child + 1] < h[child]) child++;
            if (h[child] >= entry) break;
            h[i] = h[child];
            i = child;
        }
        h[i] = entry;
    }
}
