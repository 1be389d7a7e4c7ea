package dev.gemma4j.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * Gemma's chat format, as the {@code chat_template} of Gemma's instruction-tuned
 * tokenizer_config.json renders it:
 * <pre>
 * {{ bos_token }}
 * {% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}
 * {% for message in messages %}
 *   {% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles
 *       must alternate user/assistant/user/assistant/...') }}{% endif %}
 *   {% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}
 *   {{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}
 * {% endfor %}
 * {% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}
 * </pre>
 * One user turn with the generation prompt renders as
 * {@code <bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n}.
 * Besides the template's own checks (no system role, user first, roles alternating), every role
 * other than user, model and assistant is rejected.
 */
public final class ChatTemplate {
    private ChatTemplate() {}

    public static String format(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) throw new IllegalArgumentException("Gemma chat needs at least one message, found none");
        StringBuilder text = new StringBuilder("<bos>");
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = Objects.requireNonNull(messages.get(i), "message " + i);
            String role = switch (m.role()) {
                case "user", "model" -> m.role();
                case "assistant" -> "model";
                case "system" -> throw new IllegalArgumentException("message " + i
                        + " has role 'system': Gemma's chat template supports no system role (System role not supported);"
                        + " put the instructions into the first user message");
                default -> throw new IllegalArgumentException("message " + i + " has role '" + m.role()
                        + "': expected 'user', 'model' or 'assistant'");
            };
            boolean userExpected = i % 2 == 0;
            if (role.equals("user") != userExpected) {
                throw new IllegalArgumentException("message " + i + " has role '" + m.role() + "', expected "
                        + (userExpected ? "'user'" : "'model' or 'assistant'")
                        + ": Gemma conversation roles must alternate user/model/user/model/..., starting with user");
            }
            text.append("<start_of_turn>").append(role).append('\n').append(pythonStrip(m.content()))
                    .append("<end_of_turn>\n");
        }
        if (addGenerationPrompt) text.append("<start_of_turn>model\n");
        return text.toString();
    }

    /**
     * Ids of the rendered conversation, tokenized as Hugging Face's {@code apply_chat_template}
     * does: without adding another BOS (the rendered {@code <bos>} becomes id 2, once) and with
     * {@code <start_of_turn>}, {@code <end_of_turn>} matched as ids 106, 107.
     */
    public static int[] encode(GemmaTokenizer tokenizer, List<ChatMessage> messages, boolean addGenerationPrompt) {
        return tokenizer.encodeWithTurnMarkers(format(messages, addGenerationPrompt));
    }

    /** Jinja's {@code trim}, which is Python's {@code str.strip()}: removes characters for which {@code str.isspace()} holds. */
    static String pythonStrip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPythonSpace(s.charAt(start))) start++;
        while (end > start && isPythonSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    /**
     * Python's {@code str.isspace()}: bidirectional class WS, B or S, or general category Zs. All
     * such characters are in the BMP.
     */
    static boolean isPythonSpace(char c) {
        return switch (c) {
            case '\t', '\n', '\u000B', '\u000C', '\r', '\u001C', '\u001D', '\u001E', '\u001F', ' ', '\u0085', '\u00A0',
                 '\u1680', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000' -> true;
            default -> c >= '\u2000' && c <= '\u200A';
        };
    }
}
