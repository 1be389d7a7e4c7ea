package dev.gemma4j.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge list of a SentencePiece vocabulary that carries piece scores instead of merges (a
 * GGUF's {@code tokenizer.ggml.scores}), derived as Hugging Face's converter derives tokenizer.json's
 * merges from the same scores in {@code tokenizer.model} ({@code generate_merges} in
 * transformers' {@code convert_slow_tokenizer.py}): every split of a piece into two pieces of the
 * vocabulary is a rule; the rules of one piece are ordered by (left id, right id), then all rules
 * are sorted, stably, by the merged piece's score, then the left piece's length, then the right
 * piece's length, each descending (lengths in code points, as Python counts them). A higher-scoring
 * piece thus merges first, which is also how llama.cpp's SentencePiece tokenizer ranks merges.
 */
final class ScoreMerges {
    private ScoreMerges() {}

    /**
     * Rules as {@link TokenizerFile#merges()} holds them: [3r] left, [3r+1] right, [3r+2] merged.
     *
     * @param mergeable which pieces a rule may produce (not padding)
     */
    static int[] derive(String[] pieces, float[] scores, boolean[] mergeable, PieceIndex ids) {
        int[] left = new int[1 << 16];
        int[] right = new int[1 << 16];
        int[] merged = new int[1 << 16];
        int n = 0;
        long[] local = new long[64];
        for (int id = 0; id < pieces.length; id++) {
            if (!mergeable[id]) continue;
            char[] p = pieces[id].toCharArray();
            int k = 0;
            for (int split = 1; split < p.length; split++) {
                if (Character.isLowSurrogate(p[split]) && Character.isHighSurrogate(p[split - 1])) continue;
                int l = ids.id(p, 0, split, null, 0, 0);
                if (l < 0) continue;
                int r = ids.id(p, split, p.length - split, null, 0, 0);
                if (r < 0) continue;
                if (k == local.length) local = Arrays.copyOf(local, k * 2);
                local[k++] = ((long) l << 32) | r;
            }
            Arrays.sort(local, 0, k);           // ids are non-negative: (left, right) order
            if (n + k > left.length) {
                int cap = Math.max(left.length * 2, n + k);
                left = Arrays.copyOf(left, cap);
                right = Arrays.copyOf(right, cap);
                merged = Arrays.copyOf(merged, cap);
            }
            for (int j = 0; j < k; j++) {
                left[n] = (int) (local[j] >>> 32);
                right[n] = (int) local[j];
                merged[n] = id;
                n++;
            }
        }
        int[] cpLength = new int[pieces.length];
        for (int id = 0; id < pieces.length; id++) cpLength[id] = pieces[id].codePointCount(0, pieces[id].length());
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        final int[] l = left;
        final int[] r = right;
        final int[] m = merged;
        Arrays.sort(order, (a, b) -> {                // a stable sort, as Python's sorted
            int c = Float.compare(scores[m[b]], scores[m[a]]);
            if (c != 0) return c;
            c = Integer.compare(cpLength[l[b]], cpLength[l[a]]);
            if (c != 0) return c;
            return Integer.compare(cpLength[r[b]], cpLength[r[a]]);
        });
        int[] rules = new int[n * 3];
        for (int i = 0; i < n; i++) {
            int j = order[i];
            rules[3 * i] = l[j];
            rules[3 * i + 1] = r[j];
            rules[3 * i + 2] = m[j];
        }
        return rules;
    }
}
