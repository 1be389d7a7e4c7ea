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
 */
public record LoadOptions(Device device, int contextLength, String gpuMemory, int maxBatchTokens) {
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
    }

    /** The CPU backend with the model's full context. */
    public static LoadOptions cpu() {
        return new LoadOptions(Device.CPU, 0, "all", 512);
    }

    public LoadOptions withDevice(Device d) {
        return new LoadOptions(d, contextLength, gpuMemory, maxBatchTokens);
    }

    public LoadOptions withContextLength(int tokens) {
        return new LoadOptions(device, tokens, gpuMemory, maxBatchTokens);
    }
}
