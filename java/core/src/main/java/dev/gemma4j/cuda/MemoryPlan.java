package dev.gemma4j.cuda;

import dev.gemma4j.engine.LayerPlan;
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
 *
 * <p>A sliding-window layer (Gemma 2 and 3) keeps a ring, not the whole context: position p in row
 * {@code p % rows} of {@link #cacheRows(int)} = {@code min(contextTokens, window + maxBatchTokens - 1)}
 * rows per slot. The ring holds the window and a whole prefill chunk besides: a chunk's keys are
 * written to the cache before its queries attend, and the chunk's first query still needs the
 * {@code window - 1} positions before the chunk, which a ring of the window alone would have let
 * the chunk's own keys overwrite. Gemma 3 4B at 131,072 tokens: its 5 full layers hold 2.5 GiB, its
 * 29 sliding layers 174 MiB (rings of 1,535 rows at a 512-token chunk) instead of 14.5 GiB.
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
    /** Per layer: rows of one slot's cache, and where the layer's keys (then its values) start in the pool. */
    private final int[] cacheRows;
    private final long[] layerOffsets;
    private final long kvPoolBytes;
    private final boolean rings;
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
        LayerPlan layers = LayerPlan.of(config);
        int count = layers.size();
        cacheRows = new int[count];
        layerOffsets = new long[count];
        long offset = 0;
        boolean ring = false;
        for (int l = 0; l < count; l++) {
            cacheRows[l] = cacheRows(layers.layer(l), contextTokens, this.maxBatchTokens);
            ring |= cacheRows[l] < contextTokens;
            layerOffsets[l] = offset;
            offset = Math.addExact(offset, 2 * layerBytes(l));
        }
        rings = ring;
        kvPoolBytes = offset;
        loadScratchBytes = loadScratchBytes(weights);
        long left = budgetBytes - fixedBytes();
        // With rings a slot's bytes are not proportional to its tokens: count tokens at the pool's
        // average bytes per context token.
        kvTokens = left <= 0 ? 0 : Math.min(Integer.MAX_VALUE, rings
                ? (long) ((double) left * contextTokens * sequences / kvPoolBytes) : left / kvBytesPerToken);
    }

    /**
     * Rows per slot of one layer's cache for a context of {@code contextTokens} and prefill chunks of
     * at most {@code maxBatchTokens}: the context on a full layer, on a sliding layer a ring of
     * {@code min(contextTokens, window + maxBatchTokens - 1)} (see the class comment).
     */
    public static int cacheRows(LayerPlan.Layer layer, int contextTokens, int maxBatchTokens) {
        if (!layer.sliding()) return contextTokens;
        return (int) Math.min(contextTokens, (long) layer.window() + maxBatchTokens - 1);
    }

    /** Rows per slot of layer {@code layer}'s cache: positions p sit in row {@code p % cacheRows(layer)}. */
    public int cacheRows(int layer) {
        return cacheRows[layer];
    }

    /** Whether any layer keeps a ring shorter than the context. */
    public boolean hasRings() {
        return rings;
    }

    /** Bytes of layer {@code layer}'s keys (and as many of its values): [sequences, kvHeads, cacheRows, headDim] at 2 bytes. */
    public long layerBytes(int layer) {
        return 2L * sequences * config.numKeyValueHeads() * cacheRows[layer] * config.headDim();
    }

    /** Offset in the pool of layer {@code layer}'s keys; its values follow them. */
    public long layerOffset(int layer) {
        return layerOffsets[layer];
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

    /**
     * KV cache bytes per token: keys and values of every layer, fp16: 2 x layers x kvHeads x headDim x 2.
     * A model with sliding layers holds less at long contexts ({@link #kvPoolBytes()}).
     */
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

    /**
     * The KV pool: every layer's keys and values for {@code sequences} slots, {@code sequences x
     * contextTokens x kvBytesPerToken} when no layer keeps a ring.
     */
    public long kvPoolBytes() {
        return kvPoolBytes;
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
                    .append(rings ? " (" + ringNote() + ")"
                            : String.format(Locale.ROOT, " (%,d bytes per token)", kvBytesPerToken));
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
        line(s, "KV cache pool", rings ? String.format(Locale.ROOT, "%d x %,d tokens, %d rings of %,d rows", sequences,
                contextTokens, ringLayers(), ringRows()) : String.format(Locale.ROOT, "%d x %,d tokens x %,d bytes", sequences, contextTokens,
                kvBytesPerToken), kvPoolBytes());
        line(s, "unallocated", String.format(Locale.ROOT, "room for %,d more KV tokens",
                Math.max(0, kvTokens - (long) sequences * contextTokens)),
                Math.max(0, budgetBytes - fixedBytes() - kvPoolBytes()));
        line(s, "load scratch", "while weights upload, in the KV area", loadScratchBytes);
        s.append(String.format(Locale.ROOT, "  %d x context of %,d tokens: %s%n", sequences, contextTokens,
                fits() ? "fits" : "does not fit, " + Bytes.format(shortfallBytes()) + " short"));
        return s.toString();
    }

    /** "29 sliding layers in rings of 1,535 rows". */
    private String ringNote() {
        return String.format(Locale.ROOT, "%d sliding layers in rings of %,d rows", ringLayers(), ringRows());
    }

    private long ringLayers() {
        return java.util.Arrays.stream(cacheRows).filter(r -> r < contextTokens).count();
    }

    private int ringRows() {
        return java.util.Arrays.stream(cacheRows).filter(r -> r < contextTokens).max().orElse(0);
    }

    private static void line(StringBuilder s, String what, String detail, long bytes) {
        s.append(String.format(Locale.ROOT, "  %-18s %-40s %,18d bytes %12s%n", what, detail, bytes, Bytes.binary(bytes)));
    }

    @Override
    public String toString() {
        return describe();
    }
}
