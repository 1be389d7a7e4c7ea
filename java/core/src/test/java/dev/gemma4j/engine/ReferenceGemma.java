package dev.gemma4j.engine;

import dev.gemma4j.model.AttentionKind;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;

/**
 * A deliberately plain float64 Gemma forward pass, written straight from the equations in DESIGN.md
 * with no caching, batching or vectorisation, to check the engine against. Gemma 2 and 3 as Hugging
 * Face's modeling_gemma2.py and modeling_gemma3.py compute them: four norms per layer, scores scaled
 * by query_pre_attn_scalar^-0.5 and soft-capped, sliding layers that see the last sliding_window
 * positions, per-head q/k norms, RoPE base and linear factor per layer kind, soft-capped logits. It
 * reads the config's family directly, not the engine's LayerPlan, so a mistake there shows.
 */
public final class ReferenceGemma {
    private final WeightSource w;
    private final GemmaConfig c;

    public ReferenceGemma(WeightSource w) {
        this.w = w;
        this.c = w.config();
    }

    /** Logits [tokens.length][vocab] of a full causal pass. */
    public double[][] logits(int[] tokens) {
        int n = tokens.length, d = c.hiddenSize(), hd = c.headDim();
        int heads = c.numAttentionHeads(), kvHeads = c.numKeyValueHeads();
        Tensor embed = w.tensor(GemmaTensorNames.embed());
        double[][] h = new double[n][d];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < d; i++) h[t][i] = embed.getFloat((long) tokens[t] * d + i) * (double) c.embeddingScale();
        }
        GemmaFamily f = c.family();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            boolean sliding = f.layerTypes().get(l) == AttentionKind.SLIDING;
            double[][] x = norm(h, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.INPUT_LAYERNORM)));
            double[][] q = linear(x, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.Q_PROJ)));
            double[][] k = linear(x, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.K_PROJ)));
            double[][] v = linear(x, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.V_PROJ)));
            if (f.qkNorms()) {
                headNorm(q, heads, hd, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.Q_NORM)));
                headNorm(k, kvHeads, hd, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.K_NORM)));
            }
            double theta = sliding ? f.slidingRopeTheta() : c.ropeTheta();
            double factor = sliding ? f.slidingRopeFactor() : f.fullRopeFactor();
            rope(q, heads, hd, theta, factor);
            rope(k, kvHeads, hd, theta, factor);
            double[][] att = new double[n][heads * hd];
            for (int t = 0; t < n; t++) {
                int first = sliding ? Math.max(0, t - f.slidingWindow() + 1) : 0;
                for (int hh = 0; hh < heads; hh++) {
                    int kh = hh / (heads / kvHeads);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int p = first; p <= t; p++) {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += q[t][hh * hd + i] * k[p][kh * hd + i];
                        s[p] = dot / Math.sqrt(f.queryPreAttnScalar());
                        if (f.attnLogitSoftcapping() > 0) {
                            s[p] = f.attnLogitSoftcapping() * Math.tanh(s[p] / f.attnLogitSoftcapping());
                        }
                        max = Math.max(max, s[p]);
                    }
                    double sum = 0;
                    for (int p = first; p <= t; p++) sum += s[p] = Math.exp(s[p] - max);
                    for (int p = first; p <= t; p++) {
                        for (int i = 0; i < hd; i++) att[t][hh * hd + i] += s[p] / sum * v[p][kh * hd + i];
                    }
                }
            }
            double[][] o = linear(att, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.O_PROJ)));
            if (f.sandwichNorms()) {
                add(h, norm(o, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.POST_ATTENTION_LAYERNORM))));
                x = norm(h, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.PRE_FEEDFORWARD_LAYERNORM)));
            } else {
                add(h, o);
                x = norm(h, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.POST_ATTENTION_LAYERNORM)));
            }
            double[][] gate = linear(x, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.GATE_PROJ)));
            double[][] up = linear(x, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.UP_PROJ)));
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < gate[t].length; i++) {
                    double g = gate[t][i];
                    gate[t][i] = 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g))) * up[t][i];
                }
            }
            double[][] down = linear(gate, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.DOWN_PROJ)));
            add(h, f.sandwichNorms()
                    ? norm(down, w.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.POST_FEEDFORWARD_LAYERNORM)))
                    : down);
        }
        double[][] logits = linear(norm(h, w.tensor(GemmaTensorNames.finalNorm())), embed);
        double cap = f.finalLogitSoftcapping();
        if (cap > 0) {
            for (double[] row : logits) {
                for (int i = 0; i < row.length; i++) row[i] = cap * Math.tanh(row[i] / cap);
            }
        }
        return logits;
    }

    /** RMSNorm (1 + w) of each head's head_dim slice. */
    private void headNorm(double[][] x, int heads, int hd, Tensor weight) {
        for (double[] row : x) {
            for (int hh = 0; hh < heads; hh++) {
                double ss = 0;
                for (int i = 0; i < hd; i++) ss += row[hh * hd + i] * row[hh * hd + i];
                double inv = 1 / Math.sqrt(ss / hd + c.rmsNormEps());
                for (int i = 0; i < hd; i++) row[hh * hd + i] *= inv * (1 + weight.getFloat(i));
            }
        }
    }

    private double[][] norm(double[][] x, Tensor weight) {
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double ss = 0;
            for (double v : x[t]) ss += v * v;
            double inv = 1 / Math.sqrt(ss / x[t].length + c.rmsNormEps());
            for (int i = 0; i < x[t].length; i++) y[t][i] = x[t][i] * inv * (1 + weight.getFloat(i));
        }
        return y;
    }

    /** x [n, in] times W[out, in]ᵀ. */
    private static double[][] linear(double[][] x, Tensor weight) {
        int out = (int) weight.shape()[0], in = (int) weight.shape()[1];
        double[][] y = new double[x.length][out];
        for (int r = 0; r < out; r++) {
            for (int t = 0; t < x.length; t++) {
                double s = 0;
                for (int i = 0; i < in; i++) s += weight.getFloat((long) r * in + i) * x[t][i];
                y[t][r] = s;
            }
        }
        return y;
    }

    /** Rotate-half RoPE with base theta; linear scaling divides positions by factor. */
    private static void rope(double[][] x, int heads, int hd, double theta, double factor) {
        for (int t = 0; t < x.length; t++) {
            for (int hh = 0; hh < heads; hh++) {
                for (int j = 0; j < hd / 2; j++) {
                    double angle = t / factor * Math.pow(theta, -2.0 * j / hd);
                    double a = x[t][hh * hd + j], b = x[t][hh * hd + j + hd / 2];
                    x[t][hh * hd + j] = a * Math.cos(angle) - b * Math.sin(angle);
                    x[t][hh * hd + j + hd / 2] = b * Math.cos(angle) + a * Math.sin(angle);
                }
            }
        }
    }

    private static void add(double[][] h, double[][] delta) {
        for (int t = 0; t < h.length; t++) {
            for (int i = 0; i < h[t].length; i++) h[t][i] += delta[t][i];
        }
    }
}
