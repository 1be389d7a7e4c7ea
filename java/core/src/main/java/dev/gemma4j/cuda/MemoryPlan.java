package dev.gemma4j.cuda;

import dev.gemma4j.model.GemmaConfig;
import java.util.Locale;

/**
 * What the CUDA backend will allocate for a model within a device memory budget, computed before
 * anything is allocated: the weights at fp16 (the embedding once, being also the output
 * projection), the cuBLAS workspace, the activations of the largest batch, and a pool of KV
 * caches: {@code sequences} slots of {@code contextTokens} tokens each, allocated at load. While the
 * weights are uploaded a conversion scratch buffer also lives in the space the KV pool later takes.
 *
 * <p>Gemma 7B in 18 GiB (DESIGN.md): 19.33 GB less 17.08 GB of weights leaves about 2.25 GB, about
 * 4,500 tokens at 458,752 KV bytes per token.
 */
public final class MemoryPlan {
    /** cuBLAS workspace: 32 MiB, what NVIDIA recommends for Hopper (smaller GPUs need less). */
    public static final long WORKSPACE_BYTES = 32L << 20;
    /** Logits are computed for at most this many rows per GEMM; more rows are done in turns. */
    public static final int LOGIT_ROWS = 16;
    /** The pinned host staging buffer of a weight upload, and the device scratch it converts through. */
    public static final long LOAD_STAGING_BYTES = 64L << 20;

    private final GemmaConfig config;
    private final long budgetBytes;
    private final int maxBatchTokens;
    private final int contextTokens;
    private final int sequences;
    private final WeightLayout weights;
    private final ActivationLayout activations;
    private final long kvBytesPerToken;
    private final long loadScratchBytes;
    private final long kvTokens;

    private MemoryPlan(GemmaConfig config, long budgetBytes, int maxBatchTokens, int contextTokens, int sequences) {
        this.config = config;
        this.budgetBytes = budgetBytes;
        this.maxBatchTokens = Math.max(maxBatchTokens, sequences);
        this.contextTokens = contextTokens;
        this.sequences = sequences;
        weights = new WeightLayout(config);
        int batch = this.maxBatchTokens;
        activations = new ActivationLayout(config, batch, sequences, Math.min(batch, Math.max(LOGIT_ROWS, sequences)),
                Math.max(Kernels.MAX_DECODE_SPLITS, sequences));
        kvBytesPerToken = kvBytesPerToken(config);
        loadScratchBytes = loadScratchBytes(weights);
        long left = budgetBytes - fixedBytes();
        kvTokens = left <= 0 ? 0 : Math.min(Integer.MAX_VALUE, left / kvBytesPerToken);
    }

