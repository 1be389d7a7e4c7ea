// Causal attention over the fp16 KV cache (layout in rope.cu), softmax in fp32, output fp16
// (saturated) for the o_proj GEMM. Query head h reads kv head h / group, group = heads / kv_heads
// (Hugging Face's repeat_kv). head_dim is a runtime value: a multiple of 8, at most 256.
//
// Decode (one new token per sequence, any number of sequences) is flash-decoding: the context is
// cut into splits of split_tokens keys, one block per (split, kv head, <= 8 query heads of its
// group, sequence) writes an unnormalised partial result, and a combine kernel merges the splits.
// Prefill (n prompt tokens of one sequence) is tiled over query rows and keys with an online
// softmax; every product is fp32 on CUDA cores.
//
// Gemma 2 and 3: a sliding layer (window > 0) lets the query at position i see key j only when
// i - j < window, and its cache is a ring: position p sits in row p % max_tokens, max_tokens being
// that layer's rows per slot (a full layer's context; the positions then never wrap). A soft-cap
// (softcap > 0, Gemma 2) turns each scaled score s into softcap * tanh(s / softcap) before the mask.
#include "common.cuh"

constexpr int ATTENTION_MAX_HEAD_DIM = 256;

constexpr int DECODE_THREADS = 256;
constexpr int DECODE_WARPS = DECODE_THREADS / 32;
constexpr int DECODE_HEADS = 8;                            // query heads per block
constexpr int DECODE_KEY_TILE = 64;                        // keys scored per step
constexpr int DECODE_KEYS_PER_WARP = DECODE_KEY_TILE / DECODE_WARPS;
constexpr int DECODE_DIMS_PER_LANE = 8;                    // 8 halves = one 16-byte load
constexpr int COMBINE_THREADS = 256;

constexpr int PREFILL_THREADS = 256;
constexpr int PREFILL_ROWS = 32;       // query rows per block; row = token * group + head in group
constexpr int PREFILL_KEYS = 64;       // keys per tile
constexpr int PREFILL_DIM_CHUNK = 32;  // head dims of q and k staged per step of q.k
constexpr int PREFILL_V_KEYS = 16;     // value rows staged per step of p.v
constexpr int PREFILL_ROWS_PER_THREAD = 2;
constexpr int PREFILL_COLS = 16;       // threads across a row: tx = tid % 16
constexpr int PREFILL_KEYS_PER_THREAD = PREFILL_KEYS / PREFILL_COLS;
constexpr int PREFILL_DIMS_PER_THREAD = ATTENTION_MAX_HEAD_DIM / PREFILL_COLS;

static_assert(DECODE_DIMS_PER_LANE * 32 == ATTENTION_MAX_HEAD_DIM, "a warp covers one key row");
static_assert(DECODE_THREADS >= ATTENTION_MAX_HEAD_DIM, "one thread per output dim");
static_assert(PREFILL_THREADS == (PREFILL_ROWS / PREFILL_ROWS_PER_THREAD) * PREFILL_COLS, "thread grid");
static_assert(PREFILL_THREADS == ATTENTION_MAX_HEAD_DIM, "one thread per staged value dim");

namespace gemma4j {

// The first key a query at position pos - 1 of a sequence of `length` keys sees: 0, or the
// oldest of its window.
__device__ __forceinline__ int first_visible_key(int length, int window) {
    return window > 0 && length > window ? length - window : 0;
}

// Gemma 2's soft-cap of a scaled score: cap * tanh(s / cap) in fp32; none for cap <= 0. `inv_cap`
// is 1 / cap (fp32, computed once per kernel). tanh(x) is sign(x) (1 - e) / (1 + e) with
// e = expf(-2|x|), the quotient by __fdividef (1 + e lies in [1, 2], where it is within 2 ulp): all
// within about 3e-7 of tanh (absolute; a score moves by under cap * 3e-7, 1.5e-5 at cap 50). tanhf
// and IEEE divisions keep a slow-path call in the prefill's key loop, whose saved registers spilled.
__device__ __forceinline__ float soft_cap(float s, float cap, float inv_cap) {
    if (!(cap > 0.0f)) return s;
    const float x = s * inv_cap;
    const float e = expf(-2.0f * fabsf(x));
    return copysignf(cap * __fdividef(1.0f - e, 1.0f + e), x);
}

// The ring row of key position `row0_key + t`, given `row0` = row0_key % max_tokens and 0 <= t < max_tokens.
__device__ __forceinline__ int ring_next(int row0, int t, int max_tokens) {
    const int r = row0 + t;
    return r >= max_tokens ? r - max_tokens : r;
}

}  // namespace gemma4j

