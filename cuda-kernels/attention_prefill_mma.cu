// Prefill attention on tensor cores (nvcuda::wmma, m16n16k16, fp16 operands, fp32 accumulation),
// FlashAttention-2 style: a block owns a tile of query rows of one kv head and walks the visible
// keys in tiles, S = Q.K^T into fp32, the online softmax of attention_prefill in fp32, P rounded
// to fp16 for P.V, the output accumulated in fp32 registers. Same inputs and output as
// attention_prefill (attention.cu); head_dim a multiple of 16, at most ATTENTION_MAX_HEAD_DIM.
#include "common.cuh"
#ifdef __CUDACC__
#include <mma.h>
#endif

constexpr int PREFILL_MMA_THREADS = 256;
constexpr int PREFILL_MMA_WARPS = PREFILL_MMA_THREADS / 32;
constexpr int PREFILL_MMA_ROWS = 64;      // query rows per block; row = token * group + head in group
constexpr int PREFILL_MMA_KEYS = 32;      // keys per tile
constexpr int MMA_TILE = 16;              // wmma m = n = k
constexpr int PREFILL_MMA_ROW_BLOCKS = PREFILL_MMA_ROWS / MMA_TILE;
constexpr int PREFILL_MMA_DIM_BLOCKS = ATTENTION_MAX_HEAD_DIM / MMA_TILE;
constexpr int PREFILL_MMA_WARP_DIM_BLOCKS = PREFILL_MMA_DIM_BLOCKS * PREFILL_MMA_ROW_BLOCKS / PREFILL_MMA_WARPS;
constexpr int PREFILL_MMA_KV_STRIDE = ATTENTION_MAX_HEAD_DIM + 8;  // halves; +16 bytes: rows 4 banks apart
constexpr int PREFILL_MMA_S_STRIDE = PREFILL_MMA_KEYS + 4;          // floats
constexpr int PREFILL_MMA_P_STRIDE = PREFILL_MMA_KEYS + 8;          // halves
constexpr int PREFILL_MMA_ROW_THREADS = PREFILL_MMA_THREADS / PREFILL_MMA_ROWS;  // softmax threads per row
constexpr int PREFILL_MMA_ROW_KEYS = PREFILL_MMA_KEYS / PREFILL_MMA_ROW_THREADS;

static_assert(PREFILL_MMA_WARPS == PREFILL_MMA_ROW_BLOCKS * (PREFILL_MMA_KEYS / MMA_TILE), "a warp per S block");
static_assert(PREFILL_MMA_ROW_KEYS == 8, "a softmax thread writes its probabilities as one 16-byte store");
static_assert(2 * PREFILL_MMA_KEYS >= PREFILL_MMA_ROWS, "the query tile is staged where K and V go");
static_assert(PREFILL_MMA_ROWS * PREFILL_MMA_S_STRIDE >= PREFILL_MMA_WARPS * MMA_TILE * MMA_TILE,
              "each warp's output staging fits in the score buffer");

