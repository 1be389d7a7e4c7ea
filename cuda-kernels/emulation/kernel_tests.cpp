// Checks every gemma4j kernel, run by the host emulation, against a float64 reference on random
// inputs. Usage: kernel_tests [seed [name]]; with a name, only the tests whose name contains it
// run. Prints one line per check and exits non-zero on a failure.
#include "test_check.h"
#include "cuda_emulation.h"

#include "../gemma4j.cu"

#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <functional>
#include <random>

namespace {

// ||a - b|| / ||b||; any NaN or infinity in a gives infinity, so it never passes a tolerance.
double relative_error(const std::vector<double>& a, const std::vector<double>& b) {
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!std::isfinite(a[i])) return INFINITY;
        diff += (a[i] - b[i]) * (a[i] - b[i]);
        norm += b[i] * b[i];
    }
    return std::sqrt(diff / norm);
}

std::vector<__half> to_half(const std::vector<float>& x) {
    std::vector<__half> h(x.size());
    for (size_t i = 0; i < x.size(); ++i) h[i] = __float2half_rn(x[i]);
    return h;
}

double f(__half h) { return (double)__half2float(h); }

// The range flags (common.cuh) a test expects of one row: `kinds` at `site` only.
bool range_flags_are(const unsigned* words, int site, unsigned kinds) {
    const unsigned want0 = kinds << (2 * (site & 7));
    return words[0] == want0 && words[1] == (kinds == 0u ? 0u : ~(unsigned)site);
}

struct Random {
    explicit Random(uint64_t seed) : engine(seed) {}
    std::mt19937_64 engine;
    std::vector<float> normal(size_t n, double sigma) {
        std::normal_distribution<double> d(0.0, sigma);
        std::vector<float> v(n);
        for (auto& x : v) x = (float)d(engine);
        return v;
    }
    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine); }
};

void test_embedding(Random& rnd) {
    const int vocab = 37, hidden = 300, n = 5;
    const float scale = 45.25f;
    const auto embed = to_half(rnd.normal((size_t)vocab * hidden, 0.5 / std::sqrt(hidden)));
    const std::vector<int> tokens = {3, 0, 36, 37, 12};
    std::vector<float> residual((size_t)n * hidden, 0.0f);
    int bad = 0;
    emulation::launch(embedding_gather, dim3(n), dim3(EMBEDDING_THREADS), embed.data(), tokens.data(),
                      residual.data(), n, hidden, vocab, scale, &bad);
    bool exact = true, nan_row = true;
    for (int i = 0; i < n; ++i) {
        for (int d = 0; d < hidden; ++d) {
            const float got = residual[(size_t)i * hidden + d];
            if (i == 3) {
                nan_row = nan_row && std::isnan(got);
            } else {
                // One fp32 product on both sides: bit-exact.
                exact = exact && got == __half2float(embed[(size_t)tokens[i] * hidden + d]) * scale;
            }
        }
    }
    check(exact, "embedding_gather: valid rows equal float(embed) * scale exactly");
    check(nan_row && bad == 1, "embedding_gather: token 37 of vocab 37 gives a NaN row, bad_tokens = %d", bad);
}

void test_rmsnorm(Random& rnd) {
    const int n = 4, hidden = 700;
    const float eps = 1e-6f;
    auto x = rnd.normal((size_t)n * hidden, 3.0);
    auto w = rnd.normal(hidden, 0.5);
    // Row 3 is scaled so that x * rsqrt(mean x^2) * (1 + w) exceeds the fp16 range in places.
    auto weight = to_half(w);
    std::vector<float> w_big(hidden);
    for (int d = 0; d < hidden; ++d) w_big[d] = 30000.0f * (1.0f + std::fabs(w[d]));
    const auto weight_big = to_half(w_big);
    std::vector<__half> y((size_t)n * hidden), y_big(hidden), y_nan(hidden);
    // Site: layer 3's post-attention norm. Rows 0..n-1 of the plain launch, then the big-weight row,
    // then a residual row holding an infinity.
    const int site = 3 * 8 + gemma4j::kRangePostNorm;
    std::vector<unsigned> range(2 * (n + 2), 0u);
    emulation::launch(rmsnorm_f16, dim3(n), dim3(RMSNORM_THREADS), x.data(), weight.data(), y.data(), n, hidden, eps,
                      range.data(), 2, site);
    emulation::launch(rmsnorm_f16, dim3(1), dim3(RMSNORM_THREADS), x.data(), weight_big.data(), y_big.data(), 1,
                      hidden, eps, range.data() + 2 * n, 2, site);
    std::vector<float> x_inf(x.begin(), x.begin() + hidden);
    x_inf[7] = INFINITY;
    emulation::launch(rmsnorm_f16, dim3(1), dim3(RMSNORM_THREADS), x_inf.data(), weight.data(), y_nan.data(), 1,
                      hidden, eps, range.data() + 2 * (n + 1), 0, site);
    std::vector<double> got, want;
    bool saturated = true;
    int clamped = 0;
    for (int i = 0; i < n; ++i) {
        double ss = 0;
        for (int d = 0; d < hidden; ++d) ss += (double)x[(size_t)i * hidden + d] * x[(size_t)i * hidden + d];
        const double inv = 1.0 / std::sqrt(ss / hidden + eps);
        for (int d = 0; d < hidden; ++d) {
            got.push_back(f(y[(size_t)i * hidden + d]));
            want.push_back(x[(size_t)i * hidden + d] * inv * (1.0 + f(weight[d])));
            if (i == 0) {
                const double big = x[d] * inv * (1.0 + f(weight_big[d]));
                const double out = f(y_big[d]);
                if (std::fabs(big) > 65504.0) {
                    ++clamped;
                    saturated = saturated && out == (big > 0 ? 65504.0 : -65504.0);
                } else {
                    // One value: fp16 rounding is at most 2^-11 = 4.9e-4 relative.
                    saturated = saturated && std::fabs(out - big) <= std::fabs(big) * 1e-3;
                }
            }
        }
    }
    const double err = relative_error(got, want);
    // fp16 output: rounding alone gives about 2.1e-4 rms relative error (at most 2^-11 = 4.9e-4
    // per value); 5e-4 leaves room for the fp32 arithmetic and nothing more.
    check(err < 5e-4, "rmsnorm_f16: relative error %.3g vs float64 (tolerance 5e-4: fp16 output)", err);
    check(saturated && clamped > 0, "rmsnorm_f16: %d outputs beyond 65504 saturate to +-65504", clamped);
    bool plain_clear = true;
    for (int i = 0; i < n; ++i) plain_clear = plain_clear && range_flags_are(range.data() + 2 * i, site, 0u);
    check(plain_clear, "rmsnorm_f16: rows within fp16's range set no range flag");
    // Some of the big weights are themselves beyond fp16 (30000 (1 + |w|) rounds to inf), so that row
    // may be flagged inf/NaN as well; it must be flagged saturated.
    const unsigned saturated_bit = gemma4j::kRangeSaturated << (2 * (site & 7));
    check((range[2 * n] & saturated_bit) != 0 && range[2 * n + 1] == ~(unsigned)site,
          "rmsnorm_f16: the saturated row is flagged saturated at its site (flags %#x, %#x)", range[2 * n],
          range[2 * n + 1]);
    check(range_flags_are(range.data() + 2 * (n + 1), site, gemma4j::kRangeNonFinite),
          "rmsnorm_f16: a residual row holding inf is flagged inf/NaN (flags %#x, %#x)", range[2 * (n + 1)],
          range[2 * (n + 1) + 1]);
}

void test_rope(Random& rnd) {
    const int heads = 4, kv_heads = 2, head_dim = 64, n = 4, num_slots = 2, max_tokens = 4200;
    const float theta = 10000.0f;
    // Fused q/k/v GEMM output: one row of [q heads | k heads | v heads] per token.
    const long long row = (long long)(heads + 2 * kv_heads) * head_dim;
    auto qkv_values = rnd.normal((size_t)n * row, 1.0);
    // Token 1 (position 5, angle 5 rad at i = 0): q head 0's pair (i = 0, i + half) rotates beyond
    // 65504 and saturates; token 2: v head 1 holds an infinity (an overflowed q/k/v GEMM output).
    qkv_values[row + 0] = 60000.0f;
    qkv_values[row + head_dim / 2] = 60000.0f;
    qkv_values[2 * row + (heads + kv_heads + 1) * head_dim + 3] = INFINITY;
    const auto qkv0 = to_half(qkv_values);
    auto qkv = qkv0;
    const int site = 2 * 8 + gemma4j::kRangeQkv;
    std::vector<unsigned> range(2 * n, 0u);
    const std::vector<int> slots = {1, 0, 1, 0};
    const std::vector<int> positions = {0, 5, 4097, 4200};  // token 3 is outside max_tokens
    const size_t cache_size = (size_t)num_slots * kv_heads * max_tokens * head_dim;
    const __half sentinel = __float2half_rn(7.0f);
    std::vector<__half> k_cache(cache_size, sentinel), v_cache(cache_size, sentinel);
    int bad = 0;
    __half* q = qkv.data();
    emulation::launch(rope_and_cache, dim3(n), dim3(ROPE_THREADS), q, row, (const __half*)(q + heads * head_dim), row,
                      (const __half*)(q + (heads + kv_heads) * head_dim), row, k_cache.data(), v_cache.data(),
                      slots.data(), positions.data(), n, heads, kv_heads, head_dim, num_slots, max_tokens, 0, theta,
                      1.0f, (const __half*)nullptr, (const __half*)nullptr, 1e-6f, &bad, range.data(), 2, site);
    std::vector<double> got, want;
    bool v_exact = true;
    const int half = head_dim / 2;
    auto rotate = [&](const __half* x, int pos, int i, double& out1, double& out2) {
        const double inv = std::pow((double)theta, -(2.0 * i) / head_dim);
        const double c = std::cos(pos * inv), s = std::sin(pos * inv);
        out1 = f(x[i]) * c - f(x[i + half]) * s;
        out2 = f(x[i + half]) * c + f(x[i]) * s;
    };
    for (int t = 0; t < 3; ++t) {
        const __half* src = qkv0.data() + t * row;
        for (int h = 0; h < heads; ++h) {
            for (int i = 0; i < half; ++i) {
                if (t == 1 && h == 0 && i == 0) continue;  // the saturated pair, checked below
                double a, b;
                rotate(src + h * head_dim, positions[t], i, a, b);
                want.push_back(a);
                want.push_back(b);
                got.push_back(f(qkv[t * row + h * head_dim + i]));
                got.push_back(f(qkv[t * row + h * head_dim + i + half]));
            }
        }
        for (int h = 0; h < kv_heads; ++h) {
            const size_t at = (((size_t)slots[t] * kv_heads + h) * max_tokens + positions[t]) * head_dim;
            for (int i = 0; i < half; ++i) {
                double a, b;
                rotate(src + (heads + h) * head_dim, positions[t], i, a, b);
                want.push_back(a);
                want.push_back(b);
                got.push_back(f(k_cache[at + i]));
                got.push_back(f(k_cache[at + i + half]));
            }
            const __half* v = src + (heads + kv_heads + h) * head_dim;
            for (int d = 0; d < head_dim; ++d) v_exact = v_exact && f(v_cache[at + d]) == f(v[d]);
        }
    }
    size_t written = 0;
    for (size_t e = 0; e < cache_size; ++e) {
        written += f(k_cache[e]) != 7.0;
        written += f(v_cache[e]) != 7.0;
    }
    bool untouched = true;
    for (long long e = 0; e < row; ++e) untouched = untouched && f(qkv[3 * row + e]) == f(qkv0[3 * row + e]);
    const double err = relative_error(got, want);
    // fp16 output (about 2.1e-4 rms) plus the fp32 angle at position 4097 (rounding up to 2.4e-4 rad
    // on the lowest frequencies).
    check(err < 5e-4, "rope_and_cache: q and cached k relative error %.3g vs float64 (tolerance 5e-4)", err);
    check(v_exact, "rope_and_cache: v copied into the cache unchanged");
    double sat1, sat2;
    rotate(qkv0.data() + row, positions[1], 0, sat1, sat2);
    check(std::fabs(sat1) > 65520.0 && f(qkv[row]) == (sat1 > 0 ? 65504.0 : -65504.0),
          "rope_and_cache: rotated q %.1f saturates to %.1f", sat1, f(qkv[row]));
    check(range_flags_are(range.data(), site, 0u), "rope_and_cache: token 0 sets no range flag");
    check(range_flags_are(range.data() + 2, site + 1, gemma4j::kRangeSaturated),
          "rope_and_cache: token 1 flagged saturated at the rotation, site %d (flags %#x, %#x)", site + 1, range[2],
          range[3]);
    check(range_flags_are(range.data() + 4, site, gemma4j::kRangeNonFinite),
          "rope_and_cache: token 2's infinite v flagged inf/NaN at the q/k/v site %d (flags %#x, %#x)", site, range[4],
          range[5]);
    check(range_flags_are(range.data() + 6, site, 0u), "rope_and_cache: the skipped token 3 sets no range flag");
    check(bad == 1 && untouched, "rope_and_cache: position 4200 of max_tokens 4200 counted (bad_entries = %d), q left as is",
          bad);
    // Random fp16 values equal the sentinel 7.0 with negligible probability; allow none.
    check(written <= (size_t)3 * 2 * kv_heads * head_dim, "rope_and_cache: cache writes only at the tokens' rows (%zu values)",
          written);
}

