package dev.gemma4j.tokenizer;

import java.util.Arrays;

/**
 * Every pair of adjacent characters (x, y) that occurs inside some merge result. Where the pair at
 * a place in the text is not in this set and both characters are symbols that take part in merges
 * only as themselves, no merge can produce a symbol spanning that place, so the text on either
 * side merges independently (see {@link BpeModel}).
 */
final class GluedPairs {
    private static final long EMPTY = -1L;
    private long[] keys = newTable(1 << 16); // (x << 21) | y over code points, or EMPTY
    private int size;

    GluedPairs(String[] pieces, int[] merges) {
        for (int r = 2; r < merges.length; r += 3) {
            String s = pieces[merges[r]];
            int x = s.codePointAt(0);
            for (int i = Character.charCount(x); i < s.length(); ) {
                int y = s.codePointAt(i);
                add(((long) x << 21) | y);
                x = y;
                i += Character.charCount(y);
            }
        }
    }

    private static long[] newTable(int capacity) {
        long[] table = new long[capacity];
        Arrays.fill(table, EMPTY);
        return table;
    }

    private void add(long key) {
        int mask = keys.length - 1;
        int i = slot(key, mask);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) return;
            i = (i + 1) & mask;
        }
        keys[i] = key;
        if (++size * 2 > keys.length) {
            long[] old = keys;
            keys = newTable(old.length * 2);
            size = 0;
            for (long k : old) if (k != EMPTY) add(k);
        }
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 31)) & mask;
    }

    boolean contains(int x, int y) {
        long key = ((long) x << 21) | y;
        int mask = keys.length - 1;
        for (int i = slot(key, mask); keys[i] != EMPTY; i = (i + 1) & mask) {
            if (keys[i] == key) return true;
        }
        return false;
    }
}
