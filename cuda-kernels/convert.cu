// Weight conversion to fp16 at load time, chunk by chunk, counting the values fp16 cannot hold.
//   |x| >= 65520 (finite or infinite): rounds to fp16 infinity, so it is saturated to +-65504
//                                      and counted in *overflow_count;
//   NaN:                               written as an fp16 NaN and counted in *nan_count;
//   everything else:                   round to nearest even (values below the fp16 subnormal
//                                      range become +-0 and are not counted).
#include "common.cuh"

constexpr int CONVERT_THREADS = 256;

namespace gemma4j {

__device__ __forceinline__ float convert_load(const __nv_bfloat16* p) { return __bfloat162float(*p); }
__device__ __forceinline__ float convert_load(const float* p) { return *p; }
__device__ __forceinline__ float convert_load(const __half* p) { return __half2float(*p); }

template <typename In, typename Out = __half>
__device__ __forceinline__ void convert_to_half(const In* __restrict__ in, Out* __restrict__ out,
                                                long long count,
                                                unsigned long long* __restrict__ overflow_count,
                                                unsigned long long* __restrict__ nan_count) {
    __shared__ unsigned scratch[32];
    unsigned overflows = 0;
    unsigned nans = 0;
    const long long step = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < count; e += step) {
        const float x = convert_load(in + e);
        if (isnan(x)) {
            ++nans;
        } else if (fabsf(x) >= Act16<Out>::kOverflow) {
            ++overflows;
        }
        out[e] = store_saturated<Out>(x);
    }
    overflows = block_sum(overflows, scratch);
    nans = block_sum(nans, scratch);
    if (threadIdx.x == 0) {
        if (overflows != 0) atomicAdd(overflow_count, (unsigned long long)overflows);
        if (nans != 0) atomicAdd(nan_count, (unsigned long long)nans);
    }
}

}  // namespace gemma4j

// in bf16 [count], out fp16 [count]; overflow_count, nan_count: uint64 counters (not null),
// accumulated across launches (the host zeroes them once per tensor or per checkpoint).
// count < 2^32 (a block's counts are summed in 32 bits). grid any (grid-stride loop),
// block (CONVERT_THREADS).
extern "C" __global__ void __launch_bounds__(CONVERT_THREADS)
convert_bf16_to_f16(const __nv_bfloat16* __restrict__ in, __half* __restrict__ out, long long count,
                    unsigned long long* __restrict__ overflow_count,
                    unsigned long long* __restrict__ nan_count) {
    gemma4j::convert_to_half(in, out, count, overflow_count, nan_count);
}

// in fp32 [count], otherwise as convert_bf16_to_f16.
extern "C" __global__ void __launch_bounds__(CONVERT_THREADS)
convert_f32_to_f16(const float* __restrict__ in, __half* __restrict__ out, long long count,
                   unsigned long long* __restrict__ overflow_count,
                   unsigned long long* __restrict__ nan_count) {
    gemma4j::convert_to_half(in, out, count, overflow_count, nan_count);
}

// fp32 in, bf16 out (--compute bf16): overflow_count counts |x| >= 3.396e38 (finite fp32 values that
// bf16 rounds to infinity, saturated to +-3.390e38) and infinities; NaN as above.
extern "C" __global__ void __launch_bounds__(CONVERT_THREADS)
convert_f32_to_bf16(const float* __restrict__ in, __nv_bfloat16* __restrict__ out, long long count,
                    unsigned long long* __restrict__ overflow_count,
                    unsigned long long* __restrict__ nan_count) {
    gemma4j::convert_to_half(in, out, count, overflow_count, nan_count);
}

// fp16 in, bf16 out (--compute bf16): every finite fp16 value is within bf16's range; fp16
// infinities are counted as overflows (saturated), NaN as above.
extern "C" __global__ void __launch_bounds__(CONVERT_THREADS)
convert_f16_to_bf16(const __half* __restrict__ in, __nv_bfloat16* __restrict__ out, long long count,
                    unsigned long long* __restrict__ overflow_count,
                    unsigned long long* __restrict__ nan_count) {
    gemma4j::convert_to_half(in, out, count, overflow_count, nan_count);
}