void test_geglu(Random& rnd) {
    const int n = 3, inter = 1000;
    auto gate_up = rnd.normal((size_t)n * 2 * inter, 2.0);
    gate_up[5] = 400.0f;  // gelu(400) * 400 = 160000: saturates
    gate_up[inter + 5] = 400.0f;
    gate_up[2 * 2 * inter + 9] = 1000.0f;  // row 2: 1e6, within range once scaled by 2^-5
    gate_up[2 * 2 * inter + inter + 9] = 1000.0f;
    const auto gate_up_half = to_half(gate_up);
    std::vector<__half> out32((size_t)n * inter), out16((size_t)n * inter), scaled((size_t)n * inter);
    const int site = 1 * 8 + gemma4j::kRangeGeglu;
    std::vector<unsigned> range32(2 * n, 0u), range16(2 * n, 0u), range_scaled(2 * n, 0u);
    emulation::launch(geglu_f32, dim3(5), dim3(GEGLU_THREADS), (const float*)gate_up.data(),
                      (const float*)(gate_up.data() + inter), (long long)2 * inter, out32.data(), n, inter, 1.0f,
                      range32.data(), 2, site);
    emulation::launch(geglu_f16, dim3(3), dim3(GEGLU_THREADS), (const __half*)gate_up_half.data(),
                      (const __half*)(gate_up_half.data() + inter), (long long)2 * inter, out16.data(), n, inter, 1.0f,
                      range16.data(), 2, site);
    // The scale the backend uses for down_proj's input: 2^-5 (alpha 2^5 on the GEMM).
    const int shift = 5;
    emulation::launch(geglu_f32, dim3(4), dim3(GEGLU_THREADS), (const float*)gate_up.data(),
                      (const float*)(gate_up.data() + inter), (long long)2 * inter, scaled.data(), n, inter,
                      std::ldexp(1.0f, -shift), range_scaled.data(), 2, site);
    auto gelu = [](double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); };
    std::vector<double> got32, want32, got16, want16, got_scaled, want_scaled;
    for (int i = 0; i < n; ++i) {
        for (int c = 0; c < inter; ++c) {
            const size_t at = (size_t)i * 2 * inter + c;
            got_scaled.push_back(std::ldexp(f(scaled[(size_t)i * inter + c]), shift));
            want_scaled.push_back(gelu(gate_up[at]) * gate_up[at + inter]);
            if ((i == 0 && c == 5) || (i == 2 && c == 9)) continue;
            const size_t in = (size_t)i * 2 * inter + c;
            got32.push_back(f(out32[(size_t)i * inter + c]));
            want32.push_back(gelu(gate_up[in]) * gate_up[in + inter]);
            got16.push_back(f(out16[(size_t)i * inter + c]));
            want16.push_back(gelu(f(gate_up_half[in])) * f(gate_up_half[in + inter]));
        }
    }
    const double err32 = relative_error(got32, want32), err16 = relative_error(got16, want16);
    // fp16 output: rounding alone gives about 2.1e-4 rms relative error.
    check(err32 < 5e-4, "geglu_f32: relative error %.3g vs float64 (tolerance 5e-4: fp16 output)", err32);
    check(err16 < 5e-4, "geglu_f16: relative error %.3g vs float64 (tolerance 5e-4: fp16 output)", err16);
    check(f(out32[5]) == 65504.0 && f(out16[5]) == 65504.0, "geglu: gelu(400) * 400 saturates to 65504 (%g, %g)",
          f(out32[5]), f(out16[5]));
    check(range_flags_are(range32.data(), site, gemma4j::kRangeSaturated)
              && range_flags_are(range16.data(), site, gemma4j::kRangeSaturated)
              && range_flags_are(range32.data() + 2, site, 0u) && range_flags_are(range32.data() + 4, site, gemma4j::kRangeSaturated),
          "geglu: unscaled, rows 0 and 2 flagged saturated, row 1 not (flags %#x %#x %#x)", range32[0], range32[2],
          range32[4]);
    // Scaling by 2^-5 is exact; below 2^(5 - 14) = 2^-9 the outputs are fp16 subnormals with a step of
    // 2^-19 = 1.9e-6, far below the rounding of the O(1) outputs here: the error stays fp16 rounding.
    const double err_scaled = relative_error(got_scaled, want_scaled);
    check(err_scaled < 5e-4, "geglu scaled by 2^-5: 2^5 * out within %.3g of float64, 1e6 and 160000 included "
          "(tolerance 5e-4: fp16 output)", err_scaled);
    bool scaled_clear = true;
    for (int i = 0; i < n; ++i) scaled_clear = scaled_clear && range_flags_are(range_scaled.data() + 2 * i, site, 0u);
    check(scaled_clear, "geglu scaled by 2^-5: no row flagged (flags %#x %#x %#x)", range_scaled[0], range_scaled[2],
          range_scaled[4]);
}

struct AttentionShape {
    int heads, kv_heads, head_dim;
    int split_tokens;  // decode split; above 64 a split spans several key tiles
};

// Float64 causal attention of one query row over keys [0, length) of (slot, kv head).
std::vector<double> reference_attention(const __half* q, const std::vector<__half>& k_cache,
                                        const std::vector<__half>& v_cache, int slot, int kv_head, int kv_heads,
                                        int max_tokens, int head_dim, int length) {
    const size_t base = ((size_t)slot * kv_heads + kv_head) * max_tokens * head_dim;
    std::vector<double> score(length);
    double m = -INFINITY;
    for (int t = 0; t < length; ++t) {
        double dot = 0;
        for (int d = 0; d < head_dim; ++d) dot += f(q[d]) * f(k_cache[base + (size_t)t * head_dim + d]);
        score[t] = dot / std::sqrt((double)head_dim);
        m = std::max(m, score[t]);
    }
    double sum = 0;
    for (auto& s : score) sum += (s = std::exp(s - m));
    std::vector<double> out(head_dim, 0.0);
    for (int t = 0; t < length; ++t) {
        for (int d = 0; d < head_dim; ++d) out[d] += score[t] / sum * f(v_cache[base + (size_t)t * head_dim + d]);
    }
    return out;
}

void test_attention_decode(Random& rnd, AttentionShape s) {
    const int num_slots = 3, max_tokens = 400, split_tokens = s.split_tokens, batch = 4;
    const std::vector<int> slots = {2, 0, 1, 1};
    const std::vector<int> lengths = {1, 77, 300, 0};  // sequence 3 is invalid
    const int max_splits = (300 + split_tokens - 1) / split_tokens;
    const size_t cache_size = (size_t)num_slots * s.kv_heads * max_tokens * s.head_dim;
    const auto k_cache = to_half(rnd.normal(cache_size, 1.0));
    const auto v_cache = to_half(rnd.normal(cache_size, 1.0));
    const long long q_row = (long long)s.heads * s.head_dim + 8;  // padded rows exercise the stride
    const auto q = to_half(rnd.normal((size_t)batch * q_row, 1.0));
    const size_t parts = (size_t)batch * s.heads * max_splits;
    std::vector<float> partial_max(parts), partial_sum(parts), partial_out(parts * s.head_dim);
    std::vector<__half> out((size_t)batch * s.heads * s.head_dim);
    const int group = s.heads / s.kv_heads;
    const int head_blocks = (group + DECODE_HEADS - 1) / DECODE_HEADS;
    const float scale = 1.0f / std::sqrt((float)s.head_dim);
    int bad = 0;
    emulation::launch(attention_decode_partial, dim3(max_splits, s.kv_heads * head_blocks, batch), dim3(DECODE_THREADS),
                      q.data(), q_row, k_cache.data(), v_cache.data(), slots.data(), lengths.data(), partial_max.data(),
                      partial_sum.data(), partial_out.data(), s.heads, s.kv_heads, s.head_dim, num_slots, max_tokens,
                      split_tokens, scale, 0, 0.0f, &bad);
    emulation::launch(attention_decode_combine, dim3(s.heads, batch), dim3(COMBINE_THREADS), partial_max.data(),
                      partial_sum.data(), partial_out.data(), slots.data(), lengths.data(), out.data(),
                      (long long)s.heads * s.head_dim, s.heads, s.head_dim, num_slots, max_tokens, max_splits,
                      split_tokens, 0);
    // Relative error per sequence: the length-1 sequence's output is v itself and would dominate
    // one norm over all three.
    double worst = 0;
    for (int b = 0; b < 3; ++b) {
        std::vector<double> got, want;
        for (int h = 0; h < s.heads; ++h) {
            const auto ref = reference_attention(q.data() + b * q_row + h * s.head_dim, k_cache, v_cache, slots[b],
                                                 h / group, s.kv_heads, max_tokens, s.head_dim, lengths[b]);
            for (int d = 0; d < s.head_dim; ++d) {
                want.push_back(ref[d]);
                got.push_back(f(out[((size_t)b * s.heads + h) * s.head_dim + d]));
            }
        }
        worst = std::max(worst, relative_error(got, want));
    }
    bool nan_rows = true;
    for (int e = 0; e < s.heads * s.head_dim; ++e) nan_rows = nan_rows && std::isnan(f(out[(size_t)3 * s.heads * s.head_dim + e]));
    // fp16 output (about 2.1e-4 rms relative rounding); fp32 scores and sums add about 1e-6.
    check(worst < 5e-4, "attention_decode (heads %d, kv %d, head_dim %d, split %d; lengths 1, 77, 300): worst "
          "relative error %.3g (tolerance 5e-4: fp16 output)", s.heads, s.kv_heads, s.head_dim, split_tokens, worst);
    check(bad == 1 && nan_rows, "attention_decode: length 0 counted (bad_entries = %d) and its output is NaN", bad);
}

// Runs a prefill kernel (rows_per_block query rows per block, grid as its comment says) over n
// tokens from start_pos and returns its relative error against float64 attention; rows it must
// not write are checked untouched.
template <typename Kernel>
double prefill_error(Random& rnd, AttentionShape s, Kernel kernel, int threads, int rows_per_block, int n,
                     int start_pos) {
    const int num_slots = 2, max_tokens = start_pos + n + 7, slot = 1;
    const size_t cache_size = (size_t)num_slots * s.kv_heads * max_tokens * s.head_dim;
    const auto k_cache = to_half(rnd.normal(cache_size, 1.0));
    const auto v_cache = to_half(rnd.normal(cache_size, 1.0));
    const long long q_row = (long long)(s.heads + 2 * s.kv_heads) * s.head_dim;  // fused q/k/v rows
    const auto q = to_half(rnd.normal((size_t)n * q_row, 1.0));
    const long long out_row = (long long)s.heads * s.head_dim + 8;  // padded rows: only [0, heads * head_dim) written
    std::vector<__half> out((size_t)n * out_row, __float2half_rn(123.0f));
    const int group = s.heads / s.kv_heads;
    const float scale = 1.0f / std::sqrt((float)s.head_dim);
    const int row_blocks = (n * group + rows_per_block - 1) / rows_per_block;
    emulation::launch(kernel, dim3(row_blocks, s.kv_heads), dim3(threads), q.data(), q_row, k_cache.data(),
                      v_cache.data(), out.data(), out_row, slot, start_pos, n, s.heads, s.kv_heads, s.head_dim,
                      num_slots, max_tokens, scale);
    std::vector<double> got, want;
    bool padding_untouched = true;
    for (int i = 0; i < n; ++i) {
        for (int h = 0; h < s.heads; ++h) {
            const auto ref = reference_attention(q.data() + i * q_row + h * s.head_dim, k_cache, v_cache, slot,
                                                 h / group, s.kv_heads, max_tokens, s.head_dim, start_pos + i + 1);
            for (int d = 0; d < s.head_dim; ++d) {
                want.push_back(ref[d]);
                got.push_back(f(out[i * out_row + h * s.head_dim + d]));
            }
        }
        for (int e = s.heads * s.head_dim; e < out_row; ++e) {
            padding_untouched = padding_untouched && f(out[i * out_row + e]) == 123.0;
        }
    }
    return padding_untouched ? relative_error(got, want) : INFINITY;
}

