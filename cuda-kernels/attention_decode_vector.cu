// Decode attention with vector loads (gemma4j.cuda.decodeAttention=vector). Same contract as
// attention_decode_partial and attention_decode_combine in attention.cu (included before this file:
// ATTENTION_MAX_HEAD_DIM, the KV cache layout, the partial buffers, the grid, rejected sequences),
// computed another way:
// - Each warp walks its own keys of the split, KEYS per step: lane l loads dims [8l, 8l + 8) of
//   KEYS key rows and KEYS value rows with 16-byte loads, all issued before any is used. Scores,
//   the online softmax (a running max and sum per head, kept by the warp) and p.v stay inside the
//   warp, so the key loop has no block barrier and the next step's loads are not held up by
//   other warps.
// - The H * KEYS dot products of a step are summed over the warp by a transposing butterfly:
//   H * KEYS - 1 shuffles in all instead of 5 per dot.
// - After the loop the block merges its warps' states, each rescaled to the block's maximum, in
//   shared memory; the sums run over the warps in a fixed order, so results are deterministic.
// - The combine spreads a head's splits over 16 groups of threads, 4 dims (one 16-byte load) per
//   thread, and adds the groups in shared memory.
#include "common.cuh"

constexpr int DECODE_VECTOR_THREADS = 256;
constexpr int DECODE_VECTOR_WARPS = DECODE_VECTOR_THREADS / 32;
constexpr int DECODE_VECTOR_MIN_BLOCKS = 2;      // two blocks per SM: at most 128 registers
constexpr int DECODE_VECTOR_MAX_HEADS = 8;      // query heads per block, as DECODE_HEADS
constexpr int DECODE_VECTOR_MERGE_HEADS = 4;    // heads merged per pass: [8 warps][4][256] fp32 = 32 KiB
constexpr int DECODE_VECTOR_DIMS_PER_LANE = 8;  // 8 halves = one 16-byte load
constexpr int COMBINE_VECTOR_THREADS = 1024;
constexpr int COMBINE_VECTOR_QUADS = ATTENTION_MAX_HEAD_DIM / 4;                   // threads across a head
constexpr int COMBINE_VECTOR_GROUPS = COMBINE_VECTOR_THREADS / COMBINE_VECTOR_QUADS;  // split groups
constexpr int COMBINE_VECTOR_MAX_SPLITS = 256;  // Kernels.MAX_DECODE_SPLITS

static_assert(DECODE_VECTOR_DIMS_PER_LANE * 32 == ATTENTION_MAX_HEAD_DIM, "a warp covers one key row");
static_assert(COMBINE_VECTOR_THREADS >= COMBINE_VECTOR_MAX_SPLITS, "one thread per split");

// Query heads per block for a group of `group` query heads per kv head: 1, 4 or 8 (Gemma: 7B 1,
// 2B 8); a fourth instantiation (2) would push sm_90 past 128 registers. ceil(group / H) blocks per
// kv head equals ceil(group / 8) for every group, so the grid is the one of attention_decode_partial.
__host__ __device__ constexpr int decode_vector_heads(int group) {
    return group >= 5 ? 8 : (group >= 2 ? 4 : 1);
}

// Keys per warp step for H heads: 16 dots per step (8 for one head) keeps the accumulators (8 H
// fp32), the raw key and value rows (8 KEYS registers) and the dots within 128 registers.
template <int H>
__host__ __device__ constexpr int decode_vector_keys() {
    return H >= 8 ? 2 : (H == 4 ? 4 : 8);
}

// Sums N values (a power of two, at most 32) over the warp: lane l returns the total of value
// l >> (5 - log2 N). Each level hands half of the remaining values to the partner lane and adds
// the partner's half, so N values take N - 1 shuffles plus one per level past log2 N.
template <int N, int OFFSET = 16>
__device__ __forceinline__ float decode_vector_fold(float (&v)[N], int lane) {
    if constexpr (N == 1) {
        float s = v[0];
#pragma unroll
        for (int offset = OFFSET; offset > 0; offset >>= 1) s += __shfl_xor_sync(gemma4j::kFullMask, s, offset);
        return s;
    } else {
        constexpr int HALF = N / 2;
        const bool upper = (lane & OFFSET) != 0;
        float kept[HALF];
#pragma unroll
        for (int i = 0; i < HALF; ++i) {
            const float send = upper ? v[i] : v[i + HALF];
            const float keep = upper ? v[i + HALF] : v[i];
            kept[i] = keep + __shfl_xor_sync(gemma4j::kFullMask, send, OFFSET);
        }
        return decode_vector_fold<HALF, OFFSET / 2>(kept, lane);
    }
}

