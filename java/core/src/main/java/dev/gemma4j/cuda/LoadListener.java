package dev.gemma4j.cuda;

/**
 * Hears how a {@link CudaBackend} load goes: the plan, once made and before anything is allocated,
 * then the weight upload's progress. Both run on the loading thread; an exception thrown from
 * either stops the load, and everything allocated so far is freed.
 */
public interface LoadListener {
    /** A listener that does nothing. */
    LoadListener NONE = new LoadListener() {};

    /**
     * The plan for the device, made from the budget before any allocation; called whether or not it
     * fits (when it does not, the load then fails with {@link MemoryPlan#refusal()}).
     *
     * @param memory the device's free and total memory once the CUDA context, kernels and cuBLAS are up
     */
    default void planned(MemoryPlan plan, CudaContext.DeviceInfo device, CudaContext.MemoryInfo memory) {}

    /**
     * Weight bytes handed to the device so far: the checkpoint's bytes as stored (bf16 or fp32 count
     * before conversion), or the fp16 bytes of synthetic weights filled on the device.
     */
    default void uploaded(long bytesDone, long bytesTotal) {}
}