// attention_prefill of a full layer without a soft-cap (Gemma 1), with attention_prefill_mma's parameters.
void attention_prefill_full(const __half* q, long long q_row_stride, const __half* k_cache, const __half* v_cache,
                            __half* out, long long out_row_stride, int slot, int start_pos, int n, int heads,
                            int kv_heads, int head_dim, int num_slots, int max_tokens, float scale) {
    attention_prefill(q, q_row_stride, k_cache, v_cache, out, out_row_stride, slot, start_pos, n, heads, kv_heads,
                      head_dim, num_slots, max_tokens, scale, 0, 0.0f);
}

void test_attention_prefill(Random& rnd, AttentionShape s) {
    const double err = prefill_error(rnd, s, attention_prefill_full, PREFILL_THREADS, PREFILL_ROWS, 70, 30);
    // fp16 output (about 2.1e-4 rms relative rounding); fp32 scores and sums add about 1e-6.
    check(err < 5e-4, "attention_prefill (heads %d, kv %d, head_dim %d; 70 tokens after 30 cached): relative error "
          "%.3g (tolerance 5e-4: fp16 output)", s.heads, s.kv_heads, s.head_dim, err);
}

// The tensor-core prefill over n tokens after start_pos cached ones.
void test_attention_prefill_mma(Random& rnd, AttentionShape s, int n, int start_pos) {
    const double err =
        prefill_error(rnd, s, attention_prefill_mma, PREFILL_MMA_THREADS, PREFILL_MMA_ROWS, n, start_pos);
    // fp16 output rounding gives about 2.1e-4 rms; P rounded to fp16 for P.V perturbs each weight
    // by up to 2^-11 relative (rms about 2.8e-4 over uniformly spread weights), which averages
    // over the keys a row attends: together they stay under 4e-4 rms. fp32 scores add about 1e-6.
    check(err < 6e-4, "attention_prefill_mma (heads %d, kv %d, head_dim %d; %d tokens after %d cached): relative "
          "error %.3g (tolerance 6e-4: fp16 output and fp16 P)", s.heads, s.kv_heads, s.head_dim, n, start_pos, err);
}

// Positions past the cache: every row of the prefill is NaN, nothing else written.
void test_attention_prefill_mma_rejects() {
    const int heads = 4, kv_heads = 2, head_dim = 32, n = 20, max_tokens = 24, start_pos = 5;
    const std::vector<__half> cache((size_t)kv_heads * max_tokens * head_dim, __float2half_rn(1.0f));
    const long long q_row = (long long)heads * head_dim, out_row = q_row + 8;
    const std::vector<__half> q((size_t)n * q_row, __float2half_rn(0.5f));
    std::vector<__half> out((size_t)n * out_row, __float2half_rn(123.0f));
    emulation::launch(attention_prefill_mma, dim3((n * 2 + PREFILL_MMA_ROWS - 1) / PREFILL_MMA_ROWS, kv_heads),
                      dim3(PREFILL_MMA_THREADS), q.data(), q_row, cache.data(), cache.data(), out.data(), out_row, 0,
                      start_pos, n, heads, kv_heads, head_dim, 1, max_tokens, 0.125f);
    int nan = 0, untouched = 0;
    for (int i = 0; i < n; ++i) {
        for (int e = 0; e < out_row; ++e) {
            const double v = f(out[(size_t)i * out_row + e]);
            nan += e < q_row && std::isnan(v);
            untouched += e >= q_row && v == 123.0;
        }
    }
    check(nan == n * q_row && untouched == n * 8, "attention_prefill_mma: positions %d .. %d past a %d-token cache: "
          "%d of %d outputs NaN, %d of %d padding halves untouched", start_pos, start_pos + n - 1, max_tokens, nan,
          n * (int)q_row, untouched, n * 8);
}

// Contexts past 4,096 tokens: one decode over 5,000 cached keys (split 1,024 keys: 16 key tiles per
// split) and a prefill of 20 tokens starting at position 4,090, on a small head shape.
void test_attention_long(Random& rnd) {
    const int heads = 2, kv_heads = 1, head_dim = 32, num_slots = 1, max_tokens = 5120;
    const size_t cache_size = (size_t)num_slots * kv_heads * max_tokens * head_dim;
    const auto k_cache = to_half(rnd.normal(cache_size, 1.0));
    const auto v_cache = to_half(rnd.normal(cache_size, 1.0));
    const float scale = 1.0f / std::sqrt((float)head_dim);
    const long long q_row = (long long)heads * head_dim;

    const int length = 5000, split_tokens = 1024, max_splits = 5;
    const std::vector<int> slots = {0}, lengths = {length};
    const auto q = to_half(rnd.normal((size_t)q_row, 1.0));
    std::vector<float> partial_max(heads * max_splits), partial_sum(heads * max_splits),
        partial_out((size_t)heads * max_splits * head_dim);
    std::vector<__half> out((size_t)q_row);
    emulation::launch(attention_decode_partial, dim3(max_splits, 1, 1), dim3(DECODE_THREADS), q.data(), q_row,
                      k_cache.data(), v_cache.data(), slots.data(), lengths.data(), partial_max.data(),
                      partial_sum.data(), partial_out.data(), heads, kv_heads, head_dim, num_slots, max_tokens,
                      split_tokens, scale, 0, 0.0f, (int*)nullptr);
    emulation::launch(attention_decode_combine, dim3(heads, 1), dim3(COMBINE_THREADS), partial_max.data(),
                      partial_sum.data(), partial_out.data(), slots.data(), lengths.data(), out.data(), q_row, heads,
                      head_dim, num_slots, max_tokens, max_splits, split_tokens, 0);
    std::vector<double> got, want;
    for (int h = 0; h < heads; ++h) {
        const auto ref = reference_attention(q.data() + h * head_dim, k_cache, v_cache, 0, 0, kv_heads, max_tokens,
                                             head_dim, length);
        for (int d = 0; d < head_dim; ++d) {
            want.push_back(ref[d]);
            got.push_back(f(out[h * head_dim + d]));
        }
    }
    const double decode_err = relative_error(got, want);

    const int start_pos = 4090, n = 20;
    const auto qp = to_half(rnd.normal((size_t)n * q_row, 1.0));
    std::vector<__half> outp((size_t)n * q_row);
    emulation::launch(attention_prefill, dim3((n * heads + PREFILL_ROWS - 1) / PREFILL_ROWS, kv_heads),
                      dim3(PREFILL_THREADS), qp.data(), q_row, k_cache.data(), v_cache.data(), outp.data(), q_row, 0,
                      start_pos, n, heads, kv_heads, head_dim, num_slots, max_tokens, scale, 0, 0.0f);
    got.clear();
    want.clear();
    for (int i = 0; i < n; ++i) {
        for (int h = 0; h < heads; ++h) {
            const auto ref = reference_attention(qp.data() + i * q_row + h * head_dim, k_cache, v_cache, 0, 0, kv_heads,
                                                 max_tokens, head_dim, start_pos + i + 1);
            for (int d = 0; d < head_dim; ++d) {
                want.push_back(ref[d]);
                got.push_back(f(outp[i * q_row + h * head_dim + d]));
            }
        }
    }
    const double prefill_err = relative_error(got, want);
    // fp16 output (about 2.1e-4 rms relative rounding); fp32 sums over 5,000 keys add about 1e-6.
    check(decode_err < 5e-4, "attention_decode over 5,000 keys: relative error %.3g (tolerance 5e-4: fp16 output)",
          decode_err);
    check(prefill_err < 5e-4, "attention_prefill at positions 4,090 .. 4,109: relative error %.3g (tolerance 5e-4: "
          "fp16 output)", prefill_err);
}

// The vector decode kernels (attention_decode_vector.cu) on one batch: rows with their own slot
// and length, in one launch of each kernel with splits of s.split_tokens keys. Rows whose slot or
// length is invalid (slot -1: a padding row) must come out NaN and be counted once each.
struct DecodeVectorCase {
    AttentionShape shape;
    int num_slots, max_tokens;
    std::vector<int> slots, lengths;
    const char* what;
};

void test_attention_decode_vector(Random& rnd, const DecodeVectorCase& c) {
    const AttentionShape& s = c.shape;
    const int batch = (int)c.slots.size();
    auto valid = [&](int b) {
        return c.slots[b] >= 0 && c.slots[b] < c.num_slots && c.lengths[b] >= 1 && c.lengths[b] <= c.max_tokens;
    };
    int longest = 1, invalid = 0;
    for (int b = 0; b < batch; ++b) {
        if (valid(b)) longest = std::max(longest, c.lengths[b]);
        else ++invalid;
    }
    const int max_splits = (longest + s.split_tokens - 1) / s.split_tokens;
    const size_t cache_size = (size_t)c.num_slots * s.kv_heads * c.max_tokens * s.head_dim;
    const auto k_cache = to_half(rnd.normal(cache_size, 1.0));
    const auto v_cache = to_half(rnd.normal(cache_size, 1.0));
    const long long q_row = (long long)(s.heads + 2 * s.kv_heads) * s.head_dim;  // fused q/k/v rows
    const auto q = to_half(rnd.normal((size_t)batch * q_row, 1.0));
    const size_t parts = (size_t)batch * s.heads * max_splits;
    std::vector<float> partial_max(parts), partial_sum(parts), partial_out(parts * s.head_dim);
    const long long out_row = (long long)s.heads * s.head_dim;
    std::vector<__half> out((size_t)batch * out_row, __float2half_rn(123.0f));
    const int group = s.heads / s.kv_heads;
    const int head_blocks = (group + DECODE_VECTOR_MAX_HEADS - 1) / DECODE_VECTOR_MAX_HEADS;
    const float scale = 1.0f / std::sqrt((float)s.head_dim);
    int bad = 0;
    emulation::launch(attention_decode_vector_partial, dim3(max_splits, s.kv_heads * head_blocks, batch),
                      dim3(DECODE_VECTOR_THREADS), q.data(), q_row, k_cache.data(), v_cache.data(), c.slots.data(),
                      c.lengths.data(), partial_max.data(), partial_sum.data(), partial_out.data(), s.heads,
                      s.kv_heads, s.head_dim, c.num_slots, c.max_tokens, s.split_tokens, scale, &bad);
    emulation::launch(attention_decode_vector_combine, dim3(s.heads, batch), dim3(COMBINE_VECTOR_THREADS),
                      partial_max.data(), partial_sum.data(), partial_out.data(), c.slots.data(), c.lengths.data(),
                      out.data(), out_row, s.heads, s.head_dim, c.num_slots, c.max_tokens, max_splits, s.split_tokens);
    // Relative error per row: a length-1 row's output is v itself and would dominate one norm.
    double worst = 0;
    bool nan_rows = true;
    for (int b = 0; b < batch; ++b) {
        if (!valid(b)) {
            for (int e = 0; e < out_row; ++e) nan_rows = nan_rows && std::isnan(f(out[b * out_row + e]));
            continue;
        }
        std::vector<double> got, want;
        for (int h = 0; h < s.heads; ++h) {
            const auto ref = reference_attention(q.data() + b * q_row + h * s.head_dim, k_cache, v_cache, c.slots[b],
                                                 h / group, s.kv_heads, c.max_tokens, s.head_dim, c.lengths[b]);
            for (int d = 0; d < s.head_dim; ++d) {
                want.push_back(ref[d]);
                got.push_back(f(out[b * out_row + h * s.head_dim + d]));
            }
        }
        worst = std::max(worst, relative_error(got, want));
    }
    // fp16 output (about 2.1e-4 rms relative rounding); fp32 scores and sums add about 1e-6.
    check(worst < 5e-4, "attention_decode_vector (heads %d, kv %d, head_dim %d, split %d; %s): worst relative error "
          "%.3g (tolerance 5e-4: fp16 output)", s.heads, s.kv_heads, s.head_dim, s.split_tokens, c.what, worst);
    check(bad == invalid && nan_rows, "attention_decode_vector (%s): %d invalid rows counted (bad_entries = %d), "
          "their outputs NaN: %s", c.what, invalid, bad, nan_rows ? "yes" : "no");
}

