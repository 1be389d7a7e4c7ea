// Next-token selection on the device, so the host reads back one int32 per sequence.
//
// Greedy: sample_argmax. Temperature / top-k / top-p: sample_candidates, then
// sample_softmax_sums, then sample_pick. The probabilities follow gemma4j's CPU sampler exactly:
//   M = max logit, p_i = exp((double) ((x_i - M) * (1 / T)))  (the product in fp32, exp in double),
//   candidates ranked by logit descending, lowest token first among equal logits;
//   top-k keeps the first k; top-p walks the ranked candidates accumulating p_i / sum p (the sum
//   over the top-k set when top-k is on, else over all tokens, as Hugging Face's warpers do) and
//   stops after the candidate at which the running sum reaches top_p;
//   with u in [0, 1): target = u * sum of kept p, the result is the first kept candidate whose
//   running sum of p exceeds target (the last kept one if rounding leaves none);
//   with top_k = 0 and top_p = 1 the candidates are all tokens in id order.
// Token codes written to tokens[b]: >= 0 the token; -1 the row has a NaN logit; -2 invalid
// parameters for that row; -3 top_k = 0 with top_p < 1 and the nucleus did not close within the
// k candidates of sample_candidates (the host samples that row from the logits itself).
#include "common.cuh"

constexpr int ARGMAX_THREADS = 1024;
constexpr int SAMPLE_THREADS = 256;
constexpr int SAMPLE_CHUNK = 4096;  // vocabulary entries per block of sample_candidates / _softmax_sums
constexpr int SAMPLE_PER_THREAD = SAMPLE_CHUNK / SAMPLE_THREADS;
constexpr int SAMPLE_MAX_K = 64;
constexpr int SAMPLE_MERGE_PER_THREAD = 24;  // sample_pick holds num_chunks * k <= 6144 candidates
constexpr int SAMPLE_MAX_CANDIDATES = SAMPLE_MERGE_PER_THREAD * SAMPLE_THREADS;

static_assert(SAMPLE_PER_THREAD <= 32 && SAMPLE_MERGE_PER_THREAD <= 32, "taken bits fit 32 bits");

namespace gemma4j {

// Selects the k best-ranked entries spread over the block's registers (absent entries carry
// kAbsentToken) and writes them best first to out_value / out_token[0, k) from thread 0; when
// fewer than k entries exist the rest is (-inf, -1). Every thread of the block must call it.
template <int PER_THREAD>
__device__ void block_top_k(const float (&value)[PER_THREAD], const int (&token)[PER_THREAD], int k,
                            float* out_value, int* out_token, Ranked* scratch) {
    unsigned taken = 0;
    for (int r = 0; r < k; ++r) {
        Ranked mine{-INFINITY, kAbsentToken};
#pragma unroll
        for (int j = 0; j < PER_THREAD; ++j) {
            const Ranked entry{value[j], token[j]};
            if (((taken >> j) & 1u) == 0 && ranks_before(entry, mine)) mine = entry;
        }
        const Ranked best = block_best(mine, scratch);
        if (best.token == kAbsentToken) {
            if (threadIdx.x == 0) {
                for (int rest = r; rest < k; ++rest) {
                    out_value[rest] = -INFINITY;
                    out_token[rest] = -1;
                }
            }
            return;
        }
#pragma unroll
        for (int j = 0; j < PER_THREAD; ++j) {
            if (token[j] == best.token) taken |= 1u << j;
        }
        if (threadIdx.x == 0) {
            out_value[r] = best.value;
            out_token[r] = best.token;
        }
    }
}

// The CPU sampler's unnormalised probability of a logit.
__device__ __forceinline__ double sample_weight(float logit, float max_logit, float inv_temperature) {
    return exp((double)((logit - max_logit) * inv_temperature));
}

}  // namespace gemma4j

