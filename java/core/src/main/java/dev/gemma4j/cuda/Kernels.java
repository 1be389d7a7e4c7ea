package dev.gemma4j.cuda;

import dev.gemma4j.model.DType;

/**
 * The launch geometry and argument list of every kernel, in one place. Each method is a pure
 * function from shapes and device addresses to a {@link KernelLaunch}; {@link CudaContext#launch}
 * runs it on the context's stream. Grids follow the comments above each kernel in cuda-kernels/.
 * Counters the kernels accept for invalid input (bad tokens, slots, positions) are passed as null:
 * the backend validates tokens and positions on the host before launching.
 */
final class Kernels {
    private Kernels() {}

    /** attention.cu ATTENTION_MAX_HEAD_DIM: the attention kernels hold one head in registers and shared memory. */
    static final int ATTENTION_MAX_HEAD_DIM = 256;
    /** attention.cu DECODE_HEADS: query heads of one kv group per decode block. */
    static final int DECODE_HEADS = 8;
    /** attention.cu DECODE_KEY_TILE: keys a decode block scores per step; splits are multiples of it. */
    static final int DECODE_KEY_TILE = 64;
    /** attention.cu PREFILL_ROWS: query rows (token x head of a group) per prefill block. */
    static final int PREFILL_ROWS = 32;
    /** Most flash-decoding splits per sequence: sizes the partial buffers (fp32 [heads, splits, headDim + 2]). */
    static final int MAX_DECODE_SPLITS = 256;
    /** Blocks of a grid-stride kernel; each thread loops over the elements past the grid. */
    static final int MAX_GRID_STRIDE_BLOCKS = 1 << 16;
    /** Decode aims at this many blocks per SM, so short contexts still occupy the device. */
    static final int DECODE_BLOCKS_PER_SM = 2;

    private static final long NULL = 0L;

    /** {@code residual[t, :] = float(embed[tokens[t], :]) * scale}; grid (n). */
    static KernelLaunch embeddingGather(long embed, long tokens, long residual, int n, int hidden, int vocab,
                                        float scale) {
        return KernelLaunch.of(Kernel.EMBEDDING_GATHER, Dim3.of(n), embed, tokens, residual, n, hidden, vocab, scale,
                NULL);
    }

    /** fp32 x [n, hidden] to fp16 y [n, hidden] with weight (1 + w); grid (n), one block per row. */
    static KernelLaunch rmsnorm(long x, long weight, long y, int n, int hidden, float eps) {
        return KernelLaunch.of(Kernel.RMSNORM_F16, Dim3.of(n), x, weight, y, n, hidden, eps);
    }

    /**
     * Rotates q in place and k into the cache, copies v into the cache; strides are in elements.
     * grid (n).
     */
    static KernelLaunch ropeAndCache(long q, long qRowStride, long k, long kRowStride, long v, long vRowStride,
                                     long kCache, long vCache, long slots, long positions, int n, int heads,
                                     int kvHeads, int headDim, int numSlots, int maxTokens, float theta) {
        checkAttentionShape(heads, kvHeads, headDim);
        return KernelLaunch.of(Kernel.ROPE_AND_CACHE, Dim3.of(n), q, qRowStride, k, kRowStride, v, vRowStride,
                kCache, vCache, slots, positions, n, heads, kvHeads, headDim, numSlots, maxTokens, theta, NULL);
    }

    /** fp16 out [n, inter] = gelu_tanh(gate) * up from fp32 rows {@code inRowStride} elements apart. */
    static KernelLaunch geglu(long gate, long up, long inRowStride, long out, int n, int inter) {
        return KernelLaunch.of(Kernel.GEGLU_F32, Dim3.of(gridStrideBlocks((long) n * inter, Kernel.GEGLU_F32.threads)),
                gate, up, inRowStride, out, n, inter);
    }

    /**
     * How a decode step cuts each sequence's keys: blocks of {@code splitTokens} keys (a power-of-two
     * multiple of {@link #DECODE_KEY_TILE}), and a grid of {@code splits} blocks per (kv head, head
     * block, sequence). A sequence of length L uses the first {@code ceil(L / splitTokens)} of them;
     * the rest return at once. One split covers every length up to {@code splits x splitTokens}, so a
     * captured CUDA graph serves many steps.
     */
    record DecodeSplit(int splitTokens, int splits) {}

    /** Decode blocks per split: one per kv head and per group of at most {@link #DECODE_HEADS} query heads. */
    static int decodeBlocksPerSplit(int heads, int kvHeads) {
        return kvHeads * ceilDiv(heads / kvHeads, DECODE_HEADS);
    }