void test_convert(Random& rnd) {
    const long long count = 100000;
    auto values = rnd.normal(count, 1000.0);
    const float specials[] = {65504.0f, 65519.0f, 65520.0f, -70000.0f, 1e5f, INFINITY, -INFINITY, NAN, 1e-9f, -0.0f};
    for (int i = 0; i < 10; ++i) values[(size_t)i * 9973] = specials[i];
    std::vector<__nv_bfloat16> bf(count);
    for (long long i = 0; i < count; ++i) bf[i] = __float2bfloat16_rn(values[i]);
    std::vector<__half> from_bf(count), from_f32(count);
    unsigned long long over_bf = 0, nan_bf = 0, over_f32 = 0, nan_f32 = 0;
    emulation::launch(convert_bf16_to_f16, dim3(7), dim3(CONVERT_THREADS), (const __nv_bfloat16*)bf.data(),
                      from_bf.data(), count, &over_bf, &nan_bf);
    emulation::launch(convert_f32_to_f16, dim3(7), dim3(CONVERT_THREADS), (const float*)values.data(), from_f32.data(),
                      count, &over_f32, &nan_f32);
    auto expect = [](float x, unsigned long long& over, unsigned long long& nan) {
        if (std::isnan(x)) {
            ++nan;
            return NAN;
        }
        if (std::fabs(x) >= 65520.0f) {
            ++over;
            return x > 0 ? 65504.0f : -65504.0f;
        }
        return __half2float(__float2half_rn(x));
    };
    unsigned long long want_over_bf = 0, want_nan_bf = 0, want_over_f32 = 0, want_nan_f32 = 0;
    bool same_bf = true, same_f32 = true;
    for (long long i = 0; i < count; ++i) {
        const float e_bf = expect(__bfloat162float(bf[i]), want_over_bf, want_nan_bf);
        const float e_f32 = expect(values[i], want_over_f32, want_nan_f32);
        const float g_bf = __half2float(from_bf[i]), g_f32 = __half2float(from_f32[i]);
        same_bf = same_bf && (std::isnan(e_bf) ? std::isnan(g_bf) : g_bf == e_bf);
        same_f32 = same_f32 && (std::isnan(e_f32) ? std::isnan(g_f32) : g_f32 == e_f32);
    }
    check(same_bf && over_bf == want_over_bf && nan_bf == want_nan_bf,
          "convert_bf16_to_f16: values exact, overflow %llu (expected %llu), NaN %llu (expected %llu)", over_bf,
          want_over_bf, nan_bf, want_nan_bf);
    check(same_f32 && over_f32 == want_over_f32 && nan_f32 == want_nan_f32 && want_over_f32 >= 5,
          "convert_f32_to_f16: values exact, overflow %llu (expected %llu), NaN %llu (expected %llu)", over_f32,
          want_over_f32, nan_f32, want_nan_f32);
}

// gemma4j's CPU sampler (dev.gemma4j.engine.Sampler) with candidates ranked by logit.
int reference_sample(const float* x, int vocab, float t, int top_k, float top_p, double u) {
    int best = 0;
    for (int i = 0; i < vocab; ++i) {
        if (std::isnan(x[i])) return -1;
        if (x[i] > x[best]) best = i;
    }
    if (t == 0.0f) return best;
    const float inv = 1.0f / t;
    std::vector<double> p(vocab);
    double sum = 0;
    for (int i = 0; i < vocab; ++i) sum += (p[i] = std::exp((double)((x[i] - x[best]) * inv)));
    std::vector<int> ids(vocab);
    for (int i = 0; i < vocab; ++i) ids[i] = i;
    if (!(top_k == 0 && top_p >= 1.0f)) {
        std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return x[a] > x[b]; });
        const int keep = top_k > 0 ? std::min(vocab, top_k) : vocab;
        // top-p over the top-k set renormalised, as Hugging Face's warpers apply them.
        double norm = 0;
        for (int r = 0; r < keep; ++r) norm += p[ids[r]];
        int k = 0;
        double cum = 0;
        while (k < keep) {
            cum += p[ids[k++]] / norm;
            if (top_p < 1.0f && cum >= top_p) break;
        }
        ids.resize(k);
    }
    double total = 0;
    for (int id : ids) total += p[id];
    const double target = u * total;
    double acc = 0;
    for (int id : ids) {
        acc += p[id];
        if (target < acc) return id;
    }
    return ids.back();
}

void test_sampling(Random& rnd) {
    const int vocab = 10000, batch = 8, k = SAMPLE_MAX_K;
    const int num_chunks = (vocab + SAMPLE_CHUNK - 1) / SAMPLE_CHUNK;
    std::vector<float> logits = rnd.normal((size_t)batch * vocab, 3.0);
    float* row1 = logits.data() + vocab;
    row1[17] = row1[4000] = row1[9000] = 50.0f;           // ties at the maximum: lowest id wins
    for (int i = 0; i < vocab; ++i) logits[(size_t)4 * vocab + i] *= 8.0f;   // peaked: nucleus closes early
    for (int i = 0; i < vocab; ++i) logits[(size_t)5 * vocab + i] *= 0.01f;  // flat: nucleus needs > 64 tokens
    logits[(size_t)6 * vocab + 5000] = NAN;
    const std::vector<float> temperature = {0.8f, 1.3f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
    const std::vector<int> top_k = {5, 40, 0, 0, 0, 0, 10, 65};  // 65 > k: invalid
    const std::vector<float> top_p = {1.0f, 0.6f, 1.0f, 1.0f, 0.3f, 0.9f, 1.0f, 1.0f};
    const long long stride = vocab;

    std::vector<int> argmax(batch);
    emulation::launch(sample_argmax, dim3(batch), dim3(ARGMAX_THREADS), (const float*)logits.data(), stride, vocab,
                      argmax.data());
    bool argmax_ok = argmax[1] == 17 && argmax[6] == -1;
    for (int b : {0, 2, 3}) argmax_ok = argmax_ok && argmax[b] == reference_sample(logits.data() + (size_t)b * vocab, vocab, 0.0f, 0, 1.0f, 0.0);
    check(argmax_ok, "sample_argmax: matches reference, ties -> lowest id (%d), NaN row -> %d", argmax[1], argmax[6]);

    std::vector<float> cand_value((size_t)batch * num_chunks * k);
    std::vector<int> cand_token((size_t)batch * num_chunks * k);
    std::vector<double> chunk_sum((size_t)batch * num_chunks);
    emulation::launch(sample_candidates, dim3(num_chunks, batch), dim3(SAMPLE_THREADS), (const float*)logits.data(),
                      stride, vocab, k, cand_value.data(), cand_token.data());
    emulation::launch(sample_softmax_sums, dim3(num_chunks, batch), dim3(SAMPLE_THREADS), (const float*)logits.data(),
                      stride, vocab, (const float*)cand_value.data(), k, temperature.data(), chunk_sum.data());

    bool ranked = true;
    for (int c = 0; c < num_chunks; ++c) {
        const float* x = logits.data();  // row 0
        std::vector<int> ids;
        for (int i = c * SAMPLE_CHUNK; i < std::min(vocab, (c + 1) * SAMPLE_CHUNK); ++i) ids.push_back(i);
        std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return x[a] > x[b]; });
        for (int r = 0; r < k; ++r) ranked = ranked && cand_token[(size_t)c * k + r] == ids[r];
    }
    check(ranked, "sample_candidates: each chunk's 64 candidates are its 64 largest logits, ranked");

    int picks = 0, agree = 0;
    std::vector<int> last(batch);
    for (int trial = 0; trial < 6; ++trial) {
        std::vector<double> uniform(batch);
        for (auto& u : uniform) u = rnd.uniform();
        std::vector<int> tokens(batch, -100);
        emulation::launch(sample_pick, dim3(batch), dim3(SAMPLE_THREADS), (const float*)logits.data(), stride, vocab,
                          (const float*)cand_value.data(), (const int*)cand_token.data(), num_chunks, k,
                          (const double*)chunk_sum.data(), temperature.data(), top_k.data(), top_p.data(),
                          (const double*)uniform.data(), tokens.data());
        for (int b : {0, 1, 2, 3, 4}) {
            const int want = reference_sample(logits.data() + (size_t)b * vocab, vocab, temperature[b], top_k[b],
                                              top_p[b], uniform[b]);
            ++picks;
            agree += tokens[b] == want;
        }
        last = tokens;
    }
    check(agree == picks, "sample_pick: %d of %d picks equal the CPU sampler's (top-k, top-k + top-p, greedy, all "
          "tokens, top-p alone)", agree, picks);
    check(last[5] == -3 && last[6] == -1 && last[7] == -2,
          "sample_pick: wide nucleus -> %d, NaN row -> %d, top_k 65 > k 64 -> %d", last[5], last[6], last[7]);
}


void test_synthetic(Random&) {
    struct Expected {
        long long seed;
        int tensor;
        long long index;
        float value;
        unsigned short half_bits;
    };
    // Printed by dev.gemma4j.synthetic.SyntheticWeights.value (Java) with amplitude 0.0382733 and
    // offset 0 (tensor 0) or 2 (tensor 57), and Float.floatToFloat16 of each value.
    const Expected expected[] = {
        {42ll, 0, 0ll, 0x1.2ef4cp-6f, 0x24bc},
        {42ll, 0, 1ll, 0x1.2a36b6p-5f, 0x28a9},
        {42ll, 0, 4097ll, -0x1.50e7c6p-6f, 0xa544},
        {42ll, 0, 12345678901ll, 0x1.b32a68p-8f, 0x1ecd},
        {42ll, 57, 0ll, 0x1.008c6p1f, 0x4002},
        {42ll, 57, 1ll, 0x1.fd2e7ap0f, 0x3ff5},
        {42ll, 57, 4097ll, 0x1.fc64ccp0f, 0x3ff2},
        {42ll, 57, 12345678901ll, 0x1.04dcf6p1f, 0x4013},
        {-7ll, 0, 0ll, -0x1.859d72p-8f, 0x9e16},
        {-7ll, 0, 1ll, 0x1.b208fcp-8f, 0x1ec8},
        {-7ll, 0, 4097ll, 0x1.0d506cp-5f, 0x2835},
        {-7ll, 0, 12345678901ll, -0x1.27da08p-5f, 0xa89f},
        {-7ll, 57, 0ll, 0x1.0191f4p1f, 0x4006},
        {-7ll, 57, 1ll, 0x1.fb84f6p0f, 0x3fee},
        {-7ll, 57, 4097ll, 0x1.025e36p1f, 0x4009},
        {-7ll, 57, 12345678901ll, 0x1.fd85eep0f, 0x3ff6},
        {9223372036854775807ll, 0, 0ll, -0x1.a3534ap-6f, 0xa68d},
        {9223372036854775807ll, 0, 1ll, -0x1.1bdddep-5f, 0xa86f},
        {9223372036854775807ll, 0, 4097ll, -0x1.74dc72p-6f, 0xa5d3},
        {9223372036854775807ll, 0, 12345678901ll, -0x1.310f96p-5f, 0xa8c4},
        {9223372036854775807ll, 57, 0ll, 0x1.ff0eaap0f, 0x3ffc},
        {9223372036854775807ll, 57, 1ll, 0x1.f964e8p0f, 0x3fe6},
        {9223372036854775807ll, 57, 4097ll, 0x1.fcb206p0f, 0x3ff3},
        {9223372036854775807ll, 57, 12345678901ll, 0x1.f9656ep0f, 0x3fe6},
    };
    const float amplitude = 0.0382733f;
    const long long count = 4098;
    int same_value = 0, same_half = 0, halves = 0;
    for (const Expected& e : expected) {
        const float offset = e.tensor == 57 ? 2.0f : 0.0f;
        const float v = gemma4j::synthetic_value((unsigned long long)e.seed, e.tensor, (unsigned long long)e.index,
                                                 amplitude, offset);
        same_value += v == e.value;
        if (e.index < count) {
            std::vector<__half> out(count);
            emulation::launch(synthetic_fill, dim3(3), dim3(SYNTHETIC_THREADS), out.data(), count,
                              (unsigned long long)e.seed, e.tensor, amplitude, offset);
            unsigned short bits;
            std::memcpy(&bits, &out[e.index], 2);
            ++halves;
            same_half += bits == e.half_bits;
        }
    }
    const int total = (int)(sizeof(expected) / sizeof(expected[0]));
    check(same_value == total && same_half == halves,
          "synthetic_fill: %d of %d values and %d of %d fp16 elements equal SyntheticWeights.value's (Java)",
          same_value, total, same_half, halves);
}

