package dev.gemma4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.RandomBlocks;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused kernels of every quantized type against gemma4j's dense fp32 path on the same weights
 * dequantized (each element a · q + b, as {@link DType#read} gives it): random blocks (every integer
 * value, every 6- or 8-bit group scale and min, fp16 scales over two decades), random activations,
 * from a printed seed.
 */
class QuantizedMatMulTest {

    /**
     * Both paths sum the same products (a · q and b, each within an fp32 rounding of w's terms; q · x
     * is exact before its fma's rounding), in different orders: at most inDim / L + 32 / L + log2 L + 2
     * roundings each between a product and the result, so |difference| ≤ 2 · (inDim / L + 38) · 2^-24
     * · Σ (|a_i q_i| + |b_i|) · |x_i| (which is Σ|w_i x_i| for the types without offsets): 9.3e-6 for
     * inDim 512 on 8 lanes, less on 16, 1.3e-5 for inDim 768 (the K-quants' 3 super-blocks) on 8
     * lanes. The test's 1e-5 of that sum (2e-5 beyond 512 columns) holds with that margin; measured
     * errors are ~100 times smaller.
     */
    private static final double TOLERANCE = 1e-5, WIDE_TOLERANCE = 2e-5;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void fusedKernelMatchesFloatPathOnDequantizedWeights(DType dtype) {
        long seed = Long.getLong("gemma4j.quant.seed", System.nanoTime());
        System.out.println("QuantizedMatMulTest seed " + seed + " (-Dgemma4j.quant.seed=" + seed + ") " + dtype);
        SplittableRandom rnd = new SplittableRandom(seed);
        int bs = dtype.blockSize();
        for (int[] shape : new int[][] {{37, bs}, {64, 512}, {19, 3 * bs}}) {
            int rows = shape[0], cols = shape[1];
            Tensor q = RandomBlocks.tensor(dtype, rows, cols, rnd);
            float[] deq = q.toFloatArray();
            double[] terms = terms(q);
            double tolerance = cols > 512 ? WIDE_TOLERANCE : TOLERANCE;
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
                        for (int i = 0; i < cols; i++) scale += terms[r * cols + i] * Math.abs(x[t * cols + i]);
                        double e = Math.abs((double) ours[t * rows + r] - dense[t * rows + r]) / scale;
                        worst = Double.isNaN(e) ? Double.NaN : Math.max(worst, e);
                    }
                }
                String where = dtype + " [" + rows + ", " + cols + "] × " + n + " tokens, seed " + seed;
                System.out.printf("  %s: worst |fused - dense| / Σ(|a q| + |b|)|x| = %.2e%n", where, worst);
                assertTrue(worst <= tolerance, where + ": error " + worst + " over " + tolerance);

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
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void rowsThatAreNotWholeBlocksAreRefused(DType dtype) {
        MemorySegment data = MemorySegment.ofArray(new byte[dtype.blockBytes() * 2]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("model.layers.0.mlp.up_proj.weight", dtype, new long[] {4, dtype.blockSize() / 2}, data));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.up_proj.weight")
                && e.getMessage().contains("blocks of " + dtype.blockSize()), e.getMessage());
    }

    /** |a q| + |b| of every element: the size of the terms the kernels sum. */
    private static double[] terms(Tensor t) {
        DType dtype = t.dtype();
        double[] out = new double[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < out.length; i++) {
            long block = (long) (i / dtype.blockSize()) * dtype.blockBytes();
            int j = i % dtype.blockSize(), g = j / dtype.groupSize();
            out[i] = Math.abs((double) dtype.groupScale(t.data(), block, g) * dtype.quantizedValue(t.data(), block, j))
                    + Math.abs((double) dtype.groupOffset(t.data(), block, g));
        }
        return out;
    }
}
