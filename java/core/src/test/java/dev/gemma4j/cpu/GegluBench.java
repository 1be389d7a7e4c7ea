package dev.gemma4j.cpu;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GeGLU throughput of {@link CpuOps#geglu} next to the Vector API TANH form
 * ({@code 0.5 x (1 + tanh u)} with {@code lanewise(TANH)}, fast under C2's intrinsic but not the same
 * function in every JIT tier), at 2B's width (16,384) for 1, 8 and 64 rows: a program, not a test. Prints
 * the median of 15 timed runs (after 2,000 warm-up calls) per form and batch, in elements per ns.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/core/classes:target/core/test-classes dev.gemma4j.cpu.GegluBench</pre>
 */
public final class GegluBench {
    private static final int WIDTH = 16_384;

    public static void main(String[] args) {
        long seed = System.nanoTime();
        System.out.printf(Locale.ROOT, "GegluBench width %d, %d threads, %d lanes, seed %d%n", WIDTH,
                Runtime.getRuntime().availableProcessors(), FloatVector.SPECIES_PREFERRED.length(), seed);
        for (int rows : new int[] {1, 8, 64}) {
            float[][] in = CpuOpsTest.inputs(seed, rows * WIDTH);
            float[] out = new float[rows * WIDTH];
            double own = median(() -> CpuOps.geglu(in[0], in[1], out.length, out));
            double tanh = median(() -> tanhForm(in[0], in[1], out.length, out));
            System.out.printf(Locale.ROOT, "  %2d rows: own exp %.3f elem/ns (%.1f us), TANH form %.3f elem/ns (%.1f us), "
                    + "own / TANH time %.2f%n", rows, out.length / own, own / 1e3, out.length / tanh, tanh / 1e3, own / tanh);
        }
    }

    private static double median(Runnable r) {
        for (int i = 0; i < 2_000; i++) r.run();
        double[] ns = new double[15];
        for (int i = 0; i < ns.length; i++) {
            long t0 = System.nanoTime();
            for (int k = 0; k < 10; k++) r.run();
            ns[i] = (System.nanoTime() - t0) / 10.0;
        }
        Arrays.sort(ns);
        return ns[ns.length / 2];
    }

    /** The same blocks and parallelism as {@link CpuOps#geglu}, GELU through the Vector API's TANH. */
    private static void tanhForm(float[] gate, float[] up, int count, float[] out) {
        VectorSpecies<Float> f = FloatVector.SPECIES_PREFERRED;
        IntStream.range(0, (count + 4095) / 4096).parallel().forEach(b -> {
            int end = Math.min(count, (b + 1) * 4096);
            for (int i = b * 4096; i < end; i += f.length()) {
                FloatVector x = FloatVector.fromArray(f, gate, i);
                FloatVector u = x.mul(x).mul(x).mul(0.044715f).add(x).mul(0.7978845608028654f);
                FloatVector g = u.lanewise(VectorOperators.TANH).add(1f).mul(x).mul(0.5f);
                g.mul(FloatVector.fromArray(f, up, i)).intoArray(out, i);
            }
        });
    }
}
