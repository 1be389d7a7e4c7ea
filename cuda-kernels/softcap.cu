// Gemma 2's final-logit soft-cap: x = cap * tanh(x / cap) in place, fp32 (division, tanhf and
// product each rounded once; tanhf is libdevice's, within 2 ulp). NaN stays NaN, +-inf become +-cap.
#include "common.cuh"

constexpr int SOFTCAP_THREADS = 256;

// x      fp32 [count], in place (the logits, [rows, vocab] contiguous)
// count  elements
// cap    final_logit_softcapping (30 for Gemma 2), > 0
// grid any (grid-stride loop), block (SOFTCAP_THREADS).
extern "C" __global__ void __launch_bounds__(SOFTCAP_THREADS)
softcap_f32(float* __restrict__ x, long long count, float cap) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        x[i] = cap * tanhf(x[i] / cap);
    }
}
