package dev.gemma4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gemma4j.Gemma;
import dev.gemma4j.server.ServingBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve-bench", mixinStandardHelpOptions = true, header = "Measure the server's throughput with concurrent clients.",
        description = "Concurrent streaming clients over HTTP against serve and the same load in process: tok/s, TTFT, time per token.")
final class ServeBenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption modelOption = new ModelOption();

    @Option(names = "--clients", paramLabel = "N", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients = 8;

    @Option(names = "--requests", paramLabel = "R", description = "Requests per client, one after another (default: ${DEFAULT-VALUE}).")
    int requests = 4;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "Prompt tokens per request (default: ${DEFAULT-VALUE}).")
    int promptTokens = 32;

    @Option(names = "--new-tokens", paramLabel = "N", description = "New tokens per request, greedy (default: ${DEFAULT-VALUE}).")
    int newTokens = 64;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the prompts (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Gemma gemma = modelOption.load(err)) {
            ServingBenchmark bench = new ServingBenchmark(gemma, clients, requests, promptTokens, newTokens, seed);
            err.println("serve-bench: " + clients + " clients × " + requests + " requests, " + promptTokens
                    + " prompt + " + newTokens + " new tokens, " + gemma.maxSequences() + " sequences at once ("
                    + gemma.backendName() + ")");
            err.flush();
            List<ServingBenchmark.Figures> figures = bench.run();
            out.printf("%-10s %8s %8s %9s %10s %10s %10s %10s %10s%n", "mode", "requests", "tokens", "seconds", "tok/s",
                    "ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99");
            List<Map<String, Object>> runs = new ArrayList<>();
            for (ServingBenchmark.Figures f : figures) {
                out.printf(Locale.ROOT, "%-10s %8d %8d %9.2f %10.1f %9.1fms %9.1fms %9.2fms %9.2fms%n", f.mode(),
                        f.requests(), f.tokens(), f.seconds(), f.tokensPerSecond(), f.ttftP50() * 1e3, f.ttftP99() * 1e3,
                        f.tpotP50() * 1e3, f.tpotP99() * 1e3);
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("mode", f.mode());
                run.put("requests", f.requests());
                run.put("tokens", f.tokens());
                run.put("seconds", f.seconds());
                run.put("tokens_per_second", f.tokensPerSecond());
                run.put("ttft_p50_ms", f.ttftP50() * 1e3);
                run.put("ttft_p99_ms", f.ttftP99() * 1e3);
                run.put("tpot_p50_ms", f.tpotP50() * 1e3);
                run.put("tpot_p99_ms", f.tpotP99() * 1e3);
                runs.add(run);
            }
            double overheadPercent = 100 * (1 - figures.get(1).tokensPerSecond() / figures.get(0).tokensPerSecond());
            out.printf(Locale.ROOT, "server overhead: %.1f %% of in-process tok/s%n", overheadPercent);
            if (json != null) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("model", modelOption.modelOrDefault());
                doc.put("backend", gemma.backendName());
                doc.put("vocab_size", gemma.tokenizer().vocabSize());
                doc.put("clients", clients);
                doc.put("requests_per_client", requests);
                doc.put("prompt_tokens", promptTokens);
                doc.put("new_tokens", newTokens);
                doc.put("max_sequences", gemma.maxSequences());
                doc.put("context", gemma.contextLength());
                doc.put("seed", seed);
                doc.put("runs", runs);
                doc.put("server_overhead_percent", overheadPercent);
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), doc);
                err.println("wrote " + json);
            }
        }
        return 0;
    }
}