// The fp16 operand of the cuBLAS path's GEMMs, which the GEMVs' RMSNorm prologue must equal:
// rmsnorm_f16's output. (A float64 inverse RMS would round some inputs to the neighbouring fp16
// value: differences of 2^-11 in single inputs that would dwarf the fp32 sums' rounding.)
std::vector<__half> rmsnorm_operand(const std::vector<float>& x, const std::vector<__half>& norm, int rows, int in,
                                    float eps) {
    std::vector<__half> y((size_t)rows * in);
    emulation::launch(rmsnorm_f16, dim3(rows), dim3(RMSNORM_THREADS), x.data(), norm.data(), y.data(), rows, in, eps,
                      (unsigned*)nullptr, 0, 0);
    return y;
}

// sums[r, o] = x[r, :] . w[o, :] in float64; x fp16 [rows, in], w fp16 [out, in].
std::vector<double> reference_products(const std::vector<__half>& x, const std::vector<__half>& w, int rows, int in,
                                       int out) {
    std::vector<double> y((size_t)rows * out);
    for (int r = 0; r < rows; ++r) {
        for (int o = 0; o < out; ++o) {
            double s = 0;
            for (int i = 0; i < in; ++i) s += f(x[(size_t)r * in + i]) * f(w[(size_t)o * in + i]);
            y[(size_t)r * out + o] = s;
        }
    }
    return y;
}

// Pairs of output columns to blocks: GEMV_WARPS pairs per block.
dim3 gemv_grid(long long pairs) { return dim3((unsigned)((pairs + GEMV_WARPS - 1) / GEMV_WARPS)); }

// Gemma's widths: hidden 2048 (2B) and 3072 (7B) as k of q/k/v, gate/up and logits; intermediate
// 16384 and 24576 as k of down_proj. The emulation runs every CUDA thread in turn, so the
// output columns are cut to a few blocks' worth (a partial last block included); every k is real.
struct GemvShape {
    int rows, in, out;
};

void test_gemv_accumulate(Random& rnd, GemvShape s) {
    // Weights and activations scaled like a checkpoint's: sums of unit order.
    const auto x = to_half(rnd.normal((size_t)s.rows * s.in, 1.0));
    const auto w = to_half(rnd.normal((size_t)s.out * s.in, 1.0 / std::sqrt(s.in)));
    const auto y0 = rnd.normal((size_t)s.rows * s.out, 1.0);
    auto y = y0;
    emulation::launch(gemv_f16_accumulate, gemv_grid((s.out + 1) / 2), dim3(GEMV_THREADS), x.data(), (long long)s.in,
                      w.data(), y.data(), s.rows, s.in, s.out);
    const auto sums = reference_products(x, w, s.rows, s.in, s.out);
    std::vector<double> got(y.begin(), y.end()), want(sums.size());
    for (size_t e = 0; e < want.size(); ++e) want[e] = y0[e] + sums[e];
    const double err = relative_error(got, want);
    // fp32 sums: each lane adds in/32 products in order, then a 5-level tree; with random signs the
    // rounding is about 2^-24 * sqrt(in / 32) relative (2e-6 at in 24576); 1e-5 leaves 5x.
    check(err < 1e-5, "gemv_f16_accumulate rows %d in %d out %d: y + x.W^T relative error %.3g vs float64 "
          "(tolerance 1e-5: fp32 sums)", s.rows, s.in, s.out, err);
}

void test_gemv_logits(Random& rnd, GemvShape s) {
    const float eps = 1e-6f;
    const auto residual = rnd.normal((size_t)s.rows * s.in, 3.0);
    const auto norm = to_half(rnd.normal(s.in, 0.5));
    const auto w = to_half(rnd.normal((size_t)s.out * s.in, 1.0 / std::sqrt(s.in)));
    std::vector<float> y((size_t)s.rows * s.out, NAN);
    emulation::launch(gemv_rmsnorm_f32, gemv_grid((s.out + 1) / 2), dim3(GEMV_THREADS), residual.data(), norm.data(),
                      eps, w.data(), y.data(), s.rows, s.in, s.out);
    const auto want = reference_products(rmsnorm_operand(residual, norm, s.rows, s.in, eps), w, s.rows, s.in, s.out);
    const double err = relative_error(std::vector<double>(y.begin(), y.end()), want);
    // The fp16 operand of rmsnorm_f16, then fp32 sums as above.
    check(err < 1e-5, "gemv_rmsnorm_f32 rows %d in %d out %d: rmsnorm(x).W^T relative error %.3g vs float64 "
          "(tolerance 1e-5: fp32 sums)", s.rows, s.in, s.out, err);
}

void test_gemv_geglu(Random& rnd, GemvShape s) {
    const float eps = 1e-6f;
    const int inter = s.out;
    const auto residual = rnd.normal((size_t)s.rows * s.in, 3.0);
    const auto norm = to_half(rnd.normal(s.in, 0.5));
    // Gate and up of unit order or more, so gelu_tanh's curved part and its tails both occur.
    const auto w = to_half(rnd.normal((size_t)2 * inter * s.in, 2.0 / std::sqrt(s.in)));
    std::vector<__half> out((size_t)s.rows * inter, __float2half_rn(NAN));
    emulation::launch(gemv_rmsnorm_geglu, gemv_grid(inter), dim3(GEMV_THREADS), residual.data(), norm.data(), eps,
                      w.data(), out.data(), s.rows, s.in, inter);
    const auto gate_up = reference_products(rmsnorm_operand(residual, norm, s.rows, s.in, eps), w, s.rows, s.in,
                                            2 * inter);
    auto gelu = [](double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); };
    std::vector<double> got, want;
    for (int r = 0; r < s.rows; ++r) {
        for (int j = 0; j < inter; ++j) {
            got.push_back(f(out[(size_t)r * inter + j]));
            want.push_back(gelu(gate_up[(size_t)r * 2 * inter + j]) * gate_up[(size_t)r * 2 * inter + inter + j]);
        }
    }
    const double err = relative_error(got, want);
    // fp16 output: rounding alone is about 2.1e-4 rms (at most 2^-11 per value); the fp32 sums and
    // tanhf add orders of magnitude less.
    check(err < 5e-4, "gemv_rmsnorm_geglu rows %d in %d inter %d: gelu_tanh(gate) * up relative error %.3g vs "
          "float64 (tolerance 5e-4: fp16 output)", s.rows, s.in, inter, err);
}

struct RopeShape {
    int rows, in, heads, kv_heads, head_dim;
};

void test_gemv_rope(Random& rnd, RopeShape s) {
    const float eps = 1e-6f, theta = 10000.0f;
    const int num_slots = 3, max_tokens = 4200, half = s.head_dim / 2;
    const int width = (s.heads + 2 * s.kv_heads) * s.head_dim;
    const auto residual = rnd.normal((size_t)s.rows * s.in, 3.0);
    const auto norm = to_half(rnd.normal(s.in, 0.5));
    const auto w = to_half(rnd.normal((size_t)width * s.in, 1.0 / std::sqrt(s.in)));
    // Rows at distinct slots; the last row is a padding row (slot -1) of a decode bucket.
    std::vector<int> slots(s.rows), positions(s.rows);
    for (int r = 0; r < s.rows; ++r) {
        slots[r] = r == s.rows - 1 ? -1 : r % num_slots;
        positions[r] = r == 0 ? 4097 : (int)(rnd.uniform() * 4000);
    }
    if (s.rows > num_slots) {
        throw std::invalid_argument("test_gemv_rope: more rows than slots would share a cache row");
    }
    const __half sentinel = __float2half_rn(7.0f);
    const size_t cache_size = (size_t)num_slots * s.kv_heads * max_tokens * s.head_dim;
    std::vector<__half> k_cache(cache_size, sentinel), v_cache(cache_size, sentinel);
    std::vector<__half> q((size_t)s.rows * width, sentinel);
    emulation::launch(gemv_rmsnorm_rope, gemv_grid(width / 2), dim3(GEMV_THREADS), residual.data(), norm.data(), eps,
                      w.data(), s.rows, s.in, q.data(), (long long)width, k_cache.data(), v_cache.data(),
                      (const int*)slots.data(), (const int*)positions.data(), s.heads, s.kv_heads, s.head_dim,
                      num_slots, max_tokens, theta);
    const auto qkv = reference_products(rmsnorm_operand(residual, norm, s.rows, s.in, eps), w, s.rows, s.in, width);
    // The fp16 q/k/v GEMM output, rotated in float64.
    auto h = [&](int r, int col) { return f(__float2half_rn((float)qkv[(size_t)r * width + col])); };
    std::vector<double> got, want;
    for (int r = 0; r < s.rows; ++r) {
        const bool padding = slots[r] < 0;
        for (int head = 0; head < s.heads + 2 * s.kv_heads; ++head) {
            const bool is_q = head < s.heads, is_v = head >= s.heads + s.kv_heads;
            if (padding && !is_q) continue;
            const int kv = is_q ? 0 : (head - s.heads) % s.kv_heads;
            const size_t at = (((size_t)std::max(slots[r], 0) * s.kv_heads + kv) * max_tokens + positions[r]) * s.head_dim;
            for (int i = 0; i < half; ++i) {
                const double x1 = h(r, head * s.head_dim + i), x2 = h(r, head * s.head_dim + i + half);
                double a = x1, b = x2;
                if (!padding && !is_v) {
                    const double ang = positions[r] * std::pow((double)theta, -(2.0 * i) / s.head_dim);
                    a = x1 * std::cos(ang) - x2 * std::sin(ang);
                    b = x2 * std::cos(ang) + x1 * std::sin(ang);
                }
                const __half* out = is_q ? q.data() + (size_t)r * width + head * s.head_dim
                                         : (is_v ? v_cache.data() : k_cache.data()) + at;
                want.push_back(a);
                want.push_back(b);
                got.push_back(f(out[i]));
                got.push_back(f(out[i + half]));
            }
        }
    }
    size_t written = 0;
    for (size_t e = 0; e < cache_size; ++e) written += (f(k_cache[e]) != 7.0) + (f(v_cache[e]) != 7.0);
    const double err = relative_error(got, want);
    // fp16 outputs (about 2.1e-4 rms) plus the fp32 angle at position 4097, as for rope_and_cache;
    // the fp16 GEMM output rounds the fp32 sum, which rarely lands on another fp16 value than the
    // float64 sum does.
    check(err < 5e-4, "gemv_rmsnorm_rope rows %d in %d heads %d/%d head_dim %d: q, cached k and v relative error "
          "%.3g vs float64 (tolerance 5e-4: fp16 outputs)", s.rows, s.in, s.heads, s.kv_heads, s.head_dim, err);
    // Random fp16 values equal the sentinel 7.0 with negligible probability; allow none.
    check(written <= (size_t)(s.rows - 1) * 2 * s.kv_heads * s.head_dim,
          "gemv_rmsnorm_rope: cache writes only at the real rows' positions, none for the padding row (%zu values)",
          written);
}

}  // namespace

// bf16 instantiations (--compute bf16). bf16 keeps 8 significant bits: rounding to nearest is at
// most 2^-8 = 3.9e-3 relative per value, about 1.7e-3 rms over many values (fp16: 2^-11 and 2.1e-4).
// The tolerance, 4e-3, is the fp16 tests' 5e-4 scaled by 2^3 for the three bits bf16 lacks; the
// references read the same bf16 inputs, so only the kernels' own roundings count.
constexpr double kBf16Tolerance = 4e-3;

std::vector<__nv_bfloat16> to_bf16(const std::vector<float>& x) {
    std::vector<__nv_bfloat16> h(x.size());
    for (size_t i = 0; i < x.size(); ++i) h[i] = __float2bfloat16_rn(x[i]);
    return h;
}

double f(__nv_bfloat16 h) { return (double)__bfloat162float(h); }

