package dev.gemma4j.tokenizer;

import java.util.Objects;

/**
 * One turn of a conversation. Gemma's chat template knows the roles {@code "user"} and
 * {@code "model"} ({@code "assistant"} is rendered as model); {@link ChatTemplate} checks them.
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage model(String content) {
        return new ChatMessage("model", content);
    }
}
