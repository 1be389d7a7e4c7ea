package dev.gemma4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gemma4j.io.WholeFile;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tokenize", mixinStandardHelpOptions = true, header = "Print the token ids of text.",
        description = {"Prints the token ids and pieces of TEXT (BOS first, as Hugging Face adds it),",
                "or with --file F --json reads one JSON string per line and writes one JSON array of ids per line."})
final class TokenizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ModelName model = new ModelName();

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
            throw new OptionValueException("give either TEXT or --file F, not " + (text == null ? "neither" : "both"));
        }
        if (file != null && !json) {
            throw new OptionValueException("--file reads JSON strings; add --json");
        }
        GemmaTokenizer tokenizer;
        try (WeightSource weights = WeightSource.open(TestModels.resolve(model.orDefault()), true)) {
            tokenizer = weights.tokenizer();
        }
        ObjectMapper mapper = new ObjectMapper();
        if (file != null) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
                int lineNo = 0;
                for (byte[] line; (line = nextLine(in)) != null; ) {
                    lineNo++;
                    String s;
                    try {
                        s = jsonString(mapper, WholeFile.decodeUtf8(line, IllegalArgumentException::new).toString());
                    } catch (IllegalArgumentException e) {
                        out.flush();                              // the lines before it stay written
                        throw new IllegalArgumentException(file + " line " + lineNo + ": " + e.getMessage(), e);
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

    /** The next line of {@code in} without its line end ("\n" or "\r\n"), or null at the end. */
    private static byte[] nextLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') line.write(b);
        if (b < 0 && line.size() == 0) return null;
        byte[] bytes = line.toByteArray();
        return bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? Arrays.copyOf(bytes, bytes.length - 1) : bytes;
    }

    /** The one JSON string that {@code line} holds; anything else (another value, a second value) is refused. */
    private static String jsonString(ObjectMapper mapper, String line) {
        try (JsonParser p = mapper.createParser(line)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.VALUE_STRING) {
                throw new IllegalArgumentException("expected one JSON string, found "
                        + (first == null ? "an empty line" : first == JsonToken.VALUE_NULL ? "null"
                                : describe(first) + " " + excerpt(line)));
            }
            String s = p.getText();
            JsonToken next = p.nextToken();
            if (next != null) {
                throw new IllegalArgumentException("expected one JSON string, found more after it at column "
                        + p.currentTokenLocation().getColumnNr() + ": " + excerpt(line));
            }
            return s;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("expected one JSON string, found invalid JSON (" + e.getOriginalMessage()
                    + "): " + excerpt(line));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    private static String excerpt(String line) {
        return line.length() > 60 ? line.substring(0, 60) + "…" : line;
    }
}