void test_bf16(Random& rnd) {
    // embedding: exact, as in fp16.
    {
        const int vocab = 11, hidden = 300, n = 3;
        const auto embed = to_bf16(rnd.normal((size_t)vocab * hidden, 0.05));
        const std::vector<int> tokens = {3, 10, 0};
        std::vector<float> residual((size_t)n * hidden);
        emulation::launch(embedding_gather_bf16, dim3(n), dim3(EMBEDDING_THREADS), embed.data(), tokens.data(),
                          residual.data(), n, hidden, vocab, 45.25f, (int*)nullptr);
        bool exact = true;
        for (int i = 0; i < n; ++i)
            for (int d = 0; d < hidden; ++d)
                exact = exact && residual[(size_t)i * hidden + d] ==
                                     __bfloat162float(embed[(size_t)tokens[i] * hidden + d]) * 45.25f;
        check(exact, "embedding_gather_bf16: rows equal float(embed) * scale exactly");
    }
    // rmsnorm: a row whose outputs exceed fp16's range (1e6) stays in range and unflagged in bf16.
    {
        const int n = 3, hidden = 700;
        auto x = rnd.normal((size_t)n * hidden, 3.0);
        auto w = rnd.normal(hidden, 0.5);
        for (int d = 0; d < hidden; ++d) w[d] = d % 2 ? w[d] : 1e6f;  // outputs up to about 1e6 * 3
        const auto weight = to_bf16(w);
        std::vector<__nv_bfloat16> y((size_t)n * hidden);
        std::vector<unsigned> range(2 * n, 0u);
        emulation::launch(rmsnorm_bf16, dim3(n), dim3(RMSNORM_THREADS), x.data(), weight.data(), y.data(), n, hidden,
                          1e-6f, range.data(), 2, 8 + gemma4j::kRangeInputNorm);
        std::vector<double> got, want;
        for (int i = 0; i < n; ++i) {
            double ss = 0;
            for (int d = 0; d < hidden; ++d) ss += (double)x[(size_t)i * hidden + d] * x[(size_t)i * hidden + d];
            const double inv = 1.0 / std::sqrt(ss / hidden + 1e-6);
            for (int d = 0; d < hidden; ++d) {
                got.push_back(f(y[(size_t)i * hidden + d]));
                want.push_back(x[(size_t)i * hidden + d] * inv * (1.0 + f(weight[d])));
            }
        }
        const double err = relative_error(got, want);
        bool clear = true;
        for (int i = 0; i < n; ++i) clear = clear && range_flags_are(range.data() + 2 * i, 8, 0u);
        check(err < kBf16Tolerance, "rmsnorm_bf16: relative error %.3g vs float64, outputs beyond 65504 included "
              "(tolerance %.0e: bf16 output)", err, kBf16Tolerance);
        check(clear, "rmsnorm_bf16: outputs beyond fp16's range set no flag in bf16");
        std::vector<float> x_inf(x.begin(), x.begin() + hidden);
        x_inf[3] = INFINITY;
        std::vector<unsigned> r(2, 0u);
        emulation::launch(rmsnorm_bf16, dim3(1), dim3(RMSNORM_THREADS), x_inf.data(), weight.data(), y.data(), 1,
                          hidden, 1e-6f, r.data(), 0, 8 + gemma4j::kRangeInputNorm);
        check(range_flags_are(r.data(), 8 + gemma4j::kRangeInputNorm, gemma4j::kRangeNonFinite),
              "rmsnorm_bf16: a residual row holding inf is flagged inf/NaN (flags %#x, %#x)", r[0], r[1]);
    }
    // GeGLU: gelu(400) * 400 = 160000, saturated in fp16, kept in bf16; an fp32 infinity is flagged.
    {
        const int n = 2, inter = 500;
        auto gate_up = rnd.normal((size_t)n * 2 * inter, 2.0);
        gate_up[5] = 400.0f;
        gate_up[inter + 5] = 400.0f;
        gate_up[2 * inter + 7] = INFINITY;  // row 1
        std::vector<__nv_bfloat16> out((size_t)n * inter);
        std::vector<unsigned> range(2 * n, 0u);
        const int site = 8 + gemma4j::kRangeGeglu;
        emulation::launch(geglu_f32_bf16, dim3(3), dim3(GEGLU_THREADS), (const float*)gate_up.data(),
                          (const float*)(gate_up.data() + inter), (long long)2 * inter, out.data(), n, inter, 0.03125f,
                          range.data(), 2, site);
        auto gelu = [](double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); };
        std::vector<double> got, want;
        for (int c = 0; c < inter; ++c) {
            got.push_back(32.0 * f(out[c]));
            want.push_back(gelu(gate_up[c]) * gate_up[inter + c]);
        }
        const double err = relative_error(got, want);
        check(err < kBf16Tolerance, "geglu_f32_bf16: relative error %.3g vs float64, 160000 included (tolerance %.0e: "
              "bf16 output)", err, kBf16Tolerance);
        check(range_flags_are(range.data(), site, 0u) && range_flags_are(range.data() + 2, site, gemma4j::kRangeNonFinite),
              "geglu_f32_bf16: row 0 unflagged, row 1 (an infinite gate) flagged inf/NaN (flags %#x %#x)", range[0],
              range[2]);
    }
    // Conversion: fp32 and fp16 to bf16, round to nearest even, counters.
    {
        std::vector<float> v = rnd.normal(3000, 100.0);
        v[10] = 3.4e38f;            // beyond bf16's 3.3962e38 threshold: saturated, counted
        v[11] = -INFINITY;          // counted as an overflow
        v[12] = nanf("");           // counted as NaN
        v[13] = 1e30f;              // finite in bf16 (overflows fp16): not counted
        std::vector<__nv_bfloat16> out(v.size());
        unsigned long long over = 0, nan = 0;
        emulation::launch(convert_f32_to_bf16, dim3(5), dim3(CONVERT_THREADS), (const float*)v.data(), out.data(),
                          (long long)v.size(), &over, &nan);
        bool exact = true;
        for (size_t i = 0; i < v.size(); ++i) {
            if (i == 12) { exact = exact && std::isnan(f(out[i])); continue; }
            const float want = i == 10 ? gemma4j::kBf16Max : i == 11 ? -gemma4j::kBf16Max : __bfloat162float(__float2bfloat16_rn(v[i]));
            exact = exact && __bfloat162float(out[i]) == want;
        }
        check(exact && over == 2 && nan == 1, "convert_f32_to_bf16: values exact, overflow %llu (expected 2), NaN %llu "
              "(expected 1)", over, nan);
        auto h = to_half(rnd.normal(3000, 100.0));
        h[4] = __float2half_rn(INFINITY);
        std::vector<__nv_bfloat16> out16(h.size());
        unsigned long long over16 = 0, nan16 = 0;
        emulation::launch(convert_f16_to_bf16, dim3(4), dim3(CONVERT_THREADS), (const __half*)h.data(), out16.data(),
                          (long long)h.size(), &over16, &nan16);
        bool exact16 = true;
        for (size_t i = 0; i < h.size(); ++i) {
            const float want = i == 4 ? gemma4j::kBf16Max : __bfloat162float(__float2bfloat16_rn(__half2float(h[i])));
            exact16 = exact16 && __bfloat162float(out16[i]) == want;
        }
        check(exact16 && over16 == 1 && nan16 == 0, "convert_f16_to_bf16: values exact, overflow %llu (expected 1), "
              "NaN %llu (expected 0)", over16, nan16);
    }
    // RoPE: rotation against float64 with the same angles; the rotated k and the copied v in the cache.
    {
        const int n = 2, heads = 2, kv_heads = 1, head_dim = 64, num_slots = 2, max_tokens = 40;
        const long long row = (long long)(heads + 2 * kv_heads) * head_dim;
        auto qkv = to_bf16(rnd.normal((size_t)n * row, 1.0));
        const auto before = qkv;
        std::vector<__nv_bfloat16> kc((size_t)num_slots * kv_heads * max_tokens * head_dim),
            vc((size_t)num_slots * kv_heads * max_tokens * head_dim);
        const std::vector<int> slots = {1, 0}, positions = {7, 33};
        emulation::launch(rope_and_cache_bf16, dim3(n), dim3(ROPE_THREADS), qkv.data(), row,
                          (const __nv_bfloat16*)qkv.data() + heads * head_dim, row,
                          (const __nv_bfloat16*)qkv.data() + (heads + kv_heads) * head_dim, row, kc.data(), vc.data(),
                          slots.data(), positions.data(), n, heads, kv_heads, head_dim, num_slots, max_tokens, 0,
                          10000.0f, 1.0f, (const __nv_bfloat16*)nullptr, (const __nv_bfloat16*)nullptr, 1e-6f,
                          (int*)nullptr, (unsigned*)nullptr, 0, 0);
        std::vector<double> got, want;
        bool v_exact = true;
        const int half = head_dim / 2;
        for (int t = 0; t < n; ++t) {
            const size_t cache = ((size_t)slots[t] * kv_heads * max_tokens + positions[t]) * head_dim;
            for (int h = 0; h < heads + kv_heads; ++h) {
                const __nv_bfloat16* in = before.data() + t * row + h * head_dim;
                for (int i = 0; i < half; ++i) {
                    const double angle = positions[t] * std::pow(10000.0, -2.0 * i / head_dim);
                    const double r1 = f(in[i]) * std::cos(angle) - f(in[i + half]) * std::sin(angle);
                    const double r2 = f(in[i + half]) * std::cos(angle) + f(in[i]) * std::sin(angle);
                    const __nv_bfloat16* o = h < heads ? qkv.data() + t * row + h * head_dim : kc.data() + cache;
                    got.push_back(f(o[i]));
                    got.push_back(f(o[i + half]));
                    want.push_back(r1);
                    want.push_back(r2);
                }
            }
            const __nv_bfloat16* v = before.data() + t * row + (heads + kv_heads) * head_dim;
            for (int d = 0; d < head_dim; ++d) v_exact = v_exact && f(vc[cache + d]) == f(v[d]);
        }
        const double err = relative_error(got, want);
        check(err < kBf16Tolerance && v_exact, "rope_and_cache_bf16: relative error %.3g vs float64 (tolerance %.0e: "
              "bf16 output), v copied exactly: %d", err, kBf16Tolerance, (int)v_exact);
    }
    // Attention: decode (two splits) and prefill against float64 attention over the same bf16 cache.
    {
        const int heads = 4, kv_heads = 2, head_dim = 64, num_slots = 2, max_tokens = 200, split = 64;
        const size_t cache_size = (size_t)num_slots * kv_heads * max_tokens * head_dim;
        const auto kc = to_bf16(rnd.normal(cache_size, 1.0));
        const auto vc = to_bf16(rnd.normal(cache_size, 1.0));
        const std::vector<int> slots = {1, 0}, lengths = {100, 9};
        const int batch = 2, max_splits = 2;
        const long long q_row = (long long)heads * head_dim;
        const auto q = to_bf16(rnd.normal((size_t)batch * q_row, 1.0));
        std::vector<float> pm((size_t)batch * heads * max_splits), ps(pm.size()), po(pm.size() * head_dim);
        std::vector<__nv_bfloat16> out((size_t)batch * q_row);
        const float scale = 1.0f / std::sqrt((float)head_dim);
        emulation::launch(attention_decode_partial_bf16, dim3(max_splits, kv_heads, batch), dim3(DECODE_THREADS),
                          q.data(), q_row, kc.data(), vc.data(), slots.data(), lengths.data(), pm.data(), ps.data(),
                          po.data(), heads, kv_heads, head_dim, num_slots, max_tokens, split, scale, 0, 0.0f,
                          (int*)nullptr);
        emulation::launch(attention_decode_combine_bf16, dim3(heads, batch), dim3(COMBINE_THREADS), pm.data(), ps.data(),
                          po.data(), slots.data(), lengths.data(), out.data(), q_row, heads, head_dim, num_slots,
                          max_tokens, max_splits, split, 0);
        // The float64 reference over the bf16 values, as reference_attention does over fp16 ones.
        auto reference = [&](const __nv_bfloat16* qh, int slot, int kv_head, int length) {
            const size_t base = ((size_t)slot * kv_heads + kv_head) * max_tokens * head_dim;
            std::vector<double> score(length), o(head_dim, 0.0);
            double m = -INFINITY, sum = 0;
            for (int t = 0; t < length; ++t) {
                double dot = 0;
                for (int d = 0; d < head_dim; ++d) dot += f(qh[d]) * f(kc[base + (size_t)t * head_dim + d]);
                m = std::max(m, score[t] = dot / std::sqrt((double)head_dim));
            }
            for (auto& sc : score) sum += (sc = std::exp(sc - m));
            for (int t = 0; t < length; ++t)
                for (int d = 0; d < head_dim; ++d) o[d] += score[t] / sum * f(vc[base + (size_t)t * head_dim + d]);
            return o;
        };
        double worst = 0;
        for (int b = 0; b < batch; ++b) {
            std::vector<double> got, want;
            for (int h = 0; h < heads; ++h) {
                const auto ref = reference(q.data() + b * q_row + h * head_dim, slots[b], h / 2, lengths[b]);
                for (int d = 0; d < head_dim; ++d) {
                    want.push_back(ref[d]);
                    got.push_back(f(out[b * q_row + h * head_dim + d]));
                }
            }
            worst = std::max(worst, relative_error(got, want));
        }
        check(worst < kBf16Tolerance, "attention_decode_bf16 (lengths 100, 9; splits of 64): worst relative error %.3g "
              "(tolerance %.0e: bf16 output)", worst, kBf16Tolerance);
        const int n = 40, start_pos = 25, slot = 1;
        const long long pq_row = (long long)(heads + 2 * kv_heads) * head_dim;
        const auto pq = to_bf16(rnd.normal((size_t)n * pq_row, 1.0));
        std::vector<__nv_bfloat16> pout((size_t)n * q_row);
        emulation::launch(attention_prefill_bf16, dim3((n * 2 + PREFILL_ROWS - 1) / PREFILL_ROWS, kv_heads),
                          dim3(PREFILL_THREADS), pq.data(), pq_row, kc.data(), vc.data(), pout.data(), q_row, slot,
                          start_pos, n, heads, kv_heads, head_dim, num_slots, max_tokens, scale, 0, 0.0f);
        std::vector<double> got, want;
        for (int i = 0; i < n; ++i) {
            for (int h = 0; h < heads; ++h) {
                const auto ref = reference(pq.data() + i * pq_row + h * head_dim, slot, h / 2, start_pos + i + 1);
                for (int d = 0; d < head_dim; ++d) {
                    want.push_back(ref[d]);
                    got.push_back(f(pout[i * q_row + h * head_dim + d]));
                }
            }
        }
        const double err = relative_error(got, want);
        check(err < kBf16Tolerance, "attention_prefill_bf16 (40 tokens after 25 cached): relative error %.3g "
              "(tolerance %.0e: bf16 output)", err, kBf16Tolerance);
    }
}

