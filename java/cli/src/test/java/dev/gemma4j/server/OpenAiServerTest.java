package dev.gemma4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.TokenLogprob;
import dev.gemma4j.tokenizer.ChatMessage;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gemma4j serve against clients nobody here wrote (OpenAI's Java SDK, LangChain4j's OpenAI models) and plain
 * HTTP: answers equal the Java API's, streams end in [DONE], errors take OpenAI's shape, hang-ups cancel.
 */
class OpenAiServerTest {
    static final String KEY = "test-key";
    static final String MODEL = "tiny-mqa";
    static final ObjectMapper JSON = new ObjectMapper();
    static Gemma gemma;
    static OpenAiServer server;
    static String base;
    static OpenAIClient openai;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        gemma = Gemma.load(MODEL, LoadOptions.cpu().withMaxSequences(8).withContextLength(512), Gemma.LoadMonitor.SILENT);
        server = OpenAiServer.start(gemma, new OpenAiServer.Settings("127.0.0.1", 0, KEY, MODEL, 40, 64 * 1024));
        base = "http://127.0.0.1:" + server.port();
        openai = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        server.close();
        gemma.close();
    }

    /** What the Java API answers alone for a one-message chat, greedy. */
    static GenerationResult alone(String user, int maxTokens) {
        return gemma.generate(ChatTemplate.encode(gemma.tokenizer(), List.of(ChatMessage.user(user)), true),
                GenerationOptions.greedy(maxTokens));
    }

    static HttpResponse<String> post(String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String chatBody(String user, int maxTokens, boolean stream) {
        return JSON.createObjectNode().put("model", MODEL).put("max_tokens", maxTokens).put("temperature", 0)
                .put("stream", stream).set("messages", JSON.createArrayNode().add(JSON.createObjectNode()
                        .put("role", "user").put("content", user))).toString();
    }

    @Test
    void openAiSdkChatAndStreamEqualTheJavaApi() {
        GenerationResult want = alone("Hello there", 12);
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Hello there")
                .maxCompletionTokens(12).temperature(0.0).build();
        ChatCompletion c = openai.chat().completions().create(params);
        assertEquals(want.text(), c.choices().get(0).message().content().orElseThrow());
        assertEquals(want.generatedTokens().length, c.usage().orElseThrow().completionTokens());
        assertEquals(want.promptTokens().length, c.usage().orElseThrow().promptTokens());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().get(0).finishReason());

        StringBuilder streamed = new StringBuilder();
        long usageChunks = 0;
        ChatCompletionCreateParams streaming = params.toBuilder()
                .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
        try (StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(streaming)) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) s.stream()::iterator) {
                for (ChatCompletionChunk.Choice choice : chunk.choices()) choice.delta().content().ifPresent(streamed::append);
                if (chunk.usage().isPresent()) usageChunks++;
            }
        }
        assertEquals(want.text(), streamed.toString());
        assertEquals(1, usageChunks);
        System.out.println("OpenAiServerTest.openAiSdk: chat and stream gave " + want.generatedTokens().length + " tokens: "
                + want.text().replace('\n', ' '));
    }

    @Test
    void openAiSdkCompletionsWithLogprobs() {
        String prompt = "The capital of France is";
        GenerationResult want = gemma.generate(prompt, GenerationOptions.greedy(6).withTopLogprobs(3));
        Completion c = openai.completions().create(CompletionCreateParams.builder().model(MODEL).prompt(prompt)
                .maxTokens(6).temperature(0.0).logprobs(3).build());
        var choice = c.choices().get(0);
        assertEquals(want.text(), choice.text());
        List<Double> lp = choice.logprobs().orElseThrow().tokenLogprobs().orElseThrow();
        assertEquals(want.logprobs().size(), lp.size());
        for (int i = 0; i < lp.size(); i++) {
            TokenLogprob t = want.logprobs().get(i);
            // 1e-5: the server's request may share decode steps with others, whose batched products round
            // differently (up to about 1e-6 relative in the logits).
            assertEquals(t.logprob(), lp.get(i), 1e-5, "token " + i);
        }
        assertEquals(3, choice.logprobs().orElseThrow().topLogprobs().orElseThrow().get(0)._additionalProperties().size());
        assertEquals(6, c.usage().orElseThrow().completionTokens());
        System.out.println("OpenAiServerTest.completions: logprobs " + lp);
    }

    @Test
    void openAiSdkErrorCases() {
        var unknown = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                ChatCompletionCreateParams.builder().model("gpt-4o").addUserMessage("hi").build()));
        assertTrue(unknown.getMessage().contains("unknown model 'gpt-4o'"), unknown.getMessage());
        assertEquals("model", unknown.param().orElseThrow());
        var negative = assertThrows(BadRequestException.class, () -> openai.completions().create(
                CompletionCreateParams.builder().model(MODEL).prompt("a").maxTokens(-3).build()));
        assertEquals("max_tokens", negative.param().orElseThrow());
        String longPrompt = "word ".repeat(600);
        var tooLong = assertThrows(BadRequestException.class, () -> openai.completions().create(
                CompletionCreateParams.builder().model(MODEL).prompt(longPrompt).maxTokens(2).build()));
        assertEquals("context_length_exceeded", tooLong.code().orElseThrow());
        OpenAIClient noKey = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("wrong").maxRetries(0).build();
        assertThrows(UnauthorizedException.class, () -> noKey.models().list());
        var big = assertThrows(OpenAIServiceException.class, () -> openai.completions().create(
                CompletionCreateParams.builder().model(MODEL).prompt("x".repeat(70 * 1024)).maxTokens(2).build()));
        assertEquals(413, big.statusCode());
        assertEquals(MODEL, openai.models().list().data().get(0).id());
        System.out.println("OpenAiServerTest.errors: " + unknown.getMessage() + " | " + tooLong.getMessage());
    }

    @Test
    void rawHttpErrorsTakeOpenAisShape() throws Exception {
        HttpResponse<String> type = post("/v1/chat/completions", "{\"model\": \"tiny-mqa\", \"messages\": \"hi\"}", KEY);
        assertEquals(400, type.statusCode());
        JsonNode error = JSON.readTree(type.body()).get("error");
        for (String f : List.of("message", "type", "param", "code")) assertTrue(error.has(f), type.body());
        assertEquals("messages", error.get("param").asText());
        assertEquals(400, post("/v1/completions", "{not json", KEY).statusCode());
        assertEquals(400, post("/v1/completions", "{\"model\": \"tiny-mqa\", \"prompt\": \"a\", \"temperature\": \"hot\"}", KEY).statusCode());
        assertEquals(401, post("/v1/completions", "{}", null).statusCode());
        HttpResponse<String> tok = post("/tokenize", "{\"content\": \"Hello world\"}", KEY);
        assertEquals("[4521,2134]", JSON.readTree(tok.body()).get("tokens").toString());
        assertEquals("Hello world", JSON.readTree(post("/detokenize", "{\"tokens\": [4521, 2134]}", KEY).body()).get("content").asText());
        assertEquals(400, post("/detokenize", "{\"tokens\": [999999999]}", KEY).statusCode());
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("gemma4j_time_to_first_token_seconds_bucket"), metrics.body());
        assertTrue(metrics.body().contains("gemma4j_requests_total{endpoint=\"/v1/completions\",status=\"400\"}"), metrics.body());
    }

    /**
     * Sampling fields outside their ranges are a 400 naming the field, the value and the range: a subnormal
     * temperature (1/T infinite: every token was id 255999), one that would round to 0 as a float, above the
     * maximum, top_p 0 or 1.5, top_k beyond the vocabulary.
     */
    @Test
    void samplingFieldsOutsideTheirRangesAre400s() throws Exception {
        String[][] cases = {
                {"temperature", "1e-39", "'temperature' must be 0 (greedy) or in [1.1754944E-38, 100.0], found 1.0E-39"},
                {"temperature", "1e-50", "found 1.0E-50"},
                {"temperature", "1e400", "found Infinity"},
                {"temperature", "-1", "found -1.0"},
                {"temperature", "101", "found 101.0"},
                {"top_p", "0", "'top_p' must be in (0, 1], found 0.0"},
                {"top_p", "1.5", "'top_p' must be in (0, 1], found 1.5"},
                {"top_k", "256001", "'top_k' must be in [0, 256000]"},
                {"top_k", "-1", "found -1"},
        };
        for (String[] c : cases) {
            String body = "{\"model\": \"tiny-mqa\", \"prompt\": \"a\", \"max_tokens\": 2, \"" + c[0] + "\": " + c[1] + "}";
            HttpResponse<String> r = post("/v1/completions", body, KEY);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertEquals(c[0], error.get("param").asText(), r.body());
            assertTrue(error.get("message").asText().contains(c[2]), r.body());
        }
        String edge = "{\"model\": \"tiny-mqa\", \"prompt\": \"a\", \"max_tokens\": 2, \"temperature\": 100, \"top_k\": 256000}";
        assertEquals(200, post("/v1/completions", edge, KEY).statusCode());
    }

    @Test
    void langChain4jOpenAiModelsAgainstTheServer() throws Exception {
        GenerationResult want = alone("What is Java?", 10);
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(base + "/v1").apiKey(KEY).modelName(MODEL)
                .temperature(0.0).maxTokens(10).maxRetries(0).build();
        assertEquals(want.text(), model.chat("What is Java?"));
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(base + "/v1").apiKey(KEY)
                .modelName(MODEL).temperature(0.0).maxTokens(10).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("What is Java?", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(want.text(), partial.toString());
        assertEquals(want.text(), r.aiMessage().text());
        System.out.println("OpenAiServerTest.langChain4j: " + r.tokenUsage() + ", finish " + r.finishReason());
    }

    /** Data events of one SSE stream, read until [DONE] or, with hangUpAfter >= 0, until that many arrived. */
    static List<JsonNode> readStream(String body, int hangUpAfter) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Authorization", "Bearer " + KEY).build();
        HttpResponse<InputStream> res = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, res.statusCode());
        List<JsonNode> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: ")) continue;
                String data = line.substring(6);
                if (data.equals("[DONE]")) return events;
                events.add(JSON.readTree(data));
                if (hangUpAfter >= 0 && events.size() >= hangUpAfter) return events;
            }
        }
        throw new AssertionError("the stream ended without [DONE] after " + events.size() + " events");
    }

    static String content(List<JsonNode> events) {
        StringBuilder text = new StringBuilder();
        for (JsonNode e : events) {
            for (JsonNode c : e.get("choices")) text.append(c.path("delta").path("content").asText(""));
        }
        return text.toString();
    }

    /**
     * 32 concurrent streaming clients on loopback, 8 of which hang up after 3 events: every completed greedy
     * answer equals the same request alone through the Java API, the 8 are cancelled, running sequences
     * return to 0 and /health answers.
     */
    @Test
    void loadTestWithHangUps() throws Exception {
        int clients = 32, hangUps = 8, tokens = 8;
        List<String> users = new ArrayList<>();
        for (int i = 0; i < clients; i++) users.add("Question number " + i + ": why?");
        List<String> want = new ArrayList<>();
        for (int i = 0; i < clients; i++) want.add(i < hangUps ? null : alone(users.get(i), tokens).text());
        long cancelledBefore = cancelledCount();
        long t0 = System.nanoTime();
        List<CompletableFuture<List<JsonNode>>> calls = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            boolean hangUp = i < hangUps;
            String body = chatBody(users.get(i), hangUp ? 400 : tokens, true);
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return readStream(body, hangUp ? 3 : -1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, Thread::startVirtualThread));
        }
        for (int i = hangUps; i < clients; i++) {
            List<JsonNode> events = calls.get(i).get(120, TimeUnit.SECONDS);
            assertEquals(want.get(i), content(events), "client " + i);
            assertEquals("length", events.getLast().get("choices").get(0).get("finish_reason").asText());
        }
        for (int i = 0; i < hangUps; i++) calls.get(i).get(120, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gemma.runningSequences() + gemma.waitingRequests() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, gemma.runningSequences());
        assertEquals(hangUps, cancelledCount() - cancelledBefore, "hang-ups noticed");
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        System.out.printf("OpenAiServerTest.load: %d clients (%d hung up) in %.1f s; %s%n", clients, hangUps, seconds,
                gemma.batchStats());
    }

    /**
     * A non-streaming client that closes its connection while its answer is computed: the sequence is cancelled
     * long before the max_tokens it asked for, running sequences return to 0, /metrics counts the hang-up and a
     * 499, and non-streaming requests on a kept-alive connection still get their answers.
     */
    @Test
    void nonStreamingHangUpCancels() throws Exception {
        String prompt = "Once upon a time";
        int tokens = 200;
        long t0 = System.nanoTime();
        GenerationResult whole = gemma.generate(prompt, GenerationOptions.greedy(tokens));
        double aloneSeconds = (System.nanoTime() - t0) / 1e9;
        // Without this the request could end on its own (an end-of-sequence token) and prove nothing.
        assertEquals(GenerationResult.StopReason.MAX_TOKENS, whole.stopReason(), "the uncancelled run's end");
        long cancelledBefore = cancelledCount();
        long rowsBefore = gemma.batchStats().rowsDecoded();
        String body = JSON.createObjectNode().put("model", MODEL).put("prompt", prompt).put("max_tokens", tokens)
                .put("temperature", 0).put("stream", false).toString();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        long rowsAtClose, closedAt;
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gemma.batchStats().rowsDecoded() - rowsBefore < 3 && System.nanoTime() < deadline) Thread.sleep(1);
            assertEquals(1, gemma.runningSequences(), "the request decodes before the client hangs up");
            rowsAtClose = gemma.batchStats().rowsDecoded() - rowsBefore;
            closedAt = System.nanoTime();
        }
        long deadline = closedAt + TimeUnit.SECONDS.toNanos(10);
        while (gemma.runningSequences() > 0 && System.nanoTime() < deadline) Thread.sleep(1);
        double dropMs = (System.nanoTime() - closedAt) / 1e6;
        long rows = gemma.batchStats().rowsDecoded() - rowsBefore;
        assertEquals(0, gemma.runningSequences(), "running sequences " + dropMs + " ms after the hang-up");
        // A quarter of its tokens: the bound leaves room for a loaded machine's scheduling, and still fails a
        // request that ran on (the uncancelled run took the whole max_tokens).
        assertTrue(rows < tokens / 4, rows + " tokens decoded of " + tokens);
        assertEquals(1, cancelledCount() - cancelledBefore, "hang-ups counted");
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("gemma4j_requests_total{endpoint=\"/v1/completions\",status=\"499\"}"), metrics);

        // Two answers in a row on one kept-alive connection: each request's watch ends with the next request.
        String want = gemma.generate(prompt, GenerationOptions.greedy(5)).text();
        String small = JSON.createObjectNode().put("model", MODEL).put("prompt", prompt).put("max_tokens", 5)
                .put("temperature", 0).toString();
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = post("/v1/completions", small, KEY);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(want, JSON.readTree(r.body()).get("choices").get(0).get("text").asText());
        }
        System.out.printf("OpenAiServerTest.nonStreamingHangUp: %d tokens alone in %.2f s; hung up after %d tokens,"
                + " %d decoded in all, running sequences 0 after %.1f ms%n", tokens, aloneSeconds, rowsAtClose, rows,
                dropMs);
    }

    static long cancelledCount() throws Exception {
        String m = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : m.split("\n")) {
            if (line.startsWith("gemma4j_requests_cancelled_total ")) return Long.parseLong(line.substring(line.indexOf(' ') + 1));
        }
        throw new AssertionError("no gemma4j_requests_cancelled_total in " + m);
    }

    /**
     * A server with no queue: a second generation while one runs gets 429; while shutting down, new requests get
     * 503 and the running one finishes its stream.
     */
    @Test
    void fullQueueAnd503WhileShuttingDown() throws Exception {
        try (Gemma one = Gemma.load(MODEL, LoadOptions.cpu().withContextLength(512), Gemma.LoadMonitor.SILENT)) {
            OpenAiServer small = OpenAiServer.start(one, new OpenAiServer.Settings("127.0.0.1", 0, null, MODEL, 0, 1 << 20));
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + small.port() + "/v1")
                    .apiKey("none").maxRetries(0).build();
            CompletableFuture<ChatCompletion> running = CompletableFuture.supplyAsync(() -> client.chat().completions().create(
                    ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("long").maxCompletionTokens(300)
                            .temperature(0.0).build()), Thread::startVirtualThread);
            while (one.runningSequences() == 0) Thread.sleep(5);
            var full = assertThrows(RateLimitException.class, () -> client.chat().completions().create(
                    ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("second").build()));
            assertTrue(full.getMessage().contains("queue is full"), full.getMessage());
            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return small.shutdown(Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, Thread::startVirtualThread);
            Thread.sleep(50);
            var closing = assertThrows(OpenAIServiceException.class, () -> client.models().list());
            assertEquals(503, closing.statusCode());
            assertFalse(running.get(60, TimeUnit.SECONDS).choices().get(0).message().content().orElseThrow().isEmpty());
            assertTrue(drained.get(60, TimeUnit.SECONDS), "the running request finished within the grace period");
        }
    }
}