    /**
     * Splits for a decode step of {@code batch} sequences whose longest attends {@code maxLength} keys:
     * enough blocks to give every SM {@link #DECODE_BLOCKS_PER_SM}, with {@code batch x splits} at most
     * {@code partialUnits} (the partial buffers' rows; at least 1 split per sequence), and the smallest
     * power-of-two split size that covers {@code maxLength}.
     */
    static DecodeSplit decodeSplit(int batch, int maxLength, int heads, int kvHeads, int smCount, int partialUnits) {
        if (batch < 1) throw new IllegalArgumentException("a decode step takes at least 1 sequence, found " + batch);
        if (maxLength < 1) throw new IllegalArgumentException("a decode step attends at least 1 key, found " + maxLength);
        if (smCount < 1) throw new IllegalArgumentException("SM count must be positive, found " + smCount);
        if (partialUnits < batch) {
            throw new IllegalArgumentException("partial buffers of " + partialUnits + " rows cannot hold " + batch + " sequences");
        }
        int fill = (int) ceilDiv((long) DECODE_BLOCKS_PER_SM * smCount, (long) decodeBlocksPerSplit(heads, kvHeads) * batch);
        int splits = Math.clamp(fill, 1, Math.min(MAX_DECODE_SPLITS, partialUnits / batch));
        long splitTokens = DECODE_KEY_TILE;
        while (splitTokens * splits < maxLength) splitTokens *= 2;
        if (splitTokens > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("decode length " + maxLength + " too large");
        return new DecodeSplit((int) splitTokens, splits);
    }

    /**
     * Decode, step 1: partial softmax sums per split. Partials are [batch, heads, split.splits()(, headDim)].
     * grid (splits, kv heads x head blocks, batch).
     */
    static KernelLaunch attentionDecodePartial(DecodeSplit split, int batch, long q, long qRowStride, long kCache,
                                               long vCache, long slots, long lengths, long partialMax,
                                               long partialSum, long partialOut, int heads, int kvHeads,
                                               int headDim, int numSlots, int maxTokens, float scale) {
        checkAttentionShape(heads, kvHeads, headDim);
        checkSplit(split);
        return KernelLaunch.of(Kernel.ATTENTION_DECODE_PARTIAL,
                new Dim3(split.splits(), decodeBlocksPerSplit(heads, kvHeads), batch),
                q, qRowStride, kCache, vCache, slots, lengths, partialMax, partialSum, partialOut, heads, kvHeads,
                headDim, numSlots, maxTokens, split.splitTokens(), scale, NULL);
    }

    /** Decode, step 2: merges the splits into fp16 out; grid (heads, batch). */
    static KernelLaunch attentionDecodeCombine(DecodeSplit split, int batch, long partialMax, long partialSum,
                                               long partialOut, long slots, long lengths, long out,
                                               long outRowStride, int heads, int headDim, int numSlots,
                                               int maxTokens) {
        checkSplit(split);
        return KernelLaunch.of(Kernel.ATTENTION_DECODE_COMBINE, Dim3.of(heads, batch), partialMax, partialSum,
                partialOut, slots, lengths, out, outRowStride, heads, headDim, numSlots, maxTokens, split.splits(),
                split.splitTokens());
    }

    /** Prefill of n tokens of one sequence from {@code startPos}; grid (ceil(n x group / PREFILL_ROWS), kv heads). */
    static KernelLaunch attentionPrefill(long q, long qRowStride, long kCache, long vCache, long out,
                                         long outRowStride, int slot, int startPos, int n, int heads, int kvHeads,
                                         int headDim, int numSlots, int maxTokens, float scale) {
        checkAttentionShape(heads, kvHeads, headDim);
        int rows = Math.multiplyExact(n, heads / kvHeads);
        return KernelLaunch.of(Kernel.ATTENTION_PREFILL, Dim3.of(ceilDiv(rows, PREFILL_ROWS), kvHeads), q,
                qRowStride, kCache, vCache, out, outRowStride, slot, startPos, n, heads, kvHeads, headDim, numSlots,
                maxTokens, scale);
    }

    /**
     * bf16 or fp32 {@code in[count]} to fp16 {@code out[count]}, adding overflowing and NaN values to
     * the two uint64 counters.
     */
    static KernelLaunch convert(DType from, long in, long out, long count, long overflowCounter, long nanCounter) {
        Kernel k = switch (from) {
            case BF16 -> Kernel.CONVERT_BF16_TO_F16;
            case F32 -> Kernel.CONVERT_F32_TO_F16;
            case F16 -> throw new IllegalArgumentException("fp16 weights are copied, not converted");
        };
        if (count < 1 || count >= 1L << 32) {
            throw new IllegalArgumentException("a conversion covers [1, 2^32) values (32-bit block counts), found " + count);
        }
        return KernelLaunch.of(k, Dim3.of(gridStrideBlocks(count, k.threads)), in, out, count, overflowCounter,
                nanCounter);
    }

    /** fp16 {@code out[i] = SyntheticWeights.value(seed, tensorIndex, i, amplitude, offset)} for i < count. */
    static KernelLaunch syntheticFill(long out, long count, long seed, int tensorIndex, float amplitude, float offset) {
        if (count < 1) throw new IllegalArgumentException("a fill covers at least 1 value, found " + count);
        return KernelLaunch.of(Kernel.SYNTHETIC_FILL, Dim3.of(gridStrideBlocks(count, Kernel.SYNTHETIC_FILL.threads)),
                out, count, seed, tensorIndex, amplitude, offset);
    }

    /** sampling.cu SAMPLE_CHUNK: vocabulary entries per block of sample_candidates and sample_softmax_sums. */
    static final int SAMPLE_CHUNK = 4096;
    /** sampling.cu SAMPLE_MAX_K: candidates kept per chunk, so the most top_k the device samples. */
    static final int SAMPLE_MAX_K = 64;
    /** sampling.cu SAMPLE_MAX_CANDIDATES: sample_pick merges at most this many (chunks x k). */
    static final int SAMPLE_MAX_CANDIDATES = 24 * 256;

    /** Chunks of the vocabulary the sampling kernels cut a row into. */
    static int sampleChunks(int vocab) {
        return ceilDiv(vocab, SAMPLE_CHUNK);
    }

    /**
     * Candidates per chunk for a vocabulary: {@link #SAMPLE_MAX_K}, or fewer when chunks x 64 would
     * exceed what sample_pick merges (vocabularies above 393,216 entries).
     */
    static int sampleK(int vocab) {
        return Math.min(SAMPLE_MAX_K, SAMPLE_MAX_CANDIDATES / sampleChunks(vocab));
    }

    /** Each chunk's k best logits, ranked; grid (chunks, batch). */
    static KernelLaunch sampleCandidates(long logits, long rowStride, int vocab, int k, long candValue, long candToken,
                                         int batch) {
        checkSampleK(k, vocab);
        return KernelLaunch.of(Kernel.SAMPLE_CANDIDATES, Dim3.of(sampleChunks(vocab), batch), logits, rowStride, vocab,
                k, candValue, candToken);
    }

    /** Per chunk, the sum of the sampler's unnormalised probabilities; grid (chunks, batch). */
    static KernelLaunch sampleSoftmaxSums(long logits, long rowStride, int vocab, long candValue, int k,
                                          long temperature, long chunkSum, int batch) {
        checkSampleK(k, vocab);
        return KernelLaunch.of(Kernel.SAMPLE_SOFTMAX_SUMS, Dim3.of(sampleChunks(vocab), batch), logits, rowStride,
                vocab, candValue, k, temperature, chunkSum);
    }

    /** Each row's token (codes in sampling.cu); grid (batch). */
    static KernelLaunch samplePick(long logits, long rowStride, int vocab, long candValue, long candToken, int k,
                                   long chunkSum, long temperature, long topK, long topP, long uniform, long tokens,
                                   int batch) {
        checkSampleK(k, vocab);
        return KernelLaunch.of(Kernel.SAMPLE_PICK, Dim3.of(batch), logits, rowStride, vocab, candValue, candToken,
                sampleChunks(vocab), k, chunkSum, temperature, topK, topP, uniform, tokens);
    }

    private static void checkSampleK(int k, int vocab) {
        if (k < 1 || k > SAMPLE_MAX_K || (long) k * sampleChunks(vocab) > SAMPLE_MAX_CANDIDATES) {
            throw new IllegalArgumentException("sampling keeps k in [1, " + SAMPLE_MAX_K + "] candidates per chunk with "
                    + "chunks x k <= " + SAMPLE_MAX_CANDIDATES + "; found k " + k + " for a vocabulary of " + vocab);
        }
    }

    /** Blocks for a grid-stride loop over {@code count} elements: one element per thread, at most {@link #MAX_GRID_STRIDE_BLOCKS}. */
    static int gridStrideBlocks(long count, int threads) {
        if (count < 1) throw new IllegalArgumentException("element count must be positive, found " + count);
        return (int) Math.min(MAX_GRID_STRIDE_BLOCKS, ceilDiv(count, threads));
    }

    /**
     * @throws IllegalArgumentException unless head_dim is a multiple of 8 in [8, 256] and kv heads divide heads
     */
    static void checkAttentionShape(int heads, int kvHeads, int headDim) {
        if (headDim < 8 || headDim > ATTENTION_MAX_HEAD_DIM || headDim % 8 != 0) {
            throw new IllegalArgumentException("the CUDA attention kernels take head_dim a multiple of 8 in [8, "
                    + ATTENTION_MAX_HEAD_DIM + "] (one 16-byte load per 8 dims, one head per block), found " + headDim);
        }
        if (kvHeads < 1 || heads < kvHeads || heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads
                    + " must be a positive multiple of num_key_value_heads " + kvHeads);
        }
    }

    private static void checkSplit(DecodeSplit split) {
        if (split.splits() < 1 || split.splits() > MAX_DECODE_SPLITS || split.splitTokens() < 1) {
            throw new IllegalArgumentException("decode split " + split + " outside [1, " + MAX_DECODE_SPLITS
                    + "] splits of at least 1 token");
        }
    }

    static int ceilDiv(int a, int b) {
        return Math.ceilDiv(a, b);
    }

    static long ceilDiv(long a, long b) {
        return Math.ceilDiv(a, b);
    }
}
