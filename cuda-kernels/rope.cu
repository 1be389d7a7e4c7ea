// Rotary position embedding (rotate-half / NeoX pairing of i and i + head_dim/2) applied to q in
// place, and to k on its way into the fp16 KV cache; v is copied into the cache unchanged.
//
// KV cache of one layer (keys and values in two separate buffers, same layout):
//   fp16 [num_slots, kv_heads, max_tokens, head_dim]
// element (slot s, kv head h, position p, dim d) at ((s * kv_heads + h) * max_tokens + p) * head_dim + d.
// One (slot, kv head) is a contiguous [max_tokens, head_dim] matrix, so the decode kernel streams
// it front to back.
#include "common.cuh"

constexpr int ROPE_THREADS = 128;
constexpr int ROPE_WARPS = ROPE_THREADS / 32;
// Most heads + kv_heads with q/k norms: their inverse RMS live in shared memory (Gemma 3 27B: 48).
constexpr int ROPE_MAX_NORM_HEADS = 256;

namespace gemma4j {

// Hugging Face's inverse frequency: inv_freq[i] = 1 / theta^((2i) / head_dim), where the exponent
// is an fp32 division, the power is rounded to fp32 and the reciprocal is an fp32 division.
// The power is evaluated in double and rounded once, i.e. the correctly rounded fp32 power.
__device__ __forceinline__ float rope_inv_freq(int i, int head_dim, float theta) {
    const float exponent = (float)(2 * i) / (float)head_dim;
    const float power = (float)pow((double)theta, (double)exponent);
    return 1.0f / power;
}

}  // namespace gemma4j