// logits  fp32, row b at logits + b*row_stride, [vocab]
// tokens  int32 [batch], written: index of the largest logit, lowest index among equal values
//         (+inf is a value like any other); -1 when the row holds a NaN.
// grid (batch), block (ARGMAX_THREADS).
extern "C" __global__ void __launch_bounds__(ARGMAX_THREADS)
sample_argmax(const float* __restrict__ logits, long long row_stride, int vocab, int* __restrict__ tokens) {
    __shared__ gemma4j::Ranked scratch[32];
    __shared__ unsigned nan_scratch[32];
    const int b = blockIdx.x;
    const float* row = logits + b * row_stride;
    gemma4j::Ranked best{-INFINITY, gemma4j::kAbsentToken};
    unsigned nans = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        const float x = row[i];
        if (isnan(x)) {
            ++nans;
        } else if (gemma4j::ranks_before(gemma4j::Ranked{x, i}, best)) {
            best = gemma4j::Ranked{x, i};
        }
    }
    nans = gemma4j::block_sum(nans, nan_scratch);
    best = gemma4j::block_best(best, scratch);
    if (threadIdx.x == 0) tokens[b] = (nans != 0 || best.token == gemma4j::kAbsentToken) ? -1 : best.token;
}

// Per vocabulary chunk of 4096 entries, its k best logits (k in [1, 64]), ranked.
// logits      fp32, row b at logits + b*row_stride, [vocab]
// cand_value  fp32 [batch, num_chunks, k], cand_token int32 [batch, num_chunks, k], written;
//             entry 0 of a chunk is its maximum; a chunk holding a NaN has cand_value[..., 0] = NaN;
//             missing entries (chunk shorter than k) are (-inf, -1).
// grid (num_chunks = ceil(vocab / 4096), batch), block (SAMPLE_THREADS).
extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)
sample_candidates(const float* __restrict__ logits, long long row_stride, int vocab, int k,
                  float* __restrict__ cand_value, int* __restrict__ cand_token) {
    __shared__ gemma4j::Ranked scratch[32];
    __shared__ unsigned nan_scratch[32];
    const int chunk = blockIdx.x;
    const int num_chunks = gridDim.x;
    const int b = blockIdx.y;
    const float* row = logits + b * row_stride;
    float value[SAMPLE_PER_THREAD];
    int token[SAMPLE_PER_THREAD];
    unsigned nans = 0;
#pragma unroll
    for (int j = 0; j < SAMPLE_PER_THREAD; ++j) {
        const int id = chunk * SAMPLE_CHUNK + j * SAMPLE_THREADS + threadIdx.x;
        value[j] = -INFINITY;
        token[j] = gemma4j::kAbsentToken;
        if (id < vocab) {
            const float x = row[id];
            if (isnan(x)) {
                ++nans;
            } else {
                value[j] = x;
                token[j] = id;
            }
        }
    }
    nans = gemma4j::block_sum(nans, nan_scratch);
    const long long out = ((long long)b * num_chunks + chunk) * k;
    gemma4j::block_top_k(value, token, k, cand_value + out, cand_token + out, scratch);
    if (threadIdx.x == 0 && nans != 0) cand_value[out] = nanf("");
}

// Per chunk, sum of the CPU sampler's weights exp((double) ((x - M) * (1 / T))) over the chunk's
// logits, M = the row's maximum taken from sample_candidates' output.
// cand_value  as written by sample_candidates (same k and num_chunks = gridDim.x)
// temperature fp32 [batch]
// chunk_sum   fp64 [batch, num_chunks], written; NaN when the row has a NaN, 0 when
//             temperature[b] <= 0 (a greedy row needs no sums).
// grid (num_chunks, batch), block (SAMPLE_THREADS).
extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)
sample_softmax_sums(const float* __restrict__ logits, long long row_stride, int vocab,
                    const float* __restrict__ cand_value, int k, const float* __restrict__ temperature,
                    double* __restrict__ chunk_sum) {
    __shared__ double scratch[32];
    const int chunk = blockIdx.x;
    const int num_chunks = gridDim.x;
    const int b = blockIdx.y;
    const float* row = logits + b * row_stride;
    float max_logit = -INFINITY;
    bool has_nan = false;
    for (int c = 0; c < num_chunks; ++c) {
        const float m = cand_value[((long long)b * num_chunks + c) * k];
        has_nan = has_nan || isnan(m);
        max_logit = fmaxf(max_logit, m);
    }
    const float t = temperature[b];
    double sum = 0.0;
    if (t > 0.0f && !has_nan) {
        const float inv_temperature = 1.0f / t;
#pragma unroll
        for (int j = 0; j < SAMPLE_PER_THREAD; ++j) {
            const int id = chunk * SAMPLE_CHUNK + j * SAMPLE_THREADS + threadIdx.x;
            if (id < vocab) sum += gemma4j::sample_weight(row[id], max_logit, inv_temperature);
        }
    }
    sum = gemma4j::block_sum(sum, scratch);
    if (threadIdx.x == 0) chunk_sum[(long long)b * num_chunks + chunk] = has_nan ? (double)nanf("") : sum;
}

