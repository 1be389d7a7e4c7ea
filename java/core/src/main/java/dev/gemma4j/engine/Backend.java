package dev.gemma4j.engine;

import dev.gemma4j.model.GemmaConfig;

/**
 * The steps of Gemma's forward pass that a backend computes. Coarse enough for a GPU to fuse (a
 * whole attention block, a whole MLP block), fine enough to compare backends after every step.
 *
 * <p>A backend holds the activations of one batch of {@code n} tokens of one sequence between
 * calls: {@link #embed} starts a batch, the block steps update its residual stream in place, and
 * {@link #logits} reads it out. Not thread-safe: one thread at a time calls it (the {@link Batcher}'s engine thread).
 */
public interface Backend extends AutoCloseable {
    /** "cpu" or "cuda". */
    String name();

    GemmaConfig config();

    /** The most tokens {@link #embed} takes at once; {@link Forward} runs longer inputs in chunks. */
    default int maxBatchTokens() {
        return Integer.MAX_VALUE;
    }

    /**
     * A key/value cache for one sequence of at most {@code capacity} tokens.
     *
     * @throws IllegalArgumentException when no cache of that length can exist on this backend
     * @throws IllegalStateException    when the cache does not fit now (the backend's KV memory is
     *                                  taken by other sequences' caches); the message names the numbers
     */
    KvCache newCache(int capacity);

    /**
     * True when {@code failure}, thrown by one of this backend's steps, leaves the backend unusable
     * for every sequence (a device error: the CUDA context is lost): the {@link Batcher} then stops
     * and the model must be loaded again. Any other failure of a step is the failure of the sequences
     * in that step only.
     */
    default boolean isDeviceFault(Throwable failure) {
        return false;
    }

    /**
     * Checks that the weights this backend reads are still there (memory-mapped files unchanged);
     * the {@link Batcher} calls it before each request's admission, prefill chunk and decode step, so
     * a checkpoint changed on disk fails those requests with a clear error instead of a crash. Nothing
     * to check by default (weights copied to the device).
     *
     * @throws dev.gemma4j.model.ModelFormatException naming the file and what changed
     */
    default void checkWeights() {}

    /** Starts a batch: {@code h[t] = embed[tokens[t]] · embeddingScale}, h is [n, hidden] fp32. */
    void embed(int[] tokens);

    /**
     * {@code h += o_proj(attention(rope(q), rope(k), v))} over {@code input_layernorm(h)}; the batch's
     * keys and values are written to {@code cache} at positions {@code [startPos, startPos + n)}.
     */
    void attentionBlock(int layer, KvCache cache, int startPos);

    /**
     * The attention block of a decode batch: row b of the current batch (embedded from one token per
     * sequence) is the token at position {@code positions[b]} of the sequence whose cache is
     * {@code caches[b]}; its key and value are written there and it attends positions
     * {@code [0, positions[b]]} of that cache. The caches are distinct; {@link DecodeBatch#check}
     * states the rules.
     */
    void decodeAttentionBlock(int layer, KvCache[] caches, int[] positions);

    /** The most sequences one {@link #decodeStep} takes (the CUDA backend's KV slots). */
    default int maxDecodeBatch() {
        return Integer.MAX_VALUE;
    }

    /**
     * One whole decode step of {@code B = tokens.length} sequences: {@code tokens[b]} enters at
     * {@code positions[b]} of {@code caches[b]}, the weights are read once for all rows, and the next
     * token of each sequence is picked with {@code samplers[b]} (which draws its random number, if any,
     * exactly as {@link Sampler#sample(float[], int, int)} would).
     *
     * @return the next token of each sequence
     * @throws DecodeRowFailure when some rows' logits hold a NaN or their activations left the range of
     *                          the backend's number type: those rows failed, the others' tokens are in it
     */
    int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers);

    /**
     * The positions in {@code [first, last]} from which a {@link #decodeStep} of {@code rows}
     * sequences, the furthest at that position, runs in a form it has not run in at a lower position
     * of the range; {@code first} is always one. On CUDA a form is a CUDA graph (one per decode split
     * size) that the first step in it captures: a benchmark warms up at each of these positions, so
     * that no timed step pays for a capture. A backend with one form returns {@code first} alone.
     */
    default int[] decodeWarmUpPositions(int rows, int first, int last) {
        DecodeBatch.checkPositionRange(rows, maxDecodeBatch(), first, last);
        return new int[] {first};
    }

    /** {@code h += down(gelu_tanh(gate(x)) · up(x))} with {@code x = post_attention_layernorm(h)}. */
    void mlpBlock(int layer);

    /**
     * Final norm and tied output projection for batch rows {@code [firstRow, firstRow + rows)}.
     *
     * @return logits [rows, vocab] fp32
     */
    float[] logits(int firstRow, int rows);

    /** A copy of the residual stream [n, hidden] of the current batch, for parity checks. */
    float[] residual();

    @Override
    void close();
}
