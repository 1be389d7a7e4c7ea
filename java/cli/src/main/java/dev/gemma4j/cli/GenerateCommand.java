package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continues a prompt, streaming the text as it is produced.")
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption modelOption = new ModelOption();
    @Mixin SamplingOptions sampling = new SamplingOptions();

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt (default: \"${DEFAULT-VALUE}\").")
    String prompt = "The capital of France is";

    @Option(names = "--quiet", description = "Print only the generated text, no statistics.")
    boolean quiet;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GenerationOptions options = sampling.toOptions();
        try (Gemma gemma = modelOption.load(err)) {
            out.print(prompt);
            out.flush();
            GenerationResult r = gemma.generate(prompt, options, text -> {
                out.print(text);
                out.flush();
            });
            out.println();
            if (!quiet) {
                err.println(Stats.describe(r));
            }
        }
        return 0;
    }
}
