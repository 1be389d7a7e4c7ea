package dev.gemma4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused Q8_0 / Q4_0 kernels against gemma4j's dense fp32 path on the same weights dequantized
 * (each element q · d, as {@link DType#read} gives it): random blocks (every int8 or nibble value,
 * fp16 scales over two decades), random activations, from a printed seed.
 */
class QuantizedMatMulTest {
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Both paths sum the same exact products w_i · x_i (q · d is exact in fp32 after the one rounding
     * of w; q · x is exact before its fma's rounding), in different orders: at most
     * inDim / L + 32 / L + log2 L + 2 roundings each between a product and the result, so
     * |difference| ≤ 2 · (inDim / L + 38) · 2^-24 · Σ|w_i x_i|: 9.3e-6 for inDim 512 on 8 lanes, less
     * on 16. The test's 1e-5 of Σ|w_i x_i| holds with that margin; measured errors are ~100 times smaller.
     */
    private static final double TOLERANCE = 1e-5;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0"})
    void fusedKernelMatchesFloatPathOnDequantizedWeights(DType dtype) {
        long seed = Long.getLong("gemma4j.quant.seed", System.nanoTime());
        System.out.println("QuantizedMatMulTest seed " + seed + " (-Dgemma4j.quant.seed=" + seed + ") " + dtype);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int[] shape : new int[][] {{37, 32}, {64, 512}, {19, 96}}) {
            int rows = shape[0], cols = shape[1];
            Tensor q = random(dtype, rows, cols, rnd);
            float[] deq = q.toFloatArray();
            Tensor f = Tensor.of("w", DType.F32, new long[] {rows, cols}, deq);
            for (int n : new int[] {1, 3, 4, 5, 8, 13, 70}) {
                float[] x = new float[n * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] ours = new float[n * rows], dense = new float[n * rows];
                MatMul.matmul(q, x, n, ours, false);
                MatMul.matmul(f, x, n, dense, false);
                double worst = 0;
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < rows; r++) {
                        double scale = 0;
                        for (int i = 0; i < cols; i++) scale += Math.abs((double) deq[r * cols + i] * x[t * cols + i]);
                        double e = Math.abs((double) ours[t * rows + r] - dense[t * rows + r]) / scale;
                        worst = Double.isNaN(e) ? Double.NaN : Math.max(worst, e);
                    }
                }
                String where = dtype + " [" + rows + ", " + cols + "] × " + n + " tokens, seed " + seed;
                System.out.printf("  %s: worst |fused - dense| / Σ|w x| = %.2e%n", where, worst);
                assertTrue(worst <= TOLERANCE, where + ": error " + worst + " over " + TOLERANCE);

                // Batch invariance: each token alone gives the same bits as inside the batch.
                float[] alone = new float[rows];
                for (int t = 0; t < n; t++) {
                    MatMul.matmul(q, Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, alone, false);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(Float.floatToRawIntBits(alone[r]), Float.floatToRawIntBits(ours[t * rows + r]),
                                where + ": token " + t + " row " + r + " alone differs from the batch");
                    }
                }
                // accumulate adds onto what is there.
                float[] acc = new float[n * rows];
                Arrays.fill(acc, 1f);
                MatMul.matmul(q, x, n, acc, true);
                for (int i = 0; i < acc.length; i++) assertEquals(1f + ours[i], acc[i], where + ": accumulate at " + i);
            }
            float[] row = new float[cols];
            MatMul.widenRow(q, rows - 1, row, 0);
            assertTrue(Arrays.equals(Arrays.copyOfRange(deq, (rows - 1) * cols, rows * cols), row),
                    dtype + ": embedding row lookup dequantizes as DType.read does");
        }
    }

    /** A row that is not a whole number of blocks is refused naming the tensor. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0"})
    void rowsThatAreNotWholeBlocksAreRefused(DType dtype) {
        MemorySegment data = MemorySegment.ofArray(new byte[dtype.blockBytes() * 2]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("model.layers.0.mlp.up_proj.weight", dtype, new long[] {4, 16}, data));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.up_proj.weight") && e.getMessage().contains("blocks of 32"),
                e.getMessage());
    }

    /** Random blocks: fp16 scales in [2^-10, 2^-3], every integer value. */
    static Tensor random(DType dtype, int rows, int cols, SplittableRandom rnd) {
        int blocks = rows * cols / 32;
        byte[] bytes = new byte[blocks * dtype.blockBytes()];
        rnd.nextBytes(bytes);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (int b = 0; b < blocks; b++) {
            float d = (float) Math.scalb(1 + rnd.nextDouble(), -10 + rnd.nextInt(8)) * (rnd.nextBoolean() ? 1 : -1);
            seg.set(SHORT_LE, (long) b * dtype.blockBytes(), Float.floatToFloat16(d));
        }
        return new Tensor("w", dtype, new long[] {rows, cols}, seg);
    }
}
