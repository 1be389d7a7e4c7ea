package dev.gemma4j.engine;

import dev.gemma4j.TokenLogprob;

/** Hears a sequence's output as it is made, one call per accepted token and one for the final flush. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param text    text that became final with this token (never half a character, never part of a stop
     *                string); may be empty, since text that could start a stop string or a character is held
     * @param logprob the token's log-probabilities when they were asked for; null otherwise and for the flush
     */
    void onToken(String text, TokenLogprob logprob);

    /** A listener that hands the non-empty text to {@code onText}; null for null. */
    static TokenListener ofText(java.util.function.Consumer<String> onText) {
        if (onText == null) return null;
        return (text, logprob) -> {
            if (!text.isEmpty()) onText.accept(text);
        };
    }
}