__device__ __forceinline__ void decode_vector_unpack(const uint4& raw, float (&out)[DECODE_VECTOR_DIMS_PER_LANE]) {
    const __half* h = reinterpret_cast<const __half*>(&raw);
#pragma unroll
    for (int e = 0; e < DECODE_VECTOR_DIMS_PER_LANE; ++e) out[e] = __half2float(h[e]);
}

// Shared memory of attention_decode_vector_partial, at file scope so that every instantiation of
// decode_vector_partial addresses the same arrays directly.
__shared__ __align__(16) float decode_vector_q[DECODE_VECTOR_MAX_HEADS * ATTENTION_MAX_HEAD_DIM];  // fp32 queries
__shared__ float decode_vector_probs[DECODE_VECTOR_WARPS * 32];  // per warp: exp(score - max) of a step's dots
__shared__ float decode_vector_rescale[DECODE_VECTOR_WARPS * DECODE_VECTOR_MAX_HEADS];  // per warp: exp(old - new max)
__shared__ float decode_vector_warp_max[DECODE_VECTOR_WARPS * DECODE_VECTOR_MAX_HEADS];  // each warp's final max
__shared__ float decode_vector_warp_sum[DECODE_VECTOR_WARPS * DECODE_VECTOR_MAX_HEADS];  // and sum, per head
__shared__ __align__(16) float decode_vector_merge[DECODE_VECTOR_WARPS * DECODE_VECTOR_MERGE_HEADS * ATTENTION_MAX_HEAD_DIM];

