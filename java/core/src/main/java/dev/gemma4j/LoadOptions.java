package dev.gemma4j;

import dev.gemma4j.cuda.Compute;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.model.BlockQuantizer;
import dev.gemma4j.model.DType;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How to load a model, built from {@link #defaults()} with named settings:
 * <pre>{@code
 * LoadOptions.defaults().withDevice(LoadOptions.Device.CUDA).withContextLength(4096).withGpuMemory("18GiB").withMaxSequences(8)
 * }</pre>
 * Immutable; every {@code with…} returns a copy and checks its value at once.
 *
 * <p>Defaults: device {@link Device#AUTO}, the model's whole context (max_position_embeddings), all free
 * device memory, {@value #DEFAULT_MAX_BATCH_TOKENS} prompt tokens per forward step, one sequence at a time,
 * weights memory-mapped, CPU KV caches up to what the machine can give without swapping.
 */
public final class LoadOptions {
    /** Backend choice. */
    public enum Device {
        /** CUDA when a driver and a GPU are found, else the CPU (with a one-line notice). */
        AUTO,
        CUDA,
        CPU
    }

    public static final int DEFAULT_MAX_BATCH_TOKENS = 512;

    private static final LoadOptions DEFAULTS =
            new LoadOptions(Device.AUTO, 0, OptionalInt.empty(), Optional.empty(), DEFAULT_MAX_BATCH_TOKENS, 1, true,
                    Optional.empty(), false, Compute.FP16, Optional.empty());

    private final Device device;
    private final int cudaDevice;
    private final OptionalInt contextLength;
    private final Optional<String> gpuMemory;
    private final int maxBatchTokens;
    private final int maxSequences;
    private final boolean mappedWeights;
    private final Optional<String> memory;
    private final boolean batchInvariant;
    private final Compute compute;
    private final Optional<DType> quantize;

    private LoadOptions(Device device, int cudaDevice, OptionalInt contextLength, Optional<String> gpuMemory, int maxBatchTokens,
                        int maxSequences, boolean mappedWeights, Optional<String> memory, boolean batchInvariant,
                        Compute compute, Optional<DType> quantize) {
        this.quantize = quantize;
        this.compute = compute;
        this.batchInvariant = batchInvariant;
        this.memory = memory;
        this.mappedWeights = mappedWeights;
        this.device = device;
        this.cudaDevice = cudaDevice;
        this.contextLength = contextLength;
        this.gpuMemory = gpuMemory;
        this.maxBatchTokens = maxBatchTokens;
        this.maxSequences = maxSequences;
    }

    /** The defaults listed in the class description. */
    public static LoadOptions defaults() {
        return DEFAULTS;
    }

    /** The defaults on the CPU backend. */
    public static LoadOptions cpu() {
        return DEFAULTS.withDevice(Device.CPU);
    }

    /** Which backend computes the model. */
    public LoadOptions withDevice(Device d) {
        Objects.requireNonNull(d, "no device given (AUTO, CUDA or CPU)");
        return new LoadOptions(d, cudaDevice, contextLength, gpuMemory, maxBatchTokens, maxSequences, mappedWeights, memory, batchInvariant, compute, quantize);
    }

    /**
     * The CUDA device (its driver ordinal, as {@code cuDeviceGet} numbers them) the CUDA backend opens; ignored
     * on the CPU. A device the driver does not report fails the load, naming how many there are.
     */
    public LoadOptions withCudaDevice(int ordinal) {
        if (ordinal < 0) throw new IllegalArgumentException("CUDA device ordinal must be >= 0, found " + ordinal);
        return new LoadOptions(device, ordinal, contextLength, gpuMemory, maxBatchTokens, maxSequences, mappedWeights, memory, batchInvariant, compute, quantize);
    }

    /** Tokens per sequence (prompt + new), at least 2 and at most the model's max_position_embeddings. */
    public LoadOptions withContextLength(int tokens) {
        if (tokens < 2) throw new IllegalArgumentException("context length must be >= 2 tokens, found " + tokens);
        return new LoadOptions(device, cudaDevice, OptionalInt.of(tokens), gpuMemory, maxBatchTokens, maxSequences, mappedWeights, memory, batchInvariant, compute, quantize);
    }

    /**
     * Device memory the CUDA backend may allocate, such as "18GiB" (the forms of
     * {@code DeviceBudget.parse}); ignored on the CPU. Without it the backend takes all free memory.
     */
    public LoadOptions withGpuMemory(String size) {
        if (size == null || size.isBlank()) throw new IllegalArgumentException("no GPU memory size given, e.g. 18GiB");
        return new LoadOptions(device, cudaDevice, contextLength, Optional.of(size), maxBatchTokens, maxSequences, mappedWeights, memory, batchInvariant, compute, quantize);
    }

    /** The most prompt tokens one forward step processes on the GPU; longer prompts run in chunks of this size. */
    public LoadOptions withMaxBatchTokens(int tokens) {
        if (tokens < 1) throw new IllegalArgumentException("max batch tokens must be >= 1, found " + tokens);
        return new LoadOptions(device, cudaDevice, contextLength, gpuMemory, tokens, maxSequences, mappedWeights, memory, batchInvariant, compute, quantize);
    }

    /**
     * The most sequences decoded together: concurrent calls beyond it wait for one to finish. On the GPU each
     * has a KV cache of the context length allocated at load, so the load is refused when they do not all fit.
     */
    public LoadOptions withMaxSequences(int sequences) {
        if (sequences < 1) throw new IllegalArgumentException("max sequences must be >= 1, found " + sequences);
        return new LoadOptions(device, cudaDevice, contextLength, gpuMemory, maxBatchTokens, sequences, mappedWeights, memory, batchInvariant, compute, quantize);
    }

    /**
     * Whether the CPU backend reads the weights from the memory-mapped files (the default: nothing is
     * copied, a 17 GB checkpoint opens at once) or from a copy read into memory at load
     * ({@code false}): then the files may be replaced or rewritten while the model runs. With mapped
     * weights, a file that changes fails each later request with an error saying so. The CUDA backend
     * copies the weights to the device either way.
     */
    public LoadOptions withMappedWeights(boolean mapped) {
        return new LoadOptions(device, cudaDevice, contextLength, gpuMemory, maxBatchTokens, maxSequences, mapped, memory, batchInvariant, compute, quantize);
    }

    /**
     * The memory the CPU backend's KV caches (off the Java heap) may take together, e.g. "8GiB"
     * (default, or "all": what the machine can give without swapping). A request whose cache does not fit next to the others' fails
     * alone, before anything is allocated. Checked at load.
     */
    public LoadOptions withMemory(String size) {
        if (size == null || size.isBlank()) throw new IllegalArgumentException("no memory size given, e.g. 8GiB, or all");
        DeviceBudget.parse(size);
        return new LoadOptions(device, cudaDevice, contextLength, gpuMemory, maxBatchTokens, maxSequences, mappedWeights,
                Optional.of(size), batchInvariant, compute, quantize);
    }

    /**
     * Whether a seeded request must give the same tokens whatever other requests share its decode steps.
     * The CPU backend always does (every row's arithmetic is independent of the batch), so there this
     * changes nothing. On CUDA ({@code true}) each decode step runs its sequences one after another, each
     * as a batch of one: concurrent requests then share the GPU's time instead of its steps, and the
     * aggregate decode rate of B sequences is that of one. Off by default.
     */
    public LoadOptions withBatchInvariance(boolean invariant) {
        return new LoadOptions(device, cudaDevice, contextLength, gpuMemory, maxBatchTokens, maxSequences, mappedWeights,
                memory, invariant, compute, quantize);
    }

    public boolean batchInvariant() {
        return batchInvariant;
    }

    /**
     * The 16-bit type the CUDA backend computes in: {@link Compute#FP16} (the default) or
     * {@link Compute#BF16}, Gemma's native dtype, for checkpoints whose activations overflow fp16 (the
     * CUDA backend then fails the requests that meet the overflow, naming the layer and tensor). The
     * CPU backend ignores it: it computes in fp32 from the weights as stored.
     */
    public LoadOptions withCompute(Compute type) {
        Objects.requireNonNull(type, "no compute type given (fp16 or bf16)");
        return new LoadOptions(device, cudaDevice, contextLength, gpuMemory, maxBatchTokens, maxSequences, mappedWeights,
                memory, batchInvariant, type, quantize);
    }

    public Compute compute() {
        return compute;
    }

    /**
     * Quantizes the matrices (the embedding and every projection) of a float checkpoint to {@code type}
     * in memory at load, as llama.cpp's quantizer would write them ({@link BlockQuantizer#TYPES}: bit for
     * bit as ggml's reference quantizers); the norms stay as they are. Quantized weights run on the
     * CPU. A checkpoint that is already quantized is refused at load, naming its tensor and type.
     */
    public LoadOptions withQuantize(DType type) {
        Objects.requireNonNull(type, "no quantized type given");
        BlockQuantizer.check(type);
        return new LoadOptions(device, cudaDevice, contextLength, gpuMemory, maxBatchTokens, maxSequences, mappedWeights,
                memory, batchInvariant, compute, Optional.of(type));
    }

    /** The type the matrices are quantized to at load, or empty to keep them as stored. */
    public Optional<DType> quantize() {
        return quantize;
    }

    public Optional<String> memory() {
        return memory;
    }

    public boolean mappedWeights() {
        return mappedWeights;
    }

    public Device device() {
        return device;
    }

    /** The CUDA device ordinal (default 0). */
    public int cudaDevice() {
        return cudaDevice;
    }

    /** The context length set, or empty for the model's max_position_embeddings. */
    public OptionalInt contextLength() {
        return contextLength;
    }

    /** The GPU memory budget set, or empty for all free memory. */
    public Optional<String> gpuMemory() {
        return gpuMemory;
    }

    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    public int maxSequences() {
        return maxSequences;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoadOptions l && device == l.device && cudaDevice == l.cudaDevice && contextLength.equals(l.contextLength)
                && gpuMemory.equals(l.gpuMemory) && maxBatchTokens == l.maxBatchTokens && maxSequences == l.maxSequences
                && mappedWeights == l.mappedWeights && memory.equals(l.memory) && batchInvariant == l.batchInvariant
                && compute == l.compute && quantize.equals(l.quantize);
    }

    @Override
    public int hashCode() {
        return Objects.hash(device, cudaDevice, contextLength, gpuMemory, maxBatchTokens, maxSequences, mappedWeights, memory, batchInvariant,
                compute, quantize);
    }

    @Override
    public String toString() {
        return "LoadOptions[device=" + device + ", cudaDevice=" + cudaDevice + ", contextLength="
                + (contextLength.isPresent() ? contextLength.getAsInt() : "model's") + ", gpuMemory="
                + gpuMemory.orElse("all free") + ", maxBatchTokens=" + maxBatchTokens + ", maxSequences=" + maxSequences
                + ", mappedWeights=" + mappedWeights + ", memory=" + memory.orElse("what the machine can give")
                + ", batchInvariant=" + batchInvariant + ", compute=" + compute.label()
                + ", quantize=" + quantize.map(DType::name).orElse("no") + "]";
    }
}