// One block of a flash-decoding grid (max_splits, kv_heads * ceil(group / heads_per_block), batch):
// which sequence, split, kv head and query heads it serves and which keys it reads. The keys of a
// sequence of length L are [first, L), first = max(0, L - window) on a sliding layer, else 0; the
// splits cut that range. A sequence whose slot is outside [0, num_slots), whose length is below 1,
// whose L - first keys exceed max_tokens (its layer's rows) or need more than max_splits splits is
// counted once in bad_entries (when not null) and has no keys.
struct DecodeBlock {
    int b, split, max_splits, kv_head, first_head, block_heads, slot, key_begin, key_end;
    bool has_keys;  // false: the block returns at once (rejected sequence, or a split past its end)
};

__device__ __forceinline__ DecodeBlock decode_block(int heads_per_block, int heads, int kv_heads,
                                                    const int* __restrict__ slots, const int* __restrict__ lengths,
                                                    int num_slots, int max_tokens, int split_tokens,
                                                    int window, int* __restrict__ bad_entries) {
    DecodeBlock d;
    d.b = blockIdx.z;
    d.split = blockIdx.x;
    d.max_splits = gridDim.x;
    const int group = heads / kv_heads;
    const int head_blocks = (group + heads_per_block - 1) / heads_per_block;
    d.kv_head = blockIdx.y / head_blocks;
    d.first_head = d.kv_head * group + (blockIdx.y % head_blocks) * heads_per_block;
    d.block_heads = min(heads_per_block, d.kv_head * group + group - d.first_head);
    d.slot = slots[d.b];
    const int length = lengths[d.b];
    const int first = gemma4j::first_visible_key(length, window);
    const int span = length - first;
    d.key_begin = first + d.split * split_tokens;
    d.key_end = min(length, d.key_begin + split_tokens);
    if (d.slot < 0 || d.slot >= num_slots || length < 1 || span > max_tokens ||
        (span + split_tokens - 1) / split_tokens > d.max_splits) {
        if (d.split == 0 && blockIdx.y == 0 && threadIdx.x == 0 && bad_entries != nullptr) {
            atomicAdd(bad_entries, 1);
        }
        d.has_keys = false;
    } else {
        d.has_keys = d.key_begin < length;
    }
    return d;
}

