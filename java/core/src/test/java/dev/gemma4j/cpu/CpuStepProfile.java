package dev.gemma4j.cpu;

import static dev.gemma4j.model.GemmaTensorNames.DOWN_PROJ;
import static dev.gemma4j.model.GemmaTensorNames.GATE_PROJ;
import static dev.gemma4j.model.GemmaTensorNames.K_PROJ;
import static dev.gemma4j.model.GemmaTensorNames.O_PROJ;
import static dev.gemma4j.model.GemmaTensorNames.Q_PROJ;
import static dev.gemma4j.model.GemmaTensorNames.UP_PROJ;
import static dev.gemma4j.model.GemmaTensorNames.V_PROJ;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.synthetic.SyntheticWeights;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where the CPU engine's forward step of synthetic-2b spends its time, per matrix kind and per
 * element-wise step: a program, not a test. It runs the steps of {@link CpuBackend} (one sequence,
 * n tokens after {@code context} cached ones) over every layer of the full-size synthetic weights,
 * so each weight comes from memory as in a real step, and prints milliseconds per step, the share of
 * the step and, per matrix kind, GB/s of weights read and GFLOP/s.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/core/classes:target/core/test-classes:<jackson> \
 *     dev.gemma4j.cpu.CpuStepProfile [bf16|f16|f32] [tokens] [reps] [context]</pre>
 */
public final class CpuStepProfile {
    /** Untimed steps first: the Vector API is fast only once C2 has compiled the kernels. */
    private static final int WARMUP = 3;
    private static final String[] MATRICES = {Q_PROJ, K_PROJ, V_PROJ, O_PROJ, GATE_PROJ, UP_PROJ, DOWN_PROJ};

    public static void main(String[] args) {
        DType dtype = DType.parse(args.length > 0 ? args[0] : "bf16");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int context = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        long seed = System.nanoTime();
        System.out.printf(Locale.ROOT, "CpuStepProfile synthetic-2b %s, %d token(s) after %d, %d threads, seed %d%n",
                dtype, n, context, Runtime.getRuntime().availableProcessors(), seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (SyntheticWeights w = SyntheticWeights.create("synthetic-2b", 0, dtype, 1)) {
            GemmaConfig c = w.config();
            int hidden = c.hiddenSize(), heads = c.numAttentionHeads(), kvHeads = c.numKeyValueHeads();
            int headDim = c.headDim(), inter = c.intermediateSize(), vocab = c.vocabSize();
            int qRow = heads * headDim, kvRow = kvHeads * headDim, len = context + n;
            float[] inv = CpuOps.ropeInverseFrequencies(headDim, c.ropeTheta());
            float[] normW = new float[hidden];
            float[] kCache = random(len * kvRow, rnd), vCache = random(len * kvRow, rnd);
            Map<String, double[]> stats = new LinkedHashMap<>();   // step -> [ns, bytes, flops]
            for (int rep = 0; rep < WARMUP + reps; rep++) {
                Timer timer = new Timer(stats, rep >= WARMUP);
                float[] h = random(n * hidden, rnd);
                for (int l = 0; l < c.numHiddenLayers(); l++) {
                    Tensor[] m = new Tensor[MATRICES.length];
                    for (int i = 0; i < m.length; i++) m[i] = w.tensor(GemmaTensorNames.layer(l, MATRICES[i]));
                    float[] x = new float[n * hidden];
                    timer.start();
                    CpuOps.rmsNorm(h, normW, 1e-6f, n, hidden, x);
                    timer.stop("norms+rope", 0, 0);
                    float[] q = new float[n * qRow], k = new float[n * kvRow], v = new float[n * kvRow];
                    timer.matmul("q_proj", m[0], x, n, q);
                    timer.matmul("k_proj", m[1], x, n, k);
                    timer.matmul("v_proj", m[2], x, n, v);
                    timer.start();
                    CpuOps.rope(q, n, heads, headDim, context, inv);
                    CpuOps.rope(k, n, kvHeads, headDim, context, inv);
                    timer.stop("norms+rope", 0, 0);
                    System.arraycopy(k, 0, kCache, context * kvRow, n * kvRow);
                    System.arraycopy(v, 0, vCache, context * kvRow, n * kvRow);
                    float[] att = new float[n * qRow];
                    timer.start();
                    CpuOps.attention(q, kCache, vCache, n, context, heads, kvHeads, headDim, 1f / 16, att);
                    timer.stop("attention", 0, 4.0 * n * (context + (n + 1) / 2.0) * qRow);
                    float[] o = new float[n * hidden];
                    timer.matmul("o_proj", m[3], att, n, o);
                    timer.start();
                    CpuOps.rmsNorm(h, normW, 1e-6f, n, hidden, x);
                    timer.stop("norms+rope", 0, 0);
                    float[] gate = new float[n * inter], up = new float[n * inter];
                    timer.matmul("gate_proj", m[4], x, n, gate);
                    timer.matmul("up_proj", m[5], x, n, up);
                    timer.start();
                    CpuOps.geglu(gate, up, n * inter, gate);
                    timer.stop("geglu", 0, 0);
                    timer.matmul("down_proj", m[6], gate, n, h);
                }
                float[] x = new float[hidden];
                CpuOps.rmsNorm(h, normW, 1e-6f, 1, hidden, x);
                timer.matmul("logits", w.tensor(GemmaTensorNames.embed()), x, 1, new float[vocab]);
            }
            double total = stats.values().stream().mapToDouble(v -> v[0]).sum() / reps;
            System.out.printf(Locale.ROOT, "%-12s %10s %7s %9s %10s%n", "step", "ms/step", "share", "GB/s", "GFLOP/s");
            for (Map.Entry<String, double[]> e : stats.entrySet()) {
                double[] v = e.getValue();
                double seconds = v[0] / reps / 1e9;
                System.out.printf(Locale.ROOT, "%-12s %10.2f %6.1f%% %9s %10s%n", e.getKey(), seconds * 1e3,
                        100 * seconds * 1e9 / total,
                        v[1] > 0 ? String.format(Locale.ROOT, "%.1f", v[1] / reps / seconds / 1e9) : "",
                        v[2] > 0 ? String.format(Locale.ROOT, "%.1f", v[2] / reps / seconds / 1e9) : "");
            }
            System.out.printf(Locale.ROOT, "%-12s %10.2f   -> %.2f tok/s%n", "total", total / 1e6, n * 1e9 / total);
        }
    }

    /** Adds each timed section's nanoseconds, bytes and flops to its step, when recording. */
    private static final class Timer {
        private final Map<String, double[]> stats;
        private final boolean record;
        private long t0;

        Timer(Map<String, double[]> stats, boolean record) {
            this.stats = stats;
            this.record = record;
        }

        void start() {
            t0 = System.nanoTime();
        }

        void stop(String step, double bytes, double flops) {
            long dt = System.nanoTime() - t0;
            if (!record) return;
            double[] v = stats.computeIfAbsent(step, k -> new double[3]);
            v[0] += dt;
            v[1] += bytes;
            v[2] += flops;
        }

        void matmul(String step, Tensor w, float[] x, int n, float[] out) {
            start();
            MatMul.matmul(w, x, n, out, false);
            stop(step, w.data().byteSize(), 2.0 * n * w.elementCount());
        }
    }

    private static float[] random(int count, SplittableRandom rnd) {
        float[] a = new float[count];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
