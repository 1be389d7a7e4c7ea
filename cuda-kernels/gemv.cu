// Matrix-vector products of small decode batches (at most GEMV_MAX_ROWS rows), each a GEMM of the
// forward pass fused with the step around it:
//   y[r, o] = sum_i x[r, i] * W[o, i],  W fp16 row-major [out, in] (WeightLayout), x fp16, fp32 sums
// as in Gemm.java (cuBLAS with CUBLAS_COMPUTE_32F). Every weight is read once, for all rows.
//
// Work split: one warp computes one pair of output columns (col0, col0 + pair) for every row; a
// lane reads 16 bytes (8 weights) of each column per load. The inputs of GEMV_TILE columns of x at a
// time are staged in shared memory as fp16 [rows, GEMV_TILE], so each is read from L2 once per
// block rather than once per warp, and the prologue that makes them (RMSNorm) runs once per block.
// Blocks take rounds of GEMV_WARPS pairs, grid-stride: a grid of ceil(pairs / GEMV_WARPS) blocks
// does one round each, a smaller grid (the stand-in driver's) more.
//
// Order of summation: lane l sums its 8-element chunks in order, chunks l, l + 32, ... (chunk =
// 8 inputs), with fused multiply-adds in fp32; lane r then adds row r's 32 lane sums in lane order.
// cuBLAS picks its own order (and may split k); both are fp32 sums of the same fp16 products, so
// they differ by rounding alone: relative 2^-24 * O(sqrt(in / 32)) for random signs.
//
// Needs rope.cu and geglu.cu included before it (gemma4j.cu does): rope_inv_freq, gelu_tanh.
#include "common.cuh"

constexpr int GEMV_THREADS = 256;
constexpr int GEMV_WARPS = 8;  // pairs of output columns per block and round: one per warp
static_assert(GEMV_WARPS * 32 == GEMV_THREADS, "one pair per warp");
// Most rows one launch computes: the accumulators (2 columns x rows fp32) live in registers.
constexpr int GEMV_MAX_ROWS = 8;
// Input columns staged per step: [GEMV_MAX_ROWS, GEMV_TILE] fp16 = 8 KiB of shared memory; a lane
// then issues GEMV_TILE / 256 = 2 16-byte loads per column, 4 for its pair, all in flight together.
// (A 1024-column tile doubles the loads in flight per warp but takes about 80 registers and spills
// on sm_80; at 512, about 55 registers and 25 KiB let 8 blocks share an SM.)
constexpr int GEMV_TILE = 512;
constexpr int GEMV_CHUNKS = GEMV_TILE / 256;

namespace gemma4j {

struct GemvPair {
    int col0;  // first column of the warp's pair; the second is col0 + pair
    int pair;
};

// Pair p of output columns: groups of `pair` consecutive pairs cover 2 * pair columns, the first
// half of the group paired with the second. pair = 1: (2p, 2p + 1); pair = head_dim / 2: dims i and
// i + head_dim / 2 of one head (RoPE's rotate-half pairs); pair = inter: gate j with up j.
__device__ __forceinline__ GemvPair gemv_pair(int p, int pair) {
    return GemvPair{(p / pair) * 2 * pair + p % pair, pair};
}

// The row's inverse RMS exactly as rmsnorm_f16 computes it: the same thread-strided sums (both
// kernels have 256 threads), the same block_sum tree, 1 / sqrtf.
__device__ __forceinline__ float gemv_inv_rms(const float* __restrict__ xr, int hidden, float eps, float* scratch) {
    float squares = 0.0f;
    for (int d = threadIdx.x; d < hidden; d += blockDim.x) squares += xr[d] * xr[d];
    const float total = block_sum(squares, scratch);
    return 1.0f / sqrtf(total / (float)hidden + eps);
}

// Input of the GEMV: fp16 activations, or the fp32 residual normalised on the fly (the fp16 value
// rmsnorm_f16 would write: (x * inv_rms) * (1 + w), saturated).
struct GemvInput {
    const __half* x;          // fp16 [rows, in] with row stride x_stride, when norm is null
    long long x_stride;
    const float* residual;    // fp32 [rows, in] (row stride in), when norm is not null
    const __half* norm;       // fp16 [in], RMSNorm weight stored as an offset from 1
    const float* inv_rms;     // [rows] in shared memory, when norm is not null
};

// Eight fp16 values, one 16-byte load or store; element j in the low (j even) or high half of
// word j / 2, as in memory. Unpacked through the words, not through a cast pointer, so no
// compiler may assume the two views do not alias.
using Half8 = uint4;

__device__ __forceinline__ void unpack(const Half8& v, float (&f)[8]) {
    const unsigned words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        f[2 * j] = __half2float(__ushort_as_half((unsigned short)(words[j] & 0xffffu)));
        f[2 * j + 1] = __half2float(__ushort_as_half((unsigned short)(words[j] >> 16)));
    }
}

