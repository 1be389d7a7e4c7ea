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
//          written at (slots[t], h, positions[t], :)
// slots, positions  int32 [n]: each token's sequence slot and position (0-based)
// theta    RoPE base (10000 for Gemma)
// bad_entries  int32 counter or null: +1 per token whose slot is outside [0, num_slots) or whose
//          position is outside [0, max_tokens); such a token is left untouched (q not rotated,
//          nothing written to the cache).
// angle = float(position) * inv_freq[i] (fp32 product); cos and sin are evaluated in double and
// rounded to fp32, then out_i = x_i*cos - x_{i+half}*sin, out_{i+half} = x_{i+half}*cos + x_i*sin in
// fp32 with no fused multiply-add, saturated to fp16.
// range, range_stride, site  range flags (common.cuh) or null, site = layer * 8 + kRangeQkv: q, k
//          and v values that are inf or NaN as read (the q/k/v GEMM's fp16 output overflowed) are
//          noted at `site`, rotated q and k that saturate at site + 1 (kRangeRope).
// head_dim must be even. grid (n), block (ROPE_THREADS).
template <typename T>
__device__ __forceinline__ void rope_and_cache_impl(T* __restrict__ q, long long q_row_stride,
               const T* __restrict__ k, long long k_row_stride,
               const T* __restrict__ v, long long v_row_stride,
               T* __restrict__ k_cache, T* __restrict__ v_cache,
               const int* __restrict__ slots, const int* __restrict__ positions,
               int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens,
               float theta, int* __restrict__ bad_entries, unsigned* __restrict__ range,
               int range_stride, int site) {
    const int t = blockIdx.x;
    if (t >= n) return;
    const int slot = slots[t];
    const int pos = positions[t];
    if (slot < 0 || slot >= num_slots || pos < 0 || pos >= max_tokens) {
        if (threadIdx.x == 0 && bad_entries != nullptr) atomicAdd(bad_entries, 1);
        return;
    }
    const int half = head_dim / 2;
    T* qt = q + t * q_row_stride;
    const T* kt = k + t * k_row_stride;
    const T* vt = v + t * v_row_stride;
    const long long cache_head_stride = (long long)max_tokens * head_dim;
    const long long cache_row = ((long long)slot * kv_heads * max_tokens + pos) * head_dim;
    unsigned read = 0u, rotated = 0u;
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
        const float angle = (float)pos * gemma4j::rope_inv_freq(i, head_dim, theta);
        double sin_d, cos_d;
        sincos((double)angle, &sin_d, &cos_d);
        const float c = (float)cos_d;
        const float s = (float)sin_d;
        for (int h = 0; h < heads; ++h) {
            T* x = qt + (long long)h * head_dim;
            const float x1 = gemma4j::to_float(x[i]);
            const float x2 = gemma4j::to_float(x[i + half]);
            read |= gemma4j::range_kind<T>(x1) | gemma4j::range_kind<T>(x2);
            const float r1 = __fsub_rn(__fmul_rn(x1, c), __fmul_rn(x2, s));
            const float r2 = __fadd_rn(__fmul_rn(x2, c), __fmul_rn(x1, s));
            rotated |= gemma4j::range_kind<T>(r1) | gemma4j::range_kind<T>(r2);
            x[i] = gemma4j::store_saturated<T>(r1);
            x[i + half] = gemma4j::store_saturated<T>(r2);
        }
        for (int h = 0; h < kv_heads; ++h) {
            const T* x = kt + (long long)h * head_dim;
            const float x1 = gemma4j::to_float(x[i]);
            const float x2 = gemma4j::to_float(x[i + half]);
            read |= gemma4j::range_kind<T>(x1) | gemma4j::range_kind<T>(x2);
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
               int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens,
               float theta, int* __restrict__ bad_entries, unsigned* __restrict__ range,
               int range_stride, int site) {
    rope_and_cache_impl<__half>(
        q, q_row_stride, k, k_row_stride, v, v_row_stride, k_cache, v_cache, slots, positions, n, heads,
        kv_heads, head_dim, num_slots, max_tokens, theta, bad_entries, range, range_stride, site);
}

// bf16 q, k, v and caches (--compute bf16), otherwise as rope_and_cache.
extern "C" __global__ void __launch_bounds__(ROPE_THREADS)
rope_and_cache_bf16(__nv_bfloat16* __restrict__ q, long long q_row_stride,
                    const __nv_bfloat16* __restrict__ k, long long k_row_stride,
                    const __nv_bfloat16* __restrict__ v, long long v_row_stride,
                    __nv_bfloat16* __restrict__ k_cache, __nv_bfloat16* __restrict__ v_cache,
                    const int* __restrict__ slots, const int* __restrict__ positions,
                    int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens,
                    float theta, int* __restrict__ bad_entries, unsigned* __restrict__ range,
                    int range_stride, int site) {
    rope_and_cache_impl<__nv_bfloat16>(
        q, q_row_stride, k, k_row_stride, v, v_row_stride, k_cache, v_cache, slots, positions, n, heads,
        kv_heads, head_dim, num_slots, max_tokens, theta, bad_entries, range, range_stride, site);
}
