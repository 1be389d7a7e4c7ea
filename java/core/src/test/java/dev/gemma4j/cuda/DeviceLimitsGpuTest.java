package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The limits a benchmark is measured against, measured on operands that are data, not zeros. */
@Tag("gpu")
class DeviceLimitsGpuTest {

    /**
     * Both GEMM operands hold values spread over their range: no zeros, thousands of distinct values,
     * a mean magnitude near half the amplitude (uniform in [-a, a)), and different values in each.
     */
    @Test
    void theTimedGemmRunsOnRandomOperands() {
        int m = 96, n = 16, k = 256;
        try (GpuFixture gpu = GpuFixture.openOrSkip(64L << 20)) {
            DeviceLimits.GemmOperands operands = DeviceLimits.gemmOperands(gpu.ctx, gpu.memory, m, n, k);
            gpu.ctx.synchronize("filling the GEMM operands");
            short[] weight = gpu.readHalves(operands.weight().address(), m * k);
            short[] input = gpu.readHalves(operands.input().address(), n * k);
            assertSpread("weight", weight, 1 / Math.sqrt(k));
            assertSpread("input", input, 1);
            assertTrue(!Arrays.equals(Arrays.copyOf(weight, input.length), input), "weight and input hold the same bits");
        }
    }

    private static void assertSpread(String what, short[] halves, double amplitude) {
        int zeros = 0;
        double sumAbs = 0, max = 0;
        Set<Short> distinct = new HashSet<>();
        for (short h : halves) {
            float v = Float.float16ToFloat(h);
            assertTrue(Float.isFinite(v), what + " holds " + v);
            if (v == 0) zeros++;
            sumAbs += Math.abs(v);
            max = Math.max(max, Math.abs(v));
            distinct.add(h);
        }
        double meanAbs = sumAbs / halves.length;
        System.out.printf("  %s: %d values, %d zeros, %d distinct, mean |v| %.4f, max |v| %.4f (amplitude %.4f)%n",
                what, halves.length, zeros, distinct.size(), meanAbs, max, amplitude);
        // A value is zero only where the fill's uniform u (steps of 2^-23) has |u x a| <= 2^-25, which
        // fp16 rounds to 0: about 2^-21 of the values for a = 1/16, none expected among these.
        assertEquals(0, zeros, what + " zeros");
        assertTrue(distinct.size() > halves.length / 4, what + ": only " + distinct.size() + " distinct values");
        // Uniform in [-a, a): mean |v| = a / 2; 4,096 values put it within a few percent.
        assertTrue(Math.abs(meanAbs - amplitude / 2) < 0.1 * amplitude, what + " mean |v| " + meanAbs);
        assertTrue(max <= amplitude * (1 + 1e-3), what + " max |v| " + max);
    }

    /** The whole measurement runs and gives positive, finite rates. */
    @Test
    void measureGivesPositiveRates() {
        GpuFixture.openContextOrSkip().close();
        DeviceLimits limits = DeviceLimits.measure(0, 1L << 20, 96, 16, 256);
        System.out.println("  " + limits);
        assertTrue(limits.copyBytesPerSecond() > 0 && Double.isFinite(limits.copyBytesPerSecond()), limits.toString());
        assertTrue(limits.gemmFlopsPerSecond() > 0 && Double.isFinite(limits.gemmFlopsPerSecond()), limits.toString());
        assertEquals("96 x 16 x 256", limits.gemmShape());
    }
}
