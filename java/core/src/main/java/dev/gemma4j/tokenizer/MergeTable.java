package dev.gemma4j.tokenizer;

/**
 * BPE merge rules as an open-addressing hash table: (left id, right id) to (rank, merged id).
 * The rank is the rule's index in the file's {@code merges} list; a lower rank merges first.
 * When a pair is listed twice the later rank wins, as in Hugging Face's map built from the list.
 */
final class MergeTable {
    private static final long EMPTY = -1L;

    private final long[] keys;   // (left << 32) | right, or EMPTY
    private final long[] values; // (rank << 32) | mergedId
    private final int mask;
    private int size;

    MergeTable(int expectedRules) {
        // Power of two at most 60% full: 2^20 slots (16 MiB) for Gemma's 580604 rules.
        int capacity = Integer.highestOneBit(Math.max(16, expectedRules * 5 / 3)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    void put(int left, int right, int rank, int mergedId) {
        if (size >= keys.length * 3 / 5) {
            throw new IllegalStateException("merge table over capacity " + keys.length * 3 / 5);
        }
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != EMPTY && keys[i] != k) i = (i + 1) & mask;
        if (keys[i] == EMPTY) size++;
        keys[i] = k;
        values[i] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
    }

    /** Returns {@code (rank << 32) | mergedId} for the pair, or -1 when no rule merges it. */
    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        long found;
        while ((found = keys[i]) != EMPTY) {
            if (found == k) return values[i];
            i = (i + 1) & mask;
        }
        return -1L;
    }

    int size() {
        return size;
    }
}