__device__ __forceinline__ unsigned pack(__half lo, __half hi) {
    return (unsigned)__half_as_ushort(lo) | ((unsigned)__half_as_ushort(hi) << 16);
}

// Stages columns [t0, t0 + GEMV_TILE) of every row into xs (zeros past in).
__device__ __forceinline__ void gemv_stage(const GemvInput& input, int rows, int in, int t0,
                                           Half8 (*xs)[GEMV_TILE / 8]) {
    for (int e = threadIdx.x * 8; e < rows * GEMV_TILE; e += blockDim.x * 8) {
        const int r = e / GEMV_TILE;
        const int c = e % GEMV_TILE;
        const int i = t0 + c;
        Half8 packed = make_uint4(0u, 0u, 0u, 0u);  // fp16 +0
        if (i < in && input.norm == nullptr) {
            packed = *reinterpret_cast<const Half8*>(input.x + r * input.x_stride + i);
        } else if (i < in) {
            const float* xr = input.residual + (long long)r * in + i;
            const float4 a = *reinterpret_cast<const float4*>(xr);
            const float4 b = *reinterpret_cast<const float4*>(xr + 4);
            const float xv[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
            float w[8];
            unpack(*reinterpret_cast<const Half8*>(input.norm + i), w);
            const float inv_rms = input.inv_rms[r];
            __half v[8];
#pragma unroll
            for (int j = 0; j < 8; ++j) v[j] = to_half_saturated(__fmul_rn(__fmul_rn(xv[j], inv_rms), 1.0f + w[j]));
            packed = make_uint4(pack(v[0], v[1]), pack(v[2], v[3]), pack(v[4], v[5]), pack(v[6], v[7]));
        }
        xs[r][c / 8] = packed;
    }
}

// acc[c][r] += the products of column (col0 + c * pair) with row r over one staged tile.
__device__ __forceinline__ void gemv_tile(const __half* __restrict__ w, int in, int out, GemvPair p, int rows,
                                          int t0, const Half8 (*xs)[GEMV_TILE / 8], float (&acc)[2][GEMV_MAX_ROWS]) {
    const int lane = threadIdx.x & 31;
    Half8 wv[2][GEMV_CHUNKS];
#pragma unroll
    for (int c = 0; c < 2; ++c) {
        const int col = p.col0 + c * p.pair;
#pragma unroll
        for (int k = 0; k < GEMV_CHUNKS; ++k) {
            const int i = t0 + (k * 32 + lane) * 8;
            wv[c][k] = col < out && i < in ? *reinterpret_cast<const Half8*>(w + (long long)col * in + i)
                                           : make_uint4(0u, 0u, 0u, 0u);
        }
    }
#pragma unroll
    for (int k = 0; k < GEMV_CHUNKS; ++k) {
        float wf[2][8];
        unpack(wv[0][k], wf[0]);
        unpack(wv[1][k], wf[1]);
#pragma unroll
        for (int r = 0; r < GEMV_MAX_ROWS; ++r) {
            if (r >= rows) break;
            float xf[8];
            unpack(xs[r][k * 32 + lane], xf);
#pragma unroll
            for (int c = 0; c < 2; ++c) {
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[c][r] = fmaf(wf[c][j], xf[j], acc[c][r]);
            }
        }
    }
}

// Row r's sums of the warp's two columns, in lane r (r < rows): sum[c] for column col0 + c * pair.
// Every thread of the block calls it (it stages with __syncthreads).
__device__ __forceinline__ void gemv_sums(const GemvInput& input, const __half* __restrict__ w, int rows, int in,
                                          int out, GemvPair p, float (&sum)[2]) {
    __shared__ Half8 xs[GEMV_MAX_ROWS][GEMV_TILE / 8];
    // Lane sums [warp][column * GEMV_MAX_ROWS + row][lane]; 33 floats apart so that lane r's reads
    // of its row hit distinct banks.
    __shared__ float lanes[GEMV_WARPS][2 * GEMV_MAX_ROWS][33];
    float acc[2][GEMV_MAX_ROWS];
#pragma unroll
    for (int c = 0; c < 2; ++c) {
#pragma unroll
        for (int r = 0; r < GEMV_MAX_ROWS; ++r) acc[c][r] = 0.0f;
    }
    for (int t0 = 0; t0 < in; t0 += GEMV_TILE) {
        __syncthreads();  // the previous tile (or round) is consumed
        gemv_stage(input, rows, in, t0, xs);
        __syncthreads();
        gemv_tile(w, in, out, p, rows, t0, xs, acc);
    }
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int c = 0; c < 2; ++c) {
#pragma unroll
        for (int r = 0; r < GEMV_MAX_ROWS; ++r) lanes[warp][c * GEMV_MAX_ROWS + r][lane] = acc[c][r];
    }
    __syncwarp();
    sum[0] = sum[1] = 0.0f;
    if (lane < rows) {
        for (int l = 0; l < 32; ++l) {
            sum[0] += lanes[warp][lane][l];
            sum[1] += lanes[warp][GEMV_MAX_ROWS + lane][l];
        }
    }
    // The next round writes lanes only after its first __syncthreads, which every lane reaches
    // after these reads.
}

