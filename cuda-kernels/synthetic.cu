// Synthetic weights generated on the device: the same pure function of (seed, tensor, element) as
// dev.gemma4j.synthetic.SyntheticWeights.value, so a 2B- or 7B-shaped model can be benchmarked
// without a checkpoint and both backends see identical weights.
#include "common.cuh"

constexpr int SYNTHETIC_THREADS = 256;

namespace gemma4j {

// splitmix64 finaliser of seed + golden * (tensor + 1) + index * mix1, in wrapping 64-bit
// arithmetic; the top 24 bits give u in [-1, 1) exactly; value = u * amplitude + offset in fp32
// (two roundings, no fused multiply-add), as the Java code computes it.
__device__ __forceinline__ float synthetic_value(unsigned long long seed, int tensor_index,
                                                 unsigned long long index, float amplitude,
                                                 float offset) {
    unsigned long long z = seed + 0x9E3779B97F4A7C15ull * (unsigned long long)(long long)(tensor_index + 1) +
                           index * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    const float u = (float)((long long)(z >> 40) - 8388608ll) * 0x1p-23f;
    return __fadd_rn(__fmul_rn(u, amplitude), offset);
}

}  // namespace gemma4j

// out        fp16 [count], written: element i = fp16(synthetic_value(seed, tensor_index, i, ...)),
//            round to nearest even like Java's Float.floatToFloat16 (no saturation)
// seed       the model seed (a Java long, passed as its 64 bits)
// tensor_index  the tensor's position in GemmaTensorNames.expectedShapes order
// amplitude, offset  SyntheticWeights.amplitude / offset of that tensor
// grid any (grid-stride loop), block (SYNTHETIC_THREADS).
extern "C" __global__ void __launch_bounds__(SYNTHETIC_THREADS)
synthetic_fill(__half* __restrict__ out, long long count, unsigned long long seed, int tensor_index,
               float amplitude, float offset) {
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        out[i] = __float2half_rn(gemma4j::synthetic_value(seed, tensor_index, (unsigned long long)i, amplitude, offset));
    }
}
