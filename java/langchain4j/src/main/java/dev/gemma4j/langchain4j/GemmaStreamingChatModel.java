package dev.gemma4j.langchain4j;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationChunk;
import dev.gemma4j.GenerationStream;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.Objects;
import java.util.concurrent.Flow;

/**
 * LangChain4j's {@link StreamingChatModel} over a {@link Gemma} in this process: the reply streams from a
 * {@link GenerationStream}, so the handler runs on a virtual thread of the request, never on the engine thread,
 * and a slow handler never slows the batch (one that falls {@code GenerationOptions.streamBuffer()} chunks
 * behind gets {@code onError} with a {@code StreamOverflowException}). Parameters as {@link GemmaChatModel}.
 */
public final class GemmaStreamingChatModel implements StreamingChatModel {
    private final Gemma gemma;
    private final String modelName;

    public GemmaStreamingChatModel(Gemma gemma, String modelName) {
        this.gemma = Objects.requireNonNull(gemma, "no model given");
        this.modelName = Objects.requireNonNull(modelName, "no model name given");
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Requests.Prepared p;
        GenerationStream stream;
        try {
            p = Requests.prepare(gemma, request, modelName);
            stream = gemma.stream(p.prompt(), p.options());
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        stream.subscribe(new Flow.Subscriber<>() {
            private Flow.Subscription subscription;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(GenerationChunk chunk) {
                if (chunk.text().isEmpty()) return;
                try {
                    handler.onPartialResponse(chunk.text());
                } catch (RuntimeException e) {
                    subscription.cancel();
                    handler.onError(e);
                }
            }

            @Override
            public void onError(Throwable t) {
                handler.onError(t);
            }

            @Override
            public void onComplete() {
                stream.result().whenComplete((r, e) -> {
                    if (e != null) {
                        handler.onError(e);
                    } else {
                        handler.onCompleteResponse(Requests.response(r, modelName));
                    }
                });
            }
        });
    }
}
