package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "logits", mixinStandardHelpOptions = true, header = "Write a token sequence's logits as .npy.",
        description = "Writes the fp32 logits at every position of a token sequence as .npy [tokens, vocab].")
final class LogitsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption modelOption = new ModelOption();

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--tokens", paramLabel = "IDS", split = ",", description = "Comma-separated token ids, e.g. 2,651,1234.")
        int[] tokens;

        @Option(names = "--prompt", paramLabel = "TEXT", description = "Text to tokenize (BOS first) instead of --tokens.")
        String prompt;
    }

    @Option(names = "--out", paramLabel = "FILE.npy", required = true, description = "Output .npy file.")
    Path out;

    @Option(names = "--incremental", description = "Feed the tokens one at a time through the decode path and its "
            + "KV cache instead of one prefill; writes the same [tokens, vocab] array.")
    boolean incremental;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        try (Gemma gemma = modelOption.load(err)) {
            int[] tokens = input.tokens != null ? input.tokens : gemma.tokenizer().encodeWithBos(input.prompt);
            float[][] logits = gemma.logits(tokens, incremental);
            Npy.writeFloat32(out, logits);
            err.println("wrote " + out + ": float32 [" + logits.length + ", " + gemma.config().vocabSize()
                    + "] for tokens " + Arrays.toString(tokens) + (incremental ? ", one token at a time" : ""));
        }
        return 0;
    }
}
