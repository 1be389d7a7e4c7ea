package dev.gemma4j.cuda;

import dev.gemma4j.cuda.CudaSwitches.PrefillAttention;
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
    /** attention_prefill_mma.cu PREFILL_MMA_ROWS: query rows per tensor-core prefill block. */
    static final int PREFILL_MMA_ROWS = 64;
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

    /**
     * Where a kernel notes the fp16 range of the rows it writes ({@link Fp16Range}): flags at device
     * address {@code flags} ({@code rowStride} words between rows, 0 for one pair for all rows), or
     * nowhere when {@code flags} is 0.
     */
    record RangeFlags(long flags, int rowStride) {
        static final RangeFlags NONE = new RangeFlags(NULL, 0);
    }

    /**
     * GeGLU's output is stored as fp16 times 2^-{@value}, and down_proj's GEMM multiplies by
     * alpha = 2^{@value}: both exact in binary, so the fp16 input of down_proj holds ±65504 x 32
     * (about 2.1e6) before it saturates. The cost is at the small end: values below 2^(5 - 14) = 2^-9
     * become fp16 subnormals with a step of 2^-19 (1.9e-6), far below the fp16 rounding (2^-11
     * relative) of the values that dominate down_proj's sums.
     */
    static final int GEGLU_SCALE_SHIFT = 5;

    /** fp32 x [n, hidden] to fp16 y [n, hidden] with weight (1 + w); grid (n), one block per row. */
    static KernelLaunch rmsnorm(long x, long weight, long y, int n, int hidden, float eps, RangeFlags range, int site) {
        return KernelLaunch.of(Kernel.RMSNORM_F16, Dim3.of(n), x, weight, y, n, hidden, eps, range.flags(),
                range.rowStride(), site);
    }

    /** rope.cu ROPE_MAX_NORM_HEADS: with q/k norms, heads + kv heads at most this (their inverse RMS in shared memory). */
    static final int ROPE_MAX_NORM_HEADS = 256;

    /**
     * Rotates q in place and k into the cache, copies v into the cache; strides are in elements.
     * Gemma 1's layer: plain RoPE, every position in its own cache row. grid (n).
     */
    static KernelLaunch ropeAndCache(long q, long qRowStride, long k, long kRowStride, long v, long vRowStride,
                                     long kCache, long vCache, long slots, long positions, int n, int heads,
                                     int kvHeads, int headDim, int numSlots, int maxTokens, float theta,
                                     RangeFlags range, int layer) {
        return ropeAndCache(q, qRowStride, k, kRowStride, v, vRowStride, kCache, vCache, slots, positions, n, heads,
                kvHeads, headDim, numSlots, maxTokens, false, theta, 1f, NULL, NULL, 0f, range, layer);
    }

    /**
     * As above for any layer of Gemma 1, 2 or 3: a ring cache ({@code ring}: position p in row p %
     * maxTokens), linear RoPE scaling ({@code factor}: inverse frequencies divided by it), and q/k
     * norms ({@code qNorm}, {@code kNorm}: [headDim] weights, or both 0 for none) with epsilon {@code eps}.
     */
    static KernelLaunch ropeAndCache(long q, long qRowStride, long k, long kRowStride, long v, long vRowStride,
                                     long kCache, long vCache, long slots, long positions, int n, int heads,
                                     int kvHeads, int headDim, int numSlots, int maxTokens, boolean ring, float theta,
                                     float factor, long qNorm, long kNorm, float eps, RangeFlags range, int layer) {
        checkAttentionShape(heads, kvHeads, headDim);
        if ((qNorm == NULL) != (kNorm == NULL)) {
            throw new IllegalArgumentException("q and k norms come together: q_norm at " + qNorm + ", k_norm at " + kNorm);
        }
        if (qNorm != NULL && heads + kvHeads > ROPE_MAX_NORM_HEADS) {
            throw new IllegalArgumentException("rope_and_cache with q/k norms takes at most " + ROPE_MAX_NORM_HEADS
                    + " heads and kv heads together, found " + heads + " + " + kvHeads);
        }
        if (!(factor > 0) || !(theta > 0)) {
            throw new IllegalArgumentException("RoPE base and factor must be positive, found " + theta + " and " + factor);
        }
        return KernelLaunch.of(Kernel.ROPE_AND_CACHE, Dim3.of(n), q, qRowStride, k, kRowStride, v, vRowStride,
                kCache, vCache, slots, positions, n, heads, kvHeads, headDim, numSlots, maxTokens, ring ? 1 : 0, theta,
                factor, qNorm, kNorm, eps, NULL, range.flags(), range.rowStride(), Fp16Range.site(layer, Fp16Range.QKV));
    }

    /**
     * Gemma 2 and 3's norm of a block's output added to the residual: {@code residual[r] += rmsnorm(x[r]) (1 + w)},
     * fp32 x [n, hidden]; grid (n).
     */
    static KernelLaunch rmsnormAdd(long x, long weight, long residual, int n, int hidden, float eps) {
        return KernelLaunch.of(Kernel.RMSNORM_ADD_F32, Dim3.of(n), x, weight, residual, n, hidden, eps);
    }

    /** Gemma 2's final-logit soft-cap in place: {@code x = cap tanh(x / cap)} over fp32 x [count]. */
    static KernelLaunch softcap(long x, long count, float cap) {
        if (!(cap > 0)) throw new IllegalArgumentException("a soft-cap must be positive, found " + cap);
        return KernelLaunch.of(Kernel.SOFTCAP_F32, Dim3.of(gridStrideBlocks(count, Kernel.SOFTCAP_F32.threads)), x,
                count, cap);
    }

    /**
     * fp16 out [n, inter] = gelu_tanh(gate) * up * 2^-{@link #GEGLU_SCALE_SHIFT} from fp32 rows
     * {@code inRowStride} elements apart.
     */
    static KernelLaunch geglu(long gate, long up, long inRowStride, long out, int n, int inter, RangeFlags range,
                              int layer) {
        return KernelLaunch.of(Kernel.GEGLU_F32, Dim3.of(gridStrideBlocks((long) n * inter, Kernel.GEGLU_F32.threads)),
                gate, up, inRowStride, out, n, inter, Math.scalb(1f, -GEGLU_SCALE_SHIFT), range.flags(),
                range.rowStride(), Fp16Range.site(layer, Fp16Range.GEGLU));
    }

    /**
     * How a decode step cuts each sequence's keys, and which kernels attend them: blocks of
     * {@code splitTokens} keys (a power-of-two multiple of {@link #minSplitTokens the path's smallest
     * split}), and a grid of {@code splits} blocks per (kv head, head block, sequence). A sequence of
     * length L uses the first {@code ceil(L / splitTokens)} of them; the rest return at once. One split
     * covers every length up to {@code splits x splitTokens}, so a captured CUDA graph serves many steps.
     */
    record DecodeSplit(CudaSwitches.DecodeAttention path, int splitTokens, int splits) {}

    /**
     * The vector path's smallest split: two steps of an 8-head block (8 warps x 2 keys), half a step of
     * a 1-head block (8 warps x 8 keys), as attention_decode_vector.cu steps.
     */
    static final int DECODE_VECTOR_MIN_SPLIT = 32;

    /**
     * Smallest split of a path: the scalar kernel scores {@link #DECODE_KEY_TILE} keys per step, so shorter
     * splits leave threads idle; the vector kernel's warps step through 2 (8 heads) to 8 (1 head) keys.
     */
    static int minSplitTokens(CudaSwitches.DecodeAttention path) {
        return switch (path) {
            case SCALAR -> DECODE_KEY_TILE;
            case VECTOR -> DECODE_VECTOR_MIN_SPLIT;
        };
    }

    /** Decode blocks per split: one per kv head and per group of at most {@link #DECODE_HEADS} query heads. */
    static int decodeBlocksPerSplit(int heads, int kvHeads) {
        return kvHeads * ceilDiv(heads / kvHeads, DECODE_HEADS);
    }

    /**
     * Splits for a decode step of {@code batch} sequences whose longest attends {@code maxLength} keys.
     * The rule: {@code splits} gives every SM {@link #DECODE_BLOCKS_PER_SM} blocks (the grid has
     * {@link #decodeBlocksPerSplit} x batch blocks per split), within [1, {@link #MAX_DECODE_SPLITS}] and
     * {@code batch x splits <= partialUnits} (the partial buffers' rows); the split size is the smallest
     * power-of-two multiple of {@link #minSplitTokens} with {@code splits x splitTokens >= maxLength}.
     * So a short context runs in minimal splits, as many blocks as it has splits of keys, and a long one
     * keeps the grid at the fill and lengthens the splits instead: on 132 SMs at batch 1, Gemma 2B (one
     * block per split) attends 8,192 keys in 256 vector splits of 32 (128 scalar splits of 64), 7B (16
     * blocks per split) in 16 of its 17 splits of 512.
     */
    static DecodeSplit decodeSplit(CudaSwitches.DecodeAttention path, int batch, int maxLength, int heads,
                                   int kvHeads, int smCount, int partialUnits) {
        if (batch < 1) throw new IllegalArgumentException("a decode step takes at least 1 sequence, found " + batch);
        if (maxLength < 1) throw new IllegalArgumentException("a decode step attends at least 1 key, found " + maxLength);
        if (smCount < 1) throw new IllegalArgumentException("SM count must be positive, found " + smCount);
        if (partialUnits < batch) {
            throw new IllegalArgumentException("partial buffers of " + partialUnits + " rows cannot hold " + batch + " sequences");
        }
        int fill = (int) ceilDiv((long) DECODE_BLOCKS_PER_SM * smCount, (long) decodeBlocksPerSplit(heads, kvHeads) * batch);
        int splits = Math.clamp(fill, 1, Math.min(MAX_DECODE_SPLITS, partialUnits / batch));
        long splitTokens = minSplitTokens(path);
        while (splitTokens * splits < maxLength) splitTokens *= 2;
        if (splitTokens > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("decode length " + maxLength + " too large");
        return new DecodeSplit(path, (int) splitTokens, splits);
    }

    /**
     * Decode, step 1: partial softmax sums per split, by the split's path (attention_decode_partial or
     * attention_decode_vector_partial: the same parameters). Partials are [batch, heads, split.splits()(, headDim)].
     * grid (splits, kv heads x head blocks, batch).
     */
    static KernelLaunch attentionDecodePartial(DecodeSplit split, int batch, long q, long qRowStride, long kCache,
                                               long vCache, long slots, long lengths, long partialMax,
                                               long partialSum, long partialOut, int heads, int kvHeads,
                                               int headDim, int numSlots, int maxTokens, float scale) {
        return attentionDecodePartial(split, batch, q, qRowStride, kCache, vCache, slots, lengths, partialMax,
                partialSum, partialOut, heads, kvHeads, headDim, numSlots, maxTokens, scale, 0, 0f);
    }

    /**
     * As above on a layer with a sliding {@code window} (0: full attention; its cache a ring of
     * {@code maxTokens} rows) and a score soft-cap {@code softcap} (0: none). Only the scalar kernel
     * takes them.
     */
    static KernelLaunch attentionDecodePartial(DecodeSplit split, int batch, long q, long qRowStride, long kCache,
                                               long vCache, long slots, long lengths, long partialMax,
                                               long partialSum, long partialOut, int heads, int kvHeads,
                                               int headDim, int numSlots, int maxTokens, float scale, int window,
                                               float softcap) {
        checkAttentionShape(heads, kvHeads, headDim);
        checkSplit(split);
        checkWindowAndCap(window, softcap, split.path() == CudaSwitches.DecodeAttention.SCALAR,
                CudaSwitches.DECODE_ATTENTION + "=vector");
        Dim3 grid = new Dim3(split.splits(), decodeBlocksPerSplit(heads, kvHeads), batch);
        return switch (split.path()) {
            case SCALAR -> KernelLaunch.of(Kernel.ATTENTION_DECODE_PARTIAL, grid, q, qRowStride, kCache, vCache, slots,
                    lengths, partialMax, partialSum, partialOut, heads, kvHeads, headDim, numSlots, maxTokens,
                    split.splitTokens(), scale, window, softcap, NULL);
            case VECTOR -> KernelLaunch.of(Kernel.ATTENTION_DECODE_VECTOR_PARTIAL, grid, q, qRowStride, kCache, vCache,
                    slots, lengths, partialMax, partialSum, partialOut, heads, kvHeads, headDim, numSlots, maxTokens,
                    split.splitTokens(), scale, NULL);
        };
    }

    /** Refuses a window or soft-cap for a kernel ({@code supported} false) that computes full, uncapped attention. */
    private static void checkWindowAndCap(int window, float softcap, boolean supported, String path) {
        if (window < 0 || softcap < 0) {
            throw new IllegalArgumentException("window and soft-cap must be >= 0 (0: none), found " + window + " and "
                    + softcap);
        }
        if (!supported && (window != 0 || softcap != 0)) {
            throw new IllegalArgumentException(path + " computes full attention without a soft-cap; found window "
                    + window + ", soft-cap " + softcap + " (Gemma 2 and 3 run on the default kernels)");
        }
    }

    /** Decode, step 2: merges the splits into fp16 out, by the split's path; grid (heads, batch). */
    static KernelLaunch attentionDecodeCombine(DecodeSplit split, int batch, long partialMax, long partialSum,
                                               long partialOut, long slots, long lengths, long out,
                                               long outRowStride, int heads, int headDim, int numSlots,
                                               int maxTokens) {
        return attentionDecodeCombine(split, batch, partialMax, partialSum, partialOut, slots, lengths, out,
                outRowStride, heads, headDim, numSlots, maxTokens, 0);
    }

    /** As above for the partials of a layer with a sliding {@code window} (0: full attention). */
    static KernelLaunch attentionDecodeCombine(DecodeSplit split, int batch, long partialMax, long partialSum,
                                               long partialOut, long slots, long lengths, long out,
                                               long outRowStride, int heads, int headDim, int numSlots,
                                               int maxTokens, int window) {
        checkSplit(split);
        checkWindowAndCap(window, 0f, split.path() == CudaSwitches.DecodeAttention.SCALAR,
                CudaSwitches.DECODE_ATTENTION + "=vector");
        return switch (split.path()) {
            case SCALAR -> KernelLaunch.of(Kernel.ATTENTION_DECODE_COMBINE, Dim3.of(heads, batch), partialMax,
                    partialSum, partialOut, slots, lengths, out, outRowStride, heads, headDim, numSlots, maxTokens,
                    split.splits(), split.splitTokens(), window);
            case VECTOR -> KernelLaunch.of(Kernel.ATTENTION_DECODE_VECTOR_COMBINE, Dim3.of(heads, batch), partialMax,
                    partialSum, partialOut, slots, lengths, out, outRowStride, heads, headDim, numSlots, maxTokens,
                    split.splits(), split.splitTokens());
        };
    }

    /** Prefill of n tokens of one sequence from {@code startPos}; grid (ceil(n x group / PREFILL_ROWS), kv heads). */
    static KernelLaunch attentionPrefill(long q, long qRowStride, long kCache, long vCache, long out,
                                         long outRowStride, int slot, int startPos, int n, int heads, int kvHeads,
                                         int headDim, int numSlots, int maxTokens, float scale) {
        return attentionPrefill(PrefillAttention.SIMT, q, qRowStride, kCache, vCache, out, outRowStride, slot, startPos,
                n, heads, kvHeads, headDim, numSlots, maxTokens, scale);
    }

    /**
     * The prefill by {@code path}: {@code attention_prefill}, or on tensor cores
     * {@code attention_prefill_mma}, grid (ceil(n x group / PREFILL_MMA_ROWS), kv heads), which
     * multiplies 16 x 16 tiles and moves rows as 16-byte vectors: head_dim a multiple of 16, row
     * strides multiples of 8 halves.
     */
    static KernelLaunch attentionPrefill(PrefillAttention path, long q, long qRowStride, long kCache, long vCache,
                                         long out, long outRowStride, int slot, int startPos, int n, int heads,
                                         int kvHeads, int headDim, int numSlots, int maxTokens, float scale) {
        return attentionPrefill(path, q, qRowStride, kCache, vCache, out, outRowStride, slot, startPos, n, heads,
                kvHeads, headDim, numSlots, maxTokens, scale, 0, 0f);
    }

    /**
     * As above on a layer with a sliding {@code window} (0: full attention; its cache a ring of
     * {@code maxTokens} rows) and a score soft-cap {@code softcap} (0: none), which only
     * {@code attention_prefill} takes.
     */
    static KernelLaunch attentionPrefill(PrefillAttention path, long q, long qRowStride, long kCache, long vCache,
                                         long out, long outRowStride, int slot, int startPos, int n, int heads,
                                         int kvHeads, int headDim, int numSlots, int maxTokens, float scale,
                                         int window, float softcap) {
        checkAttentionShape(heads, kvHeads, headDim);
        boolean mma = path == PrefillAttention.WMMA;
        checkWindowAndCap(window, softcap, !mma, CudaSwitches.PREFILL_ATTENTION + "=wmma");
        if (mma && (headDim % 16 != 0 || qRowStride % 8 != 0 || outRowStride % 8 != 0)) {
            throw new IllegalArgumentException("attention_prefill_mma takes head_dim a multiple of 16 and row strides"
                    + " multiples of 8 halves; found head_dim " + headDim + ", q row stride " + qRowStride
                    + ", out row stride " + outRowStride + " (" + CudaSwitches.PREFILL_ATTENTION + "=simt has no such"
                    + " limit)");
        }
        int rows = Math.multiplyExact(n, heads / kvHeads);
        if (mma) {
            return KernelLaunch.of(Kernel.ATTENTION_PREFILL_MMA, Dim3.of(ceilDiv(rows, PREFILL_MMA_ROWS), kvHeads), q,
                    qRowStride, kCache, vCache, out, outRowStride, slot, startPos, n, heads, kvHeads, headDim, numSlots,
                    maxTokens, scale);
        }
        return KernelLaunch.of(Kernel.ATTENTION_PREFILL, Dim3.of(ceilDiv(rows, PREFILL_ROWS), kvHeads), q, qRowStride,
                kCache, vCache, out, outRowStride, slot, startPos, n, heads, kvHeads, headDim, numSlots, maxTokens,
                scale, window, softcap);
    }

    /** gemv.cu GEMV_MAX_ROWS: the most rows the GEMV kernels take (their sums live in registers). */
    static final int GEMV_MAX_ROWS = 8;
    /** gemv.cu GEMV_WARPS: pairs of output columns per block and round. */
    static final int GEMV_WARPS = 8;

    /** Whether the GEMV kernels take {@code rows} rows of {@code in} inputs: 16-byte loads need in % 8 == 0. */
    static boolean gemvFits(int rows, int in) {
        return rows >= 1 && rows <= GEMV_MAX_ROWS && in % 8 == 0;
    }

    /** One round for every pair of output columns; grid (ceil(pairs / GEMV_WARPS)). */
    private static Dim3 gemvGrid(long pairs, int rows, int in) {
        if (!gemvFits(rows, in)) {
            throw new IllegalArgumentException("the GEMV kernels take 1 to " + GEMV_MAX_ROWS + " rows of a multiple of 8 "
                    + "inputs (16-byte loads), found " + rows + " rows of " + in);
        }
        return Dim3.of((int) ceilDiv(pairs, GEMV_WARPS));
    }

    /** fp32 {@code y[rows, out] += x[rows, in] · wᵀ}, x fp16 with rows {@code xRowStride} elements apart. */
    static KernelLaunch gemvAccumulate(long x, long xRowStride, long w, long y, int rows, int in, int out) {
        return KernelLaunch.of(Kernel.GEMV_F16_ACCUMULATE, gemvGrid(ceilDiv(out, 2), rows, in), x, xRowStride, w, y,
                rows, in, out);
    }

    /** fp32 {@code y[rows, out] = rmsnorm(residual[rows, in]) · wᵀ}: the logits with the final norm folded in. */
    static KernelLaunch gemvRmsnorm(long residual, long norm, float eps, long w, long y, int rows, int in, int out) {
        return KernelLaunch.of(Kernel.GEMV_RMSNORM_F32, gemvGrid(ceilDiv(out, 2), rows, in), residual, norm, eps, w, y,
                rows, in, out);
    }

    /** fp16 {@code out[rows, inter] = gelu_tanh(gate) · up} of {@code rmsnorm(residual) · wᵀ}, w the fused gate/up weight. */
    static KernelLaunch gemvRmsnormGeglu(long residual, long norm, float eps, long w, long out, int rows, int in,
                                         int inter) {
        return KernelLaunch.of(Kernel.GEMV_RMSNORM_GEGLU, gemvGrid(inter, rows, in), residual, norm, eps, w, out, rows,
                in, inter);
    }

    /**
     * q/k/v of {@code rmsnorm(residual) · wᵀ} with what {@link #ropeAndCache} does after it: q rotated into
     * {@code q} (rows {@code qRowStride} elements apart), k rotated and v copied into the caches.
     */
    static KernelLaunch gemvRmsnormRope(long residual, long norm, float eps, long w, int rows, int in, long q,
                                        long qRowStride, long kCache, long vCache, long slots, long positions,
                                        int heads, int kvHeads, int headDim, int numSlots, int maxTokens,
                                        float theta) {
        checkAttentionShape(heads, kvHeads, headDim);
        long pairs = (long) (heads + 2 * kvHeads) * headDim / 2;
        return KernelLaunch.of(Kernel.GEMV_RMSNORM_ROPE, gemvGrid(pairs, rows, in), residual, norm, eps, w, rows, in, q,
                qRowStride, kCache, vCache, slots, positions, heads, kvHeads, headDim, numSlots, maxTokens, theta);
    }

    /**
     * {@code in[count]} of type {@code from} to {@code out[count]} of {@code to} (fp16 or bf16), adding
     * the values {@code to} cannot hold and the NaNs to the two uint64 counters.
     */
    static KernelLaunch convert(DType from, DType to, long in, long out, long count, long overflowCounter,
                                long nanCounter) {
        Kernel k = switch (to) {
            case F16 -> switch (from) {
                case BF16 -> Kernel.CONVERT_BF16_TO_F16;
                case F32 -> Kernel.CONVERT_F32_TO_F16;
                case F16 -> null;
                default -> throw new IllegalArgumentException(from + " weights have no device conversion");
            };
            case BF16 -> switch (from) {
                case F16 -> Kernel.CONVERT_F16_TO_BF16;
                case F32 -> Kernel.CONVERT_F32_TO_BF16;
                case BF16 -> null;
                default -> throw new IllegalArgumentException(from + " weights have no device conversion");
            };
            default -> throw new IllegalArgumentException("weights are kept as fp16 or bf16 on the device, not " + to);
        };
        if (k == null) throw new IllegalArgumentException(from + " weights are copied as they are, not converted");
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
