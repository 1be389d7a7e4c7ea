package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.cuda.bindings.cublas_h;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gemm.projection's cublasGemmEx arguments, executed by a column-major GEMM written from the BLAS
 * definition, give the row-major {@code y = x · Wᵀ (+ y)} the forward pass needs.
 */
class GemmMappingTest {
    /** BLAS: C = alpha op(A) op(B) + beta C, column-major, element (i, j) of X at X[i + j ld]. */
    private static void blasGemm(Gemm.Call c, float[] a, float[] b, float[] out) {
        boolean ta = c.transa() == cublas_h.CUBLAS_OP_T();
        boolean tb = c.transb() == cublas_h.CUBLAS_OP_T();
        for (int j = 0; j < c.n(); j++) {
            for (int i = 0; i < c.m(); i++) {
                double sum = 0;
                for (int p = 0; p < c.k(); p++) {
                    double av = ta ? a[p + i * c.lda()] : a[i + p * c.lda()];
                    double bv = tb ? b[j + p * c.ldb()] : b[p + j * c.ldb()];
                    sum += av * bv;
                }
                out[i + j * c.ldc()] = (float) (c.alpha() * sum + c.beta() * out[i + j * c.ldc()]);
            }
        }
    }

    @Test
    void projectionComputesRowMajorXTimesWTransposed() {
        long seed = System.nanoTime();
        System.out.println("GemmMappingTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int[][] shapes = {{1, 64, 128}, {7, 33, 5}, {13, 96, 256}, {3, 1, 1}};
        for (int[] s : shapes) {
            int rows = s[0], in = s[1], out = s[2];
            float[] x = new float[rows * in];
            float[] w = new float[out * in];
            float[] y0 = new float[rows * out];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
            for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian();
            for (int i = 0; i < y0.length; i++) y0[i] = (float) random.nextGaussian();
            for (boolean accumulate : new boolean[] {false, true}) {
                Gemm.Call call = Gemm.projection(100, 200, 300, rows, in, out, Gemm.Output.F32, accumulate);
                assertEquals(200, call.a(), "A is the weight");
                assertEquals(100, call.b(), "B is the activation");
                assertEquals(300, call.c(), "C is the output");
                float[] y = y0.clone();
                blasGemm(call, w, x, y);
                double diff = 0, norm = 0;
                for (int t = 0; t < rows; t++) {
                    for (int o = 0; o < out; o++) {
                        double want = accumulate ? y0[t * out + o] : 0;
                        for (int i = 0; i < in; i++) want += (double) x[t * in + i] * w[o * in + i];
                        double d = y[t * out + o] - want;
                        diff += d * d;
                        norm += want * want;
                    }
                }
                double rel = Math.sqrt(diff / norm);
                // Both sides sum the same products in double and round once to float: ~1e-8.
                assertTrue(rel < 1e-6, rows + "x" + in + "x" + out + " accumulate " + accumulate + ": " + rel);
            }
        }
    }

    @Test
    void operandTypesAndComputeMode() {
        Gemm.Call half = Gemm.projection(1, 2, 3, 4, 5, 6, Gemm.Output.F16, false);
        assertEquals(cublas_h.CUDA_R_16F(), half.aType());
        assertEquals(cublas_h.CUDA_R_16F(), half.bType());
        assertEquals(cublas_h.CUDA_R_16F(), half.cType());
        assertEquals(cublas_h.CUBLAS_COMPUTE_32F(), half.computeType());
        assertEquals(0f, half.beta());
        assertEquals(1f, half.alpha());
        Gemm.Call single = Gemm.projection(1, 2, 3, 4, 5, 6, Gemm.Output.F32, true);
        assertEquals(cublas_h.CUDA_R_32F(), single.cType());
        assertEquals(1f, single.beta());
        assertEquals(6, single.m());
        assertEquals(4, single.n());
        assertEquals(5, single.k());
        assertEquals(5, single.lda());
        assertEquals(5, single.ldb());
        assertEquals(6, single.ldc());
        assertThrows(IllegalArgumentException.class, () -> Gemm.projection(1, 2, 3, 0, 5, 6, Gemm.Output.F32, true));
    }
}