// Decode, step 1: partial attention of one split.
//
// q        fp16, sequence b's query heads at q + b*q_row_stride, [heads, head_dim]
// k_cache, v_cache  fp16, one layer, [num_slots, kv_heads, max_tokens, head_dim]; position p in row
//          p % max_tokens (the identity on a full layer, whose positions stay below max_tokens)
// slots    int32 [batch], lengths int32 [batch]: sequence b attends keys [first, lengths[b]) of slot
//          slots[b] (its new token included: rope_and_cache runs first), first = max(0, lengths[b] -
//          window) when window > 0, else 0
// partial_max, partial_sum  fp32 [batch, heads, max_splits]; partial_out fp32 [batch, heads,
//          max_splits, head_dim]: per split, the maximum score m, sum of exp(score - m) and
//          sum of exp(score - m) * v. max_splits = gridDim.x.
// scale    multiplies q.k (query_pre_attn_scalar^-0.5; 1/sqrt(head_dim) for Gemma 1)
// window   sliding layers: the keys a query sees (0: all, a full layer)
// softcap  scores become softcap * tanh(score / softcap) (0: none)
// bad_entries  int32 counter or null: +1 per sequence whose slot is outside [0, num_slots), whose
//          length is below 1, whose keys exceed max_tokens or need more than max_splits splits; that
//          sequence's partials are not written and attention_decode_combine writes NaN for it.
// grid (max_splits, kv_heads * ceil(group / 8), batch), block (DECODE_THREADS).
template <typename T>
__device__ __forceinline__ void attention_decode_partial_impl(const T* __restrict__ q, long long q_row_stride,
                         const T* __restrict__ k_cache, const T* __restrict__ v_cache,
                         const int* __restrict__ slots, const int* __restrict__ lengths,
                         float* __restrict__ partial_max, float* __restrict__ partial_sum,
                         float* __restrict__ partial_out, int heads, int kv_heads, int head_dim,
                         int num_slots, int max_tokens, int split_tokens, float scale, int window,
                         float softcap, int* __restrict__ bad_entries) {
    __shared__ __align__(16) float q_shared[DECODE_HEADS][ATTENTION_MAX_HEAD_DIM];
    __shared__ float scores[DECODE_HEADS][DECODE_KEY_TILE];  // scores, then exp(score - max)
    __shared__ float running_max[DECODE_HEADS];
    __shared__ float running_sum[DECODE_HEADS];
    __shared__ float rescale[DECODE_HEADS];

    const DecodeBlock blk = decode_block(DECODE_HEADS, heads, kv_heads, slots, lengths, num_slots, max_tokens,
                                         split_tokens, window, bad_entries);
    if (!blk.has_keys) return;
    const float inv_softcap = softcap > 0.0f ? 1.0f / softcap : 0.0f;
    const int b = blk.b, split = blk.split, max_splits = blk.max_splits, kv_head = blk.kv_head;
    const int first_head = blk.first_head, block_heads = blk.block_heads, slot = blk.slot;
    const int key_begin = blk.key_begin, key_end = blk.key_end;

    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int lane_dim = lane * DECODE_DIMS_PER_LANE;  // this lane's 8 dims of q.k
    const bool lane_active = lane_dim < head_dim;
    const int out_dim = threadIdx.x;                   // this thread's dim of p.v
    const bool out_active = out_dim < head_dim;

    for (int e = threadIdx.x; e < DECODE_HEADS * ATTENTION_MAX_HEAD_DIM; e += DECODE_THREADS) {
        const int j = e / ATTENTION_MAX_HEAD_DIM;
        const int d = e % ATTENTION_MAX_HEAD_DIM;
        q_shared[j][d] = (j < block_heads && d < head_dim)
                             ? gemma4j::to_float(q[b * q_row_stride + (long long)(first_head + j) * head_dim + d])
                             : 0.0f;
    }
    if (threadIdx.x < DECODE_HEADS) {
        running_max[threadIdx.x] = -INFINITY;
        running_sum[threadIdx.x] = 0.0f;
    }
    float acc[DECODE_HEADS];
#pragma unroll
    for (int j = 0; j < DECODE_HEADS; ++j) acc[j] = 0.0f;

    const long long head_offset = ((long long)slot * kv_heads + kv_head) * max_tokens * head_dim;
    const T* keys = k_cache + head_offset;
    const T* values = v_cache + head_offset;
    __syncthreads();  // q_shared and the running state are initialised

    for (int tile = key_begin; tile < key_end; tile += DECODE_KEY_TILE) {
        const int tile_len = min(DECODE_KEY_TILE, key_end - tile);
        const int tile_row = tile % max_tokens;  // the ring row of key `tile`; the tile may wrap once

        // Scores: warp w takes keys w, w + 8, ...; its lanes split head_dim 8 dims each.
        uint4 k_raw[DECODE_KEYS_PER_WARP];
#pragma unroll
        for (int r = 0; r < DECODE_KEYS_PER_WARP; ++r) {
            const int t = warp + r * DECODE_WARPS;
            if (t < tile_len && lane_active) {
                k_raw[r] = *reinterpret_cast<const uint4*>(
                    keys + (long long)gemma4j::ring_next(tile_row, t, max_tokens) * head_dim + lane_dim);
            } else {
                k_raw[r] = make_uint4(0u, 0u, 0u, 0u);
            }
        }
#pragma unroll
        for (int r = 0; r < DECODE_KEYS_PER_WARP; ++r) {
            const int t = warp + r * DECODE_WARPS;
            if (t < tile_len) {  // uniform across the warp
                const T* kh = reinterpret_cast<const T*>(&k_raw[r]);
                float kf[DECODE_DIMS_PER_LANE];
#pragma unroll
                for (int e = 0; e < DECODE_DIMS_PER_LANE; ++e) kf[e] = gemma4j::to_float(kh[e]);
#pragma unroll
                for (int j = 0; j < DECODE_HEADS; ++j) {
                    if (j < block_heads) {  // uniform across the block
                        const float4 qa = *reinterpret_cast<const float4*>(&q_shared[j][lane_dim]);
                        const float4 qb = *reinterpret_cast<const float4*>(&q_shared[j][lane_dim + 4]);
                        float dot = qa.x * kf[0] + qa.y * kf[1] + qa.z * kf[2] + qa.w * kf[3];
                        dot += qb.x * kf[4] + qb.y * kf[5] + qb.z * kf[6] + qb.w * kf[7];
                        dot = gemma4j::warp_sum(dot);
                        if (lane == 0) scores[j][t] = gemma4j::soft_cap(dot * scale, softcap, inv_softcap);
                    }
                }
            }
        }
        __syncthreads();

        // Online softmax: warp j updates head j's running max and sum.
        if (warp < block_heads) {
            const float s0 = lane < tile_len ? scores[warp][lane] : -INFINITY;
            const float s1 = lane + 32 < tile_len ? scores[warp][lane + 32] : -INFINITY;
            const float tile_max = gemma4j::warp_max(fmaxf(s0, s1));
            const float old_max = running_max[warp];
            const float new_max = fmaxf(old_max, tile_max);
            const float p0 = lane < tile_len ? expf(s0 - new_max) : 0.0f;
            const float p1 = lane + 32 < tile_len ? expf(s1 - new_max) : 0.0f;
            if (lane < tile_len) scores[warp][lane] = p0;
            if (lane + 32 < tile_len) scores[warp][lane + 32] = p1;
            const float tile_sum = gemma4j::warp_sum(p0 + p1);
            if (lane == 0) {
                const float alpha = expf(old_max - new_max);  // 0 on the first tile
                rescale[warp] = alpha;
                running_sum[warp] = running_sum[warp] * alpha + tile_sum;
                running_max[warp] = new_max;
            }
        }
        __syncthreads();

        // Output: thread d accumulates dim d of every head of the block.
        if (out_active) {
#pragma unroll
            for (int j = 0; j < DECODE_HEADS; ++j) {
                if (j < block_heads) acc[j] *= rescale[j];
            }
            for (int t = 0; t < tile_len; ++t) {
                const float v = gemma4j::to_float(
                    values[(long long)gemma4j::ring_next(tile_row, t, max_tokens) * head_dim + out_dim]);
#pragma unroll
                for (int j = 0; j < DECODE_HEADS; ++j) {
                    if (j < block_heads) acc[j] += scores[j][t] * v;
                }
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int j = 0; j < DECODE_HEADS; ++j) {
        if (j < block_heads) {
            const long long part = ((long long)b * heads + first_head + j) * max_splits + split;
            if (threadIdx.x == 0) {
                partial_max[part] = running_max[j];
                partial_sum[part] = running_sum[j];
            }
            if (out_active) partial_out[part * head_dim + out_dim] = acc[j];
        }
    }
}

extern "C" __global__ void __launch_bounds__(DECODE_THREADS)
attention_decode_partial(const __half* __restrict__ q, long long q_row_stride,
                         const __half* __restrict__ k_cache, const __half* __restrict__ v_cache,
                         const int* __restrict__ slots, const int* __restrict__ lengths,
                         float* __restrict__ partial_max, float* __restrict__ partial_sum,
                         float* __restrict__ partial_out, int heads, int kv_heads, int head_dim,
                         int num_slots, int max_tokens, int split_tokens, float scale, int window,
                         float softcap, int* __restrict__ bad_entries) {
    attention_decode_partial_impl<__half>(
        q, q_row_stride, k_cache, v_cache, slots, lengths, partial_max, partial_sum, partial_out, heads,
        kv_heads, head_dim, num_slots, max_tokens, split_tokens, scale, window, softcap, bad_entries);
}

// bf16 q and caches (--compute bf16), otherwise as attention_decode_partial.
extern "C" __global__ void __launch_bounds__(DECODE_THREADS)
attention_decode_partial_bf16(const __nv_bfloat16* __restrict__ q, long long q_row_stride,
                              const __nv_bfloat16* __restrict__ k_cache, const __nv_bfloat16* __restrict__ v_cache,
                              const int* __restrict__ slots, const int* __restrict__ lengths,
                              float* __restrict__ partial_max, float* __restrict__ partial_sum,
                              float* __restrict__ partial_out, int heads, int kv_heads, int head_dim,
                              int num_slots, int max_tokens, int split_tokens, float scale, int window,
                              float softcap, int* __restrict__ bad_entries) {
    attention_decode_partial_impl<__nv_bfloat16>(
        q, q_row_stride, k_cache, v_cache, slots, lengths, partial_max, partial_sum, partial_out, heads,
        kv_heads, head_dim, num_slots, max_tokens, split_tokens, scale, window, softcap, bad_entries);
}

// Decode, step 2: merges the splits of attention_decode_partial.
//
// partial_*, slots, lengths  as in attention_decode_partial (same max_splits, split_tokens, window)
// out      fp16, sequence b's heads at out + b*out_row_stride, [heads, head_dim], written:
//          sum_s exp(m_s - M) * acc_s / sum_s exp(m_s - M) * l_s, saturated; NaN for a sequence
//          that attention_decode_partial rejected.
// grid (heads, batch), block (COMBINE_THREADS).
template <typename T>
__device__ __forceinline__ void attention_decode_combine_impl(const float* __restrict__ partial_max, const float* __restrict__ partial_sum,
                         const float* __restrict__ partial_out, const int* __restrict__ slots,
                         const int* __restrict__ lengths, T* __restrict__ out,
                         long long out_row_stride, int heads, int head_dim, int num_slots,
                         int max_tokens, int max_splits, int split_tokens, int window) {
    const int h = blockIdx.x;
    const int b = blockIdx.y;
    T* o = out + b * out_row_stride + (long long)h * head_dim;
    const int slot = slots[b];
    const int length = lengths[b];
    const int span = length - gemma4j::first_visible_key(length, window);
    const int splits = length >= 1 ? (span + split_tokens - 1) / split_tokens : 0;
    if (slot < 0 || slot >= num_slots || length < 1 || span > max_tokens || splits > max_splits) {
        for (int d = threadIdx.x; d < head_dim; d += blockDim.x) o[d] = gemma4j::store_saturated<T>(nanf(""));
        return;
    }
    const long long base = ((long long)b * heads + h) * max_splits;
    float global_max = -INFINITY;
    for (int s = 0; s < splits; ++s) global_max = fmaxf(global_max, partial_max[base + s]);
    float denominator = 0.0f;
    for (int s = 0; s < splits; ++s) {
        denominator += partial_sum[base + s] * expf(partial_max[base + s] - global_max);
    }
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float numerator = 0.0f;
        for (int s = 0; s < splits; ++s) {
            numerator += partial_out[(base + s) * head_dim + d] * expf(partial_max[base + s] - global_max);
        }
        o[d] = gemma4j::store_saturated<T>(numerator / denominator);
    }
}

extern "C" __global__ void __launch_bounds__(COMBINE_THREADS)
attention_decode_combine(const float* __restrict__ partial_max, const float* __restrict__ partial_sum,
                         const float* __restrict__ partial_out, const int* __restrict__ slots,
                         const int* __restrict__ lengths, __half* __restrict__ out,
                         long long out_row_stride, int heads, int head_dim, int num_slots,
                         int max_tokens, int max_splits, int split_tokens, int window) {
    attention_decode_combine_impl<__half>(
        partial_max, partial_sum, partial_out, slots, lengths, out, out_row_stride, heads, head_dim,
        num_slots, max_tokens, max_splits, split_tokens, window);
}

// bf16 output (--compute bf16), otherwise as attention_decode_combine.
extern "C" __global__ void __launch_bounds__(COMBINE_THREADS)
attention_decode_combine_bf16(const float* __restrict__ partial_max, const float* __restrict__ partial_sum,
                              const float* __restrict__ partial_out, const int* __restrict__ slots,
                              const int* __restrict__ lengths, __nv_bfloat16* __restrict__ out,
                              long long out_row_stride, int heads, int head_dim, int num_slots,
                              int max_tokens, int max_splits, int split_tokens, int window) {
    attention_decode_combine_impl<__nv_bfloat16>(
        partial_max, partial_sum, partial_out, slots, lengths, out, out_row_stride, heads, head_dim,
        num_slots, max_tokens, max_splits, split_tokens, window);
}

// Prefill: n query tokens of one sequence at positions start_pos .. start_pos + n - 1; query
// token i attends cache keys [0, start_pos + i] of `slot`, on a sliding layer only the last
// `window` of them (its own and earlier prompt tokens are already in the cache: rope_and_cache
// runs first).
//
// q        fp16, token i's query heads at q + i*q_row_stride, [heads, head_dim]
// k_cache, v_cache  fp16, one layer, [num_slots, kv_heads, max_tokens, head_dim]
// out      fp16, token i's heads at out + i*out_row_stride, [heads, head_dim], written (saturated)
// scale    multiplies q.k (query_pre_attn_scalar^-0.5; 1/sqrt(head_dim) for Gemma 1)
// window, softcap  as in attention_decode_partial
// The host guarantees 0 <= slot < num_slots, 0 <= start_pos, and that the ring holds every key the
// chunk attends: start_pos + n <= max_tokens (no position wraps), or on a sliding layer
// n + window - 1 <= max_tokens (the chunk's keys, written first, overwrite none of the window before
// it); the kernel writes NaN to its rows otherwise.
// grid (ceil(n * group / PREFILL_ROWS), kv_heads), block (PREFILL_THREADS); thread (ty = tid / 16,
// tx = tid % 16) owns query rows 2ty and 2ty + 1 of the tile, key columns tx + 16c and output dims
// tx + 16c. Two rows per thread keep it within 128 registers (two blocks per SM) without spilling.
template <typename T>
__device__ __forceinline__ void attention_prefill_impl(const T* __restrict__ q, long long q_row_stride,
                  const T* __restrict__ k_cache, const T* __restrict__ v_cache,
                  T* __restrict__ out, long long out_row_stride, int slot, int start_pos,
                  int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens,
                  float scale, int window, float softcap) {
    // Staging area: q and k chunks while scoring, then value rows while accumulating.
    constexpr int kQkStride = PREFILL_DIM_CHUNK + 1;  // +1: conflict-free column reads
    constexpr int kStageFloats = PREFILL_V_KEYS * ATTENTION_MAX_HEAD_DIM;
    static_assert(kStageFloats >= (PREFILL_ROWS + PREFILL_KEYS) * kQkStride, "q and k chunks fit");
    __shared__ float stage[kStageFloats];
    __shared__ float probs[PREFILL_ROWS][PREFILL_KEYS + 1];
    float* q_tile = stage;                                  // [PREFILL_ROWS][kQkStride]
    float* k_tile = stage + PREFILL_ROWS * kQkStride;       // [PREFILL_KEYS][kQkStride]
    float* v_tile = stage;                                  // [PREFILL_V_KEYS][ATTENTION_MAX_HEAD_DIM]

    const int tid = threadIdx.x;
    const int ty = tid / PREFILL_COLS;
    const int tx = tid % PREFILL_COLS;
    const int group = heads / kv_heads;
    const int kv_head = blockIdx.y;
    const int rows = n * group;
    const int row0 = blockIdx.x * PREFILL_ROWS;

    // Row r of the tile is query token (row0 + r) / group, head kv_head * group + (row0 + r) % group.
    // Rows past the end take the last token's position so their arithmetic stays finite; they
    // are not written.
    int row_pos[PREFILL_ROWS_PER_THREAD];
#pragma unroll
    for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) {
        row_pos[i] = start_pos + min(row0 + ty * PREFILL_ROWS_PER_THREAD + i, rows - 1) / group;
    }
    const bool ring_holds_keys = start_pos + n <= max_tokens || (window > 0 && n + window - 1 <= max_tokens);
    if (slot < 0 || slot >= num_slots || start_pos < 0 || !ring_holds_keys) {
        for (int e = tid; e < PREFILL_ROWS * head_dim; e += PREFILL_THREADS) {
            const int row = row0 + e / head_dim;
            if (row >= rows) continue;
            T* o = out + (row / group) * out_row_stride + (long long)(kv_head * group + row % group) * head_dim;
            o[e % head_dim] = gemma4j::store_saturated<T>(nanf(""));
        }
        return;
    }

    const long long head_offset = ((long long)slot * kv_heads + kv_head) * max_tokens * head_dim;
    const T* keys = k_cache + head_offset;
    const T* values = v_cache + head_offset;
    const int last_row = min(row0 + PREFILL_ROWS, rows) - 1;
    const int key_end = start_pos + last_row / group + 1;  // keys [key_begin, key_end) are visible to some row
    const int key_begin = gemma4j::first_visible_key(start_pos + row0 / group + 1, window);
    const float inv_softcap = softcap > 0.0f ? 1.0f / softcap : 0.0f;

    float row_max[PREFILL_ROWS_PER_THREAD];
    float row_sum[PREFILL_ROWS_PER_THREAD];
    float acc[PREFILL_ROWS_PER_THREAD][PREFILL_DIMS_PER_THREAD];
#pragma unroll
    for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) {
        row_max[i] = -INFINITY;
        row_sum[i] = 0.0f;
#pragma unroll
        for (int c = 0; c < PREFILL_DIMS_PER_THREAD; ++c) acc[i][c] = 0.0f;
    }

    for (int key0 = key_begin; key0 < key_end; key0 += PREFILL_KEYS) {
        const int tile_row = key0 % max_tokens;  // the ring row of key0; the tile may wrap once
        float s[PREFILL_ROWS_PER_THREAD][PREFILL_KEYS_PER_THREAD];
#pragma unroll
        for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) {
#pragma unroll
            for (int c = 0; c < PREFILL_KEYS_PER_THREAD; ++c) s[i][c] = 0.0f;
        }

        for (int d0 = 0; d0 < head_dim; d0 += PREFILL_DIM_CHUNK) {
            // Stage q rows and key rows, dims [d0, d0 + 32): a warp reads 32 consecutive halves.
            for (int e = tid; e < PREFILL_ROWS * PREFILL_DIM_CHUNK; e += PREFILL_THREADS) {
                const int r = e / PREFILL_DIM_CHUNK;
                const int dd = e % PREFILL_DIM_CHUNK;
                const int d = d0 + dd;
                const int row = row0 + r;
                float qv = 0.0f;
                if (row < rows && d < head_dim) {
                    const int token = row / group;
                    const int head = kv_head * group + row % group;
                    qv = gemma4j::to_float(q[token * q_row_stride + (long long)head * head_dim + d]);
                }
                q_tile[r * kQkStride + dd] = qv;
            }
            for (int e = tid; e < PREFILL_KEYS * PREFILL_DIM_CHUNK; e += PREFILL_THREADS) {
                const int key = key0 + e / PREFILL_DIM_CHUNK;
                const int dd = e % PREFILL_DIM_CHUNK;
                const int d = d0 + dd;
                k_tile[(e / PREFILL_DIM_CHUNK) * kQkStride + dd] =
                    (key < key_end && d < head_dim)
                        ? gemma4j::to_float(
                              keys[(long long)gemma4j::ring_next(tile_row, key - key0, max_tokens) * head_dim + d])
                        : 0.0f;
            }
            __syncthreads();
#pragma unroll 8
            for (int dd = 0; dd < PREFILL_DIM_CHUNK; ++dd) {
                float a[PREFILL_ROWS_PER_THREAD];
                float kb[PREFILL_KEYS_PER_THREAD];
#pragma unroll
                for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) {
                    a[i] = q_tile[(ty * PREFILL_ROWS_PER_THREAD + i) * kQkStride + dd];
                }
#pragma unroll
                for (int c = 0; c < PREFILL_KEYS_PER_THREAD; ++c) {
                    kb[c] = k_tile[(tx + PREFILL_COLS * c) * kQkStride + dd];
                }
#pragma unroll
                for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) {
#pragma unroll
                    for (int c = 0; c < PREFILL_KEYS_PER_THREAD; ++c) s[i][c] += a[i] * kb[c];
                }
            }
            __syncthreads();
        }

        // Soft-cap, causal and window mask, online softmax; a row's 64 scores live in the 16 lanes
        // sharing its ty.
