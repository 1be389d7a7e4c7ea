package dev.gemma4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationChunk;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationStream;
import dev.gemma4j.StreamOverflowException;
import dev.gemma4j.TokenLogprob;
import dev.gemma4j.tokenizer.ChatMessage;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible HTTP API over a {@link Gemma}, on Helidon SE's web server (one virtual thread per
 * request, so each handler simply blocks on its generation).
 *
 * <p>Endpoints: {@code POST /v1/chat/completions}, {@code POST /v1/completions} (both stream server-sent
 * events when {@code stream} is true: {@code data:} chunks, then {@code data: [DONE]}), {@code GET /v1/models},
 * {@code POST /tokenize}, {@code POST /detokenize}, {@code GET /health}, {@code GET /metrics} (Prometheus text).
 * With an API key set, every endpoint but {@code /health} and {@code /metrics} needs
 * {@code Authorization: Bearer KEY}.
 *
 * <p>Errors take OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}: 400 for a bad field,
 * 401 without the key, 404 for an unknown path, 413 for a body over the limit, 429 when the queue is full,
 * 503 while shutting down, 500 for a failure of the engine. A bad request fails only itself.
 *
 * <p>A client that hangs up has its sequence cancelled, which leaves the batch at the next engine turn. A
 * streaming client is noticed at the first write that fails (on loopback the write of the next chunk or the one
 * after); a non-streaming one as soon as its connection closes, by a {@link HangUpWatch} on the connection while
 * the answer is computed. Either counts in {@code gemma4j_requests_cancelled_total} and as status 499.
 */
