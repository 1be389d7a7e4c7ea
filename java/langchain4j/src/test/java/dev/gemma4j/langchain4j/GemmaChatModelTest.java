package dev.gemma4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.tokenizer.ChatMessage;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The in-process LangChain4j models answer what the Java API answers for the same conversation. */
class GemmaChatModelTest {
    @Test
    void chatAndStreamingEqualTheJavaApi() throws Exception {
        try (Gemma gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withMaxSequences(2).withContextLength(256),
                Gemma.LoadMonitor.SILENT)) {
            GenerationResult want = gemma.generate(ChatTemplate.encode(gemma.tokenizer(),
                    List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), true), GenerationOptions.greedy(9));
            ChatRequest request = ChatRequest.builder()
                    .messages(SystemMessage.from("Be brief."), UserMessage.from("Hi"))
                    .maxOutputTokens(9).build();
            ChatResponse r = new GemmaChatModel(gemma, "tiny-mqa").chat(request);
            assertEquals(want.text(), r.aiMessage().text());
            assertEquals(9, r.tokenUsage().outputTokenCount());
            assertEquals(FinishReason.LENGTH, r.finishReason());

            StringBuilder partial = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            new GemmaStreamingChatModel(gemma, "tiny-mqa").chat(request, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String text) {
                    assertFalse(Thread.currentThread().getName().equals("gemma4j-engine"));
                    partial.append(text);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            assertEquals(want.text(), done.get(60, TimeUnit.SECONDS).aiMessage().text());
            assertEquals(want.text(), partial.toString());

            var wrongModel = assertThrows(IllegalArgumentException.class, () -> new GemmaChatModel(gemma, "tiny-mqa")
                    .chat(ChatRequest.builder().messages(UserMessage.from("Hi")).modelName("gpt-4o").build()));
            assertTrue(wrongModel.getMessage().contains("gpt-4o"), wrongModel.getMessage());
        }
    }
}
