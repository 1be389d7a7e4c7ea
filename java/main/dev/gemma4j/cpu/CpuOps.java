package dev.gemma4j.cpu;

import java.util.stream.IntStream;

/**
 * The element-wise and attention steps of Gemma 1 in fp32, exactly as DESIGN.md states them. Each
 * method is the CPU reference a GPU kernel is checked against.
 */
public final class CpuOps {
    private CpuOps() {}

    /**
     * RMSNorm with Gemma's (1 + w) weight: {@code y = x · rsqrt(mean(x²) + eps) · (1 + w)}, per row.
     *
     * @param x [n, dim]; {@code w} [dim] holds the stored offset w (not 1 + w)
     */
    public static void rmsNorm(float[] x, float[] w, float eps, int n, int dim, float[] y) {
        for (int t = 0; t < n; t++) {
            int off = t * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) {
                ss += (double) x[off + i] * x[off + i];
            }
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) {
                y[off + i] = x[off + i] * inv * (1f + w[i]);
            }
        }
    }

    /**
     * Inverse frequencies of rotate-half RoPE, computed in fp32 as Hugging Face does:
     * {@code 1 / theta^(2i / headDim)} for i in [0, headDim/2).
     */
    public static float[] ropeInverseFrequencies(int headDim, double theta) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            inv[i] = 1f / (float) Math.pow((float) theta, exponent);
        }
        return inv;
    }

    /**
     * Rotate-half (NeoX) RoPE in place: element i pairs with i + headDim/2.
     *
     * @param x [n, heads, headDim]; token t sits at position {@code startPos + t}
     */
    public static void rope(float[] x, int n, int heads, int headDim, int startPos, float[] invFreq) {
        int half = headDim / 2;
        for (int t = 0; t < n; t++) {
            int pos = startPos + t;
            for (int j = 0; j < half; j++) {
                // fp32 angle like HF (position * inv_freq in fp32), cos/sin from it.
                float angle = pos * invFreq[j];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int off = (t * heads + h) * headDim;
                    float a = x[off + j];
                    float b = x[off + j + half];
                    x[off + j] = a * c - b * s;
                    x[off + j + half] = b * c + a * s;
                }
            }
        }
    }

    /** GELU, tanh approximation (Gemma's gelu_pytorch_tanh). */
    public static float geluTanh(float x) {
        double u = 0.7978845608028654 * (x + 0.044715 * (double) x * x * x); // sqrt(2/pi)
        return (float) (0.5 * x * (1.0 + Math.tanh(u)));
    }

    /** {@code out[t, i] = gelu_tanh(gate[t, i]) · up[t, i]}. */
    public static void geglu(float[] gate, float[] up, int count, float[] out) {
        IntStream.range(0, (count + 4095) / 4096).parallel().forEach(b -> {
            int end = Math.min(count, (b + 1) * 4096);
            for (int i = b * 4096; i < end; i++) {
                out[i] = geluTanh(gate[i]) * up[i];
            }
        });
    }

    /**
     * Causal attention for n new tokens of one sequence whose keys and values (positions
     * [0, startPos + n)) are already in the cache.
     *
     * @param q      [n, heads, headDim], RoPE applied
     * @param kCache [capacity, kvHeads, headDim]
     * @param vCache [capacity, kvHeads, headDim]
     * @param out    [n, heads, headDim]
     */
    public static void attention(float[] q, float[] kCache, float[] vCache, int n, int startPos, int heads,
                                 int kvHeads, int headDim, float scale, float[] out) {
        int group = heads / kvHeads;
        IntStream.range(0, n * heads).parallel().forEach(th -> {
            int t = th / heads;
            int h = th % heads;
            int kvh = h / group;
            int len = startPos + t + 1;
            int qOff = (t * heads + h) * headDim;
            float[] scores = new float[len];
            float max = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < len; p++) {
                int kOff = (p * kvHeads + kvh) * headDim;
                float s = 0;
                for (int i = 0; i < headDim; i++) {
                    s += q[qOff + i] * kCache[kOff + i];
                }
                s *= scale;
                scores[p] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int p = 0; p < len; p++) {
                float e = (float) Math.exp(scores[p] - max);
                scores[p] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int oOff = (t * heads + h) * headDim;
            for (int i = 0; i < headDim; i++) {
                out[oOff + i] = 0;
            }
            for (int p = 0; p < len; p++) {
                float a = scores[p] * inv;
                int vOff = (p * kvHeads + kvh) * headDim;
                for (int i = 0; i < headDim; i++) {
                    out[oOff + i] += a * vCache[vOff + i];
                }
            }
        });
    }
}
