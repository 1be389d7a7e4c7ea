// Device functions shared by the gemma4j kernels: fp16 saturation, warp and block reductions.
// Reductions are block-local (warp shuffles, then one shared-memory slot per warp); no kernel
// relies on a grid-wide synchronisation.
#pragma once

#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <math.h>

namespace gemma4j {

// Largest finite fp16 value.
constexpr float kFp16Max = 65504.0f;

// Smallest magnitude that rounds to fp16 infinity (round to nearest even): halfway between 65504
// and 65536.
constexpr float kFp16OverflowThreshold = 65520.0f;

constexpr unsigned kFullMask = 0xffffffffu;

// Clamps to [-65504, 65504]; NaN passes through unchanged (both comparisons are false), so a NaN
// stays visible downstream instead of turning into a plausible number.
__device__ __forceinline__ float clamp_to_fp16_range(float x) {
    return x > kFp16Max ? kFp16Max : (x < -kFp16Max ? -kFp16Max : x);
}

// fp32 -> fp16, round to nearest even, saturating at +-65504 (never produces infinity from a
// finite or infinite input; NaN stays NaN).
__device__ __forceinline__ __half to_half_saturated(float x) {
    return __float2half_rn(clamp_to_fp16_range(x));
}

// The 16-bit activation and weight types the kernels are instantiated for: __half (the default
// compute type) and __nv_bfloat16 (--compute bf16, Gemma's native dtype). Loads widen to fp32;
// stores round to nearest even and saturate at the type's largest finite value, NaN kept.
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

// Largest finite bf16 value, (2 - 2^-7) * 2^127, and the smallest fp32 magnitude that rounds to bf16
// infinity: halfway between it and 2^128, (2 - 2^-8) * 2^127.
constexpr float kBf16Max = 3.38953139e38f;
constexpr float kBf16OverflowThreshold = 3.39617752e38f;

template <typename T> struct Act16;
template <> struct Act16<__half> {
    static constexpr float kMax = kFp16Max;
    static constexpr float kOverflow = kFp16OverflowThreshold;
};
template <> struct Act16<__nv_bfloat16> {
    static constexpr float kMax = kBf16Max;
    static constexpr float kOverflow = kBf16OverflowThreshold;
};

template <typename T> __device__ __forceinline__ T from_float_rn(float x);
template <> __device__ __forceinline__ __half from_float_rn<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float_rn<__nv_bfloat16>(float x) {
    return __float2bfloat16_rn(x);
}

// fp32 -> T, round to nearest even, saturating at +-Act16<T>::kMax; NaN stays NaN.
template <typename T>
__device__ __forceinline__ T store_saturated(float x) {
    constexpr float m = Act16<T>::kMax;
    return from_float_rn<T>(x > m ? m : (x < -m ? -m : x));
}

// Range flags: where an fp16 activation left fp16's range. Each activation row owns two uint32
// words (rows `row_stride` words apart; stride 0 sends every row to one pair):
//   word 0: bit 2*tensor is set when a value of that tensor saturated (|x| >= 65520 in fp32, which
//           round-to-nearest would turn into infinity), bit 2*tensor + 1 when it was inf or NaN;
//   word 1: ~site of the earliest site that set a bit (0 while none did), site = layer * 8 + tensor.
// The tensors, in the order one layer writes them (the final norm is tensor 6 of layer num_layers):
constexpr int kRangeInputNorm = 0;      // rmsnorm_f16, input_layernorm
constexpr int kRangeQkv = 1;            // the q/k/v GEMM's fp16 output, checked where rope_and_cache reads it
constexpr int kRangeRope = 2;           // rope_and_cache's rotated q and k
constexpr int kRangePostNorm = 4;       // rmsnorm_f16, post_attention_layernorm
constexpr int kRangeGeglu = 5;          // geglu, down_proj's input (after its 2^-s scale)
constexpr int kRangeFinalNorm = 6;      // rmsnorm_f16, the final norm
constexpr unsigned kRangeSaturated = 1u;
constexpr unsigned kRangeNonFinite = 2u;

// The range kind of one fp32 value about to be stored as fp16: 0, kRangeSaturated or kRangeNonFinite.
// For T = __nv_bfloat16 "saturated" means |x| >= 3.396e38, which only an fp32 value near its own
// limit reaches; inf and NaN are what the bf16 flags mostly count.
template <typename T = __half>
__device__ __forceinline__ unsigned range_kind(float x) {
    const float a = fabsf(x);
    return a >= Act16<T>::kOverflow ? (a == INFINITY ? kRangeNonFinite : kRangeSaturated)
                                    : (a == a ? 0u : kRangeNonFinite);
}

// Adds `kinds` (an OR of range kinds) found at `site` to row `row`'s flags; no-op for none or null.
__device__ __forceinline__ void note_range(unsigned* flags, int row_stride, int site, int row, unsigned kinds) {
    if (kinds == 0u || flags == nullptr) return;
    unsigned* words = flags + (long long)row * row_stride;
    atomicOr(words, kinds << (2 * (site & 7)));
    atomicMax(words + 1, ~(unsigned)site);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
    return v;
}

__device__ __forceinline__ double warp_sum(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
    return v;
}

__device__ __forceinline__ unsigned warp_sum(unsigned v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
    return v;
}

// fmaxf ignores a NaN operand; callers that must see NaN detect it separately.
__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
    return v;
}

// Sum over the whole block; every thread receives the result. `scratch` is a __shared__ array of
// at least 32 elements. blockDim.x must be a multiple of 32 and every thread of the block must call
// it. The leading barrier lets the same scratch be reused by consecutive calls.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : T(0);
    return warp_sum(v);
}

// A (value, token) pair ordered by value descending, then token ascending: the order in which
// gemma4j ranks logits (argmax and top-k pick the lowest token id among equal values).
// An absent entry is (-inf, INT32_MAX) and ranks below every real one.
struct Ranked {
    float value;
    int token;
};

__device__ __forceinline__ bool ranks_before(Ranked a, Ranked b) {
    return a.value > b.value || (a.value == b.value && a.token < b.token);
}

constexpr int kAbsentToken = 0x7fffffff;

__device__ __forceinline__ Ranked warp_best(Ranked r) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        Ranked other;
        other.value = __shfl_xor_sync(kFullMask, r.value, offset);
        other.token = __shfl_xor_sync(kFullMask, r.token, offset);
        if (ranks_before(other, r)) r = other;
    }
    return r;
}

// Best-ranked pair over the whole block, same contract as block_sum; `scratch` holds 32 pairs.
__device__ __forceinline__ Ranked block_best(Ranked r, Ranked* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
    r = warp_best(r);
    __syncthreads();
    if (lane == 0) scratch[warp] = r;
    __syncthreads();
    if (lane < warps) {
        r = scratch[lane];
    } else {
        r.value = -INFINITY;
        r.token = kAbsentToken;
    }
    return warp_best(r);
}

}  // namespace gemma4j
