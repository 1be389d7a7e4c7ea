// RMSNorm with Gemma's offset weight: y = x * rsqrt(mean(x^2) + eps) * (1 + w), all in fp32,
// written as fp16 saturated to +-65504 because every consumer is a GEMM with fp16 operands
// (q/k/v, gate/up and the tied logits projection).
#include "common.cuh"

constexpr int RMSNORM_THREADS = 256;

// x       fp32 [n, hidden] (the residual stream)
// weight  fp16 [hidden], the checkpoint's w (stored as an offset from 1)
// y       fp16 [n, hidden], written
// range, range_stride, site  range flags (common.cuh) or null: each row's saturated and inf/NaN
//         outputs are noted at `site`; a residual row holding inf or NaN gives NaN outputs, so it is
//         noted too
// grid (n), block (RMSNORM_THREADS); one block reduces one row.
namespace gemma4j {

template <typename T>
__device__ __forceinline__ void rmsnorm(const float* __restrict__ x, const T* __restrict__ weight, T* __restrict__ y,
                                        int n, int hidden, float eps, unsigned* __restrict__ range, int range_stride, int site) {
    __shared__ float scratch[32];
    const int row = blockIdx.x;
    if (row >= n) return;
    const float* xr = x + (long long)row * hidden;
    T* yr = y + (long long)row * hidden;
    float squares = 0.0f;
    for (int d = threadIdx.x; d < hidden; d += blockDim.x) squares += xr[d] * xr[d];
    const float total = block_sum(squares, scratch);
    // 1 / sqrtf: both correctly rounded without --use_fast_math (rsqrtf is 2 ulp).
    const float inv_rms = 1.0f / sqrtf(total / (float)hidden + eps);
    unsigned kinds = 0u;
    for (int d = threadIdx.x; d < hidden; d += blockDim.x) {
        // Hugging Face order: (x * inv_rms) * (1 + w).
        const float normed = __fmul_rn(xr[d], inv_rms);
        const float out = __fmul_rn(normed, 1.0f + to_float(weight[d]));
        kinds |= range_kind<T>(out);
        yr[d] = store_saturated<T>(out);
    }
    note_range(range, range_stride, site, row, kinds);
}

}  // namespace gemma4j

extern "C" __global__ void __launch_bounds__(RMSNORM_THREADS)
rmsnorm_f16(const float* __restrict__ x, const __half* __restrict__ weight, __half* __restrict__ y,
            int n, int hidden, float eps, unsigned* __restrict__ range, int range_stride, int site) {
    gemma4j::rmsnorm(x, weight, y, n, hidden, eps, range, range_stride, site);
}

// bf16 weight and output (--compute bf16), otherwise as rmsnorm_f16.
extern "C" __global__ void __launch_bounds__(RMSNORM_THREADS)
rmsnorm_bf16(const float* __restrict__ x, const __nv_bfloat16* __restrict__ weight, __nv_bfloat16* __restrict__ y,
             int n, int hidden, float eps, unsigned* __restrict__ range, int range_stride, int site) {
    gemma4j::rmsnorm(x, weight, y, n, hidden, eps, range, range_stride, site);
}

// Gemma 2 and 3's norms of a block's output: residual += (x * inv_rms) * (1 + w) per row, x the
// fp32 output of o_proj (post_attention_layernorm) or down_proj (post_feedforward_layernorm); the
// normed row is added in fp32 and never rounded to 16 bits.
//
// x         fp32 [n, hidden], read
// weight    fp16 [hidden], the checkpoint's w (offset from 1)
// residual  fp32 [n, hidden], accumulated
// A row of x holding inf or NaN makes its residual row NaN, which the next rmsnorm_f16 flags.
// grid (n), block (RMSNORM_THREADS); one block reduces one row.
namespace gemma4j {

template <typename T>
__device__ __forceinline__ void rmsnorm_add(const float* __restrict__ x, const T* __restrict__ weight,
                                            float* __restrict__ residual, int n, int hidden, float eps) {
    __shared__ float scratch[32];
    const int row = blockIdx.x;
    if (row >= n) return;
    const float* xr = x + (long long)row * hidden;
    float* hr = residual + (long long)row * hidden;
    float squares = 0.0f;
    for (int d = threadIdx.x; d < hidden; d += blockDim.x) squares += xr[d] * xr[d];
    const float total = block_sum(squares, scratch);
    const float inv_rms = 1.0f / sqrtf(total / (float)hidden + eps);
    for (int d = threadIdx.x; d < hidden; d += blockDim.x) {
        const float normed = __fmul_rn(xr[d], inv_rms);
        hr[d] = __fadd_rn(hr[d], __fmul_rn(normed, 1.0f + to_float(weight[d])));
    }
}

}  // namespace gemma4j

extern "C" __global__ void __launch_bounds__(RMSNORM_THREADS)
rmsnorm_add_f32(const float* __restrict__ x, const __half* __restrict__ weight, float* __restrict__ residual,
                int n, int hidden, float eps) {
    gemma4j::rmsnorm_add(x, weight, residual, n, hidden, eps);
}

// bf16 weight (--compute bf16), otherwise as rmsnorm_add_f32.
extern "C" __global__ void __launch_bounds__(RMSNORM_THREADS)
rmsnorm_add_f32_bf16(const float* __restrict__ x, const __nv_bfloat16* __restrict__ weight,
                     float* __restrict__ residual, int n, int hidden, float eps) {
    gemma4j::rmsnorm_add(x, weight, residual, n, hidden, eps);
}