// q        fp16, token t's heads at q + t*q_row_stride, [heads, head_dim]; rotated in place
// k, v     fp16, token t at k + t*k_row_stride (v + t*v_row_stride), [kv_heads, head_dim]; read only
// k_cache, v_cache  fp16 caches of one layer, layout above; the rotated k and the v of token t are
//          written at (slots[t], h, positions[t], :), or on a ring (ring != 0: a sliding layer of
//          Gemma 2 and 3) at row positions[t] % max_tokens
// slots, positions  int32 [n]: each token's sequence slot and position (0-based)
// theta    RoPE base (10000 for Gemma; per layer kind for Gemma 3)
// factor   linear RoPE scaling: inv_freq[i] / factor in fp32, i.e. positions divided by it (1: none)
// q_norm, k_norm  fp16 [head_dim] or both null: Gemma 3's per-head RMSNorm of q and k before RoPE,
//          x * (1 / sqrtf(mean over head_dim of x^2 + eps)) * (1 + w) in fp32 (as rmsnorm_f16)
// eps      their epsilon (rms_norm_eps)
// bad_entries  int32 counter or null: +1 per token whose slot is outside [0, num_slots) or whose
//          position is negative or, off a ring, not below max_tokens; such a token is left
//          untouched (q not rotated, nothing written to the cache).
// angle = float(position) * inv_freq[i] (fp32 product); cos and sin are evaluated in double and
// rounded to fp32, then out_i = x_i*cos - x_{i+half}*sin, out_{i+half} = x_{i+half}*cos + x_i*sin in
// fp32 with no fused multiply-add, saturated to fp16.
// range, range_stride, site  range flags (common.cuh) or null, site = layer * 8 + kRangeQkv: q, k
//          and v values that are inf or NaN as read (the q/k/v GEMM's fp16 output overflowed) are
//          noted at `site`, rotated q and k that saturate at site + 1 (kRangeRope).
// head_dim must be even; with norms heads + kv_heads <= ROPE_MAX_NORM_HEADS. grid (n), block (ROPE_THREADS).
template <typename T>
__device__ __forceinline__ void rope_and_cache_impl(T* __restrict__ q, long long q_row_stride,
               const T* __restrict__ k, long long k_row_stride,
               const T* __restrict__ v, long long v_row_stride,
               T* __restrict__ k_cache, T* __restrict__ v_cache,
               const int* __restrict__ slots, const int* __restrict__ positions,
               int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens, int ring,
               float theta, float factor, const T* __restrict__ q_norm, const T* __restrict__ k_norm, float eps,
               int* __restrict__ bad_entries, unsigned* __restrict__ range, int range_stride, int site) {
    __shared__ float inv_rms[ROPE_MAX_NORM_HEADS];
    const int t = blockIdx.x;
    if (t >= n) return;
    const int slot = slots[t];
    const int pos = positions[t];
    if (slot < 0 || slot >= num_slots || pos < 0 || (ring == 0 && pos >= max_tokens)) {
        if (threadIdx.x == 0 && bad_entries != nullptr) atomicAdd(bad_entries, 1);
        return;
    }
    const int half = head_dim / 2;
    T* qt = q + t * q_row_stride;
    const T* kt = k + t * k_row_stride;
    const T* vt = v + t * v_row_stride;
    const long long cache_head_stride = (long long)max_tokens * head_dim;
    const int row = ring != 0 ? pos % max_tokens : pos;
    const long long cache_row = ((long long)slot * kv_heads * max_tokens + row) * head_dim;
    const bool norms = q_norm != nullptr;  // uniform across the block
    if (norms) {
        // Warp w reduces heads w, w + 4, ... (q heads, then k heads) over head_dim.
        const int lane = threadIdx.x & 31;
        for (int h = threadIdx.x >> 5; h < heads + kv_heads; h += ROPE_WARPS) {
            const T* x = h < heads ? qt + (long long)h * head_dim : kt + (long long)(h - heads) * head_dim;
            float squares = 0.0f;
            for (int d = lane; d < head_dim; d += 32) {
                const float xv = gemma4j::to_float(x[d]);
                squares += xv * xv;
            }
            squares = gemma4j::warp_sum(squares);
            if (lane == 0) inv_rms[h] = 1.0f / sqrtf(squares / (float)head_dim + eps);
        }
        __syncthreads();
    }
    unsigned read = 0u, rotated = 0u;
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
        float inv_freq = gemma4j::rope_inv_freq(i, head_dim, theta);
        if (factor != 1.0f) inv_freq = inv_freq / factor;
        const float angle = (float)pos * inv_freq;
        // (1 + w) of the two dims this thread rotates, for q and for k.
        const float qw1 = norms ? 1.0f + gemma4j::to_float(q_norm[i]) : 1.0f;
        const float qw2 = norms ? 1.0f + gemma4j::to_float(q_norm[i + half]) : 1.0f;
        const float kw1 = norms ? 1.0f + gemma4j::to_float(k_norm[i]) : 1.0f;
        const float kw2 = norms ? 1.0f + gemma4j::to_float(k_norm[i + half]) : 1.0f;
        double sin_d, cos_d;
        sincos((double)angle, &sin_d, &cos_d);
        const float c = (float)cos_d;
        const float s = (float)sin_d;
        for (int h = 0; h < heads; ++h) {
            T* x = qt + (long long)h * head_dim;
            float x1 = gemma4j::to_float(x[i]);
            float x2 = gemma4j::to_float(x[i + half]);
            read |= gemma4j::range_kind<T>(x1) | gemma4j::range_kind<T>(x2);
            if (norms) {
                x1 = __fmul_rn(__fmul_rn(x1, inv_rms[h]), qw1);
                x2 = __fmul_rn(__fmul_rn(x2, inv_rms[h]), qw2);
            }
            const float r1 = __fsub_rn(__fmul_rn(x1, c), __fmul_rn(x2, s));
            const float r2 = __fadd_rn(__fmul_rn(x2, c), __fmul_rn(x1, s));
            rotated |= gemma4j::range_kind<T>(r1) | gemma4j::range_kind<T>(r2);
            x[i] = gemma4j::store_saturated<T>(r1);
            x[i + half] = gemma4j::store_saturated<T>(r2);
        }
        for (int h = 0; h < kv_heads; ++h) {
            const T* x = kt + (long long)h * head_dim;
            float x1 = gemma4j::to_float(x[i]);
            float x2 = gemma4j::to_float(x[i + half]);
            read |= gemma4j::range_kind<T>(x1) | gemma4j::range_kind<T>(x2);
            if (norms) {
                x1 = __fmul_rn(__fmul_rn(x1, inv_rms[heads + h]), kw1);
                x2 = __fmul_rn(__fmul_rn(x2, inv_rms[heads + h]), kw2);
            }
            const float r1 = __fsub_rn(__fmul_rn(x1, c), __fmul_rn(x2, s));
            const float r2 = __fadd_rn(__fmul_rn(x2, c), __fmul_rn(x1, s));
            rotated |= gemma4j::range_kind<T>(r1) | gemma4j::range_kind<T>(r2);
            T* kc = k_cache + cache_row + h * cache_head_stride;
            kc[i] = gemma4j::store_saturated<T>(r1);
            kc[i + half] = gemma4j::store_saturated<T>(r2);
            const T* vh = vt + (long long)h * head_dim;
            T* vc = v_cache + cache_row + h * cache_head_stride;
            read |= gemma4j::range_kind<T>(gemma4j::to_float(vh[i])) | gemma4j::range_kind<T>(gemma4j::to_float(vh[i + half]));
            vc[i] = vh[i];
            vc[i + half] = vh[i + half];
        }
    }
    // An fp16 value read is at most 65504 unless inf or NaN, so `read` holds only non-finite kinds.
    gemma4j::note_range(range, range_stride, site, t, read);
    gemma4j::note_range(range, range_stride, site + 1, t, rotated);
}