// ---- Gemma 2 and 3: rings, windows, soft-caps, q/k norms, linear RoPE, the extra norms ----

// Float64 attention of one query row over key positions [first, last] of (slot, kv head), position p
// in ring row p % rows; scores scaled, then soft-capped (cap > 0) as Gemma 2 does.
std::vector<double> reference_window_attention(const __half* q, const std::vector<__half>& k_cache,
                                               const std::vector<__half>& v_cache, int slot, int kv_head, int kv_heads,
                                               int rows, int head_dim, int first, int last, double scale, double cap) {
    const size_t base = ((size_t)slot * kv_heads + kv_head) * rows * head_dim;
    std::vector<double> score(last - first + 1);
    double m = -INFINITY;
    for (int p = first; p <= last; ++p) {
        const size_t r = base + (size_t)(p % rows) * head_dim;
        double dot = 0;
        for (int d = 0; d < head_dim; ++d) dot += f(q[d]) * f(k_cache[r + d]);
        double sc = dot * scale;
        if (cap > 0) sc = cap * std::tanh(sc / cap);
        score[p - first] = sc;
        m = std::max(m, sc);
    }
    double sum = 0;
    for (auto& sc : score) sum += (sc = std::exp(sc - m));
    std::vector<double> out(head_dim, 0.0);
    for (int p = first; p <= last; ++p) {
        const size_t r = base + (size_t)(p % rows) * head_dim;
        for (int d = 0; d < head_dim; ++d) out[d] += score[p - first] / sum * f(v_cache[r + d]);
    }
    return out;
}

// rope_and_cache with Gemma 3's q/k norms, linear scaling (factor 8, base 1e6) and a ring of 12 rows:
// positions 3, 30 and 1000 land in rows 3, 6 and 4.
void test_rope_qk_norm_ring(Random& rnd) {
    const int heads = 4, kv_heads = 2, head_dim = 64, n = 3, num_slots = 2, rows = 12;
    const float theta = 1000000.0f, factor = 8.0f, eps = 1e-6f;
    const long long row = (long long)(heads + 2 * kv_heads) * head_dim;
    const auto qkv0 = to_half(rnd.normal((size_t)n * row, 2.0));
    auto qkv = qkv0;
    const auto q_norm = to_half(rnd.normal(head_dim, 0.3));
    const auto k_norm = to_half(rnd.normal(head_dim, 0.3));
    const std::vector<int> slots = {0, 1, 0}, positions = {3, 30, 1000};
    const size_t cache_size = (size_t)num_slots * kv_heads * rows * head_dim;
    const __half sentinel = __float2half_rn(7.0f);
    std::vector<__half> k_cache(cache_size, sentinel), v_cache(cache_size, sentinel);
    int bad = 0;
    __half* q = qkv.data();
    emulation::launch(rope_and_cache, dim3(n), dim3(ROPE_THREADS), q, row, (const __half*)(q + heads * head_dim), row,
                      (const __half*)(q + (heads + kv_heads) * head_dim), row, k_cache.data(), v_cache.data(),
                      slots.data(), positions.data(), n, heads, kv_heads, head_dim, num_slots, rows, 1, theta, factor,
                      (const __half*)q_norm.data(), (const __half*)k_norm.data(), eps, &bad, (unsigned*)nullptr, 0, 0);
    const int half = head_dim / 2;
    std::vector<double> got, want;
    bool v_exact = true;
    for (int t = 0; t < n; ++t) {
        for (int h = 0; h < heads + kv_heads; ++h) {
            const __half* x = qkv0.data() + t * row + h * head_dim;
            const auto& w = h < heads ? q_norm : k_norm;
            double ss = 0;
            for (int d = 0; d < head_dim; ++d) ss += f(x[d]) * f(x[d]);
            const double inv = 1.0 / std::sqrt(ss / head_dim + eps);
            const size_t at = (((size_t)slots[t] * kv_heads + (h - heads)) * rows + positions[t] % rows) * head_dim;
            for (int i = 0; i < half; ++i) {
                const double a = f(x[i]) * inv * (1.0 + f(w[i])), b = f(x[i + half]) * inv * (1.0 + f(w[i + half]));
                const double angle = positions[t] * std::pow((double)theta, -(2.0 * i) / head_dim) / factor;
                want.push_back(a * std::cos(angle) - b * std::sin(angle));
                want.push_back(b * std::cos(angle) + a * std::sin(angle));
                const __half* o = h < heads ? qkv.data() + t * row + h * head_dim : k_cache.data() + at;
                got.push_back(f(o[i]));
                got.push_back(f(o[i + half]));
            }
            if (h >= heads) {
                const __half* v = qkv0.data() + t * row + (heads + kv_heads + h - heads) * head_dim;
                for (int d = 0; d < head_dim; ++d) v_exact = v_exact && f(v_cache[at + d]) == f(v[d]);
            }
        }
    }
    size_t written = 0;
    for (size_t e = 0; e < cache_size; ++e) written += (f(k_cache[e]) != 7.0) + (f(v_cache[e]) != 7.0);
    const double err = relative_error(got, want);
    // fp16 outputs (about 2.1e-4 rms); the norm's fp32 sums and the fp32 angle add about 1e-6.
    check(err < 5e-4, "rope_and_cache with q/k norms, factor 8, a 12-row ring (positions 3, 30, 1000): relative "
          "error %.3g vs float64 (tolerance 5e-4: fp16 output)", err);
    check(v_exact && bad == 0 && written == (size_t)n * 2 * kv_heads * head_dim,
          "rope_and_cache on a ring: k and v at rows p %% 12, v exact (%d), %zu cache values written, none counted "
          "bad (%d)", (int)v_exact, written, bad);
}

// Decode on a sliding layer: window 40 over a ring of 50 rows, soft-cap 1.5, splits of 16 keys.
// Lengths 1, 30 (inside the window), 45 and 200 (the window wraps the ring); then a ring shorter
// than the window, which is refused.
void test_attention_decode_window(Random& rnd) {
    const int heads = 4, kv_heads = 2, head_dim = 64, num_slots = 2, rows = 50, window = 40, split = 16, batch = 4;
    const float softcap = 1.5f;
    const size_t cache_size = (size_t)num_slots * kv_heads * rows * head_dim;
    const auto k_cache = to_half(rnd.normal(cache_size, 1.0));
    const auto v_cache = to_half(rnd.normal(cache_size, 1.0));
    const std::vector<int> slots = {1, 0, 1, 0}, lengths = {1, 30, 45, 200};
    const int max_splits = (window + split - 1) / split;
    const long long q_row = (long long)heads * head_dim;
    const auto q = to_half(rnd.normal((size_t)batch * q_row, 1.5));
    std::vector<float> pm((size_t)batch * heads * max_splits), ps(pm.size()), po(pm.size() * head_dim);
    std::vector<__half> out((size_t)batch * q_row);
    const float scale = 1.0f / std::sqrt((float)head_dim);
    int bad = 0;
    emulation::launch(attention_decode_partial, dim3(max_splits, kv_heads, batch), dim3(DECODE_THREADS), q.data(),
                      q_row, k_cache.data(), v_cache.data(), slots.data(), lengths.data(), pm.data(), ps.data(),
                      po.data(), heads, kv_heads, head_dim, num_slots, rows, split, scale, window, softcap, &bad);
    emulation::launch(attention_decode_combine, dim3(heads, batch), dim3(COMBINE_THREADS), pm.data(), ps.data(),
                      po.data(), slots.data(), lengths.data(), out.data(), q_row, heads, head_dim, num_slots, rows,
                      max_splits, split, window);
    double worst = 0;
    for (int b = 0; b < batch; ++b) {
        std::vector<double> got, want;
        for (int h = 0; h < heads; ++h) {
            const int first = std::max(0, lengths[b] - window);
            const auto ref = reference_window_attention(q.data() + b * q_row + h * head_dim, k_cache, v_cache, slots[b],
                                                        h / 2, kv_heads, rows, head_dim, first, lengths[b] - 1, scale,
                                                        softcap);
            for (int d = 0; d < head_dim; ++d) {
                want.push_back(ref[d]);
                got.push_back(f(out[b * q_row + h * head_dim + d]));
            }
        }
        worst = std::max(worst, relative_error(got, want));
    }
    // fp16 output (about 2.1e-4 rms); fp32 scores, tanhf and sums add about 1e-6.
    check(worst < 5e-4 && bad == 0, "attention_decode, window 40 on a 50-row ring, soft-cap 1.5 (lengths 1, 30, 45, "
          "200): worst relative error %.3g (tolerance 5e-4: fp16 output), bad %d", worst, bad);

    // A ring of 30 rows cannot hold a window of 40: the row is counted and NaN.
    const int short_rows = 30;
    const std::vector<int> one_slot = {0}, one_length = {35};
    std::vector<__half> nan_out((size_t)q_row);
    int refused = 0;
    emulation::launch(attention_decode_partial, dim3(max_splits, kv_heads, 1), dim3(DECODE_THREADS), q.data(), q_row,
                      k_cache.data(), v_cache.data(), one_slot.data(), one_length.data(), pm.data(), ps.data(),
                      po.data(), heads, kv_heads, head_dim, 1, short_rows, split, scale, window, softcap, &refused);
    emulation::launch(attention_decode_combine, dim3(heads, 1), dim3(COMBINE_THREADS), pm.data(), ps.data(), po.data(),
                      one_slot.data(), one_length.data(), nan_out.data(), q_row, heads, head_dim, 1, short_rows,
                      max_splits, split, window);
    bool all_nan = true;
    for (const __half& h : nan_out) all_nan = all_nan && std::isnan(f(h));
    check(refused == 1 && all_nan, "attention_decode: 35 keys of a window of 40 on a 30-row ring counted (%d) and NaN",
          refused);
}