template <int H>
__device__ __forceinline__ void decode_vector_partial(
    const __half* __restrict__ q, long long q_row_stride, const __half* __restrict__ k_cache,
    const __half* __restrict__ v_cache, const int* __restrict__ slots, const int* __restrict__ lengths,
    float* __restrict__ partial_max, float* __restrict__ partial_sum, float* __restrict__ partial_out, int heads,
    int kv_heads, int head_dim, int num_slots, int max_tokens, int split_tokens, float scale,
    int* __restrict__ bad_entries) {
    constexpr int KEYS = decode_vector_keys<H>();
    constexpr int VALUES = H * KEYS;                 // dots per warp step, value index j * KEYS + r
    constexpr int LANES_PER_VALUE = 32 / VALUES;     // lanes holding the same folded dot
    constexpr int LANES_PER_HEAD = 32 / H;
    constexpr int MERGE_HEADS = H < DECODE_VECTOR_MERGE_HEADS ? H : DECODE_VECTOR_MERGE_HEADS;
    static_assert(VALUES <= 32 && 32 % VALUES == 0, "a step's dots fold onto the warp's lanes");

    // Full attention only (window 0): the backend runs sliding layers on attention_decode_partial.
    const DecodeBlock blk = decode_block(H, heads, kv_heads, slots, lengths, num_slots, max_tokens, split_tokens,
                                         0, bad_entries);
    if (!blk.has_keys) return;
    const int b = blk.b, split = blk.split, max_splits = blk.max_splits;
    const int first_head = blk.first_head, block_heads = blk.block_heads;
    const int key_begin = blk.key_begin, key_end = blk.key_end;
    const long long head_offset = ((long long)blk.slot * kv_heads + blk.kv_head) * max_tokens * head_dim;

    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int lane_dim = lane * DECODE_VECTOR_DIMS_PER_LANE;
    const bool lane_active = lane_dim < head_dim;
    const int my_value = lane / LANES_PER_VALUE;  // the (head, key) dot this lane ends up holding
    const int my_key = my_value % KEYS;
    const int my_head = lane / LANES_PER_HEAD;

    for (int e = threadIdx.x; e < H * ATTENTION_MAX_HEAD_DIM; e += DECODE_VECTOR_THREADS) {
        const int j = e / ATTENTION_MAX_HEAD_DIM;
        const int d = e % ATTENTION_MAX_HEAD_DIM;
        decode_vector_q[e] = (j < block_heads && d < head_dim)
                      ? __half2float(q[b * q_row_stride + (long long)(first_head + j) * head_dim + d])
                      : 0.0f;
    }
    __syncthreads();

    const __half* keys = k_cache + head_offset;
    const __half* values = v_cache + head_offset;
    float* probs = decode_vector_probs + warp * 32;
    float* rescale = decode_vector_rescale + warp * DECODE_VECTOR_MAX_HEADS;

    float acc[H][DECODE_VECTOR_DIMS_PER_LANE];
#pragma unroll
    for (int j = 0; j < H; ++j) {
#pragma unroll
        for (int e = 0; e < DECODE_VECTOR_DIMS_PER_LANE; ++e) acc[j][e] = 0.0f;
    }
    float running_max = -INFINITY;  // of head my_head, the same in all its lanes
    float running_sum = 0.0f;

    for (int base = key_begin + warp * KEYS; base < key_end; base += DECODE_VECTOR_WARPS * KEYS) {
        uint4 k_raw[KEYS], v_raw[KEYS];
#pragma unroll
        for (int r = 0; r < KEYS; ++r) {
            if (base + r < key_end && lane_active) {
                const long long at = (long long)(base + r) * head_dim + lane_dim;
                k_raw[r] = *reinterpret_cast<const uint4*>(keys + at);
                v_raw[r] = *reinterpret_cast<const uint4*>(values + at);
            } else {
                k_raw[r] = make_uint4(0u, 0u, 0u, 0u);
                v_raw[r] = make_uint4(0u, 0u, 0u, 0u);
            }
        }

        float dots[VALUES];
#pragma unroll
        for (int r = 0; r < KEYS; ++r) {
            float kf[DECODE_VECTOR_DIMS_PER_LANE];
            decode_vector_unpack(k_raw[r], kf);
#pragma unroll
            for (int j = 0; j < H; ++j) {
                const float4 qa = *reinterpret_cast<const float4*>(&decode_vector_q[j * ATTENTION_MAX_HEAD_DIM + lane_dim]);
                const float4 qb = *reinterpret_cast<const float4*>(&decode_vector_q[j * ATTENTION_MAX_HEAD_DIM + lane_dim + 4]);
                float dot = qa.x * kf[0] + qa.y * kf[1] + qa.z * kf[2] + qa.w * kf[3];
                dot += qb.x * kf[4] + qb.y * kf[5] + qb.z * kf[6] + qb.w * kf[7];
                dots[j * KEYS + r] = dot;
            }
        }
        const float folded = decode_vector_fold<VALUES>(dots, lane);  // every lane: the shuffles need all 32
        const float score = base + my_key < key_end ? folded * scale : -INFINITY;

        // Online softmax of head my_head over the step's keys: its lanes span LANES_PER_HEAD.
        float step_max = score;
#pragma unroll
        for (int offset = LANES_PER_VALUE; offset < LANES_PER_HEAD; offset <<= 1) {
            step_max = fmaxf(step_max, __shfl_xor_sync(gemma4j::kFullMask, step_max, offset));
        }
        const float new_max = fmaxf(running_max, step_max);
        const float p = expf(score - new_max);  // 0 for a key past the end
        float step_sum = p;
#pragma unroll
        for (int offset = LANES_PER_VALUE; offset < LANES_PER_HEAD; offset <<= 1) {
            step_sum += __shfl_xor_sync(gemma4j::kFullMask, step_sum, offset);
        }
        const float alpha = expf(running_max - new_max);  // 0 on the warp's first step
        running_sum = running_sum * alpha + step_sum;
        running_max = new_max;
        if (lane % LANES_PER_VALUE == 0) probs[my_value] = p;
        if (lane % LANES_PER_HEAD == 0) rescale[my_head] = alpha;
        __syncwarp();

#pragma unroll
        for (int j = 0; j < H; ++j) {
            const float a = rescale[j];
#pragma unroll
            for (int e = 0; e < DECODE_VECTOR_DIMS_PER_LANE; ++e) acc[j][e] *= a;
        }
#pragma unroll
        for (int r = 0; r < KEYS; ++r) {
            float vf[DECODE_VECTOR_DIMS_PER_LANE];
            decode_vector_unpack(v_raw[r], vf);
#pragma unroll
            for (int j = 0; j < H; ++j) {
                const float pj = probs[j * KEYS + r];
#pragma unroll
                for (int e = 0; e < DECODE_VECTOR_DIMS_PER_LANE; ++e) acc[j][e] += pj * vf[e];
            }
        }
        __syncwarp();  // probs and rescale read before the next step writes them
    }

    // Merge the warps. A warp that had no key keeps max -inf, sum 0, acc 0: its weight is 0.
    if (lane % LANES_PER_HEAD == 0) {
        decode_vector_warp_max[warp * DECODE_VECTOR_MAX_HEADS + my_head] = running_max;
        decode_vector_warp_sum[warp * DECODE_VECTOR_MAX_HEADS + my_head] = running_sum;
    }
    __syncthreads();
    if ((int)threadIdx.x < block_heads) {
        const int j = threadIdx.x;
        float block_max = -INFINITY;
        for (int w = 0; w < DECODE_VECTOR_WARPS; ++w) block_max = fmaxf(block_max, decode_vector_warp_max[w * DECODE_VECTOR_MAX_HEADS + j]);
        float sum = 0.0f;
        for (int w = 0; w < DECODE_VECTOR_WARPS; ++w) {
            sum += decode_vector_warp_sum[w * DECODE_VECTOR_MAX_HEADS + j] * expf(decode_vector_warp_max[w * DECODE_VECTOR_MAX_HEADS + j] - block_max);
        }
        const long long part = ((long long)b * heads + first_head + j) * max_splits + split;
        partial_max[part] = block_max;
        partial_sum[part] = sum;
    }
#pragma unroll
    for (int pass = 0; pass < H; pass += MERGE_HEADS) {
        if (lane_active) {
#pragma unroll
            for (int jj = 0; jj < MERGE_HEADS; ++jj) {
                float* m = decode_vector_merge + (warp * DECODE_VECTOR_MERGE_HEADS + jj) * ATTENTION_MAX_HEAD_DIM + lane_dim;
                const int j = pass + jj;
                float block_max = -INFINITY;
                for (int w = 0; w < DECODE_VECTOR_WARPS; ++w) {
                    block_max = fmaxf(block_max, decode_vector_warp_max[w * DECODE_VECTOR_MAX_HEADS + j]);
                }
                // exp(this warp's max - the block's max)
                const float w = expf(decode_vector_warp_max[warp * DECODE_VECTOR_MAX_HEADS + j] - block_max);
                *reinterpret_cast<float4*>(m) = make_float4(acc[j][0] * w, acc[j][1] * w, acc[j][2] * w, acc[j][3] * w);
                *reinterpret_cast<float4*>(m + 4) = make_float4(acc[j][4] * w, acc[j][5] * w, acc[j][6] * w, acc[j][7] * w);
            }
        }
        __syncthreads();
        for (int e = threadIdx.x; e < MERGE_HEADS * head_dim; e += DECODE_VECTOR_THREADS) {
            const int jj = e / head_dim;
            const int d = e % head_dim;
            const int j = pass + jj;
            if (j < block_heads) {
                float sum = 0.0f;
                for (int w = 0; w < DECODE_VECTOR_WARPS; ++w) {
                    sum += decode_vector_merge[(w * DECODE_VECTOR_MERGE_HEADS + jj) * ATTENTION_MAX_HEAD_DIM + d];
                }
                const long long part = ((long long)b * heads + first_head + j) * max_splits + split;
                partial_out[part * head_dim + d] = sum;
            }
        }
        __syncthreads();  // merge read before the next pass writes it
    }
}