    /**
     * @param budgetBytes    device bytes the engine may allocate for itself
     * @param maxBatchTokens the largest batch a step runs (the prefill chunk); activations are sized for
     *                       it, or for {@code sequences} rows when that is more
     * @param contextTokens  tokens of each sequence's KV cache
     * @param sequences      KV caches in the pool, and the most sequences one decode step takes
     * @throws IllegalArgumentException when a count is not positive
     */
    public static MemoryPlan of(GemmaConfig config, long budgetBytes, int maxBatchTokens, int contextTokens,
                                int sequences) {
        if (budgetBytes <= 0) throw new IllegalArgumentException("budget must be positive, found " + budgetBytes + " bytes");
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("max batch tokens must be at least 1, found " + maxBatchTokens);
        }
        if (contextTokens < 1) throw new IllegalArgumentException("context tokens must be at least 1, found " + contextTokens);
        if (sequences < 1) throw new IllegalArgumentException("sequences must be at least 1, found " + sequences);
        return new MemoryPlan(config, budgetBytes, maxBatchTokens, contextTokens, sequences);
    }

    /** One sequence. */
    public static MemoryPlan of(GemmaConfig config, long budgetBytes, int maxBatchTokens, int contextTokens) {
        return of(config, budgetBytes, maxBatchTokens, contextTokens, 1);
    }

    /** KV cache bytes per token: keys and values of every layer, fp16: 2 x layers x kvHeads x headDim x 2. */
    public static long kvBytesPerToken(GemmaConfig c) {
        return 2L * c.numHiddenLayers() * c.numKeyValueHeads() * c.headDim() * 2;
    }

    /** Conversion scratch of an upload: the staging size, or less when the largest tensor at fp32 is smaller. */
    private static long loadScratchBytes(WeightLayout weights) {
        return WeightUploader.stagingBytes(weights) + WeightUploader.counterBytes(weights);
    }

    public GemmaConfig config() {
        return config;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    public int contextTokens() {
        return contextTokens;
    }

    /** KV slots in the pool: the most sequences held (and decoded together) at once. */
    public int sequences() {
        return sequences;
    }

    /** The KV pool: {@code sequences x contextTokens x kvBytesPerToken}. */
    public long kvPoolBytes() {
        return (long) sequences * contextTokens * kvBytesPerToken;
    }

    /** Rows of logits computed per GEMM. */
    public int logitRows() {
        return activations.logitRows;
    }

    /** Every weight once at fp16, with alignment padding. */
    public long weightBytes() {
        return weights.totalBytes();
    }

    public long workspaceBytes() {
        return WORKSPACE_BYTES;
    }

    public long activationBytes() {
        return activations.totalBytes();
    }

    public long kvBytesPerToken() {
        return kvBytesPerToken;
    }

    /** Device scratch held while weights are converted, in the space the KV cache takes afterwards. */
    public long loadScratchBytes() {
        return loadScratchBytes;
    }

    /** Weights, workspace and activations: everything but the KV cache. */
    public long fixedBytes() {
        return weights.totalBytes() + WORKSPACE_BYTES + activations.totalBytes();
    }

    /** KV cache tokens that would fit in the budget after the fixed allocations (0 when nothing is left). */
    public long kvTokens() {
        return kvTokens;
    }

    /** The most the engine needs at any time: the fixed part plus the larger of the KV cache and the load scratch. */
    public long requiredBytes() {
        return fixedBytes() + Math.max(kvPoolBytes(), loadScratchBytes);
    }

    /** Whether the weights load and the KV pool fit the budget. */
    public boolean fits() {
        return requiredBytes() <= budgetBytes;
    }

    /** Bytes the budget lacks (0 when the plan fits). */
    public long shortfallBytes() {
        return Math.max(0, requiredBytes() - budgetBytes);
    }

    WeightLayout weightLayout() {
        return weights;
    }

    ActivationLayout activationLayout() {
        return activations;
    }

    /**
     * Why the plan does not fit, naming every number: budget, weights, workspace, activations, the KV
     * cache needed and how much is missing.
     *
     * @throws IllegalStateException when the plan fits
     */
    public String refusal() {
        if (fits()) throw new IllegalStateException("the plan fits: " + Bytes.format(requiredBytes()) + " of "
                + Bytes.format(budgetBytes));
        StringBuilder s = new StringBuilder()
                .append("the model does not fit the device memory budget of ").append(Bytes.format(budgetBytes))
                .append(": weights (fp16) need ").append(Bytes.format(weightBytes()))
                .append(", the cuBLAS workspace ").append(Bytes.format(WORKSPACE_BYTES))
                .append(", activations for a batch of ").append(maxBatchTokens).append(" tokens ")
                .append(Bytes.format(activations.totalBytes()));
        if (kvPoolBytes() >= loadScratchBytes) {
            s.append(", KV caches for ").append(sequences).append(sequences == 1 ? " sequence" : " sequences")
                    .append(" of ").append(String.format(Locale.ROOT, "%,d", contextTokens)).append(" tokens ")
                    .append(Bytes.format(kvPoolBytes()))
                    .append(String.format(Locale.ROOT, " (%,d bytes per token)", kvBytesPerToken));
        } else {
            s.append(", the weight conversion scratch ").append(Bytes.format(loadScratchBytes));
        }
        s.append("; ").append(Bytes.format(requiredBytes())).append(" in all, ").append(Bytes.format(shortfallBytes()))
                .append(" more than the budget");
        if (fixedBytes() <= budgetBytes) {
            s.append(String.format(Locale.ROOT, " (%,d KV tokens fit: %,d sequences of %,d tokens)", kvTokens,
                    kvTokens / contextTokens, contextTokens));
        }
        return s.toString();
    }

    /** The plan as a table, one allocation per line. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "device memory plan, budget %s%n", Bytes.format(budgetBytes)));
        line(s, "weights", "fp16, embedding held once", weightBytes());
        line(s, "cuBLAS workspace", "", WORKSPACE_BYTES);
        line(s, "activations", String.format(Locale.ROOT, "batch of %,d tokens, logits of %d rows", maxBatchTokens,
                activations.logitRows), activations.totalBytes());
        line(s, "KV cache pool", String.format(Locale.ROOT, "%d x %,d tokens x %,d bytes", sequences, contextTokens,
                kvBytesPerToken), kvPoolBytes());
        line(s, "unallocated", String.format(Locale.ROOT, "room for %,d more KV tokens",
                Math.max(0, kvTokens - (long) sequences * contextTokens)),
                Math.max(0, budgetBytes - fixedBytes() - kvPoolBytes()));
        line(s, "load scratch", "while weights upload, in the KV area", loadScratchBytes);
        s.append(String.format(Locale.ROOT, "  %d x context of %,d tokens: %s%n", sequences, contextTokens,
                fits() ? "fits" : "does not fit, " + Bytes.format(shortfallBytes()) + " short"));
        return s.toString();
    }

    private static void line(StringBuilder s, String what, String detail, long bytes) {
        s.append(String.format(Locale.ROOT, "  %-18s %-40s %,18d bytes %12s%n", what, detail, bytes, Bytes.binary(bytes)));
    }

    @Override
    public String toString() {
        return describe();
    }
}
