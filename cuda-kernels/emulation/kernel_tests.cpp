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
    std::vector<__half> y((size_t)n * hidden), y_big(hidden);
    emulation::launch(rmsnorm_f16, dim3(n), dim3(RMSNORM_THREADS), x.data(), weight.data(), y.data(), n, hidden, eps);
    emulation::launch(rmsnorm_f16, dim3(1), dim3(RMSNORM_THREADS), x.data(), weight_big.data(), y_big.data(), 1,
                      hidden, eps);
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
}

void test_rope(Random& rnd) {
    const int heads = 4, kv_heads = 2, head_dim = 64, n = 4, num_slots = 2, max_tokens = 4200;
    const float theta = 10000.0f;
    // Fused q/k/v GEMM output: one row of [q heads | k heads | v heads] per token.
    const long long row = (long long)(heads + 2 * kv_heads) * head_dim;
    const auto qkv0 = to_half(rnd.normal((size_t)n * row, 1.0));
    auto qkv = qkv0;
    const std::vector<int> slots = {1, 0, 1, 0};
    const std::vector<int> positions = {0, 5, 4097, 4200};  // token 3 is outside max_tokens
    const size_t cache_size = (size_t)num_slots * kv_heads * max_tokens * head_dim;
    const __half sentinel = __float2half_rn(7.0f);
    std::vector<__half> k_cache(cache_size, sentinel), v_cache(cache_size, sentinel);
    int bad = 0;
    __half* q = qkv.data();
    emulation::launch(rope_and_cache, dim3(n), dim3(ROPE_THREADS), q, row, (const __half*)(q + heads * head_dim), row,
                      (const __half*)(q + (heads + kv_heads) * head_dim), row, k_cache.data(), v_cache.data(),
                      slots.data(), positions.data(), n, heads, kv_heads, head_dim, num_slots, max_tokens, theta, &bad);
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
    const auto gate_up_half = to_half(gate_up);
    std::vector<__half> out32((size_t)n * inter), out16((size_t)n * inter);
    emulation::launch(geglu_f32, dim3(5), dim3(GEGLU_THREADS), (const float*)gate_up.data(),
                      (const float*)(gate_up.data() + inter), (long long)2 * inter, out32.data(), n, inter);
    emulation::launch(geglu_f16, dim3(3), dim3(GEGLU_THREADS), (const __half*)gate_up_half.data(),
                      (const __half*)(gate_up_half.data() + inter), (long long)2 * inter, out16.data(), n, inter);
    auto gelu = [](double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); };
    std::vector<double> got32, want32, got16, want16;
    for (int i = 0; i < n; ++i) {
        for (int c = 0; c < inter; ++c) {
            if (i == 0 && c == 5) continue;
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
                      split_tokens, scale, &bad);
    emulation::launch(attention_decode_combine, dim3(s.heads, batch), dim3(COMBINE_THREADS), partial_max.data(),
                      partial_sum.data(), partial_out.data(), slots.data(), lengths.data(), out.data(),
                      (long long)s.heads * s.head_dim, s.heads, s.head_dim, num_slots, max_tokens, max_splits,
                      split_tokens);
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

void test_attention_prefill(Random& rnd, AttentionShape s) {
    const int num_slots = 2, max_tokens = 128, slot = 1, start_pos = 30, n = 70;
    const size_t cache_size = (size_t)num_slots * s.kv_heads * max_tokens * s.head_dim;
    const auto k_cache = to_half(rnd.normal(cache_size, 1.0));
    const auto v_cache = to_half(rnd.normal(cache_size, 1.0));
    const long long q_row = (long long)(s.heads + 2 * s.kv_heads) * s.head_dim;  // fused q/k/v rows
    const auto q = to_half(rnd.normal((size_t)n * q_row, 1.0));
    const long long out_row = (long long)s.heads * s.head_dim;
    std::vector<__half> out((size_t)n * out_row, __float2half_rn(123.0f));
    const int group = s.heads / s.kv_heads;
    const float scale = 1.0f / std::sqrt((float)s.head_dim);
    const int row_blocks = (n * group + PREFILL_ROWS - 1) / PREFILL_ROWS;
    emulation::launch(attention_prefill, dim3(row_blocks, s.kv_heads), dim3(PREFILL_THREADS), q.data(), q_row,
                      k_cache.data(), v_cache.data(), out.data(), out_row, slot, start_pos, n, s.heads, s.kv_heads,
                      s.head_dim, num_slots, max_tokens, scale);
    std::vector<double> got, want;
    for (int i = 0; i < n; ++i) {
        for (int h = 0; h < s.heads; ++h) {
            const auto ref = reference_attention(q.data() + i * q_row + h * s.head_dim, k_cache, v_cache, slot,
                                                 h / group, s.kv_heads, max_tokens, s.head_dim, start_pos + i + 1);
            for (int d = 0; d < s.head_dim; ++d) {
                want.push_back(ref[d]);
                got.push_back(f(out[i * out_row + h * s.head_dim + d]));
            }
        }
    }
    const double err = relative_error(got, want);
    // fp16 output (about 2.1e-4 rms relative rounding); fp32 scores and sums add about 1e-6.
    check(err < 5e-4, "attention_prefill (heads %d, kv %d, head_dim %d; 70 tokens after 30 cached): relative error "
          "%.3g (tolerance 5e-4: fp16 output)", s.heads, s.kv_heads, s.head_dim, err);
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
                      split_tokens, scale, (int*)nullptr);
    emulation::launch(attention_decode_combine, dim3(heads, 1), dim3(COMBINE_THREADS), partial_max.data(),
                      partial_sum.data(), partial_out.data(), slots.data(), lengths.data(), out.data(), q_row, heads,
                      head_dim, num_slots, max_tokens, max_splits, split_tokens);
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
                      start_pos, n, heads, kv_heads, head_dim, num_slots, max_tokens, scale);
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

}  // namespace

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
    timed("sampling", [&] { test_sampling(rnd); });
    timed("synthetic", [&] { test_synthetic(rnd); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%d failure(s), %.1f s\n", failures, seconds);
    return failures == 0 ? 0 : 1;
}
