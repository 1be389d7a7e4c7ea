package dev.gemma4j.engine;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationResult.StopReason;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import dev.gemma4j.tokenizer.StreamingDecoder;
import java.util.Arrays;
import java.util.function.Consumer;

/** The generation loop: prefill the prompt in one pass, then decode token by token. */
public final class Generation {
    private Generation() {}

    /**
     * @param contextLength tokens the sequence may hold in all (prompt + new)
     * @param onText        receives text as it becomes final (never half a character, never part of
     *                      a stop string); may be null
     */
    public static GenerationResult run(Forward forward, GemmaTokenizer tokenizer, int[] prompt,
                                       GenerationOptions options, int contextLength, Consumer<String> onText) {
        int vocab = forward.config().vocabSize();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocab) {
                throw new IllegalArgumentException("token id " + prompt[i] + " at prompt position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (prompt.length >= contextLength) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context holds "
                    + contextLength + ", which leaves no room for a new token");
        }
        int capacity = (int) Math.min(contextLength, (long) prompt.length + options.maxNewTokens());
        Sampler sampler = new Sampler(options);
        StreamingDecoder decoder = tokenizer.streamingDecoder(true);
        StopStringFilter stops = new StopStringFilter(options.stopStrings(), onText);
        int[] generated = new int[options.maxNewTokens()];
        int count = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        long t0 = System.nanoTime();
        long prefillNanos = 0;
        try (KvCache cache = forward.backend().newCache(capacity)) {
            float[] logits = forward.run(prompt, cache, 0, 1);
            int pos = prompt.length;
            while (true) {
                int next = sampler.sample(logits, 0, vocab);
                if (count == 0) prefillNanos = System.nanoTime() - t0;
                if (next == tokenizer.eosId() || next == tokenizer.endOfTurnId()) {
                    reason = StopReason.END_OF_SEQUENCE;
                    break;
                }
                generated[count++] = next;
                if (stops.accept(decoder.push(next))) {
                    reason = StopReason.STOP_STRING;
                    break;
                }
                if (count == options.maxNewTokens()) {
                    reason = StopReason.MAX_TOKENS;
                    break;
                }
                if (pos == capacity) {
                    reason = StopReason.CONTEXT_FULL;
                    break;
                }
                logits = forward.run(new int[] {next}, cache, pos++, 1);
            }
        }
        if (reason != StopReason.STOP_STRING) {
            stops.accept(decoder.flush());
            stops.finish();
        }
        long decodeNanos = System.nanoTime() - t0 - prefillNanos;
        return new GenerationResult(prompt, Arrays.copyOf(generated, count), stops.text(), reason,
                prefillNanos, decodeNanos);
    }

    /**
     * Holds back text that could be the start of a stop string, so a caller streaming the text never
     * sees any part of one.
     */
    static final class StopStringFilter {
        private final java.util.List<String> stops;
        private final Consumer<String> sink;
        private final StringBuilder text = new StringBuilder();
        private int emitted;
        private boolean stopped;

        StopStringFilter(java.util.List<String> stops, Consumer<String> sink) {
            this.stops = stops;
            this.sink = sink;
        }

        /** Appends text; returns true when a stop string is now complete (text is cut before it). */
        boolean accept(String piece) {
            if (stopped) return true;
            text.append(piece);
            int cut = -1;
            for (String s : stops) {
                int i = text.indexOf(s, Math.max(0, emitted - s.length()));
                if (i >= 0 && (cut < 0 || i < cut)) cut = i;
            }
            if (cut >= 0) {
                text.setLength(cut);
                emit(text.length());
                stopped = true;
                return true;
            }
            int hold = 0;
            for (String s : stops) {
                for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                    if (text.substring(text.length() - k).equals(s.substring(0, k))) {
                        hold = k;
                        break;
                    }
                }
            }
            emit(text.length() - hold);
            return false;
        }

        void finish() {
            emit(text.length());
        }

        private void emit(int upTo) {
            if (upTo > emitted) {
                if (sink != null) sink.accept(text.substring(emitted, upTo));
                emitted = upTo;
            }
        }

        String text() {
            return text.toString();
        }
    }
}