#pragma unroll
        for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) {
            float tile_max = -INFINITY;
#pragma unroll
            for (int c = 0; c < PREFILL_KEYS_PER_THREAD; ++c) {
                const int key = key0 + tx + PREFILL_COLS * c;
                const bool visible = key <= row_pos[i] && (window <= 0 || row_pos[i] - key < window);
                s[i][c] = visible ? gemma4j::soft_cap(s[i][c] * scale, softcap, inv_softcap) : -INFINITY;
                tile_max = fmaxf(tile_max, s[i][c]);
            }
            for (int offset = PREFILL_COLS / 2; offset > 0; offset >>= 1) {
                tile_max = fmaxf(tile_max, __shfl_xor_sync(gemma4j::kFullMask, tile_max, offset));
            }
            // Every row sees a key of the first tile, so new_max is finite: the tile starts at the
            // first row's first visible key, and a later row (at most 31 positions on) sees its own
            // first visible key, at most 31 keys further and no earlier.
            const float new_max = fmaxf(row_max[i], tile_max);
            const float alpha = expf(row_max[i] - new_max);
            float tile_sum = 0.0f;
#pragma unroll
            for (int c = 0; c < PREFILL_KEYS_PER_THREAD; ++c) {
                const float p = expf(s[i][c] - new_max);
                probs[ty * PREFILL_ROWS_PER_THREAD + i][tx + PREFILL_COLS * c] = p;
                tile_sum += p;
            }
            for (int offset = PREFILL_COLS / 2; offset > 0; offset >>= 1) {
                tile_sum += __shfl_xor_sync(gemma4j::kFullMask, tile_sum, offset);
            }
            row_sum[i] = row_sum[i] * alpha + tile_sum;
            row_max[i] = new_max;
#pragma unroll
            for (int c = 0; c < PREFILL_DIMS_PER_THREAD; ++c) acc[i][c] *= alpha;
        }

        // acc += probs . v, value rows staged 16 at a time, one dim per thread.
        const int tile_keys = min(PREFILL_KEYS, key_end - key0);
        for (int v0 = 0; v0 < tile_keys; v0 += PREFILL_V_KEYS) {
            __syncthreads();  // probs written / previous value rows consumed
#pragma unroll
            for (int t = 0; t < PREFILL_V_KEYS; ++t) {
                const int key = key0 + v0 + t;
                v_tile[t * ATTENTION_MAX_HEAD_DIM + tid] =
                    (key < key_end && tid < head_dim)
                        ? gemma4j::to_float(
                              values[(long long)gemma4j::ring_next(tile_row, key - key0, max_tokens) * head_dim + tid])
                        : 0.0f;
            }
            __syncthreads();
#pragma unroll 4
            for (int t = 0; t < PREFILL_V_KEYS; ++t) {
                float p[PREFILL_ROWS_PER_THREAD];
#pragma unroll
                for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) p[i] = probs[ty * PREFILL_ROWS_PER_THREAD + i][v0 + t];
#pragma unroll
                for (int c = 0; c < PREFILL_DIMS_PER_THREAD; ++c) {
                    const float v = v_tile[t * ATTENTION_MAX_HEAD_DIM + tx + PREFILL_COLS * c];
#pragma unroll
                    for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) acc[i][c] += p[i] * v;
                }
            }
        }
        __syncthreads();  // value rows consumed before the next tile stages q and k
    }

