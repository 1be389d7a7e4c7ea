package dev.gemma4j.model;

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
