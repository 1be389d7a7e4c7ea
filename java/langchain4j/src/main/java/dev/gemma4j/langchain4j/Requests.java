package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.tokenizer.ChatMessage;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;

/** LangChain4j's chat requests and responses in terms of the gemma4j API, shared by both models. */
final class Requests {
    private Requests() {}

    /** A request as a prompt of token ids and the options to generate with. */
    record Prepared(int[] prompt, GenerationOptions options) {}

    /**
     * Messages: system (first only; folded into the first user turn), user (text only), AI. Parameters: max
     * output tokens (default: the rest of the context), temperature (default 0, greedy), top-p, top-k, stop
     * sequences. Tools and response formats are refused.
     */
    static Prepared prepare(Gemma gemma, ChatRequest request, String modelName) {
        ChatRequestParameters p = request.parameters();
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new IllegalArgumentException("Gemma 1 has no tool calling; the request lists "
                    + p.toolSpecifications().size() + " tools");
        }
        if (p.modelName() != null && !p.modelName().equals(modelName)) {
            throw new IllegalArgumentException("the request names model '" + p.modelName() + "'; this model is '"
                    + modelName + "'");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (dev.langchain4j.data.message.ChatMessage m : request.messages()) {
            messages.add(switch (m) {
                case SystemMessage s -> new ChatMessage("system", s.text());
                case UserMessage u when u.hasSingleText() -> ChatMessage.user(u.singleText());
                case UserMessage u -> throw new IllegalArgumentException("a user message must be one text; found "
                        + u.contents().size() + " contents");
                case AiMessage a -> ChatMessage.model(a.text() == null ? "" : a.text());
                default -> throw new IllegalArgumentException("message type " + m.type()
                        + " is not served: expected SYSTEM, USER or AI");
            });
        }
        int[] prompt = ChatTemplate.encode(gemma.tokenizer(), messages, true);
        GenerationOptions o = GenerationOptions.defaults()
                .withMaxNewTokens(p.maxOutputTokens() != null ? p.maxOutputTokens()
                        : Math.max(1, gemma.contextLength() - prompt.length));
        if (p.temperature() != null) o = o.withTemperature(GenerationOptions.checkTemperature("temperature", p.temperature()));
        if (p.topP() != null) o = o.withTopP(GenerationOptions.checkTopP("topP", p.topP()));
        if (p.topK() != null) o = o.withTopK(p.topK());
        if (p.stopSequences() != null) o = o.withStopStrings(p.stopSequences());
        return new Prepared(prompt, o);
    }

    static ChatResponse response(GenerationResult r, String modelName) {
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(r.text()))
                .modelName(modelName)
                .tokenUsage(new TokenUsage(r.promptTokens().length, r.generatedTokens().length))
                .finishReason(switch (r.stopReason()) {
                    case END_OF_SEQUENCE, STOP_STRING -> FinishReason.STOP;
                    case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
                })
                .build();
    }
}