// Each row's inverse RMS, into shared memory that input.inv_rms then points at; every thread of the
// block calls it, and gemv_sums' first barrier publishes the values.
__device__ __forceinline__ void gemv_normalise(GemvInput& input, int rows, int hidden, float eps) {
    __shared__ float scratch[32];
    __shared__ float inv_rms[GEMV_MAX_ROWS];
    for (int r = 0; r < rows; ++r) {
        const float v = gemv_inv_rms(input.residual + (long long)r * hidden, hidden, eps, scratch);
        if (threadIdx.x == 0) inv_rms[r] = v;
    }
    input.inv_rms = inv_rms;
}

// rope_and_cache's cosine (x) and sine (y) of dim pair i at position pos: the fp32 angle, evaluated
// in double and rounded to fp32.
__device__ __forceinline__ float2 rope_angle(int pos, int i, int head_dim, float theta) {
    const float angle = (float)pos * rope_inv_freq(i, head_dim, theta);
    double sin_d, cos_d;
    sincos((double)angle, &sin_d, &cos_d);
    return make_float2((float)cos_d, (float)sin_d);
}

// Row r's q/k/v pair (dims i and i + head_dim / 2 of one head, sums of the fused q/k/v weight's
// columns col0 and col0 + head_dim / 2) written as rope_and_cache would write the fp16 GEMM output.
// angle: the cosine and sine of the pair's angle at the row's position (rope_angle).
__device__ __forceinline__ void gemv_rope_epilogue(float2 sums, int col0, int r, __half* __restrict__ q,
                                                   long long q_stride, __half* __restrict__ k_cache,
                                                   __half* __restrict__ v_cache, int slot, int pos, int heads,
                                                   int kv_heads, int head_dim, int num_slots, int max_tokens,
                                                   float2 angle) {
    const int half = head_dim / 2;
    const int head = col0 / head_dim;
    const int i = col0 % head_dim;
    const float x1 = __half2float(__float2half_rn(sums.x));
    const float x2 = __half2float(__float2half_rn(sums.y));
    __half* qr = q + r * q_stride + col0;
    if (slot < 0 || slot >= num_slots || pos < 0 || pos >= max_tokens) {
        if (head < heads) {
            qr[0] = __float2half_rn(x1);
            qr[half] = __float2half_rn(x2);
        }
        return;
    }
    // k heads follow the q heads, v heads the k heads; both index the caches by kv head.
    const int kv_head = head < heads ? 0 : (head - heads) % kv_heads;
    const long long cache_at = (((long long)slot * kv_heads + kv_head) * max_tokens + pos) * head_dim + i;
    if (head >= heads + kv_heads) {
        v_cache[cache_at] = __float2half_rn(x1);
        v_cache[cache_at + half] = __float2half_rn(x2);
        return;
    }
    const float c = angle.x, s = angle.y;
    __half* dst = head < heads ? qr : k_cache + cache_at;
    dst[0] = to_half_saturated(__fsub_rn(__fmul_rn(x1, c), __fmul_rn(x2, s)));
    dst[half] = to_half_saturated(__fadd_rn(__fmul_rn(x2, c), __fmul_rn(x1, s)));
}

