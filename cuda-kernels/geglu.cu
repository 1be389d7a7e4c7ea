// GeGLU: out = saturate_fp16(gelu_tanh(gate) * up * scale), computed in fp32 from the gate/up GEMM
// output. scale is a power of two 2^-s (down_proj's GEMM multiplies by alpha = 2^s): exact in binary,
// it widens the range of the fp16 output to +-65504 * 2^s and changes only values below
// 2^(s - 14), which become fp16 subnormals.
#include "common.cuh"

constexpr int GEGLU_THREADS = 256;

namespace gemma4j {

// PyTorch's gelu(approximate="tanh"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), same
// operation order; tanhf is the full-precision libdevice function (2 ulp).
__device__ __forceinline__ float gelu_tanh(float x) {
    const float kBeta = 0.7978845608028654f;  // sqrt(2 / pi)
    const float kKappa = 0.044715f;
    const float cube = x * x * x;
    const float inner = kBeta * (x + kKappa * cube);
    return 0.5f * x * (1.0f + tanhf(inner));
}

__device__ __forceinline__ float load_float(const float* p) { return *p; }
__device__ __forceinline__ float load_float(const __half* p) { return __half2float(*p); }

// gate, up: [n, inter] rows `in_row_stride` elements apart; out fp16 [n, inter] contiguous.
// range, range_stride, site: range flags (common.cuh) or null; each row's saturated and inf/NaN
// outputs (after the scale) are noted at `site`.
template <typename In, typename Out>
__device__ __forceinline__ void geglu(const In* __restrict__ gate, const In* __restrict__ up,
                                      long long in_row_stride, Out* __restrict__ out, int n,
                                      int inter, float scale, unsigned* __restrict__ range,
                                      int range_stride, int site) {
    const long long total = (long long)n * inter;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += step) {
        const long long row = e / inter;
        const long long col = e - row * inter;
        const long long in = row * in_row_stride + col;
        const float value = gelu_tanh(load_float(gate + in)) * load_float(up + in) * scale;
        note_range(range, range_stride, site, (int)row, range_kind<Out>(value));
        out[e] = store_saturated<Out>(value);
    }
}

}  // namespace gemma4j

// fp32 gate/up (cuBLAS C in fp32). With one fused [2*inter, hidden] weight, gate = C,
// up = C + inter, in_row_stride = 2*inter.
// grid any (grid-stride loop; ceil(n*inter / GEGLU_THREADS) covers it in one pass), block (GEGLU_THREADS).
extern "C" __global__ void __launch_bounds__(GEGLU_THREADS)
geglu_f32(const float* __restrict__ gate, const float* __restrict__ up, long long in_row_stride,
          __half* __restrict__ out, int n, int inter, float scale, unsigned* __restrict__ range,
          int range_stride, int site) {
    gemma4j::geglu(gate, up, in_row_stride, out, n, inter, scale, range, range_stride, site);
}

// fp16 gate/up, same layout and geometry as geglu_f32.
extern "C" __global__ void __launch_bounds__(GEGLU_THREADS)
geglu_f16(const __half* __restrict__ gate, const __half* __restrict__ up, long long in_row_stride,
          __half* __restrict__ out, int n, int inter, float scale, unsigned* __restrict__ range,
          int range_stride, int site) {
    gemma4j::geglu(gate, up, in_row_stride, out, n, inter, scale, range, range_stride, site);
}

// bf16 output (--compute bf16), otherwise as geglu_f32.
extern "C" __global__ void __launch_bounds__(GEGLU_THREADS)
geglu_f32_bf16(const float* __restrict__ gate, const float* __restrict__ up, long long in_row_stride,
               __nv_bfloat16* __restrict__ out, int n, int inter, float scale, unsigned* __restrict__ range,
               int range_stride, int site) {
    gemma4j::geglu(gate, up, in_row_stride, out, n, inter, scale, range, range_stride, site);
}
