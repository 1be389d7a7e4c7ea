package dev.gemma4j.tokenizer;

/**
 * Id of each vocabulary piece, looked up by a String or by char ranges without building a String
 * (the 580604 merge rules are resolved straight from the JSON parser's buffer). Open addressing
 * over the pieces' {@link String#hashCode()}, which the range lookups compute the same way; the
 * pieces' characters are kept in one array so a probe compares arrays, not Strings.
 */
final class PieceIndex {
    private final char[] chars;   // all pieces, concatenated in id order
    private final int[] offsets;  // piece id starts at offsets[id], ends at offsets[id + 1]
    private final int[] hashes;   // String.hashCode() of each piece
    private final int[] slots;    // id + 1, 0 for empty
    private final int mask;

    PieceIndex(String[] pieces) {
        int n = pieces.length;
        offsets = new int[n + 1];
        for (int id = 0; id < n; id++) offsets[id + 1] = offsets[id] + pieces[id].length();
        chars = new char[offsets[n]];
        hashes = new int[n];
        int capacity = Integer.highestOneBit(Math.max(16, n * 5 / 3)) << 1; // at most 60% full
        slots = new int[capacity];
        mask = capacity - 1;
        for (int id = 0; id < n; id++) {
            String p = pieces[id];
            p.getChars(0, p.length(), chars, offsets[id]);
            hashes[id] = p.hashCode();
            int i = spread(hashes[id]);
            while (slots[i] != 0) {
                int other = slots[i] - 1;
                if (hashes[other] == hashes[id] && pieces[other].equals(p)) {
                    throw new IllegalArgumentException("piece '" + p + "' has two ids, " + other + " and " + id);
                }
                i = (i + 1) & mask;
            }
            slots[i] = id + 1;
        }
    }

    private int spread(int h) {
        return ((h ^ (h >>> 16)) * 0x9E3779B1 >>> 7) & mask;
    }

    /** Id of {@code piece}, or -1. */
    int id(String piece) {
        return id(piece.toCharArray(), 0, piece.length(), null, 0, 0);
    }

    /** Id of the piece spelled by {@code a[aFrom, aFrom + aLength)} followed by {@code b[bFrom, bFrom + bLength)}, or -1. */
    int id(char[] a, int aFrom, int aLength, char[] b, int bFrom, int bLength) {
        int h = 0;
        for (int k = aFrom; k < aFrom + aLength; k++) h = 31 * h + a[k];
        for (int k = bFrom; k < bFrom + bLength; k++) h = 31 * h + b[k];
        int length = aLength + bLength;
        for (int i = spread(h); slots[i] != 0; i = (i + 1) & mask) {
            int id = slots[i] - 1;
            int start = offsets[id];
            if (hashes[id] == h && offsets[id + 1] - start == length && same(start, a, aFrom, aLength)
                    && same(start + aLength, b, bFrom, bLength)) {
                return id;
            }
        }
        return -1;
    }

    /** Whether {@code chars[at, at + length)} equals {@code other[from, from + length)}; pieces are a few chars long. */
    private boolean same(int at, char[] other, int from, int length) {
        for (int k = 0; k < length; k++) {
            if (chars[at + k] != other[from + k]) return false;
        }
        return true;
    }
}