extern "C" __global__ void __launch_bounds__(ROPE_THREADS)
rope_and_cache(__half* __restrict__ q, long long q_row_stride,
               const __half* __restrict__ k, long long k_row_stride,
               const __half* __restrict__ v, long long v_row_stride,
               __half* __restrict__ k_cache, __half* __restrict__ v_cache,
               const int* __restrict__ slots, const int* __restrict__ positions,
               int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens, int ring,
               float theta, float factor, const __half* __restrict__ q_norm, const __half* __restrict__ k_norm,
               float eps, int* __restrict__ bad_entries, unsigned* __restrict__ range, int range_stride, int site) {
    rope_and_cache_impl<__half>(
        q, q_row_stride, k, k_row_stride, v, v_row_stride, k_cache, v_cache, slots, positions, n, heads,
        kv_heads, head_dim, num_slots, max_tokens, ring, theta, factor, q_norm, k_norm, eps, bad_entries, range,
        range_stride, site);
}

// bf16 q, k, v and caches (--compute bf16), otherwise as rope_and_cache.
extern "C" __global__ void __launch_bounds__(ROPE_THREADS)
rope_and_cache_bf16(__nv_bfloat16* __restrict__ q, long long q_row_stride,
                    const __nv_bfloat16* __restrict__ k, long long k_row_stride,
                    const __nv_bfloat16* __restrict__ v, long long v_row_stride,
                    __nv_bfloat16* __restrict__ k_cache, __nv_bfloat16* __restrict__ v_cache,
                    const int* __restrict__ slots, const int* __restrict__ positions,
                    int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens, int ring,
                    float theta, float factor, const __nv_bfloat16* __restrict__ q_norm,
                    const __nv_bfloat16* __restrict__ k_norm, float eps, int* __restrict__ bad_entries,
                    unsigned* __restrict__ range, int range_stride, int site) {
    rope_and_cache_impl<__nv_bfloat16>(
        q, q_row_stride, k, k_row_stride, v, v_row_stride, k_cache, v_cache, slots, positions, n, heads,
        kv_heads, head_dim, num_slots, max_tokens, ring, theta, factor, q_norm, k_norm, eps, bad_entries, range,
        range_stride, site);
}
