package dev.gemma4j.model;

/**
 * A model folder, config.json, safetensors file or shard index that gemma4j cannot load. The
 * message names the file, the tensor or field, what was expected and what was found.
 */
public final class ModelFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
