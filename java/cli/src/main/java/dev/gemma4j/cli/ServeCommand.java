package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.server.OpenAiServer;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

@Command(name = "serve", mixinStandardHelpOptions = true, header = "Serve the OpenAI-compatible HTTP API.",
        description = "Serves the model over an OpenAI-compatible HTTP API until SIGTERM or SIGINT.",
        footer = {"", "Endpoints: POST /v1/chat/completions, POST /v1/completions (stream: true for server-sent events),"
                + " GET /v1/models, POST /tokenize, POST /detokenize, GET /health, GET /metrics (Prometheus).",
                "The model id requests name is the model folder's name, or the built-in model's name.",
                "Errors: 400 bad field, 401 without the key, 404 unknown path, 413 body too large, 429 queue full,"
                        + " 503 shutting down, 500 engine failure; OpenAI's {\"error\": {...}} shape.",
                "A client that hangs up, streaming or not, cancels its sequence at the next decode step."})
final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption modelOption = new ModelOption();

    @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "PORT", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' (default: GEMMA4J_API_KEY when set, else none).")
    String apiKey = System.getenv("GEMMA4J_API_KEY");

    @Option(names = "--max-queue", paramLabel = "N",
            description = "Generations that may wait beyond --max-sequences; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue = 64;

    @Option(names = "--max-body", paramLabel = "BYTES", description = "Largest request body; larger get 413 (default: ${DEFAULT-VALUE}).")
    long maxBody = 1 << 20;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS",
            description = "On SIGTERM or SIGINT, how long running requests may take to finish (default: ${DEFAULT-VALUE}).")
    int shutdownSeconds = 30;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        String name = modelOption.modelOrDefault();
        String modelName = TestModels.isBuiltIn(name) || SyntheticWeights.isSynthetic(name) ? name : Path.of(name).toAbsolutePath().normalize().getFileName().toString();
        if (shutdownSeconds < 0) throw new OptionValueException("--shutdown-timeout must be >= 0, found " + shutdownSeconds);
        OpenAiServer.Settings settings = new OpenAiServer.Settings(host, port, apiKey == null || apiKey.isEmpty() ? null : apiKey,
                modelName, maxQueue, maxBody);
        CountDownLatch stop = new CountDownLatch(1);
        // Handling the signals replaces the JVM's default exit (status 143 for SIGTERM): the server drains,
        // the model closes, and the command returns 0.
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        try (Gemma gemma = modelOption.load(err)) {
            OpenAiServer server = OpenAiServer.start(gemma, settings);
            err.println("gemma4j serve: model '" + modelName + "' (" + gemma.backendName() + ", " + gemma.maxSequences()
                    + " sequences, context " + gemma.contextLength() + ") on http://" + host + ":" + server.port()
                    + (settings.apiKey() == null ? "" : " (API key required)"));
            err.flush();
            stop.await();
            err.println("gemma4j serve: shutting down: waiting up to " + shutdownSeconds + " s for "
                    + "running requests");
            err.flush();
            boolean drained = server.shutdown(Duration.ofSeconds(shutdownSeconds));
            err.println("gemma4j serve: " + (drained ? "all requests finished" : "requests still running were cancelled"));
            err.flush();
        }
        return 0;
    }
}
