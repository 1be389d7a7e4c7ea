// Token embedding: residual[i, :] = float(embed[tokens[i], :]) * scale, in fp32.
#include "common.cuh"

constexpr int EMBEDDING_THREADS = 256;

// embed     fp16 [vocab, hidden]
// tokens    int32 [n]
// residual  fp32 [n, hidden], written
// scale     sqrt(hidden), already rounded to the checkpoint's dtype by the host
// bad_tokens  int32 counter or null: +1 per token outside [0, vocab); that token's row is NaN
// grid (n), block (EMBEDDING_THREADS).
namespace gemma4j {

template <typename T>
__device__ __forceinline__ void embedding_gather(const T* __restrict__ embed, const int* __restrict__ tokens,
                 float* __restrict__ residual, int n, int hidden, int vocab, float scale,
                 int* __restrict__ bad_tokens) {
    const int row = blockIdx.x;
    if (row >= n) return;
    const int token = tokens[row];
    float* out = residual + (long long)row * hidden;
    if (token < 0 || token >= vocab) {
        if (threadIdx.x == 0 && bad_tokens != nullptr) atomicAdd(bad_tokens, 1);
        for (int d = threadIdx.x; d < hidden; d += blockDim.x) out[d] = nanf("");
        return;
    }
    const T* src = embed + (long long)token * hidden;
    for (int d = threadIdx.x; d < hidden; d += blockDim.x) out[d] = to_float(src[d]) * scale;
}

}  // namespace gemma4j

extern "C" __global__ void __launch_bounds__(EMBEDDING_THREADS)
embedding_gather(const __half* __restrict__ embed, const int* __restrict__ tokens,
                 float* __restrict__ residual, int n, int hidden, int vocab, float scale,
                 int* __restrict__ bad_tokens) {
    gemma4j::embedding_gather(embed, tokens, residual, n, hidden, vocab, scale, bad_tokens);
}

// bf16 table (--compute bf16), otherwise as embedding_gather.
extern "C" __global__ void __launch_bounds__(EMBEDDING_THREADS)
embedding_gather_bf16(const __nv_bfloat16* __restrict__ embed, const int* __restrict__ tokens,
                      float* __restrict__ residual, int n, int hidden, int vocab, float scale,
                      int* __restrict__ bad_tokens) {
    gemma4j::embedding_gather(embed, tokens, residual, n, hidden, vocab, scale, bad_tokens);
}
