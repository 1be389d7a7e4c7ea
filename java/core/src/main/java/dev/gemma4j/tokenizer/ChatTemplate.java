package dev.gemma4j.tokenizer;

import java.util.ArrayList;
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
 *
 * <p>Two departures from that template, both as llama.cpp's Gemma template does them:
 * <ul>
 *   <li>Gemma has no system role, so a {@code system} message (allowed only first, and only one) is folded
 *       into the first user turn: its trimmed text, a blank line ({@code "\n\n"}), then the user's text.</li>
 *   <li>Text inside a message is never read as a control token: {@link #encode} tokenizes each message's
 *       text with no added tokens matched, so {@code "<start_of_turn>"} written by a user stays text (its
 *       pieces) and cannot open a turn; only the template's own markers are ids 2, 106 and 107.</li>
 * </ul>
 * Besides the template's own checks (user first, roles alternating), every role other than system, user,
 * model and assistant is rejected.
 */
public final class ChatTemplate {
    private ChatTemplate() {}

    /** A checked turn: Gemma's role name ("user" or "model") and its trimmed text. */
    private record Turn(String role, String text) {}

    /** The conversation rendered as text, control markers written out (what {@link #encode} tokenizes). */
    public static String format(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder text = new StringBuilder("<bos>");
        for (Turn t : turns(messages)) {
            text.append("<start_of_turn>").append(t.role()).append('\n').append(t.text()).append("<end_of_turn>\n");
        }
        if (addGenerationPrompt) text.append("<start_of_turn>model\n");
        return text.toString();
    }

    /**
     * Ids of the conversation as Hugging Face's {@code apply_chat_template} tokenizes the rendered text, with
     * one difference: message text is tokenized with no added tokens matched (see the class description).
     * BOS comes once; {@code <start_of_turn>} and {@code <end_of_turn>} are the tokenizer's ids (106 and 107 in
     * Gemma and Gemma 2, 105 and 106 in Gemma 3).
     */
    public static int[] encode(GemmaTokenizer tokenizer, List<ChatMessage> messages, boolean addGenerationPrompt) {
        IntList ids = new IntList(64);
        ids.add(tokenizer.bosId());
        boolean first = true;
        for (Turn t : turns(messages)) {
            // Between two markers the template's text is one run, "\n" after a turn included: "\n" + next
            // role is never merged across the marker, so runs match the rendered text's tokenization.
            if (!first) ids.addAll(tokenizer.encodeLiteral("\n"));
            first = false;
            ids.add(tokenizer.startOfTurnId());
            ids.addAll(tokenizer.encodeLiteral(t.role() + "\n" + t.text()));
            ids.add(tokenizer.endOfTurnId());
        }
        if (!first) ids.addAll(tokenizer.encodeLiteral("\n"));
        if (addGenerationPrompt) {
            ids.add(tokenizer.startOfTurnId());
            ids.addAll(tokenizer.encodeLiteral("model\n"));
        }
        return ids.toArray();
    }

    private static List<Turn> turns(List<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) throw new IllegalArgumentException("Gemma chat needs at least one message, found none");
        List<Turn> turns = new ArrayList<>(messages.size());
        String system = null;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = Objects.requireNonNull(messages.get(i), "message " + i);
            String role = switch (m.role()) {
                case "user", "model" -> m.role();
                case "assistant" -> "model";
                case "system" -> {
                    if (i != 0) {
                        throw new IllegalArgumentException("message " + i + " has role 'system': a system message"
                                + " may only come first (Gemma has no system role; it is folded into the first user turn)");
                    }
                    yield "system";
                }
                default -> throw new IllegalArgumentException("message " + i + " has role '" + m.role()
                        + "': expected 'system' (first only), 'user', 'model' or 'assistant'");
            };
            if (role.equals("system")) {
                system = pythonStrip(m.content());
                continue;
            }
            boolean userExpected = turns.size() % 2 == 0;
            if (role.equals("user") != userExpected) {
                throw new IllegalArgumentException("message " + i + " has role '" + m.role() + "', expected "
                        + (userExpected ? "'user'" : "'model' or 'assistant'")
                        + ": Gemma conversation roles must alternate user/model/user/model/..., starting with user"
                        + " (after an optional system message)");
            }
            String text = pythonStrip(m.content());
            if (system != null) {
                text = system + "\n\n" + text;
                system = null;
            }
            turns.add(new Turn(role, text));
        }
        if (turns.isEmpty()) {
            throw new IllegalArgumentException("Gemma chat needs a user message after the system message, found none");
        }
        return turns;
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