// The block's rounds: every warp's pair p (pairs in groups of `group`, gemv_pair) summed for every
// row, then epilogue(r, col0, prepared, sums) in lane r < rows of the warp, sums.x and sums.y for
// columns col0 and col0 + group. prepare(r, col0) runs
// in the same lanes before the sums, for values the epilogue needs that would otherwise be
// computed while the accumulators are live.
template <typename Prepare, typename Epilogue>
__device__ __forceinline__ void gemv_rounds(const GemvInput& input, const __half* __restrict__ w, int rows, int in,
                                            int out, int pairs, int group, Prepare prepare, Epilogue epilogue) {
    const int r = threadIdx.x & 31;
    for (int p0 = blockIdx.x * GEMV_WARPS; p0 < pairs; p0 += gridDim.x * GEMV_WARPS) {
        const int p = p0 + (threadIdx.x >> 5);
        const bool writes = r < rows && p < pairs;
        // Past the last pair: a column past out, so the warp loads nothing.
        const GemvPair pair = p < pairs ? gemv_pair(p, group) : GemvPair{out, group};
        const auto prepared = writes ? prepare(r, pair.col0) : decltype(prepare(r, pair.col0)){};
        float sum[2];
        gemv_sums(input, w, rows, in, out, pair, sum);
        if (writes) epilogue(r, pair.col0, prepared, make_float2(sum[0], sum[1]));
    }
}

// The input of the gemv_rmsnorm_* kernels: each row's inverse RMS first (gemv_normalise).
__device__ __forceinline__ GemvInput gemv_normalised(const float* __restrict__ residual, const __half* __restrict__ norm,
                                                     int rows, int in, float eps) {
    GemvInput input{nullptr, 0, residual, norm, nullptr};
    gemv_normalise(input, rows, in, eps);
    return input;
}

// For epilogues that need nothing prepared.
struct Nothing {};

}  // namespace gemma4j

// Common requirements: 1 <= rows <= GEMV_MAX_ROWS, in a multiple of 8, pointers 16-byte aligned.
// grid (ceil(pairs / GEMV_WARPS)) or fewer blocks, block (GEMV_THREADS); pairs as each kernel states.
// In every round, lane r < rows of a warp holds row r's two sums and writes that row's outputs.

// y fp32 [rows, out] += x fp16 [rows, in] (row stride x_stride) * W^T: o_proj and down_proj into
// the residual stream (cuBLAS beta = 1: y = sum + y). pairs = ceil(out / 2), columns (2p, 2p + 1).
extern "C" __global__ void __launch_bounds__(GEMV_THREADS)
gemv_f16_accumulate(const __half* __restrict__ x, long long x_stride, const __half* __restrict__ w,
                    float* __restrict__ y, int rows, int in, int out) {
    const gemma4j::GemvInput input{x, x_stride, nullptr, nullptr, nullptr};
    gemma4j::gemv_rounds(input, w, rows, in, out, (out + 1) / 2, 1, [](int, int) { return gemma4j::Nothing{}; },
                         [&](int r, int col0, gemma4j::Nothing, float2 sums) {
                             float* yr = y + (long long)r * out + col0;
                             yr[0] = __fadd_rn(sums.x, yr[0]);
                             if (col0 + 1 < out) yr[1] = __fadd_rn(sums.y, yr[1]);
                         });
}

