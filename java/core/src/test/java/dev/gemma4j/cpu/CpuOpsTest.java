package dev.gemma4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuOpsTest {
    private static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    /**
     * Gate values over GELU's whole range: mostly N(0, 2) and uniform in [-12, 12] (where e^-|2u| runs from 1
     * down through fp32's subnormals to 0), plus zeros, tiny and huge magnitudes; up values N(0, 1).
     */
    static float[][] inputs(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] special = {0f, -0f, 1e-30f, -1e-30f, Float.MIN_VALUE, -Float.MIN_NORMAL, 50f, -50f, 1e20f, -1e20f};
        float[] gate = new float[count], up = new float[count];
        for (int i = 0; i < count; i++) {
            int kind = r.nextInt(16);
            gate[i] = kind == 0 ? special[r.nextInt(special.length)]
                    : kind < 8 ? (float) (2 * r.nextGaussian()) : (float) r.nextDouble(-12, 12);
            up[i] = (float) r.nextGaussian();
        }
        return new float[][] {gate, up};
    }

    /** Each element of one call equals {@link CpuOps#gegluElement} of its inputs, bit for bit. */
    private static int differingFromScalar(float[] gate, float[] up, int from, float[] out) {
        int differ = 0;
        for (int i = from; i < gate.length; i++) {
            if (Float.floatToRawIntBits(out[i]) != Float.floatToRawIntBits(CpuOps.gegluElement(gate[i], up[i]))) {
                differ++;
            }
        }
        return differ;
    }

    /**
     * The same (gate, up) pairs at every offset in a vector and in calls of every length up to three vectors
     * and a tail, and across the parallel blocks of a long call, land in vector lanes or in the scalar tail:
     * every output must equal the scalar function of its inputs exactly.
     */
    @Test
    void gegluElementsDoNotDependOnPositionOrLength() {
        long seed = System.nanoTime();
        System.out.println("CpuOpsTest.gegluElementsDoNotDependOnPositionOrLength seed " + seed + ", " + LANES + " lanes");
        float[][] in = inputs(seed, 3 * LANES + 3);
        int differ = 0, checked = 0;
        for (int offset = 0; offset <= LANES; offset++) {
            for (int len = 1; len <= in[0].length; len++) {
                float[] gate = new float[offset + len], up = new float[offset + len], out = new float[offset + len];
                System.arraycopy(in[0], 0, gate, offset, len);
                System.arraycopy(in[1], 0, up, offset, len);
                CpuOps.geglu(gate, up, gate.length, out);
                differ += differingFromScalar(gate, up, offset, out);
                checked += len;
            }
        }
        float[][] big = inputs(seed + 1, 3 * 4096 + LANES + 5);
        float[] out = new float[big[0].length];
        CpuOps.geglu(big[0], big[1], out.length, out);
        differ += differingFromScalar(big[0], big[1], 0, out);
        checked += out.length;
        System.out.printf("  %d of %d elements differ from the scalar function%n", differ, checked);
        assertEquals(0, differ, "elements whose GeGLU depends on where they sit in the call");
    }

    /**
     * The interpreter (the Vector API's Java fallback), C1 and C2 after warm-up give the same bits. Child
     * JVMs run with {@code -Xint} and with {@code -XX:TieredStopAtLevel=1}; this JVM compares its first
     * (cold) call and its result after enough calls for C2 to compile the loop.
     */
    @Test
    void gegluIsTheSameInEveryJitTier(@TempDir Path dir) throws Exception {
        long seed = System.nanoTime();
        int count = 4 * 4096 + 3 * LANES + 5;
        System.out.println("CpuOpsTest.gegluIsTheSameInEveryJitTier seed " + seed + ", " + count + " elements");
        float[][] in = inputs(seed, count);
        float[] cold = new float[count];
        CpuOps.geglu(in[0], in[1], count, cold);
        float[] warm = new float[count];
        float[] small = new float[1024 + 3];
        for (int i = 0; i < 20_000; i++) {
            CpuOps.geglu(in[0], in[1], small.length, small);
        }
        CpuOps.geglu(in[0], in[1], count, warm);
        assertEquals(0, differing(cold, warm), "elements differing between the first call and the warmed-up one");
        for (String flag : List.of("-Xint", "-XX:TieredStopAtLevel=1")) {
            float[] child = childOutputs(dir, flag, seed, count);
            int differ = differing(child, warm);
            System.out.printf("  %s vs C2: %d of %d elements differ%n", flag, differ, count);
            assertEquals(0, differ, "elements differing between a JVM run with " + flag + " and C2");
        }
    }

    private static int differing(float[] a, float[] b) {
        int differ = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) differ++;
        }
        return differ;
    }

    private static float[] childOutputs(Path dir, String flag, long seed, int count) throws Exception {
        Path file = dir.resolve("geglu" + flag.replaceAll("[^A-Za-z0-9]", "") + ".bin");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                flag, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                CpuOpsTest.class.getName(), Long.toString(seed), Integer.toString(count), file.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] log = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the " + flag + " JVM did not finish");
        assertEquals(0, p.exitValue(), () -> "the " + flag + " JVM failed: " + new String(log));
        float[] out = new float[count];
        try (InputStream s = Files.newInputStream(file); DataInputStream d = new DataInputStream(s)) {
            for (int i = 0; i < count; i++) out[i] = d.readFloat();
        }
        return out;
    }

    /** Child JVM of {@link #gegluIsTheSameInEveryJitTier}: writes geglu of {@link #inputs}(seed, count) to the file. */
    public static void main(String[] args) throws IOException {
        long seed = Long.parseLong(args[0]);
        int count = Integer.parseInt(args[1]);
        float[][] in = inputs(seed, count);
        float[] out = new float[count];
        CpuOps.geglu(in[0], in[1], count, out);
        try (OutputStream s = Files.newOutputStream(Path.of(args[2])); DataOutputStream d = new DataOutputStream(s)) {
            for (float v : out) d.writeFloat(v);
        }
    }

    /**
     * Against float64 GELU at the same fp32 inputs, {@code y64 = x σ(z) · up}, {@code z = 2 sqrt(2/π)(x +
     * 0.044715 x³)} (equal to {@code 0.5 x (1 + tanh(z/2))}; the σ form has no cancellation in float64
     * either). Relative error bound, in units of 2^-24 (half an fp32 ulp at most): z in fp32 carries
     * four roundings (4 units) and the fp32 constants 0.044715 and 2 sqrt(2/π) (0.6 and 0.5 units), under
     * 6 units of z, and {@code d ln y / dz = 1 - σ(z)} is below 1, so z contributes at most {@code 6|z|}
     * (the inputs' own fp32 rounding is the same for y and y64); e = e^-|z| is within 2 ulps (4 units;
     * the reduction is exact, the polynomial within 1 ulp, its fmas round 3 times) and {@code |d ln y / d
     * ln e| ≤ 1}, 4 units; 1 + e, x·e, the division and ·up round once each, 4 units. So
     * {@code |y - y64| ≤ (8 + 6|z|) 2^-24 |y64|}, plus, where e or y is subnormal, {@code ((|x| + 2) |up| +
     * 1) 2^-149} absolute (e's and x·e's rounding on the subnormal grid, scaled by up, then the last product's).
     */
    @Test
    void gegluIsWithinItsBoundOfFloat64Gelu() {
        long seed = System.nanoTime();
        System.out.println("CpuOpsTest.gegluIsWithinItsBoundOfFloat64Gelu seed " + seed);
        int count = 1 << 20;
        float[][] in = inputs(seed, count);
        float[] out = new float[count];
        CpuOps.geglu(in[0], in[1], count, out);
        double worstRatio = 0, worstRel = 0;
        int worst = 0;
        for (int i = 0; i < count; i++) {
            double x = in[0][i], up = in[1][i];
            double z = 2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
            double want = x / (1 + Math.exp(-z)) * up;
            double err = Math.abs(out[i] - want);
            double absolute = ((Math.abs(x) + 2) * Math.abs(up) + 1) * 0x1p-149;
            double units = err <= absolute ? 0 : (err - absolute) / (Math.abs(want) * 0x1p-24);
            double bound = 8 + 6 * Math.abs(z);
            int at = i;
            assertTrue(units <= bound, () -> String.format("geglu(%s, %s) = %s, float64 %s: %.2f units of 2^-24, bound %.2f",
                    in[0][at], in[1][at], out[at], want, units, bound));
            if (units / bound > worstRatio) {
                worstRatio = units / bound;
                worst = i;
            }
            if (Math.abs(want) >= Float.MIN_NORMAL) worstRel = Math.max(worstRel, err / Math.abs(want));
        }
        System.out.printf("  largest error / bound %.3f at x = %s; largest relative error of normal outputs %.3g%n",
                worstRatio, in[0][worst], worstRel);
    }
}
