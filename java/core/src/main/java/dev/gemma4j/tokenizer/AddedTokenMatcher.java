package dev.gemma4j.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in raw text the way Hugging Face's AddedVocabulary does for tokens with
 * normalized = false: the leftmost match wins, and of the matches starting there the longest.
 */
final class AddedTokenMatcher {
    private record Candidate(String content, int id) {}

    static final int MAX_LENGTH = 0xFFF;
    static final int MAX_ID = 0xFFFFF;

    private final boolean[] isFirstChar = new boolean[1 << 16];
    private final Map<Character, Candidate[]> byFirstChar = new HashMap<>();

    AddedTokenMatcher(List<AddedToken> tokens) {
        Map<Character, List<Candidate>> groups = new HashMap<>();
        for (AddedToken t : tokens) {
            if (t.content().length() > MAX_LENGTH || t.id() > MAX_ID) {
                throw new IllegalArgumentException("added token " + t.id() + " '" + t.content() + "': expected id <= "
                        + MAX_ID + " and at most " + MAX_LENGTH + " characters");
            }
            char first = t.content().charAt(0);
            isFirstChar[first] = true;
            groups.computeIfAbsent(first, k -> new ArrayList<>()).add(new Candidate(t.content(), t.id()));
        }
        groups.forEach((first, list) -> {
            list.sort(Comparator.comparingInt((Candidate c) -> c.content().length()).reversed());
            byFirstChar.put(first, list.toArray(Candidate[]::new));
        });
    }

    /**
     * Finds the first match at or after {@code from}: its start, length and id packed into one
     * long (read them with {@link #start}, {@link #length} and {@link #id}), or -1 when none.
     */
    long find(String text, int from) {
        int n = text.length();
        for (int i = from; i < n; i++) {
            char c = text.charAt(i);
            if (!isFirstChar[c]) continue;
            for (Candidate cand : byFirstChar.get(c)) {
                if (text.startsWith(cand.content(), i)) return pack(i, cand.content().length(), cand.id());
            }
        }
        return -1L;
    }

    // Layout of a match: start in bits 63..32, length in bits 31..20 (< 4096), id in bits 19..0 (< 2^20).
    private static long pack(int start, int length, int id) {
        return ((long) start << 32) | ((long) length << 20) | id;
    }

    static int start(long match) {
        return (int) (match >>> 32);
    }

    static int length(long match) {
        return (int) ((match >>> 20) & 0xFFF);
    }

    static int id(long match) {
        return (int) (match & 0xFFFFF);
    }
}
