package dev.gemma4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationChunk;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationStream;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * The same load twice: N concurrent clients, each making R streaming greedy requests one after another, once
 * over HTTP against {@link OpenAiServer} on loopback and once through the Java API in this process. Per run:
 * aggregate generated tokens per second (all tokens ÷ wall time), time to first token (request sent → first
 * token received) and time per token (per request: first token → last ÷ tokens − 1), p50 and p99 over the
 * requests; the server's overhead is 1 − HTTP tok/s ÷ in-process tok/s.
 */
public final class ServingBenchmark {
    /** What one run measured. */
    public record Figures(String mode, int requests, long tokens, double seconds, double tokensPerSecond,
                          double ttftP50, double ttftP99, double tpotP50, double tpotP99) {}

    /** One request's timings: when it was sent, its first and last token, and its tokens. */
    private record Timing(long sent, long first, long last, int tokens) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Gemma gemma;
    private final int clients, requestsPerClient, newTokens;
    private final int[][] prompts;

    /** Client c's prompt: BOS and {@code promptTokens - 1} ids drawn from {@code seed}, the same in both runs. */
    public ServingBenchmark(Gemma gemma, int clients, int requestsPerClient, int promptTokens, int newTokens, long seed) {
        if (clients < 1 || requestsPerClient < 1 || promptTokens < 1 || newTokens < 2) {
            throw new IllegalArgumentException("--clients, --requests and --prompt-tokens must be >= 1 and --new-tokens"
                    + " >= 2, found " + clients + ", " + requestsPerClient + ", " + promptTokens + " and " + newTokens);
        }
        if (promptTokens + newTokens > gemma.contextLength()) {
            throw new IllegalArgumentException("--prompt-tokens + --new-tokens = " + (promptTokens + newTokens)
                    + " exceeds the context of " + gemma.contextLength() + " tokens (--context)");
        }
        this.gemma = gemma;
        this.clients = clients;
        this.requestsPerClient = requestsPerClient;
        this.newTokens = newTokens;
        SplittableRandom rnd = new SplittableRandom(seed);
        prompts = new int[clients][promptTokens];
        for (int[] p : prompts) {
            p[0] = gemma.tokenizer().bosId();
            // Ids above the special and byte pieces, as ordinary text would have.
            for (int i = 1; i < p.length; i++) p[i] = 300 + rnd.nextInt(gemma.tokenizer().vocabSize() - 300);
        }
    }

    /**
     * Warms both paths up (one request per client each, so the JIT has compiled the server's and the client's
     * code too), then runs in process and over HTTP.
     */
    public List<Figures> run() throws Exception {
        try (OpenAiServer server = OpenAiServer.start(gemma,
                new OpenAiServer.Settings("127.0.0.1", 0, null, "bench", clients, 1 << 20))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String url = "http://127.0.0.1:" + server.port() + "/v1/completions";
            Client overHttp = c -> overHttp(http, url, c);
            load(this::inProcess, 1);
            load(overHttp, 1);
            List<Figures> out = new ArrayList<>();
            out.add(figures("in-process", load(this::inProcess, requestsPerClient)));
            out.add(figures("http", load(overHttp, requestsPerClient)));
            return out;
        }
    }

    @FunctionalInterface
    private interface Client {
        Timing request(int client) throws Exception;
    }

    private record Load(List<Timing> timings, long nanos) {}

    private Load load(Client client, int rounds) throws Exception {
        List<CompletableFuture<List<Timing>>> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            int id = c;
            runs.add(CompletableFuture.supplyAsync(() -> {
                List<Timing> mine = new ArrayList<>();
                try {
                    for (int r = 0; r < rounds; r++) mine.add(client.request(id));
                } catch (Exception e) {
                    throw new IllegalStateException("client " + id + ": " + e, e);
                }
                return mine;
            }, Thread::startVirtualThread));
        }
        List<Timing> all = new ArrayList<>();
        for (CompletableFuture<List<Timing>> r : runs) all.addAll(r.get());
        return new Load(all, System.nanoTime() - t0);
    }

    private Timing inProcess(int client) throws Exception {
        long sent = System.nanoTime();
        GenerationStream s = gemma.stream(prompts[client], GenerationOptions.greedy(newTokens));
        long[] firstLast = {0, 0};
        CompletableFuture<Void> done = new CompletableFuture<>();
        s.subscribe(new Flow.Subscriber<>() {
            public void onSubscribe(Flow.Subscription sub) {
                sub.request(Long.MAX_VALUE);
            }

            public void onNext(GenerationChunk chunk) {
                long now = System.nanoTime();
                if (firstLast[0] == 0) firstLast[0] = now;
                firstLast[1] = now;
            }

            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            public void onComplete() {
                done.complete(null);
            }
        });
        done.get();
        GenerationResult r = s.result().get();
        return new Timing(sent, firstLast[0], firstLast[1], r.generatedTokens().length);
    }

    private Timing overHttp(HttpClient http, String url, int client) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", "bench").put("max_tokens", newTokens).put("temperature", 0)
                .put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        var prompt = body.putArray("prompt");
        for (int id : prompts[client]) prompt.add(id);
        long sent = System.nanoTime();
        HttpResponse<InputStream> res = http.send(HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + res.statusCode() + ": " + new String(res.body().readAllBytes(),
                    StandardCharsets.UTF_8));
        }
        long first = 0, last = 0;
        int tokens = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                JsonNode event = JSON.readTree(line.substring(6));
                if (event.has("usage")) {
                    tokens = event.get("usage").get("completion_tokens").asInt();
                } else if (event.get("choices").get(0).get("finish_reason").isNull()) {
                    long now = System.nanoTime();
                    if (first == 0) first = now;
                    last = now;
                }
            }
        }
        if (tokens < 0) throw new IllegalStateException("the stream carried no usage");
        return new Timing(sent, first, last, tokens);
    }

    private static Figures figures(String mode, Load load) {
        long tokens = 0;
        double[] ttft = new double[load.timings().size()];
        List<Double> tpot = new ArrayList<>();
        for (int i = 0; i < ttft.length; i++) {
            Timing t = load.timings().get(i);
            tokens += t.tokens();
            ttft[i] = (t.first() - t.sent()) / 1e9;
            if (t.tokens() > 1) tpot.add((t.last() - t.first()) / 1e9 / (t.tokens() - 1));
        }
        double[] perToken = tpot.stream().mapToDouble(Double::doubleValue).toArray();
        double seconds = load.nanos() / 1e9;
        return new Figures(mode, ttft.length, tokens, seconds, tokens / seconds, percentile(ttft, 50), percentile(ttft, 99),
                percentile(perToken, 50), percentile(perToken, 99));
    }

    /** The nearest-rank percentile; NaN for no values. */
    static double percentile(double[] values, double p) {
        if (values.length == 0) return Double.NaN;
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
