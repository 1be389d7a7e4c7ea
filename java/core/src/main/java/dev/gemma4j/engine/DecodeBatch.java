package dev.gemma4j.engine;

import java.util.IdentityHashMap;

/** The rules every decode batch follows, checked before a backend touches anything. */
public final class DecodeBatch {
    private DecodeBatch() {}

    /**
     * Checks one decode step's rows: equal counts, at least one row, at most {@code maxRows}, distinct
     * open caches, {@code 0 <= positions[b] < caches[b].capacity()}, token ids inside the vocabulary,
     * and (when {@code samplers} is not null) one sampler per row.
     *
     * @throws IllegalArgumentException naming the first row that breaks a rule
     */
    public static void check(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers, int vocab,
                             int maxRows) {
        int rows = tokens.length;
        if (rows == 0) throw new IllegalArgumentException("a decode step needs at least one sequence");
        if (caches.length != rows || positions.length != rows || (samplers != null && samplers.length != rows)) {
            throw new IllegalArgumentException("a decode step takes one token, cache, position"
                    + (samplers != null ? " and sampler" : "") + " per sequence; found " + rows + " tokens, "
                    + caches.length + " caches, " + positions.length + " positions"
                    + (samplers != null ? ", " + samplers.length + " samplers" : ""));
        }
        if (rows > maxRows) {
            throw new IllegalArgumentException("a decode step of " + rows + " sequences exceeds the backend's "
                    + maxRows + " (its maximum decode batch)");
        }
        checkCaches(caches, positions);
        for (int b = 0; b < rows; b++) {
            if (tokens[b] < 0 || tokens[b] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[b] + " of sequence " + b
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
            if (samplers != null && samplers[b] == null) throw new IllegalArgumentException("no sampler for sequence " + b);
        }
    }

    /**
     * The cache rules of a decode batch of {@code rows} rows, for a backend's
     * {@link Backend#decodeAttentionBlock}: one cache and position per row, distinct caches, and
     * {@code 0 <= positions[b] < caches[b].capacity()}.
     *
     * @throws IllegalArgumentException naming the first row that breaks a rule
     */
    public static void checkRows(KvCache[] caches, int[] positions, int rows) {
        if (caches.length != rows || positions.length != rows) {
            throw new IllegalArgumentException("a decode batch of " + rows + " rows needs " + rows
                    + " caches and positions, found " + caches.length + " and " + positions.length);
        }
        checkCaches(caches, positions);
    }

    /**
     * The arguments of {@link Backend#decodeWarmUpPositions}: at least one row, at most {@code maxRows},
     * and {@code 0 <= first <= last}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void checkPositionRange(int rows, int maxRows, int first, int last) {
        if (rows < 1 || rows > maxRows) {
            throw new IllegalArgumentException("a decode step takes 1 to " + maxRows + " sequences, found " + rows);
        }
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("a range of decode positions needs 0 <= first <= last, found ["
                    + first + ", " + last + "]");
        }
    }

    private static void checkCaches(KvCache[] caches, int[] positions) {
        IdentityHashMap<KvCache, Integer> seen = new IdentityHashMap<>();
        for (int b = 0; b < caches.length; b++) {
            if (caches[b] == null) throw new IllegalArgumentException("no KV cache for sequence " + b);
            Integer earlier = seen.put(caches[b], b);
            if (earlier != null) {
                throw new IllegalArgumentException("sequences " + earlier + " and " + b + " of a decode step share a KV cache");
            }
            if (positions[b] < 0 || positions[b] >= caches[b].capacity()) {
                throw new IllegalArgumentException("position " + positions[b] + " of sequence " + b
                        + " is outside its KV cache of " + caches[b].capacity() + " tokens");
            }
        }
    }
}