// y fp32 [rows, out] = rmsnorm(residual) * W^T: the logits (final norm, tied embedding).
// residual fp32 [rows, in]; norm fp16 [in]. pairs = ceil(out / 2).
extern "C" __global__ void __launch_bounds__(GEMV_THREADS)
gemv_rmsnorm_f32(const float* __restrict__ residual, const __half* __restrict__ norm, float eps,
                 const __half* __restrict__ w, float* __restrict__ y, int rows, int in, int out) {
    const gemma4j::GemvInput input = gemma4j::gemv_normalised(residual, norm, rows, in, eps);
    gemma4j::gemv_rounds(input, w, rows, in, out, (out + 1) / 2, 1, [](int, int) { return gemma4j::Nothing{}; },
                         [&](int r, int col0, gemma4j::Nothing, float2 sums) {
                             float* yr = y + (long long)r * out + col0;
                             yr[0] = sums.x;
                             if (col0 + 1 < out) yr[1] = sums.y;
                         });
}

// out fp16 [rows, inter] = saturate(gelu_tanh(gate) * up) with gate|up = rmsnorm(residual) * W^T,
// W the fused [2 * inter, in] gate/up weight: geglu_f32 on the fp32 sums the gate/up GEMM would
// write. pairs = inter, columns (j, inter + j).
extern "C" __global__ void __launch_bounds__(GEMV_THREADS)
gemv_rmsnorm_geglu(const float* __restrict__ residual, const __half* __restrict__ norm, float eps,
                   const __half* __restrict__ w, __half* __restrict__ out, int rows, int in, int inter) {
    const gemma4j::GemvInput input = gemma4j::gemv_normalised(residual, norm, rows, in, eps);
    gemma4j::gemv_rounds(input, w, rows, in, 2 * inter, inter, inter, [](int, int) { return gemma4j::Nothing{}; },
                         [&](int r, int j, gemma4j::Nothing, float2 gate_up) {
                             out[(long long)r * inter + j] =
                                     gemma4j::to_half_saturated(gemma4j::gelu_tanh(gate_up.x) * gate_up.y);
                         });
}

// q/k/v = rmsnorm(residual) * W^T with W the fused [(heads + 2 kv_heads) head_dim, in] weight, then
// what rope_and_cache does with them: q rotated into q (fp16 [rows, heads * head_dim], row stride
// q_stride), k rotated and v copied into the caches at (slots[r], kv head, positions[r], :). The
// sums are rounded to fp16 first (the fp16 q/k/v GEMM output), then rotated in fp32 exactly as
// rope_and_cache does. A row whose slot or position is out of range (a padding row) keeps q
// unrotated and writes nothing to the caches, as rope_and_cache leaves it.
// pairs = (heads + 2 kv_heads) * head_dim / 2, columns (i, i + head_dim / 2) of one head.
extern "C" __global__ void __launch_bounds__(GEMV_THREADS)
gemv_rmsnorm_rope(const float* __restrict__ residual, const __half* __restrict__ norm, float eps,
                  const __half* __restrict__ w, int rows, int in,
                  __half* __restrict__ q, long long q_stride, __half* __restrict__ k_cache,
                  __half* __restrict__ v_cache, const int* __restrict__ slots, const int* __restrict__ positions,
                  int heads, int kv_heads, int head_dim, int num_slots, int max_tokens, float theta) {
    const gemma4j::GemvInput input = gemma4j::gemv_normalised(residual, norm, rows, in, eps);
    const int width = (heads + 2 * kv_heads) * head_dim;
    // The angle before the sums: sincos may call its slow path, which would otherwise have to save
    // the accumulators around the call.
    gemma4j::gemv_rounds(input, w, rows, in, width, width / 2, head_dim / 2,
                         [&](int r, int col0) { return gemma4j::rope_angle(positions[r], col0 % head_dim, head_dim, theta); },
                         [&](int r, int col0, float2 angle, float2 sums) {
                             gemma4j::gemv_rope_epilogue(sums, col0, r, q, q_stride, k_cache, v_cache, slots[r],
                                                         positions[r], heads, kv_heads, head_dim, num_slots,
                                                         max_tokens, angle);
                         });
}
