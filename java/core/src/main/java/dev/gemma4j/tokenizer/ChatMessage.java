package dev.gemma4j.tokenizer;

import java.util.Objects;

/**
 * One turn of a conversation. Gemma's chat template knows the roles {@code "user"} and
 * {@code "model"} ({@code "assistant"} is rendered as model), and {@code "system"} first, folded into the
 * first user turn; {@link ChatTemplate} checks them.
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /** Instructions; Gemma has no system role, so {@link ChatTemplate} folds them into the first user turn. */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage model(String content) {
        return new ChatMessage("model", content);
    }
}
