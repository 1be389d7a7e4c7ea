package dev.gemma4j;

/**
 * How to load a model.
 *
 * @param device         which backend computes the model
 * @param contextLength  tokens per sequence (prompt + new); 0 for the model's max_position_embeddings
 * @param gpuMemory      device memory the CUDA backend may allocate: "all" (all free memory) or a size
 *                       such as "18GiB"; ignored on the CPU
 * @param maxBatchTokens the most prompt tokens one forward step processes on the GPU; longer prompts
 *                       run in chunks of this size
 * @param maxSequences   the most sequences decoded together: concurrent generate calls beyond it wait
 *                       for one to finish. On the GPU each has a KV cache of {@code contextLength}
 *                       tokens allocated at load, so the load is refused when they do not all fit
 */
public record LoadOptions(Device device, int contextLength, String gpuMemory, int maxBatchTokens, int maxSequences) {
    /** Backend choice. */
    public enum Device {
        /** CUDA when a driver and a GPU are found, else the CPU (with a one-line notice). */
        AUTO,
        CUDA,
        CPU
    }

    public LoadOptions {
        if (device == null) throw new IllegalArgumentException("no device given (auto, cuda or cpu)");
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must be >= 0 (0 = the model's), found " + contextLength);
        }
        if (gpuMemory == null || gpuMemory.isBlank()) gpuMemory = "all";
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("max batch tokens must be >= 1, found " + maxBatchTokens);
        }
        if (maxSequences < 1) {
            throw new IllegalArgumentException("max sequences must be >= 1, found " + maxSequences);
        }
    }

    /** One sequence at a time. */
    public LoadOptions(Device device, int contextLength, String gpuMemory, int maxBatchTokens) {
        this(device, contextLength, gpuMemory, maxBatchTokens, 1);
    }

    /** The CPU backend with the model's full context. */
    public static LoadOptions cpu() {
        return new LoadOptions(Device.CPU, 0, "all", 512);
    }

    public LoadOptions withDevice(Device d) {
        return new LoadOptions(d, contextLength, gpuMemory, maxBatchTokens, maxSequences);
    }

    public LoadOptions withContextLength(int tokens) {
        return new LoadOptions(device, tokens, gpuMemory, maxBatchTokens, maxSequences);
    }

    public LoadOptions withMaxSequences(int sequences) {
        return new LoadOptions(device, contextLength, gpuMemory, maxBatchTokens, sequences);
    }
}
