package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.Objects;

/**
 * LangChain4j's {@link ChatModel} over a {@link Gemma} in this process: each call is one
 * {@link Gemma#generate} of the conversation in Gemma's chat form, batched with the model's other calls. The
 * model stays owned by the caller. Request parameters are read as {@code Requests.prepare} states: a system
 * message is folded into the first user turn, the temperature defaults to 0 (greedy).
 */
public final class GemmaChatModel implements ChatModel {
    private final Gemma gemma;
    private final String modelName;

    /** @param modelName the name responses carry and requests may give */
    public GemmaChatModel(Gemma gemma, String modelName) {
        this.gemma = Objects.requireNonNull(gemma, "no model given");
        this.modelName = Objects.requireNonNull(modelName, "no model name given");
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Requests.Prepared p = Requests.prepare(gemma, request, modelName);
        return Requests.response(gemma.generate(p.prompt(), p.options()), modelName);
    }
}