// q, k_cache, v_cache, out, slot, start_pos, n, heads, kv_heads, num_slots, max_tokens, scale:
// as attention_prefill; head_dim % 16 == 0, q/out row strides and every base address 16-byte
// aligned (multiples of 8 halves). Invalid slot or positions write NaN to the block's rows.
// grid (ceil(n * group / PREFILL_MMA_ROWS), kv_heads), block (PREFILL_MMA_THREADS). Warp w owns
// query rows 16 (w % 4) .. +16: it scores keys 16 (w / 4) .. +16 of each tile and accumulates
// output dims 128 (w / 4) .. +128. Static shared memory 48,896 bytes.
extern "C" __global__ void __launch_bounds__(PREFILL_MMA_THREADS)
attention_prefill_mma(const __half* __restrict__ q, long long q_row_stride,
                      const __half* __restrict__ k_cache, const __half* __restrict__ v_cache,
                      __half* __restrict__ out, long long out_row_stride, int slot, int start_pos,
                      int n, int heads, int kv_heads, int head_dim, int num_slots, int max_tokens,
                      float scale) {
    namespace wmma = nvcuda::wmma;
    using FragA = wmma::fragment<wmma::matrix_a, MMA_TILE, MMA_TILE, MMA_TILE, __half, wmma::row_major>;
    using FragKt = wmma::fragment<wmma::matrix_b, MMA_TILE, MMA_TILE, MMA_TILE, __half, wmma::col_major>;
    using FragV = wmma::fragment<wmma::matrix_b, MMA_TILE, MMA_TILE, MMA_TILE, __half, wmma::row_major>;
    using FragC = wmma::fragment<wmma::accumulator, MMA_TILE, MMA_TILE, MMA_TILE, float>;

    // Key rows [0, KEYS), value rows [KEYS, 2 KEYS); before the key loop, the query tile.
    __shared__ __align__(32) __half kv[2 * PREFILL_MMA_KEYS][PREFILL_MMA_KV_STRIDE];
    // Scores; before the loop a row-index tile, after it each warp's output staging.
    __shared__ __align__(32) float scores[PREFILL_MMA_ROWS][PREFILL_MMA_S_STRIDE];
    __shared__ __align__(32) __half probs[PREFILL_MMA_ROWS][PREFILL_MMA_P_STRIDE];
    __shared__ float row_max[PREFILL_MMA_ROWS];
    __shared__ float row_sum[PREFILL_MMA_ROWS];
    __shared__ float row_scale[PREFILL_MMA_ROWS];

    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int row_block = warp % PREFILL_MMA_ROW_BLOCKS;
    const int col_half = warp / PREFILL_MMA_ROW_BLOCKS;  // key block of S, dim half of the output
    const int group = heads / kv_heads;
    const int kv_head = blockIdx.y;
    const int rows = n * group;
    // The last tiles see the most keys: they run first.
    const int row0 = (gridDim.x - 1 - blockIdx.x) * PREFILL_MMA_ROWS;
    const int dim_blocks = head_dim / MMA_TILE;
    const int chunks = head_dim / 8;  // 16-byte chunks per row
    const int head_of_row0 = kv_head * group;

    if (slot < 0 || slot >= num_slots || start_pos < 0 || start_pos + n > max_tokens) {
        for (int e = tid; e < PREFILL_MMA_ROWS * head_dim; e += PREFILL_MMA_THREADS) {
            const int row = row0 + e / head_dim;
            if (row >= rows) continue;
            out[(row / group) * out_row_stride + (long long)(head_of_row0 + row % group) * head_dim + e % head_dim] =
                __float2half_rn(nanf(""));
        }
        return;
    }

    // Stage the query tile (rows past the end are zero) and a tile whose row r holds r: loaded
    // into an accumulator fragment it tells each element's row, whatever the lane mapping.
    for (int e = tid; e < PREFILL_MMA_ROWS * chunks; e += PREFILL_MMA_THREADS) {
        const int r = e / chunks;
        const int c = e % chunks;
        const int row = row0 + r;
        uint4 v = make_uint4(0u, 0u, 0u, 0u);
        if (row < rows) {
            v = *reinterpret_cast<const uint4*>(q + (row / group) * q_row_stride +
                                                (long long)(head_of_row0 + row % group) * head_dim + 8 * c);
        }
        *reinterpret_cast<uint4*>(&kv[r][8 * c]) = v;
    }
    scores[tid / MMA_TILE][tid % MMA_TILE] = (float)(tid / MMA_TILE);
    if (tid < PREFILL_MMA_ROWS) {
        row_max[tid] = -INFINITY;
        row_sum[tid] = 0.0f;
    }
    __syncthreads();

    FragA q_frag[PREFILL_MMA_DIM_BLOCKS];
#pragma unroll
    for (int c = 0; c < PREFILL_MMA_DIM_BLOCKS; ++c) {
        if (c < dim_blocks) {
            wmma::load_matrix_sync(q_frag[c], &kv[row_block * MMA_TILE][c * MMA_TILE], PREFILL_MMA_KV_STRIDE);
        }
    }
    FragC row_of;  // row_of.x[i]: the row (0..15) of element i of any FragC
    wmma::load_matrix_sync(row_of, &scores[0][0], PREFILL_MMA_S_STRIDE, wmma::mem_row_major);
    FragC acc[PREFILL_MMA_WARP_DIM_BLOCKS];
#pragma unroll
    for (int j = 0; j < PREFILL_MMA_WARP_DIM_BLOCKS; ++j) wmma::fill_fragment(acc[j], 0.0f);
    const int first_dim_block = col_half * PREFILL_MMA_WARP_DIM_BLOCKS;

    const long long head_offset = ((long long)slot * kv_heads + kv_head) * max_tokens * head_dim;
    const __half* keys = k_cache + head_offset;
    const __half* values = v_cache + head_offset;
    const int last_row = min(row0 + PREFILL_MMA_ROWS, rows) - 1;
    const int key_end = start_pos + last_row / group + 1;  // keys [0, key_end) are visible to some row
    // Softmax: thread tid handles keys 8 (tid % 4) .. +8 of row tid / 4. Rows past the end take
    // the last token's position so their arithmetic stays finite; they are not written.
    const int sm_row = tid / PREFILL_MMA_ROW_THREADS;
    const int sm_key = (tid % PREFILL_MMA_ROW_THREADS) * PREFILL_MMA_ROW_KEYS;
    const int sm_pos = start_pos + min(row0 + sm_row, rows - 1) / group;
    __syncthreads();  // the query tile and row tile are in registers

    for (int key0 = 0; key0 < key_end; key0 += PREFILL_MMA_KEYS) {
        // Keys and values of the tile, zero past key_end (never garbage: 0 * NaN would poison P.V).
        for (int e = tid; e < 2 * PREFILL_MMA_KEYS * chunks; e += PREFILL_MMA_THREADS) {
            const int r = e / chunks;
            const int c = e % chunks;
            const int key = key0 + r % PREFILL_MMA_KEYS;
            const __half* src = r < PREFILL_MMA_KEYS ? keys : values;
            uint4 v = make_uint4(0u, 0u, 0u, 0u);
            if (key < key_end) v = *reinterpret_cast<const uint4*>(src + (long long)key * head_dim + 8 * c);
            *reinterpret_cast<uint4*>(&kv[r][8 * c]) = v;
        }
        __syncthreads();

        {  // S block (row_block, col_half) = Q . K^T over head_dim
            FragC s;
            wmma::fill_fragment(s, 0.0f);
#pragma unroll
            for (int c = 0; c < PREFILL_MMA_DIM_BLOCKS; ++c) {
                if (c < dim_blocks) {
                    FragKt k_frag;
                    wmma::load_matrix_sync(k_frag, &kv[col_half * MMA_TILE][c * MMA_TILE], PREFILL_MMA_KV_STRIDE);
                    wmma::mma_sync(s, q_frag[c], k_frag, s);
                }
            }
            wmma::store_matrix_sync(&scores[row_block * MMA_TILE][col_half * MMA_TILE], s, PREFILL_MMA_S_STRIDE,
                                    wmma::mem_row_major);
        }
        __syncthreads();

        {  // Causal mask and online softmax (attention_prefill's math); P rounded to fp16.
            float s[PREFILL_MMA_ROW_KEYS];
            float tile_max = -INFINITY;
#pragma unroll
            for (int c = 0; c < PREFILL_MMA_ROW_KEYS; ++c) {
                const int key = key0 + sm_key + c;
                s[c] = key <= sm_pos ? scores[sm_row][sm_key + c] * scale : -INFINITY;
                tile_max = fmaxf(tile_max, s[c]);
            }
            const float old_max = row_max[sm_row];
            for (int offset = PREFILL_MMA_ROW_THREADS / 2; offset > 0; offset >>= 1) {
                tile_max = fmaxf(tile_max, __shfl_xor_sync(gemma4j::kFullMask, tile_max, offset));
            }
            // Key 0 is in the first tile and visible to every row, so new_max is finite.
            const float new_max = fmaxf(old_max, tile_max);
            uint4 packed = make_uint4(0u, 0u, 0u, 0u);
            __half* p = reinterpret_cast<__half*>(&packed);
            float tile_sum = 0.0f;
#pragma unroll
            for (int c = 0; c < PREFILL_MMA_ROW_KEYS; ++c) {
                p[c] = __float2half_rn(expf(s[c] - new_max));
                tile_sum += __half2float(p[c]);  // the sum of the weights P.V uses: rows stay convex
            }
            *reinterpret_cast<uint4*>(&probs[sm_row][sm_key]) = packed;
            for (int offset = PREFILL_MMA_ROW_THREADS / 2; offset > 0; offset >>= 1) {
                tile_sum += __shfl_xor_sync(gemma4j::kFullMask, tile_sum, offset);
            }
            if (tid % PREFILL_MMA_ROW_THREADS == 0) {
                const float alpha = expf(old_max - new_max);  // 0 on the first tile
                row_scale[sm_row] = alpha;
                row_sum[sm_row] = row_sum[sm_row] * alpha + tile_sum;
                row_max[sm_row] = new_max;
            }
        }
        __syncthreads();

        {  // acc = acc * alpha (per row) + P . V over the tile's keys
            FragA p_frag[PREFILL_MMA_KEYS / MMA_TILE];
#pragma unroll
            for (int k = 0; k < PREFILL_MMA_KEYS / MMA_TILE; ++k) {
                wmma::load_matrix_sync(p_frag[k], &probs[row_block * MMA_TILE][k * MMA_TILE], PREFILL_MMA_P_STRIDE);
            }
            const float* alpha = &row_scale[row_block * MMA_TILE];
#pragma unroll
            for (int j = 0; j < PREFILL_MMA_WARP_DIM_BLOCKS; ++j) {
                const int d = first_dim_block + j;
                if (d < dim_blocks) {
#pragma unroll
                    for (int i = 0; i < FragC::num_elements; ++i) acc[j].x[i] *= alpha[(int)row_of.x[i]];
#pragma unroll
                    for (int k = 0; k < PREFILL_MMA_KEYS / MMA_TILE; ++k) {
                        FragV v_frag;
                        wmma::load_matrix_sync(v_frag, &kv[PREFILL_MMA_KEYS + k * MMA_TILE][d * MMA_TILE],
                                               PREFILL_MMA_KV_STRIDE);
                        wmma::mma_sync(acc[j], p_frag[k], v_frag, acc[j]);
                    }
                }
            }
        }
        __syncthreads();  // K, V, scores and probs consumed before the next tile
    }

    // out = acc / row_sum, saturated to fp16: each fragment is staged in the warp's 16 x 16 floats,
    // then lane l writes 8 dims of row l / 2 as one 16-byte store.
    float* staging = &scores[0][0] + warp * MMA_TILE * MMA_TILE;
    const float* sums = &row_sum[row_block * MMA_TILE];
    const int out_row = lane / 2;
    const int out_col = (lane % 2) * 8;
    const int row = row0 + row_block * MMA_TILE + out_row;
    __half* o = out + (row / group) * out_row_stride + (long long)(head_of_row0 + row % group) * head_dim;
#pragma unroll
    for (int j = 0; j < PREFILL_MMA_WARP_DIM_BLOCKS; ++j) {
        const int d = first_dim_block + j;
        if (d < dim_blocks) {
#pragma unroll
            for (int i = 0; i < FragC::num_elements; ++i) acc[j].x[i] /= sums[(int)row_of.x[i]];
            wmma::store_matrix_sync(staging, acc[j], MMA_TILE, wmma::mem_row_major);
            __syncwarp();
            if (row < rows) {
                uint4 packed = make_uint4(0u, 0u, 0u, 0u);
                __half* h = reinterpret_cast<__half*>(&packed);
#pragma unroll
                for (int c = 0; c < 8; ++c) {
                    h[c] = gemma4j::to_half_saturated(staging[out_row * MMA_TILE + out_col + c]);
                }
                *reinterpret_cast<uint4*>(o + d * MMA_TILE + out_col) = packed;
            }
            __syncwarp();  // staging read before the next fragment overwrites it
        }
    }
}
