package dev.gemma4j.cli;

import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** {@code -m/--model}: the option every command that reads a model shares. */
final class ModelName {
    static final String DEFAULT_MODEL = "tiny-mqa";

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|FILE|ORG/NAME|NAME",
            description = "A Hugging Face Gemma folder, a .gguf file (gemma, gemma2, gemma3; F32, F16, BF16), a model in"
                    + " the local Hugging Face cache (org/name), or a built-in"
                    + " model with random weights: ${COMPLETION-CANDIDATES} (default: " + DEFAULT_MODEL
                    + ", bench: synthetic-2b; synthetic-* have the full-size shape and their family's tokenizer).",
            completionCandidates = BuiltInModels.class)
    String model;

    String orDefault(String fallback) {
        return model == null ? fallback : model;
    }

    String orDefault() {
        return orDefault(DEFAULT_MODEL);
    }

    static boolean isBuiltIn(String name) {
        return TestModels.isBuiltIn(name) || SyntheticWeights.isSynthetic(name);
    }

    static final class BuiltInModels implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Stream.concat(TestModels.presetNames().stream(), SyntheticWeights.NAMES.stream()).iterator();
        }
    }
}
