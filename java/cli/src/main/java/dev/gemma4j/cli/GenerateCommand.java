package dev.gemma4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true, header = "Continue a prompt.",
        description = "Continues a prompt, streaming the text as it is produced; the statistics go to standard error.")
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption modelOption = new ModelOption();
    @Mixin SamplingOptions sampling = new SamplingOptions();

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt (default: \"${DEFAULT-VALUE}\").")
    String prompt = "The capital of France is";

    @Option(names = "--quiet", description = "Print only the generated text: no prompt, no notes, no statistics.")
    boolean quiet;

    @Option(names = "--json", description = "Print one JSON object at the end instead of streaming: text, token ids,"
            + " prompt and new token counts, timings in seconds and the stop reason.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException, IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GenerationOptions options = sampling.toOptions();
        try (Gemma gemma = modelOption.load(err, quiet || json)) {
            // Starting the stream checks the prompt against the context before anything is printed.
            GenerationStream stream = gemma.stream(prompt, options);
            if (json) {
                GenerationResult r = stream.deliver(text -> {});
                out.println(new ObjectMapper().writeValueAsString(toJson(prompt, r)));
                out.flush();
                return 0;
            }
            if (!quiet) out.print(prompt);
            out.flush();
            GenerationResult r = stream.deliver(text -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.flush();
            if (!quiet) err.println(Stats.describe(r));
        }
        return 0;
    }

    static Map<String, Object> toJson(String prompt, GenerationResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt", prompt);
        m.put("text", r.text());
        m.put("prompt_tokens", r.promptTokens().length);
        m.put("new_tokens", r.generatedTokens().length);
        m.put("prompt_token_ids", r.promptTokens());
        m.put("token_ids", r.generatedTokens());
        m.put("stop_reason", r.stopReason().name().toLowerCase(Locale.ROOT));
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("queue_s", r.queueNanos() / 1e9);
        t.put("prefill_s", r.prefillNanos() / 1e9);
        t.put("decode_s", r.decodeNanos() / 1e9);
        int n = r.generatedTokens().length;
        t.put("prefill_tokens_per_s", r.promptTokens().length / Math.max(r.prefillNanos() / 1e9, 1e-9));
        t.put("decode_tokens_per_s", n > 1 && r.decodeNanos() > 0 ? (n - 1) / (r.decodeNanos() / 1e9) : null);
        m.put("timings", t);
        return m;
    }
}