// Decode, step 1, vector loads: parameters, partials, grid and bad_entries exactly as
// attention_decode_partial. grid (max_splits, kv_heads * ceil(group / 8), batch), block
// (DECODE_VECTOR_THREADS).
extern "C" __global__ void __launch_bounds__(DECODE_VECTOR_THREADS, DECODE_VECTOR_MIN_BLOCKS)
attention_decode_vector_partial(const __half* __restrict__ q, long long q_row_stride,
                                const __half* __restrict__ k_cache, const __half* __restrict__ v_cache,
                                const int* __restrict__ slots, const int* __restrict__ lengths,
                                float* __restrict__ partial_max, float* __restrict__ partial_sum,
                                float* __restrict__ partial_out, int heads, int kv_heads, int head_dim,
                                int num_slots, int max_tokens, int split_tokens, float scale,
                                int* __restrict__ bad_entries) {
    switch (decode_vector_heads(heads / kv_heads)) {
        case 1:
            decode_vector_partial<1>(q, q_row_stride, k_cache, v_cache, slots, lengths, partial_max, partial_sum,
                                     partial_out, heads, kv_heads, head_dim, num_slots, max_tokens, split_tokens,
                                     scale, bad_entries);
            break;
        case 4:
            decode_vector_partial<4>(q, q_row_stride, k_cache, v_cache, slots, lengths, partial_max, partial_sum,
                                     partial_out, heads, kv_heads, head_dim, num_slots, max_tokens, split_tokens,
                                     scale, bad_entries);
            break;
        default:
            decode_vector_partial<8>(q, q_row_stride, k_cache, v_cache, slots, lengths, partial_max, partial_sum,
                                     partial_out, heads, kv_heads, head_dim, num_slots, max_tokens, split_tokens,
                                     scale, bad_entries);
            break;
    }
}

