package dev.gemma4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Prints the token ids and pieces of TEXT (BOS first, as Hugging Face adds it),",
                "or with --file F --json reads one JSON string per line and writes one JSON array of ids per line."})
final class TokenizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|NAME", description = "Model folder or built-in test model (default: tiny-mqa).")
    String model = ModelOption.DEFAULT_MODEL;

    @Option(names = "--file", paramLabel = "F", description = "Read one JSON string per line of F (with --json).")
    Path file;

    @Option(names = "--json", description = "JSON output: one array of ids per input.")
    boolean json;

    @Parameters(arity = "0..1", paramLabel = "TEXT")
    String text;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if ((text == null) == (file == null)) {
            throw new IllegalArgumentException("give either TEXT or --file F, not " + (text == null ? "neither" : "both"));
        }
        if (file != null && !json) {
            throw new IllegalArgumentException("--file reads JSON strings; add --json");
        }
        GemmaTokenizer tokenizer;
        try (WeightSource weights = Checkpoint.open(TestModels.resolve(model))) {
            tokenizer = GemmaTokenizer.load(weights.tokenizerJson());
        }
        ObjectMapper mapper = new ObjectMapper();
        if (file != null) {
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                int lineNo = 0;
                while ((line = in.readLine()) != null) {
                    lineNo++;
                    String s;
                    try {
                        s = mapper.readValue(line, String.class);
                    } catch (IOException e) {
                        throw new IllegalArgumentException(file + " line " + lineNo + ": expected a JSON string, found "
                                + (line.length() > 60 ? line.substring(0, 60) + "…" : line));
                    }
                    out.println(mapper.writeValueAsString(tokenizer.encodeWithBos(s)));
                }
            }
            out.flush();
            return 0;
        }
        int[] ids = tokenizer.encodeWithBos(text);
        if (json) {
            out.println(mapper.writeValueAsString(ids));
        } else {
            for (int id : ids) {
                out.println(id + "\t" + mapper.writeValueAsString(tokenizer.piece(id)));
            }
        }
        out.flush();
        return 0;
    }
}
