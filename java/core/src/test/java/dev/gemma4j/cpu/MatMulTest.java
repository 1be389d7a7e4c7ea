package dev.gemma4j.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class MatMulTest {

    /** Every one of the 65,536 fp16 bit patterns widens exactly as Float.float16ToFloat does. */
    @Test
    void f16WidensEveryBitPatternExactly() {
        int count = 1 << 16;
        MemorySegment seg = MemorySegment.ofArray(new byte[count * 2]);
        for (int i = 0; i < count; i++) {
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L, (short) i);
        }
        Tensor t = new Tensor("all-f16", DType.F16, new long[] {count / 256, 256}, seg);
        float[] row = new float[256];
        for (int r = 0; r < count / 256; r++) {
            MatMul.widenRow(t, r, row, 0);
            for (int c = 0; c < 256; c++) {
                int bits = r * 256 + c;
                float want = Float.float16ToFloat((short) bits);
                float got = row[c];
                boolean same = Float.floatToRawIntBits(want) == Float.floatToRawIntBits(got)
                        || (Float.isNaN(want) && Float.isNaN(got));
                assertTrue(same, () -> "fp16 bits 0x" + Integer.toHexString(bits) + ": want " + want + ", got " + got);
            }
        }
    }

    /**
     * The paired 16-bit path (rows of whole vector blocks) widens every finite fp16 and bf16 bit
     * pattern exactly: a one-hot x picks out one column, so out[r] must equal W[r, c] bit for bit.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void pairedPathWidensEveryFiniteBitPatternExactly(DType dtype) {
        int rows = 256, cols = 256;
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols * 2]);
        for (int i = 0; i < rows * cols; i++) {
            int exponentMask = dtype == DType.F16 ? 0x7c00 : 0x7f80;
            short bits = (short) ((i & exponentMask) == exponentMask ? 0 : i);
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L, bits);
        }
        Tensor t = new Tensor("patterns", dtype, new long[] {rows, cols}, seg);
        for (int c : new int[] {0, 1, 30, 31, 32, 255}) {
            float[] x = new float[cols];
            x[c] = 1f;
            for (int n : new int[] {1, 4}) {
                float[] xs = new float[n * cols];
                for (int k = 0; k < n; k++) System.arraycopy(x, 0, xs, k * cols, cols);
                float[] y = new float[n * rows];
                MatMul.matmul(t, xs, n, y, false);
                for (int k = 0; k < n; k++) {
                    for (int r = 0; r < rows; r++) {
                        float want = t.getFloat((long) r * cols + c);
                        assertTrue(Float.floatToIntBits(want + 0f) == Float.floatToIntBits(y[k * rows + r]),
                                dtype + " row " + r + " col " + c + ": want " + want + ", got " + y[k * rows + r]);
                    }
                }
            }
        }
    }

    /**
     * Against a float64 reference on odd sizes (tails shorter than a vector), 1 token and several
     * tokens (partial token blocks), accumulate on and off.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matchesFloat64Reference(DType dtype) {
        long seed = System.nanoTime();
        System.out.println("MatMulTest seed " + seed + " dtype " + dtype);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] shapes = {{1, 1}, {7, 13}, {33, 64}, {65, 100}, {128, 257}, {17, 512}};
        for (int[] s : shapes) {
            int out = s[0], in = s[1];
            float[] w = new float[out * in];
            for (int i = 0; i < w.length; i++) w[i] = dtype.round((float) rnd.nextGaussian());
            Tensor t = Tensor.of("w", dtype, new long[] {out, in}, w);
            for (int n : new int[] {1, 3, 4, 9}) {
                float[] x = new float[n * in];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] y = new float[n * out];
                for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextGaussian();
                float[] base = y.clone();
                MatMul.matmul(t, x, n, y, true);
                double num = 0, den = 0;
                for (int tk = 0; tk < n; tk++) {
                    for (int r = 0; r < out; r++) {
                        double ref = base[tk * out + r];
                        for (int i = 0; i < in; i++) ref += (double) w[r * in + i] * x[tk * in + i];
                        double d = y[tk * out + r] - ref;
                        assertTrue(!Double.isNaN(y[tk * out + r]), "NaN");
                        num += d * d;
                        den += ref * ref;
                    }
                }
                double rel = Math.sqrt(num / den);
                // fp32 accumulation over at most 257 products: error ~ sqrt(in) * 2^-24 ≈ 1e-6.
                assertTrue(rel < 1e-5, dtype + " " + out + "x" + in + " n=" + n + ": relative error " + rel);
            }
        }
    }

    /**
     * Every output element is the same function whatever the token count: one token at a time
     * (streaming driver), a decode batch (streaming, 4-token blocks and leftovers) and a prefill
     * (GEMM driver: widened tiles, K-blocks, 4 x 4 micro-tiles and leftovers) agree bit for bit.
     * Shapes cover rows and tokens that are not multiples of 4, K beyond one K-block, and K with a tail.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void everyTokenCountGivesBitIdenticalResults(DType dtype) {
        long seed = System.nanoTime();
        System.out.println("MatMulTest.everyTokenCountGivesBitIdenticalResults seed " + seed + " dtype " + dtype);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] shapes = {{70, 512}, {13, 64}, {9, 100}, {131, 288}};
        for (int[] s : shapes) {
            int out = s[0], in = s[1];
            float[] w = new float[out * in];
            for (int i = 0; i < w.length; i++) w[i] = dtype.round((float) rnd.nextGaussian());
            Tensor t = Tensor.of("w", dtype, new long[] {out, in}, w);
            int n = 75;   // two GEMM token tiles, the second partial; leftovers of the 4-token blocks
            float[] x = new float[n * in];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] all = new float[n * out];
            MatMul.matmul(t, x, n, all, false);
            for (int batch : new int[] {1, 3, 4, 7}) {
                for (int t0 = 0; t0 + batch <= n; t0 += batch) {
                    float[] part = new float[batch * out];
                    MatMul.matmul(t, java.util.Arrays.copyOfRange(x, t0 * in, (t0 + batch) * in), batch, part, false);
                    for (int i = 0; i < part.length; i++) {
                        int tok = t0 + i / out, r = i % out;
                        float want = all[tok * out + r], got = part[i];
                        assertTrue(Float.floatToRawIntBits(want) == Float.floatToRawIntBits(got),
                                () -> dtype + " " + out + "x" + in + " batch " + batch + " token " + tok + " row " + r
                                        + ": " + n + " tokens give " + want + ", " + batch + " give " + got);
                    }
                }
            }
        }
    }

    /**
     * The kernels' widening of paired 16-bit rows (two weights per int, chunk order) is exact for
     * every one of the 65,536 bit patterns, inf, NaN, zeros and subnormals included.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void pairedWideningIsExactForEveryBitPattern(DType dtype) {
        int rows = 256, cols = 256, lanes = MatMul.F.length();
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols * 2]);
        for (int i = 0; i < rows * cols; i++) {
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L, (short) i);
        }
        Tensor t = new Tensor("patterns", dtype, new long[] {rows, cols}, seg);
        for (int r = 0; r < rows; r++) {
            float[] got = MatMul.widenedRow(t, r);
            for (int k = 0; k < cols; k++) {
                // chunk order: each 2L block holds its even elements, then its odd ones
                int block = k / (2 * lanes), j = k % (2 * lanes);
                int c = block * 2 * lanes + (j < lanes ? 2 * j : 2 * (j - lanes) + 1);
                float want = t.getFloat((long) r * cols + c);
                float g = got[k];
                int bits = r * cols + c;
                assertTrue(Float.floatToRawIntBits(want) == Float.floatToRawIntBits(g)
                                || (Float.isNaN(want) && Float.isNaN(g)),
                        () -> dtype + " bits 0x" + Integer.toHexString(bits) + ": want " + want + ", got " + g);
            }
        }
    }

    /** laneSum's vector halving gives exactly the pairwise tree [j] += [j + L/2], ..., on any values. */
    @Test
    void laneSumIsThePairwiseTree() {
        long seed = System.nanoTime();
        System.out.println("MatMulTest.laneSumIsThePairwiseTree seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int lanes = MatMul.F.length();
        for (int k = 0; k < 20000; k++) {
            float[] x = new float[lanes];
            for (int i = 0; i < lanes; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-6, 7)));
            float[] tree = x.clone();
            for (int width = lanes / 2; width >= 1; width /= 2) {
                for (int j = 0; j < width; j++) tree[j] += tree[j + width];
            }
            float got = MatMul.laneSum(x.clone(), 0);
            int kk = k;
            assertTrue(Float.floatToRawIntBits(tree[0]) == Float.floatToRawIntBits(got),
                    () -> "vector " + kk + ": tree " + tree[0] + ", laneSum " + got);
        }
    }
}