// Maximum over the whole block, same contract as gemma4j::block_sum (fmaxf: a NaN operand is
// ignored, as in the scalar combine's serial fmaxf).
__device__ __forceinline__ float decode_vector_block_max(float v, float* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    v = gemma4j::warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -INFINITY;
    return gemma4j::warp_max(v);
}

// Decode, step 2, parallel over splits and dims: parameters and output exactly as
// attention_decode_combine; also NaN for a sequence needing more than COMBINE_VECTOR_MAX_SPLITS
// splits. Thread t reads split t's max and sum; thread (group g = t / 64, quad c = t % 64) adds
// dims [4c, 4c + 4) of splits g, g + 16, ... with one 16-byte load each.
// grid (heads, batch), block (COMBINE_VECTOR_THREADS).
extern "C" __global__ void __launch_bounds__(COMBINE_VECTOR_THREADS)
attention_decode_vector_combine(const float* __restrict__ partial_max, const float* __restrict__ partial_sum,
                                const float* __restrict__ partial_out, const int* __restrict__ slots,
                                const int* __restrict__ lengths, __half* __restrict__ out,
                                long long out_row_stride, int heads, int head_dim, int num_slots,
                                int max_tokens, int max_splits, int split_tokens) {
    __shared__ float split_weight[COMBINE_VECTOR_MAX_SPLITS];
    __shared__ __align__(16) float groups[COMBINE_VECTOR_GROUPS * ATTENTION_MAX_HEAD_DIM];
    __shared__ float scratch[32];
    const int h = blockIdx.x;
    const int b = blockIdx.y;
    __half* o = out + b * out_row_stride + (long long)h * head_dim;
    const int slot = slots[b];
    const int length = lengths[b];
    const int splits = length >= 1 ? (length + split_tokens - 1) / split_tokens : 0;
    if (slot < 0 || slot >= num_slots || length < 1 || length > max_tokens || splits > max_splits ||
        splits > COMBINE_VECTOR_MAX_SPLITS) {
        for (int d = threadIdx.x; d < head_dim; d += blockDim.x) o[d] = __float2half_rn(nanf(""));
        return;
    }
    const long long base = ((long long)b * heads + h) * max_splits;
    const int s = threadIdx.x;
    const float m = s < splits ? partial_max[base + s] : -INFINITY;
    const float global_max = decode_vector_block_max(m, scratch);
    const float w = s < splits ? expf(m - global_max) : 0.0f;
    if (s < splits) split_weight[s] = w;
    // block_sum's barriers also publish split_weight.
    const float denominator = gemma4j::block_sum(s < splits ? partial_sum[base + s] * w : 0.0f, scratch);

    const int group = threadIdx.x / COMBINE_VECTOR_QUADS;
    const int d0 = (threadIdx.x % COMBINE_VECTOR_QUADS) * 4;
    if (d0 < head_dim) {
        float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 4
        for (int t = group; t < splits; t += COMBINE_VECTOR_GROUPS) {
            const float ws = split_weight[t];
            const float4 x = *reinterpret_cast<const float4*>(partial_out + (base + t) * head_dim + d0);
            sum.x += ws * x.x;
            sum.y += ws * x.y;
            sum.z += ws * x.z;
            sum.w += ws * x.w;
        }
        *reinterpret_cast<float4*>(&groups[group * ATTENTION_MAX_HEAD_DIM + d0]) = sum;
    }
    __syncthreads();
    if ((int)threadIdx.x < head_dim) {
        float numerator = 0.0f;
        for (int g = 0; g < COMBINE_VECTOR_GROUPS; ++g) numerator += groups[g * ATTENTION_MAX_HEAD_DIM + threadIdx.x];
        o[threadIdx.x] = gemma4j::to_half_saturated(numerator / denominator);
    }
}