#pragma unroll
    for (int i = 0; i < PREFILL_ROWS_PER_THREAD; ++i) {
        const int row = row0 + ty * PREFILL_ROWS_PER_THREAD + i;
        if (row >= rows) continue;
        T* o = out + (row / group) * out_row_stride + (long long)(kv_head * group + row % group) * head_dim;
        const float inv_sum = 1.0f / row_sum[i];
#pragma unroll
        for (int c = 0; c < PREFILL_DIMS_PER_THREAD; ++c) {
            const int d = tx + PREFILL_COLS * c;
            if (d < head_dim) o[d] = gemma4j::store_saturated<T>(acc[i][c] * inv_sum);
        }
    }
}

extern "C" __global__ void __launch_bounds__(PREFILL_THREADS)
attention_prefill(const __half* __restrict__ q, long long q_row_stride,
                  const __half* __restrict__ k_cache, const __half* __restrict__ v_cache,
                  __half* __restrict__ out, long long out_row_stride, int slot, int start_pos,
                  int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens,
                  float scale, int window, float softcap) {
    attention_prefill_impl<__half>(
        q, q_row_stride, k_cache, v_cache, out, out_row_stride, slot, start_pos, n, heads, kv_heads, head_dim,
        num_slots, max_tokens, scale, window, softcap);
}

// bf16 q, caches and output (--compute bf16), otherwise as attention_prefill.
extern "C" __global__ void __launch_bounds__(PREFILL_THREADS)
attention_prefill_bf16(const __nv_bfloat16* __restrict__ q, long long q_row_stride,
                       const __nv_bfloat16* __restrict__ k_cache, const __nv_bfloat16* __restrict__ v_cache,
                       __nv_bfloat16* __restrict__ out, long long out_row_stride, int slot, int start_pos,
                       int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens,
                       float scale, int window, float softcap) {
    attention_prefill_impl<__nv_bfloat16>(
        q, q_row_stride, k_cache, v_cache, out, out_row_stride, slot, start_pos, n, heads, kv_heads, head_dim,
        num_slots, max_tokens, scale, window, softcap);
}
