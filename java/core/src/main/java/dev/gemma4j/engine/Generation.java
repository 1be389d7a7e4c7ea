package dev.gemma4j.engine;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.function.Consumer;

/**
 * The generation loop of one sequence alone: prefill the prompt in one pass, pick the first token from
 * its logits, then one {@link Backend#decodeStep} of batch 1 per token. {@link Batcher} runs the same
 * {@link Sequence} rules for several sequences at once.
 */
public final class Generation {
    private Generation() {}

    /**
     * @param contextLength tokens the sequence may hold in all (prompt + new)
     * @param onText        receives text as it becomes final (never half a character, never part of
     *                      a stop string); may be null
     * @throws IllegalArgumentException when the prompt is empty, holds an id outside the vocabulary, or
     *                                  leaves no room in the context
     */
    public static GenerationResult run(Forward forward, GemmaTokenizer tokenizer, int[] prompt,
                                       GenerationOptions options, int contextLength, Consumer<String> onText) {
        int vocab = forward.config().vocabSize();
        Sequence.checkPrompt(prompt, vocab, contextLength);
        Backend backend = forward.backend();
        try (Sequence seq = new Sequence(tokenizer, forward.config(), prompt, options, contextLength, TokenListener.ofText(onText),
                System.nanoTime())) {
            float[] logits = seq.prefill(forward);
            boolean done = seq.accept(seq.sampler().sample(logits, 0, vocab));
            while (!done) {
                int[] next = backend.decodeStep(new int[] {seq.token()}, new KvCache[] {seq.cache()},
                        new int[] {seq.position()}, new Sampler[] {seq.sampler()});
                done = seq.accept(next[0]);
            }
            return seq.finish();
        }
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
