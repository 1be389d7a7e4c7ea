package dev.gemma4j.model;

import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a model's configuration and weights come from. The tensors stay valid until
 * {@link #close()}; reading one afterwards throws {@link IllegalStateException}.
 */
public interface WeightSource extends AutoCloseable {
    GemmaConfig config();

    /** @throws ModelFormatException naming the tensor and the model when it is absent */
    Tensor tensor(String name);

    /** Every tensor, keyed by Hugging Face name, in {@link GemmaTensorNames#expectedShapes} order. */
    Map<String, Tensor> tensors();

    /** The model's tokenizer.json. @throws ModelFormatException when the model has none */
    Path tokenizerJson();

    /** The model's tokenizer: by default the one of {@link #tokenizerJson()}. */
    default GemmaTokenizer tokenizer() {
        return GemmaTokenizer.load(tokenizerJson());
    }

    /**
     * Opens a model: a GGUF file ({@link GgufCheckpoint}) or a Hugging Face model folder ({@link Checkpoint}),
     * its weights memory-mapped ({@code mapped}) or read into memory.
     *
     * @throws ModelFormatException naming the file, the key or tensor, what was expected and what was found
     */
    static WeightSource open(Path model, boolean mapped) {
        return GgufCheckpoint.isGguf(model) ? GgufCheckpoint.open(model, mapped) : Checkpoint.open(model, mapped);
    }

    /**
     * Checks that the weights can still be read: for memory-mapped files, that none changed since they
     * were opened. Nothing to check by default (weights held in memory).
     *
     * @throws ModelFormatException naming the file and what changed
     */
    default void checkUnchanged() {}

    /** Releases the weights' memory; idempotent. */
    @Override
    void close();
}