public final class OpenAiServer implements AutoCloseable {
    /**
     * @param host          the address to listen on (127.0.0.1 keeps the server local)
     * @param port          0 picks a free port
     * @param apiKey        null for none
     * @param modelName     the id of the one model served, which requests must name
     * @param maxQueue      generation requests that may wait for a sequence slot beyond those running; more get 429
     * @param maxBodyBytes  the largest request body; larger ones get 413
     */
    public record Settings(String host, int port, String apiKey, String modelName, int maxQueue, long maxBodyBytes) {
        public Settings {
            Objects.requireNonNull(host, "no host given");
            Objects.requireNonNull(modelName, "no model name given");
            if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], found " + port);
            if (maxQueue < 0) throw new IllegalArgumentException("--max-queue must be >= 0, found " + maxQueue);
            if (maxBodyBytes < 1) throw new IllegalArgumentException("--max-body must be >= 1 byte, found " + maxBodyBytes);
        }
    }

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    /** The status recorded for a request whose client hung up (nginx's "client closed request"). */
    private static final int HUNG_UP = 499;
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final Gemma gemma;
    private final GemmaTokenizer tokenizer;
    private final Settings settings;
    private final Metrics metrics;
    private final WebServer server;
    private final HangUpWatch hangUps = new HangUpWatch();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger generations = new AtomicInteger();
    private volatile boolean shuttingDown;

    private OpenAiServer(Gemma gemma, Settings settings) {
        this.gemma = gemma;
        this.tokenizer = gemma.tokenizer();
        this.settings = settings;
        this.metrics = new Metrics(gemma::waitingRequests, gemma::runningSequences);
        this.server = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                // The server's own hook would stop it at once on SIGTERM; shutdown() drains it instead.
                .shutdownHook(false)
                .addProtocol(Http1Config.builder().addReceiveListener(hangUps).build())
                .routing(this::routes)
                .build();
    }

    /** Starts listening; the model stays owned by the caller. */
    public static OpenAiServer start(Gemma gemma, Settings settings) {
        OpenAiServer s = new OpenAiServer(gemma, settings);
        s.server.start();
        // Helidon logs a failed bind and returns a server that is not running, rather than throwing.
        if (!s.server.isRunning()) {
            throw new IllegalStateException("could not listen on " + settings.host() + ":" + settings.port()
                    + " (is the port taken? --port 0 picks a free one)");
        }
        return s;
    }

    /** The port listened on. */
    public int port() {
        return server.port();
    }

    private void routes(HttpRouting.Builder r) {
        r.post("/v1/chat/completions", (req, res) -> handle(req, res, "/v1/chat/completions", true, this::chat))
                .post("/v1/completions", (req, res) -> handle(req, res, "/v1/completions", true, this::completions))
                .get("/v1/models", (req, res) -> handle(req, res, "/v1/models", true, (q, s) -> models(s)))
                .post("/tokenize", (req, res) -> handle(req, res, "/tokenize", true, this::tokenize))
                .post("/detokenize", (req, res) -> handle(req, res, "/detokenize", true, this::detokenize))
                .get("/health", (req, res) -> handle(req, res, "/health", false, (q, s) -> health(s)))
                .get("/metrics", (req, res) -> handle(req, res, "/metrics", false, (q, s) -> {
                    s.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    s.send(metrics.render().getBytes(StandardCharsets.UTF_8));
                    return 200;
                }))
                .any((req, res) -> handle(req, res, "other", false, (q, s) -> {
                    throw new ApiError(404, "invalid_request_error", null, "not_found", "no endpoint "
                            + q.prologue().method().text() + " " + q.path().path()
                            + "; expected /v1/chat/completions, /v1/completions, /v1/models, /tokenize, /detokenize,"
                            + " /health or /metrics");
                }));
    }

    /** An endpoint's work: answers the request and returns the status it sent. */
    @FunctionalInterface
    private interface Endpoint {
        int run(ServerRequest req, ServerResponse res) throws Exception;
    }

    private void handle(ServerRequest req, ServerResponse res, String name, boolean keyed, Endpoint endpoint) {
        int status;
        boolean settled;
        try {
            inFlight.incrementAndGet();
            try {
                if (shuttingDown && !name.equals("/metrics")) {
                    throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
                }
                if (keyed) checkKey(req);
                status = endpoint.run(req, res);
            } catch (ApiError e) {
                status = sendError(res, e);
            } catch (IllegalArgumentException e) {
                status = sendError(res, ApiError.badField(null, e.getMessage()));
            } catch (IllegalStateException e) {
                status = sendError(res, new ApiError(503, "server_error", null, "unavailable", e.getMessage()));
            } catch (Exception | Error e) {
                status = sendError(res, new ApiError(500, "server_error", null, "internal_error", String.valueOf(e)));
            } finally {
                inFlight.decrementAndGet();
            }
            metrics.request(name, status);
        } finally {
            // After the request stops counting as in flight: the watch may last until the client's next request.
            settled = hangUps.settle();
        }
        // Nothing is written for a client that is gone; Helidon closes the connection without an answer, as it
        // does when the server stops while the connection is idle.
        if (status == HUNG_UP && !res.isSent()) throw new CloseConnectionException("the client closed the connection");
        if (!settled) throw new CloseConnectionException("the server is stopping");
    }

    private void checkKey(ServerRequest req) {
        if (settings.apiKey() == null) return;
        String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
        if (auth == null || !auth.equals("Bearer " + settings.apiKey())) {
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key", auth == null
                    ? "no API key given: expected the header 'Authorization: Bearer KEY'"
                    : "the API key given is not this server's");
        }
    }

    private int sendError(ServerResponse res, ApiError e) {
        if (res.isSent()) return e.status;
        ObjectNode error = JSON.createObjectNode();
        ObjectNode inner = error.putObject("error");
        inner.put("message", e.getMessage());
        inner.put("type", e.type);
        inner.put("param", e.param);
        inner.put("code", e.code);
        res.status(Status.create(e.status));
        sendJson(res, error);
        return e.status;
    }

    private static void sendJson(ServerResponse res, JsonNode body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Fields body(ServerRequest req) {
        OptionalLong declared = req.headers().contentLength();
        long limit = settings.maxBodyBytes();
        if (declared.isPresent() && declared.getAsLong() > limit) throw tooLarge(declared.getAsLong());
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) throw tooLarge(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new Fields(JSON.readTree(bytes));
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw ApiError.badField(null, "the request body is not valid JSON: " + why);
        }
    }

    private ApiError tooLarge(long found) {
        return new ApiError(413, "invalid_request_error", null, "request_too_large", "the request body holds "
                + (found >= 0 ? found + " bytes" : "more bytes") + " than the limit of " + settings.maxBodyBytes()
                + " (--max-body)");
    }

    private void checkModel(Fields f) {
        String model = f.requiredString("model");
        if (!model.equals(settings.modelName())) {
            throw new ApiError(400, "invalid_request_error", "model", "model_not_found", "unknown model '" + model
                    + "': this server serves '" + settings.modelName() + "'");
        }
    }

    /** The sampling fields both generation endpoints share. */
    private GenerationOptions options(Fields f, int promptTokens, int defaultMaxTokens) {
        if (f.has("n") && f.integer("n", 1, 1, 1) != 1) throw ApiError.badField("n", "only n = 1 is served");
        String maxName = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int max = f.integer(maxName, defaultMaxTokens, 1, Integer.MAX_VALUE);
        if (promptTokens >= gemma.contextLength()) {
            throw new ApiError(400, "invalid_request_error", "messages", "context_length_exceeded", "the prompt has "
                    + promptTokens + " tokens; the context holds " + gemma.contextLength()
                    + ", which leaves no room for a new token");
        }
        GenerationOptions o = GenerationOptions.defaults()
                .withMaxNewTokens(max)
                .withTemperature(checked("temperature",
                        () -> GenerationOptions.checkTemperature("'temperature'", f.number("temperature", 1))))
                .withTopP(checked("top_p", () -> GenerationOptions.checkTopP("'top_p'", f.number("top_p", 1))))
                .withTopK(checked("top_k", () -> GenerationOptions.checkTopK("'top_k'", f.longValue("top_k", 0L),
                        gemma.config().vocabSize())))
                .withSeed(f.longValue("seed", ThreadLocalRandom.current().nextLong()))
                .withStopStrings(f.stop());
        return o;
    }

    /** A sampling field checked by {@link GenerationOptions}' own check, its refusal a 400 naming the field. */
    private static <T> T checked(String field, Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            throw ApiError.badField(field, e.getMessage());
        }
    }

    private void admit() {
        int limit = gemma.maxSequences() + settings.maxQueue();
        if (generations.incrementAndGet() > limit) {
            generations.decrementAndGet();
            throw new ApiError(429, "rate_limit_error", null, "queue_full", "the queue is full: " + limit
                    + " generations running or waiting (--max-sequences + --max-queue); retry later");
        }
    }

    private int chat(ServerRequest req, ServerResponse res) throws Exception {
        Fields f = body(req);
        checkModel(f);
        List<ChatMessage> messages = messages(f);
        int[] prompt;
        try {
            prompt = ChatTemplate.encode(tokenizer, messages, true);
        } catch (IllegalArgumentException e) {
            throw ApiError.badField("messages", e.getMessage());
        }
        GenerationOptions o = options(f, prompt.length, gemma.contextLength() - prompt.length);
        if (f.bool("logprobs", false)) {
            o = o.withTopLogprobs(f.integer("top_logprobs", 0, 0, GenerationOptions.MAX_TOP_LOGPROBS));
        } else if (f.has("top_logprobs")) {
            throw ApiError.badField("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        }
        return generate(req, f, res, prompt, o, true);
    }

    private static List<ChatMessage> messages(Fields f) {
        JsonNode list = f.node("messages");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw ApiError.badField("messages", "'messages' must be a non-empty array of {role, content}, found "
                    + (list == null ? "none" : Fields.kind(list)));
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String where = "messages[" + i + "]";
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw Fields.wrongType(where + ".role", "a string", m);
            String r = switch (role.asText()) {
                case "system", "developer" -> "system";
                case "user" -> "user";
                case "assistant" -> "assistant";
                default -> throw ApiError.badField(where + ".role", "role '" + role.asText()
                        + "' is not served: expected system, developer, user or assistant");
            };
            out.add(new ChatMessage(r, content(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** A message's content: a string, or an array of {type: "text", text} parts, joined. */
    private static String content(JsonNode c, String where) {
        if (c != null && c.isTextual()) return c.asText();
        if (c != null && c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                JsonNode type = part.get("type");
                if (type == null || !"text".equals(type.asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badField(where, "content parts must be {\"type\": \"text\", \"text\": ...}, found "
                            + Fields.kind(part));
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiError.badField(where, "'content' must be a string or an array of text parts, found "
                + (c == null ? "none" : Fields.kind(c)));
    }

    private int completions(ServerRequest req, ServerResponse res) throws Exception {
        Fields f = body(req);
        checkModel(f);
        int[] prompt = prompt(f.node("prompt"));
        if (f.bool("echo", false)) throw ApiError.badField("echo", "'echo': true is not served");
        GenerationOptions o = options(f, prompt.length, 16);
        Integer logprobs = f.integer("logprobs", null, 0, 5);
        if (logprobs != null) o = o.withTopLogprobs(logprobs);
        return generate(req, f, res, prompt, o, false);
    }

    /** The completion prompt: text (BOS is added), one text in an array, or token ids (used as given). */
    private int[] prompt(JsonNode p) {
        if (p != null && p.isArray() && p.size() == 1 && (p.get(0).isTextual() || p.get(0).isArray())) p = p.get(0);
        if (p != null && p.isTextual()) {
            if (p.asText().isEmpty()) throw ApiError.badField("prompt", "'prompt' is empty");
            return tokenizer.encodeWithBos(p.asText());
        }
        if (p != null && p.isArray() && !p.isEmpty()) return ids(p, "prompt");
        throw ApiError.badField("prompt", "'prompt' must be a non-empty string, an array of one string or an array of"
                + " token ids, found " + (p == null ? "none" : Fields.kind(p)));
    }

    private int[] ids(JsonNode array, String param) {
        int[] ids = new int[array.size()];
        int vocab = tokenizer.vocabSize();
        for (int i = 0; i < ids.length; i++) {
            JsonNode n = array.get(i);
            if (!n.isIntegralNumber() || n.asLong() < 0 || n.asLong() >= vocab) {
                throw ApiError.badField(param, param + "[" + i + "] must be a token id in [0, " + vocab + "), found "
                        + n);
            }
            ids[i] = n.asInt();
        }
        return ids;
    }

    private int generate(ServerRequest req, Fields f, ServerResponse res, int[] prompt, GenerationOptions o, boolean chat)
            throws Exception {
        boolean stream = f.bool("stream", false);
        JsonNode streamOptions = f.node("stream_options");
        if (streamOptions != null && !streamOptions.isObject()) {
            throw Fields.wrongType("stream_options", "an object", streamOptions);
        }
        boolean usageChunk = streamOptions != null && new Fields(streamOptions).bool("include_usage", false);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        admit();
        try {
            GenerationResult r;
            if (!stream) {
                CompletableFuture<GenerationResult> pending = gemma.generateAsync(prompt, o);
                // Cancelling the future itself (not the engine's) makes get() throw CancellationException, which
                // tells a hang-up apart from the model closing (an ExecutionException below).
                hangUps.watch(req, () -> pending.cancel(false));
                try {
                    r = pending.get();
                } catch (CancellationException hangUp) {
                    metrics.cancelled();
                    return HUNG_UP;
                } catch (InterruptedException e) {
                    pending.cancel(false);
                    throw e;
                }
                record(r);
                ObjectNode body = envelope(id, chat ? "chat.completion" : "text_completion", created);
                ObjectNode choice = body.putArray("choices").addObject();
                choice.put("index", 0);
                if (chat) {
                    ObjectNode message = choice.putObject("message");
                    message.put("role", "assistant");
                    message.put("content", r.text());
                    choice.set("logprobs", o.logprobs() ? chatLogprobs(r.logprobs()) : null);
                } else {
                    choice.put("text", r.text());
                    choice.set("logprobs", o.logprobs() ? completionLogprobs(r.logprobs(), 0) : null);
                }
                choice.put("finish_reason", finishReason(r));
                body.set("usage", usage(r));
                sendJson(res, body);
                return 200;
            }
            GenerationStream s = gemma.stream(prompt, o);
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            OutputStream out = res.outputStream();
            BlockingQueue<Object> items = new LinkedBlockingQueue<>();
            Flow.Subscription[] subscription = new Flow.Subscription[1];
            s.subscribe(new Flow.Subscriber<>() {
                public void onSubscribe(Flow.Subscription sub) {
                    subscription[0] = sub;
                }

                public void onNext(GenerationChunk chunk) {
                    items.add(chunk);
                }

                public void onError(Throwable t) {
                    items.add(t);
                }

                public void onComplete() {
                    items.add(Boolean.TRUE);
                }
            });
            try {
                if (chat) {
                    ObjectNode first = chunk(id, created, true);
                    first.withArray("choices").addObject().put("index", 0).putNull("finish_reason")
                            .putObject("delta").put("role", "assistant").put("content", "");
                    write(out, first);
                }
                int textOffset = 0;
                while (true) {
                    // One chunk requested at a time: a client that reads slowly fills this request's buffer.
                    subscription[0].request(1);
                    Object item = items.take();
                    if (item == Boolean.TRUE) break;
                    if (item instanceof Throwable t) {
                        ApiError e = t instanceof StreamOverflowException
                                ? new ApiError(500, "server_error", null, "stream_overflow", t.getMessage())
                                : new ApiError(500, "server_error", null, "internal_error", String.valueOf(t));
                        ObjectNode error = JSON.createObjectNode();
                        error.putObject("error").put("message", e.getMessage()).put("type", e.type).putNull("param")
                                .put("code", e.code);
                        write(out, error);
                        send(out, DONE);
                        return 200;
                    }
                    GenerationChunk c = (GenerationChunk) item;
                    ObjectNode body = chunk(id, created, chat);
                    ObjectNode choice = body.withArray("choices").addObject().put("index", 0);
                    List<TokenLogprob> lp = c.logprob() == null ? List.of() : List.of(c.logprob());
                    if (chat) {
                        choice.putObject("delta").put("content", c.text());
                        choice.set("logprobs", o.logprobs() && !lp.isEmpty() ? chatLogprobs(lp) : null);
                    } else {
                        choice.put("text", c.text());
                        choice.set("logprobs", o.logprobs() && !lp.isEmpty() ? completionLogprobs(lp, textOffset) : null);
                    }
                    choice.putNull("finish_reason");
                    textOffset += c.text().length();
                    write(out, body);
                }
                r = s.result().get();
                record(r);
                ObjectNode last = chunk(id, created, chat);
                ObjectNode choice = last.withArray("choices").addObject().put("index", 0);
                if (chat) {
                    choice.putObject("delta");
                } else {
                    choice.put("text", "");
                }
                choice.putNull("logprobs");
                choice.put("finish_reason", finishReason(r));
                write(out, last);
                if (usageChunk) {
                    ObjectNode usage = chunk(id, created, chat);
                    usage.putArray("choices");
                    usage.set("usage", usage(r));
                    write(out, usage);
                }
                send(out, DONE);
                try {
                    out.close();
                } catch (IOException | RuntimeException e) {
                    throw new ClientGone(e);
                }
                return 200;
            } catch (ClientGone hangUp) {
                s.cancel();
                metrics.cancelled();
                return HUNG_UP;
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CancellationException) {
                throw new ApiError(503, "server_error", null, "cancelled", "the generation was cancelled: "
                        + e.getCause().getMessage());
            }
            if (e.getCause() instanceof Exception cause) throw cause;
            throw e;
        } finally {
            generations.decrementAndGet();
        }
    }

    private void record(GenerationResult r) {
        metrics.generation(r.promptTokens().length, r.generatedTokens().length, r.queueNanos() + r.prefillNanos(),
                r.decodeNanos());
    }

    private ObjectNode envelope(String id, String object, long created) {
        ObjectNode body = JSON.createObjectNode();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", settings.modelName());
        return body;
    }

    private ObjectNode chunk(String id, long created, boolean chat) {
        return envelope(id, chat ? "chat.completion.chunk" : "text_completion", created);
    }

    /** The client went away: a write of its stream failed. */
    private static final class ClientGone extends RuntimeException {
        ClientGone(Throwable cause) {
            super(cause);
        }
    }

    private static void write(OutputStream out, JsonNode event) {
        try {
            send(out, ("data: " + JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes and flushes one event. Helidon reports a closed connection with exceptions of its own (not always
     * IOExceptions), so any failure of the write counts as the client gone.
     */
    private static void send(OutputStream out, byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            throw new ClientGone(e);
        }
    }

    private static String finishReason(GenerationResult r) {
        return switch (r.stopReason()) {
            case END_OF_SEQUENCE, STOP_STRING -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
        };
    }

    private static ObjectNode usage(GenerationResult r) {
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", r.promptTokens().length);
        u.put("completion_tokens", r.generatedTokens().length);
        u.put("total_tokens", r.promptTokens().length + r.generatedTokens().length);
        return u;
    }

    /** The text of one token, as OpenAI's logprobs name it. */
    private String tokenText(int id) {
        return tokenizer.decode(new int[] {id});
    }

    /** The UTF-8 bytes of one token: a byte piece {@code <0xNN>} is its one byte. */
    private ArrayNode tokenBytes(int id) {
        ArrayNode out = JSON.createArrayNode();
        String piece = tokenizer.piece(id);
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            out.add(Integer.parseInt(piece.substring(3, 5), 16));
        } else {
            for (byte b : tokenText(id).getBytes(StandardCharsets.UTF_8)) out.add(b & 0xff);
        }
        return out;
    }

    private ObjectNode chatLogprobs(List<TokenLogprob> logprobs) {
        ObjectNode node = JSON.createObjectNode();
        ArrayNode content = node.putArray("content");
        for (TokenLogprob t : logprobs) {
            ObjectNode e = content.addObject();
            e.put("token", tokenText(t.token()));
            e.put("logprob", t.logprob());
            e.set("bytes", tokenBytes(t.token()));
            ArrayNode top = e.putArray("top_logprobs");
            for (TokenLogprob.Alternative a : t.top()) {
                top.addObject().put("token", tokenText(a.token())).put("logprob", a.logprob())
                        .set("bytes", tokenBytes(a.token()));
            }
        }
        node.putNull("refusal");
        return node;
    }

    private ObjectNode completionLogprobs(List<TokenLogprob> logprobs, int firstOffset) {
        ObjectNode node = JSON.createObjectNode();
        ArrayNode tokens = node.putArray("tokens");
        ArrayNode values = node.putArray("token_logprobs");
        ArrayNode top = node.putArray("top_logprobs");
        ArrayNode offsets = node.putArray("text_offset");
        int offset = firstOffset;
        for (TokenLogprob t : logprobs) {
            String text = tokenText(t.token());
            tokens.add(text);
            values.add(t.logprob());
            ObjectNode alternatives = top.addObject();
            for (TokenLogprob.Alternative a : t.top()) alternatives.put(tokenText(a.token()), a.logprob());
            offsets.add(offset);
            offset += text.length();
        }
        return node;
    }

    private int models(ServerResponse res) {
        ObjectNode body = JSON.createObjectNode();
        body.put("object", "list");
        ObjectNode m = body.putArray("data").addObject();
        m.put("id", settings.modelName());
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "gemma4j");
        sendJson(res, body);
        return 200;
    }

    /** llama.cpp's shape: {@code {"content", "add_special"?, "with_pieces"?}} gives {@code {"tokens": [...]}}. */
    private int tokenize(ServerRequest req, ServerResponse res) {
        Fields f = body(req);
        String text = f.requiredString("content");
        int[] ids = f.bool("add_special", false) ? tokenizer.encodeWithBos(text) : tokenizer.encode(text);
        boolean pieces = f.bool("with_pieces", false);
        ObjectNode body = JSON.createObjectNode();
        ArrayNode tokens = body.putArray("tokens");
        for (int id : ids) {
            if (pieces) {
                tokens.addObject().put("id", id).put("piece", tokenizer.piece(id));
            } else {
                tokens.add(id);
            }
        }
        sendJson(res, body);
        return 200;
    }

    private int detokenize(ServerRequest req, ServerResponse res) {
        Fields f = body(req);
        JsonNode tokens = f.node("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw ApiError.badField("tokens", "'tokens' must be an array of token ids, found "
                    + (tokens == null ? "none" : Fields.kind(tokens)));
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("content", tokenizer.decode(ids(tokens, "tokens")));
        sendJson(res, body);
        return 200;
    }

    private int health(ServerResponse res) {
        ObjectNode body = JSON.createObjectNode();
        body.put("status", "ok");
        body.put("running_sequences", gemma.runningSequences());
        body.put("queue_depth", gemma.waitingRequests());
        sendJson(res, body);
        return 200;
    }

    /**
     * Stops taking requests (new ones get 503), waits up to {@code grace} for those in flight to finish, then
     * stops listening. Requests still running after the grace period are cut off when the caller closes the
     * model (which cancels them).
     *
     * @return true when every request finished within the grace period
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        shuttingDown = true;
        long deadline = System.nanoTime() + grace.toNanos();
        boolean drained;
        while (!(drained = inFlight.get() == 0) && System.nanoTime() < deadline) Thread.sleep(10);
        server.stop();
        return drained;
    }

    /** Stops listening at once. */
    @Override
    public void close() {
        shuttingDown = true;
        server.stop();
    }
}