// Prefill on a sliding layer: the chunk's keys are already in the ring (rows p % rows), each query
// sees the last `window` positions, scores soft-capped. Cases: a ring of exactly window + n - 1
// rows, windows spanning several 64-key tiles with a wrap, a first chunk from position 0; then a
// chunk too long for its ring, which is refused.
void test_attention_prefill_window(Random& rnd) {
    const int heads = 4, kv_heads = 2, head_dim = 64, num_slots = 2, slot = 1, group = heads / kv_heads;
    struct Case { int n, start_pos, window, rows; float softcap; };
    for (const Case c : {Case{20, 50, 16, 35, 1.5f}, Case{40, 300, 100, 139, 0.0f}, Case{40, 0, 100, 139, 2.0f},
                         Case{33, 1000, 7, 39, 50.0f}}) {
        const size_t cache_size = (size_t)num_slots * kv_heads * c.rows * head_dim;
        const auto k_cache = to_half(rnd.normal(cache_size, 1.0));
        const auto v_cache = to_half(rnd.normal(cache_size, 1.0));
        const long long q_row = (long long)(heads + 2 * kv_heads) * head_dim, out_row = (long long)heads * head_dim;
        const auto q = to_half(rnd.normal((size_t)c.n * q_row, 1.5));
        std::vector<__half> out((size_t)c.n * out_row);
        const float scale = 1.0f / std::sqrt((float)head_dim);
        emulation::launch(attention_prefill, dim3((c.n * group + PREFILL_ROWS - 1) / PREFILL_ROWS, kv_heads),
                          dim3(PREFILL_THREADS), q.data(), q_row, k_cache.data(), v_cache.data(), out.data(), out_row,
                          slot, c.start_pos, c.n, heads, kv_heads, head_dim, num_slots, c.rows, scale, c.window,
                          c.softcap);
        std::vector<double> got, want;
        for (int i = 0; i < c.n; ++i) {
            const int pos = c.start_pos + i;
            for (int h = 0; h < heads; ++h) {
                const auto ref = reference_window_attention(q.data() + i * q_row + h * head_dim, k_cache, v_cache, slot,
                                                            h / group, kv_heads, c.rows, head_dim,
                                                            std::max(0, pos - c.window + 1), pos, scale, c.softcap);
                for (int d = 0; d < head_dim; ++d) {
                    want.push_back(ref[d]);
                    got.push_back(f(out[i * out_row + h * head_dim + d]));
                }
            }
        }
        const double err = relative_error(got, want);
        check(err < 5e-4, "attention_prefill, %d tokens from %d, window %d on a %d-row ring, soft-cap %.1f: relative "
              "error %.3g (tolerance 5e-4: fp16 output)", c.n, c.start_pos, c.window, c.rows, c.softcap, err);
    }
    // 20 tokens from 50 with a window of 16 need 35 rows; a 34-row ring is refused: every row NaN.
    const int rows = 34, n = 20;
    const std::vector<__half> cache((size_t)num_slots * kv_heads * rows * head_dim, __float2half_rn(1.0f));
    const long long q_row = (long long)heads * head_dim;
    const std::vector<__half> q((size_t)n * q_row, __float2half_rn(0.5f));
    std::vector<__half> out((size_t)n * q_row);
    emulation::launch(attention_prefill, dim3((n * group + PREFILL_ROWS - 1) / PREFILL_ROWS, kv_heads),
                      dim3(PREFILL_THREADS), q.data(), q_row, cache.data(), cache.data(), out.data(), q_row, slot, 50, n,
                      heads, kv_heads, head_dim, num_slots, rows, 0.125f, 16, 0.0f);
    int nan = 0;
    for (const __half& h : out) nan += std::isnan(f(h));
    check(nan == n * q_row, "attention_prefill: 20 tokens, window 16, on a 34-row ring: %d of %d outputs NaN", nan,
          n * (int)q_row);
}

// rmsnorm_add_f32 (and its bf16-weight twin): residual += (x * inv_rms) * (1 + w) in fp32.
void test_rmsnorm_add(Random& rnd) {
    const int n = 3, hidden = 700;
    const float eps = 1e-6f;
    const auto x = rnd.normal((size_t)n * hidden, 40.0);
    const auto residual0 = rnd.normal((size_t)n * hidden, 3.0);
    const auto w32 = rnd.normal(hidden, 0.5);
    const auto w16 = to_half(w32);
    const auto wb16 = to_bf16(w32);
    for (int bf16 = 0; bf16 < 2; ++bf16) {
        auto residual = residual0;
        if (bf16) {
            emulation::launch(rmsnorm_add_f32_bf16, dim3(n), dim3(RMSNORM_THREADS), x.data(),
                              (const __nv_bfloat16*)wb16.data(), residual.data(), n, hidden, eps);
        } else {
            emulation::launch(rmsnorm_add_f32, dim3(n), dim3(RMSNORM_THREADS), x.data(), (const __half*)w16.data(),
                              residual.data(), n, hidden, eps);
        }
        std::vector<double> got, want;
        for (int i = 0; i < n; ++i) {
            double ss = 0;
            for (int d = 0; d < hidden; ++d) ss += (double)x[i * hidden + d] * x[i * hidden + d];
            const double inv = 1.0 / std::sqrt(ss / hidden + eps);
            for (int d = 0; d < hidden; ++d) {
                const double w = bf16 ? (double)__bfloat162float(wb16[d]) : f(w16[d]);
                // The added part alone: residual - residual0 against the float64 norm.
                want.push_back(x[i * hidden + d] * inv * (1.0 + w));
                got.push_back((double)residual[i * hidden + d] - residual0[i * hidden + d]);
            }
        }
        const double err = relative_error(got, want);
        // fp32 throughout: a few roundings of 2^-24 each, and the fp32 sum of the residual (of about the
        // added part's size) rounds the difference by about 6e-8 more.
        check(err < 1e-6, "rmsnorm_add_f32%s: added norm within %.3g of float64 (tolerance 1e-6: fp32)",
              bf16 ? "_bf16" : "", err);
    }
}

// softcap_f32: cap * tanh(x / cap) in place; inf goes to +-cap, NaN stays NaN.
void test_softcap(Random& rnd) {
    const float cap = 30.0f;
    auto x = rnd.normal(5000, 60.0);
    x[10] = INFINITY;
    x[11] = -INFINITY;
    x[12] = NAN;
    const auto before = x;
    emulation::launch(softcap_f32, dim3(4), dim3(SOFTCAP_THREADS), x.data(), (long long)x.size(), cap);
    std::vector<double> got, want;
    for (size_t i = 0; i < x.size(); ++i) {
        if (i >= 10 && i <= 12) continue;
        got.push_back(x[i]);
        want.push_back(cap * std::tanh((double)before[i] / cap));
    }
    const double err = relative_error(got, want);
    // fp32: the division, tanhf (within 2 ulp) and the product: a few times 6e-8.
    check(err < 1e-6 && x[10] == cap && x[11] == -cap && std::isnan(x[12]),
          "softcap_f32 (cap 30, 5,000 values over a grid of 4 blocks): relative error %.3g (tolerance 1e-6: fp32), "
          "inf -> %.1f, -inf -> %.1f, NaN kept", err, x[10], x[11]);
}

int main(int argc, char** argv) {
    const uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10)
                                   : (uint64_t)std::chrono::steady_clock::now().time_since_epoch().count();
    std::printf("kernel_tests seed %" PRIu64 "\n", seed);
    Random rnd(seed);
    const auto start = std::chrono::steady_clock::now();
    const std::string only = argc > 2 ? argv[2] : "";
    auto timed = [&](const char* name, const std::function<void()>& test) {
        if (std::string(name).find(only) == std::string::npos) return;
        const auto begin = std::chrono::steady_clock::now();
        test();
        std::printf("     %s: %.1f s\n", name,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    };
    timed("embedding", [&] { test_embedding(rnd); });
    timed("rmsnorm", [&] { test_rmsnorm(rnd); });
    timed("rope", [&] { test_rope(rnd); });
    timed("geglu", [&] { test_geglu(rnd); });
    for (AttentionShape s : {AttentionShape{8, 1, 256, 64}, AttentionShape{4, 4, 64, 160}, AttentionShape{18, 2, 40, 96}}) {
        timed("attention decode", [&] { test_attention_decode(rnd, s); });
        timed("attention prefill", [&] { test_attention_prefill(rnd, s); });
    }
    // Gemma 2B (multi-query) and 7B (multi-head) heads and two smaller head dims: one token,
    // token counts that end inside a 64-row tile, prefixes already cached (not a multiple of the
    // 32-key tile). 1,024-token prompts run only when asked for by name (each takes tens of
    // minutes on two cores: 256 threads per block, a warp barrier per wmma call).
    const AttentionShape gemma_2b{8, 1, 256, 0}, gemma_7b{16, 16, 256, 0};
    for (auto [s, n, start_pos] : {std::tuple{gemma_2b, 1, 0}, std::tuple{gemma_2b, 37, 0}, std::tuple{gemma_2b, 100, 61},
                                   std::tuple{gemma_7b, 1, 40}, std::tuple{gemma_7b, 21, 30},
                                   std::tuple{AttentionShape{4, 4, 64, 0}, 100, 61},
                                   std::tuple{AttentionShape{2, 2, 16, 0}, 70, 30}}) {
        timed("attention prefill mma", [&] { test_attention_prefill_mma(rnd, s, n, start_pos); });
    }
    timed("attention prefill mma", [&] { test_attention_prefill_mma_rejects(); });
    if (only.find("1024") != std::string::npos) {
        for (AttentionShape s : {gemma_2b, gemma_7b}) {
            timed("attention prefill mma 1024", [&] { test_attention_prefill_mma(rnd, s, 1024, 0); });
        }
    }
    timed("attention long context", [&] { test_attention_long(rnd); });
    // Gemma 2B (8 heads on 1 kv head) and 7B (16 heads, 16 kv heads), head_dim 256, and two other
    // groupings (4 heads per block; 9 heads on a kv head, so a second, part-filled head block). Rows
    // of one batch: length 1, a split exactly, one key past it, and others; a padding row (slot -1)
    // and a row of length 0.
    for (AttentionShape s : {AttentionShape{8, 1, 256, 64}, AttentionShape{16, 16, 256, 64},
                             AttentionShape{4, 2, 64, 32}, AttentionShape{18, 2, 40, 96}}) {
        const int sp = s.split_tokens;
        timed("attention decode vector", [&] {
            test_attention_decode_vector(rnd, {s, 3, 400, {2, 0, -1, 1, 1, 0, 2}, {1, sp, 5, sp + 1, 300, 0, 2 * sp - 1},
                                               "lengths 1, split, split + 1, 2 split - 1, 300; a padding row, length 0"});
        });
    }
    // Long contexts in one batch, one slot: 4,096 and 8,192 keys, splits of 512 (Kernels.decodeSplit's
    // choice for 7B at batch 1 on 132 SMs). 7B's head shape (1 query head per kv head, head_dim 256)
    // on 2 kv heads instead of 16: every kv head runs the same code on its own blocks, and 16 would
    // take the emulation 8 times as long.
    for (AttentionShape s : {AttentionShape{8, 1, 256, 512}, AttentionShape{2, 2, 256, 512}}) {
        timed("attention decode vector long context", [&] {
            test_attention_decode_vector(rnd, {s, 1, 8192, {0, 0}, {4096, 8192}, "4,096 and 8,192 keys"});
        });
    }
    timed("convert", [&] { test_convert(rnd); });
    timed("bf16", [&] { test_bf16(rnd); });
    timed("sampling", [&] { test_sampling(rnd); });
    timed("synthetic", [&] { test_synthetic(rnd); });
    for (GemvShape s : {GemvShape{8, 2048, 37}, GemvShape{3, 16384, 24}, GemvShape{1, 24576, 18}}) {
        timed("gemv accumulate", [&] { test_gemv_accumulate(rnd, s); });
    }
    for (GemvShape s : {GemvShape{8, 2048, 45}, GemvShape{2, 3072, 21}}) {
        timed("gemv logits", [&] { test_gemv_logits(rnd, s); });
        timed("gemv geglu", [&] { test_gemv_geglu(rnd, GemvShape{s.rows, s.in, 24}); });
    }
    // Gemma's head_dim 256 with one q head of 2B's eight (MQA), and a grouped shape with head_dim 64.
    timed("gemv rope", [&] { test_gemv_rope(rnd, RopeShape{3, 2048, 1, 1, 256}); });
    timed("gemv rope", [&] { test_gemv_rope(rnd, RopeShape{2, 3072, 4, 2, 64}); });
    timed("gemma23 rope", [&] { test_rope_qk_norm_ring(rnd); });
    timed("gemma23 attention decode", [&] { test_attention_decode_window(rnd); });
    timed("gemma23 attention prefill", [&] { test_attention_prefill_window(rnd); });
    timed("gemma23 rmsnorm add", [&] { test_rmsnorm_add(rnd); });
    timed("gemma23 softcap", [&] { test_softcap(rnd); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%d failure(s), %.1f s\n", failures, seconds);
    return failures == 0 ? 0 : 1;
}
