package dev.gemma4j.cli;

import dev.gemma4j.GenerationOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options that choose how new tokens are picked, shared by generate and chat. */
final class SamplingOptions {
    @Option(names = "--max-tokens", paramLabel = "N", description = "Most new tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens = 128;

    /** A double, so that text that would round to 0 or to a subnormal float is refused, not taken as greedy. */
    @Option(names = "--temperature", paramLabel = "T",
            description = "0 for greedy, else in [1.1754944E-38, 100] (default: ${DEFAULT-VALUE}).")
    double temperature = 0;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens; 0 keeps all (default: ${DEFAULT-VALUE}).")
    int topK = 0;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling threshold in (0, 1] (default: ${DEFAULT-VALUE}).")
    double topP = 1;

    @Option(names = "--seed", paramLabel = "S", description = "Sampler seed (default: ${DEFAULT-VALUE}).")
    long seed = 0L;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text; may be repeated.")
    List<String> stops = new ArrayList<>();

    /**
     * @throws OptionValueException naming the option whose value is out of range
     */
    GenerationOptions toOptions() {
        GenerationOptions o = GenerationOptions.defaults();
        try {
            o = o.withMaxNewTokens(maxTokens);
        } catch (IllegalArgumentException e) {
            throw new OptionValueException("--max-tokens: " + e.getMessage(), e);
        }
        try {
            return o.withTemperature(GenerationOptions.checkTemperature("--temperature", temperature))
                    .withTopK(topK).withTopP(GenerationOptions.checkTopP("--top-p", topP)).withSeed(seed)
                    .withStopStrings(stops);
        } catch (IllegalArgumentException e) {
            throw new OptionValueException(e.getMessage(), e);
        }
    }
}
