package dev.gemma4j;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where gemma4j keeps files it generates or fetches: the Gemma tokenizer cache and the built-in
 * test models. The root is the system property {@code gemma4j.home}, else the environment variable
 * {@code GEMMA4J_HOME}, else the working directory.
 */
public final class Home {
    private Home() {}

    public static Path root() {
        String prop = System.getProperty("gemma4j.home");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath();
        String env = System.getenv("GEMMA4J_HOME");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath();
        return Path.of("").toAbsolutePath();
    }

    /** Git-ignored cache folder: {@code <root>/.cache}. */
    public static Path cache() {
        return root().resolve(".cache");
    }

    /** Gemma's tokenizer.json as brought in by {@code scripts/fetch-tokenizer.sh}. */
    public static Path gemmaTokenizerJson() {
        Path p = cache().resolve("tokenizer").resolve("tokenizer.json");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("Gemma tokenizer not found: expected " + p
                    + " (run scripts/fetch-tokenizer.sh, or set gemma4j.home / GEMMA4J_HOME to the gemma4j checkout)");
        }
        return p;
    }

    /** Gemma 3's tokenizer.json (262,144 pieces) as brought in by {@code scripts/fetch-tokenizer.sh}. */
    public static Path gemma3TokenizerJson() {
        Path p = cache().resolve("tokenizer-gemma3").resolve("tokenizer.json");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("Gemma 3 tokenizer not found: expected " + p
                    + " (run scripts/fetch-tokenizer.sh, or set gemma4j.home / GEMMA4J_HOME to the gemma4j checkout)");
        }
        return p;
    }

    /** Folder where built-in test models are generated: {@code <root>/test-models/generated}. */
    public static Path generatedModels() {
        return root().resolve("test-models").resolve("generated");
    }
}
