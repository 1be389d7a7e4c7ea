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
