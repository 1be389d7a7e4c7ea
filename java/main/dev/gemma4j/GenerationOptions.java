package dev.gemma4j;

import java.util.List;

/**
 * How to pick new tokens.
 *
 * @param maxNewTokens at least 1
 * @param temperature  0 for greedy (argmax, lowest id on ties); otherwise logits are divided by it
 * @param topK         keep the k most likely tokens; 0 keeps all
 * @param topP         keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all
 * @param seed         seeds the sampler: the same seed, prompt and options give the same tokens
 * @param stopStrings  generation stops before the first occurrence of any of these in the text
 */
public record GenerationOptions(int maxNewTokens, float temperature, int topK, float topP, long seed,
                                List<String> stopStrings) {
    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be at least 1, found " + maxNewTokens);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, found " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 keeps all tokens), found " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], found " + topP);
        }
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    /** Greedy decoding of at most {@code maxNewTokens} tokens, no stop strings. */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0f, 0, 1f, 0L, List.of());
    }

    public GenerationOptions withStopStrings(List<String> stops) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stops);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