// Picks each row's token from the candidates and chunk sums.
// cand_value, cand_token  from sample_candidates: [batch, num_chunks, k], num_chunks * k <= 6144
// chunk_sum   from sample_softmax_sums: [batch, num_chunks]
// temperature fp32 [batch]: 0 picks the best candidate (greedy), otherwise > 0 and finite
// top_k       int32 [batch]: 0 (all tokens) or 1 .. k
// top_p       fp32 [batch]: in (0, 1]
// uniform     fp64 [batch]: in [0, 1)
// tokens      int32 [batch], written (codes at the top of this file)
// grid (batch), block (SAMPLE_THREADS).
extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)
sample_pick(const float* __restrict__ logits, long long row_stride, int vocab,
            const float* __restrict__ cand_value, const int* __restrict__ cand_token, int num_chunks,
            int k, const double* __restrict__ chunk_sum, const float* __restrict__ temperature,
            const int* __restrict__ top_k, const float* __restrict__ top_p,
            const double* __restrict__ uniform, int* __restrict__ tokens) {
    __shared__ gemma4j::Ranked scratch[32];
    __shared__ unsigned nan_scratch[32];
    __shared__ double scan_scratch[32];
    __shared__ float chosen_value[SAMPLE_MAX_K];
    __shared__ int chosen_token[SAMPLE_MAX_K];
    __shared__ double chosen_weight[SAMPLE_MAX_K];
    __shared__ int target_chunk;
    __shared__ double target_in_chunk;
    __shared__ int picked;
    __shared__ int last_positive;

    const int b = blockIdx.x;
    const float t = temperature[b];
    const int row_top_k = top_k[b];
    const float row_top_p = top_p[b];
    const double u = uniform[b];
    const int count = num_chunks * k;
    const bool valid = t >= 0.0f && t < INFINITY && row_top_k >= 0 && row_top_k <= k && k >= 1 &&
                       k <= SAMPLE_MAX_K && row_top_p > 0.0f && row_top_p <= 1.0f && u >= 0.0 &&
                       u < 1.0 && count <= SAMPLE_MAX_CANDIDATES;
    if (!valid) {
        if (threadIdx.x == 0) tokens[b] = -2;
        return;
    }

    float value[SAMPLE_MERGE_PER_THREAD];
    int token[SAMPLE_MERGE_PER_THREAD];
    unsigned nans = 0;
#pragma unroll
    for (int j = 0; j < SAMPLE_MERGE_PER_THREAD; ++j) {
        const int e = j * SAMPLE_THREADS + threadIdx.x;
        value[j] = -INFINITY;
        token[j] = gemma4j::kAbsentToken;
        if (e < count) {
            const float v = cand_value[(long long)b * count + e];
            const int id = cand_token[(long long)b * count + e];
            if (isnan(v)) {
                ++nans;
            } else if (id >= 0) {
                value[j] = v;
                token[j] = id;
            }
        }
    }
    nans = gemma4j::block_sum(nans, nan_scratch);
    if (nans != 0) {
        if (threadIdx.x == 0) tokens[b] = -1;
        return;
    }

    const bool greedy = t == 0.0f;
    const bool all_tokens = row_top_k == 0 && row_top_p >= 1.0f;
    const int chosen = (greedy || all_tokens) ? 1 : (row_top_k > 0 ? row_top_k : k);
    gemma4j::block_top_k(value, token, chosen, chosen_value, chosen_token, scratch);
    __syncthreads();
    if (greedy) {
        if (threadIdx.x == 0) tokens[b] = chosen_token[0];
        return;
    }
    const float max_logit = chosen_value[0];
    const float inv_temperature = 1.0f / t;
    const double* sums = chunk_sum + (long long)b * num_chunks;

    if (!all_tokens) {
        if (threadIdx.x == 0) {
            int available = 0;
            while (available < chosen && chosen_token[available] >= 0) {
                chosen_weight[available] = gemma4j::sample_weight(chosen_value[available], max_logit, inv_temperature);
                ++available;
            }
            int kept = available;
            bool closed = false;
            if (row_top_p < 1.0f) {
                // Like Hugging Face's warpers: top-p applies to what top-k kept, renormalised.
                double norm = 0.0;
                if (row_top_k > 0) {
                    for (int r = 0; r < available; ++r) norm += chosen_weight[r];
                } else {
                    for (int c = 0; c < num_chunks; ++c) norm += sums[c];
                }
                double running = 0.0;
                for (int r = 0; r < available; ++r) {
                    running += chosen_weight[r] / norm;
                    if (running >= (double)row_top_p) {
                        kept = r + 1;
                        closed = true;
                        break;
                    }
                }
            }
            if (row_top_k == 0 && !closed && available < vocab) {
                tokens[b] = -3;
            } else {
                double total = 0.0;
                for (int r = 0; r < kept; ++r) total += chosen_weight[r];
                const double target = u * total;
                int result = chosen_token[kept - 1];
                double running = 0.0;
                for (int r = 0; r < kept; ++r) {
                    running += chosen_weight[r];
                    if (target < running) {
                        result = chosen_token[r];
                        break;
                    }
                }
                tokens[b] = result;
            }
        }
        return;
    }

    // All tokens in id order: find the chunk holding the target, then the token inside it.
    if (threadIdx.x == 0) {
        double total = 0.0;
        for (int c = 0; c < num_chunks; ++c) total += sums[c];
        const double target = u * total;
        int found = -1;
        int last_nonzero = 0;
        double before = 0.0;
        for (int c = 0; c < num_chunks; ++c) {
            if (sums[c] > 0.0) last_nonzero = c;
            if (target < before + sums[c]) {
                found = c;
                break;
            }
            before += sums[c];
        }
        target_chunk = found >= 0 ? found : last_nonzero;
        target_in_chunk = found >= 0 ? target - before : INFINITY;
        picked = gemma4j::kAbsentToken;
        last_positive = -1;
    }
    __syncthreads();
    const float* row = logits + b * row_stride;
    const int first = target_chunk * SAMPLE_CHUNK + threadIdx.x * SAMPLE_PER_THREAD;
    double weight[SAMPLE_PER_THREAD];
    double local = 0.0;
#pragma unroll
    for (int j = 0; j < SAMPLE_PER_THREAD; ++j) {
        const int id = first + j;
        weight[j] = id < vocab ? gemma4j::sample_weight(row[id], max_logit, inv_temperature) : 0.0;
        local += weight[j];
        if (weight[j] > 0.0) atomicMax(&last_positive, id);
    }
    // Exclusive prefix sum of `local` over the block's threads (their ranges are consecutive).
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    double inclusive = local;
    for (int offset = 1; offset < 32; offset <<= 1) {
        const double other = __shfl_up_sync(gemma4j::kFullMask, inclusive, offset);
        if (lane >= offset) inclusive += other;
    }
    double exclusive = __shfl_up_sync(gemma4j::kFullMask, inclusive, 1);
    if (lane == 0) exclusive = 0.0;
    if (lane == 31) scan_scratch[warp] = inclusive;
    __syncthreads();
    for (int w = 0; w < warp; ++w) exclusive += scan_scratch[w];
    const double goal = target_in_chunk;
    double running = exclusive;
#pragma unroll
    for (int j = 0; j < SAMPLE_PER_THREAD; ++j) {
        running += weight[j];
        if (goal < running && weight[j] > 0.0) {
            atomicMin(&picked, first + j);
            break;
        }
    }
    __syncthreads();
    if (threadIdx.x == 0) tokens[b] = picked != gemma4j::kAbsentToken ? picked : last_positive;
}
