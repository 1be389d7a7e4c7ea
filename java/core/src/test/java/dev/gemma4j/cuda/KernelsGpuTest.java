package dev.gemma4j.cuda;

import static dev.gemma4j.cuda.GpuFixture.relativeError;
import static dev.gemma4j.cuda.GpuFixture.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.cpu.CpuOps;
import dev.gemma4j.model.DType;
import dev.gemma4j.synthetic.SyntheticWeights;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every kernel the CUDA backend launches, and its GEMM mapping, run through {@link Kernels} and
 * {@link CudaContext#launch} on the device and checked against the CPU reference op in
 * {@link CpuOps} (or exact Java arithmetic) on fresh random inputs; the seed is printed.
 *
 * <p>Tolerances: kernels whose output is fp16 are bounded by 1e-3 relative error: rounding a value
 * to fp16 moves it by at most 2^-11 relative, about 2.8e-4 rms over many values, and fp32
 * arithmetic in another order adds ~1e-6; an indexing or formula error gives errors of order 1.
 */
@Tag("gpu")
class KernelsGpuTest {
    private static GpuFixture gpu;
    private long seed;
    private SplittableRandom random;

    @BeforeAll
    static void open() {
        gpu = GpuFixture.openOrSkip(4L << 30);
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
    }

    @BeforeEach
    void seed(org.junit.jupiter.api.TestInfo info) {
        gpu.ctx.makeCurrent();
        seed = System.nanoTime();
        System.out.println(info.getDisplayName() + " seed " + seed);
        random = new SplittableRandom(seed);
    }

    private float[] normal(int count, double sigma) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) (random.nextGaussian() * sigma);
        return v;
    }

    private short[] halves(int count, double sigma) {
        short[] h = new short[count];
        for (int i = 0; i < count; i++) h[i] = Float.floatToFloat16((float) (random.nextGaussian() * sigma));
        return h;
    }

    @Test
    void embeddingGatherIsExact() {
        int vocab = 1001, hidden = 300;
        float scale = 45.25f;
        short[] embed = halves(vocab * hidden, 0.5 / Math.sqrt(hidden));
        int[] tokens = {3, 0, 1000, 517, 3};
        try (DeviceBuffer e = gpu.halves(embed); DeviceBuffer t = gpu.ints(tokens);
             DeviceBuffer out = gpu.zeros("residual", 4L * tokens.length * hidden)) {
            gpu.ctx.launch(Kernels.embeddingGather(e.address(), t.address(), out.address(), tokens.length, hidden,
                    vocab, scale));
            float[] got = gpu.readFloats(out.address(), tokens.length * hidden);
            for (int i = 0; i < tokens.length; i++) {
                for (int d = 0; d < hidden; d++) {
                    // One fp32 product on both sides.
                    float want = Float.float16ToFloat(embed[tokens[i] * hidden + d]) * scale;
                    assertEquals(want, got[i * hidden + d], "token " + i + " dim " + d);
                }
            }
        }
    }

    @Test
    void rmsnormMatchesCpuOps() {
        int[][] shapes = {{1, 2048}, {7, 333}, {3, 3072}};
        for (int[] s : shapes) {
            int n = s[0], hidden = s[1];
            float[] x = normal(n * hidden, 3);
            short[] w = halves(hidden, 0.2);
            float eps = 1e-6f;
            try (DeviceBuffer dx = gpu.floats(x); DeviceBuffer dw = gpu.halves(w);
                 DeviceBuffer dy = gpu.zeros("y", 2L * n * hidden)) {
                gpu.ctx.launch(Kernels.rmsnorm(dx.address(), dw.address(), dy.address(), n, hidden, eps,
                        Kernels.RangeFlags.NONE, 0));
                float[] got = widen(gpu.readHalves(dy.address(), n * hidden));
                float[] want = new float[n * hidden];
                CpuOps.rmsNorm(x, widen(w), eps, n, hidden, want);
                double rel = relativeError(got, want);
                System.out.printf("  rmsnorm n=%d hidden=%d: relative error %.2e%n", n, hidden, rel);
                assertTrue(rel < 1e-3, "rmsnorm n=" + n + " hidden=" + hidden + ": " + rel);
            }
        }
    }

    @Test
    void ropeAndCacheMatchesCpuOps() {
        // heads, kvHeads, headDim, n, startPos: 2B-like, 7B-like, tiny, one token far into the context.
        int[][] cases = {{8, 1, 256, 5, 0}, {16, 16, 256, 3, 4100}, {4, 2, 16, 9, 17}, {4, 1, 32, 1, 8000}};
        for (int[] cs : cases) {
            int heads = cs[0], kvHeads = cs[1], headDim = cs[2], n = cs[3], startPos = cs[4];
            int capacity = startPos + n + 3;
            int qDim = heads * headDim, kvDim = kvHeads * headDim, width = qDim + 2 * kvDim;
            short[] qkv = halves(n * width, 1);
            int[] positions = new int[n];
            for (int t = 0; t < n; t++) positions[t] = startPos + t;
            long cacheBytes = 2L * kvHeads * capacity * headDim;
            try (DeviceBuffer dqkv = gpu.halves(qkv); DeviceBuffer slots = gpu.ints(new int[n]);
                 DeviceBuffer pos = gpu.ints(positions); DeviceBuffer kc = gpu.zeros("k cache", cacheBytes);
                 DeviceBuffer vc = gpu.zeros("v cache", cacheBytes)) {
                long q = dqkv.address();
                gpu.ctx.launch(Kernels.ropeAndCache(q, width, q + 2L * qDim, width, q + 2L * (qDim + kvDim), width,
                        kc.address(), vc.address(), slots.address(), pos.address(), n, heads, kvHeads, headDim, 1,
                        capacity, 10000f, Kernels.RangeFlags.NONE, 0));
                float[] all = widen(qkv);
                float[] wantQ = new float[n * qDim];
                float[] wantK = new float[n * kvDim];
                float[] wantV = new float[n * kvDim];
                for (int t = 0; t < n; t++) {
                    System.arraycopy(all, t * width, wantQ, t * qDim, qDim);
                    System.arraycopy(all, t * width + qDim, wantK, t * kvDim, kvDim);
                    System.arraycopy(all, t * width + qDim + kvDim, wantV, t * kvDim, kvDim);
                }
                float[] invFreq = CpuOps.ropeInverseFrequencies(headDim, 10000);
                CpuOps.rope(wantQ, n, heads, headDim, startPos, invFreq);
                CpuOps.rope(wantK, n, kvHeads, headDim, startPos, invFreq);
                float[] gotAll = widen(gpu.readHalves(q, n * width));
                float[] gotQ = new float[n * qDim];
                for (int t = 0; t < n; t++) System.arraycopy(gotAll, t * width, gotQ, t * qDim, qDim);
                float[] kCache = widen(gpu.readHalves(kc.address(), kvHeads * capacity * headDim));
                float[] vCache = widen(gpu.readHalves(vc.address(), kvHeads * capacity * headDim));
                float[] gotK = new float[n * kvDim];
                float[] gotV = new float[n * kvDim];
                for (int t = 0; t < n; t++) {
                    for (int h = 0; h < kvHeads; h++) {
                        int cacheRow = (h * capacity + startPos + t) * headDim;
                        System.arraycopy(kCache, cacheRow, gotK, (t * kvHeads + h) * headDim, headDim);
                        System.arraycopy(vCache, cacheRow, gotV, (t * kvHeads + h) * headDim, headDim);
                    }
                }
                double relQ = relativeError(gotQ, wantQ), relK = relativeError(gotK, wantK);
                System.out.printf("  rope %d/%d heads dim %d, %d tokens from %d: q %.2e, k %.2e%n", heads, kvHeads,
                        headDim, n, startPos, relQ, relK);
                // cos/sin and the fp32 products are the same on both sides; only the fp16 store differs.
                assertTrue(relQ < 1e-3 && relK < 1e-3, "rope q " + relQ + ", k " + relK);
                assertEquals(0.0, relativeError(gotV, wantV), "v is copied into the cache unchanged");
            }
        }
    }

    @Test
    void gegluMatchesCpuOpsAndSaturates() {
        int[][] shapes = {{1, 16384}, {3, 255}, {5, 1000}};
        for (int[] s : shapes) {
            int n = s[0], inter = s[1];
            float[] gateUp = normal(n * 2 * inter, 2);
            // Stored x 2^-5: gelu(300) * 300 = 90,000 fits (2,812.5); gelu(1500) * 1500 = 2.25e6 saturates.
            gateUp[0] = 1500f;
            gateUp[inter] = 1500f;
            gateUp[1] = 300f;
            gateUp[inter + 1] = 300f;
            try (DeviceBuffer in = gpu.floats(gateUp); DeviceBuffer out = gpu.zeros("geglu", 2L * n * inter);
                 DeviceBuffer flags = gpu.zeros("range flags", 8L * n)) {
                gpu.ctx.launch(Kernels.geglu(in.address(), in.address() + 4L * inter, 2L * inter, out.address(), n, inter,
                        new Kernels.RangeFlags(flags.address(), 2), 4));
                float[] got = widen(gpu.readHalves(out.address(), n * inter));
                assertEquals(65504f, got[0], "saturated to the largest fp16");
                for (int i = 0; i < got.length; i++) got[i] = Math.scalb(got[i], Kernels.GEGLU_SCALE_SHIFT);
                float[] words = gpu.readFloats(flags.address(), 2 * n);
                int site = 4 * 8 + 5;
                assertEquals(1 << (2 * 5), Float.floatToRawIntBits(words[0]), "row 0 flagged saturated at the GeGLU");
                assertEquals(~site, Float.floatToRawIntBits(words[1]), "row 0's first site: layer 4's GeGLU");
                for (int r = 1; r < n; r++) assertEquals(0, Float.floatToRawIntBits(words[2 * r]), "row " + r + " flags");
                float[] gate = new float[n * inter];
                float[] up = new float[n * inter];
                for (int t = 0; t < n; t++) {
                    System.arraycopy(gateUp, t * 2 * inter, gate, t * inter, inter);
                    System.arraycopy(gateUp, t * 2 * inter + inter, up, t * inter, inter);
                }
                float[] want = new float[n * inter];
                CpuOps.geglu(gate, up, n * inter, want);
                got[0] = want[0] = 0;
                double rel = relativeError(got, want);
                System.out.printf("  geglu n=%d inter=%d: relative error %.2e%n", n, inter, rel);
                assertTrue(rel < 1e-3, "geglu " + rel);
            }
        }
    }

    /** K or V in the CPU layout [capacity, kvHeads, headDim] from the kernel layout [kvHeads, capacity, headDim]. */
    private static float[] tokenMajor(float[] cache, int kvHeads, int capacity, int headDim) {
        float[] out = new float[cache.length];
        for (int h = 0; h < kvHeads; h++) {
            for (int p = 0; p < capacity; p++) {
                System.arraycopy(cache, (h * capacity + p) * headDim, out, (p * kvHeads + h) * headDim, headDim);
            }
        }
        return out;
    }

    @Test
    void attentionPrefillMatchesCpuOps() {
        // heads, kvHeads, headDim, n, startPos: prompts, a chunk after earlier tokens, a context past 4,096.
        int[][] cases = {{8, 1, 256, 37, 0}, {4, 4, 32, 70, 0}, {4, 2, 16, 1, 0}, {16, 16, 256, 5, 9},
            {8, 1, 256, 23, 4100}, {4, 1, 32, 65, 4031}};
        for (int[] cs : cases) {
            int heads = cs[0], kvHeads = cs[1], headDim = cs[2], n = cs[3], startPos = cs[4];
            int capacity = startPos + n + 5;
            short[] q = halves(n * heads * headDim, 1);
            short[] k = halves(kvHeads * capacity * headDim, 1);
            short[] v = halves(kvHeads * capacity * headDim, 1);
            float scale = (float) (1 / Math.sqrt(headDim));
            try (DeviceBuffer dq = gpu.halves(q); DeviceBuffer dk = gpu.halves(k); DeviceBuffer dv = gpu.halves(v);
                 DeviceBuffer out = gpu.zeros("attention out", 2L * n * heads * headDim)) {
                gpu.ctx.launch(Kernels.attentionPrefill(CudaSwitches.prefillAttention(), dq.address(),
                        (long) heads * headDim, dk.address(), dv.address(), out.address(), (long) heads * headDim, 0,
                        startPos, n, heads, kvHeads, headDim, 1, capacity, scale));
                float[] got = widen(gpu.readHalves(out.address(), n * heads * headDim));
                float[] want = new float[n * heads * headDim];
                CpuOps.attention(widen(q), tokenMajor(widen(k), kvHeads, capacity, headDim),
                        tokenMajor(widen(v), kvHeads, capacity, headDim), n, startPos, heads, kvHeads, headDim, scale,
                        want);
                double rel = relativeError(got, want);
                System.out.printf("  prefill (%s) %d/%d heads dim %d, %d tokens from %d: relative error %.2e%n",
                        CudaSwitches.prefillAttention(), heads, kvHeads, headDim, n, startPos, rel);
                assertTrue(rel < 1e-3, "prefill " + rel);
            }
        }
    }

    @Test
    void attentionDecodeMatchesCpuOps() {
        // The vector path first: the scalar one takes the stand-in driver far longer at 4,500 keys.
        for (CudaSwitches.DecodeAttention path : List.of(CudaSwitches.DecodeAttention.VECTOR,
                CudaSwitches.DecodeAttention.SCALAR)) {
            attentionDecodeMatchesCpuOps(path);
        }
    }

    private void attentionDecodeMatchesCpuOps(CudaSwitches.DecodeAttention path) {
        int sms = gpu.ctx.info().multiprocessors();
        // heads, kvHeads, headDim, length (keys attended, the new one included).
        int[][] cases = {{8, 1, 256, 1}, {8, 1, 256, 777}, {16, 16, 256, 4500}, {4, 2, 16, 65}, {4, 4, 32, 9001},
            {32, 2, 64, 130}};
        for (int[] cs : cases) {
            int heads = cs[0], kvHeads = cs[1], headDim = cs[2], length = cs[3];
            int capacity = length + 7;
            short[] q = halves(heads * headDim, 1);
            short[] k = halves(kvHeads * capacity * headDim, 1);
            short[] v = halves(kvHeads * capacity * headDim, 1);
            float scale = (float) (1 / Math.sqrt(headDim));
            Kernels.DecodeSplit split = Kernels.decodeSplit(path, 1, length, heads, kvHeads, sms,
                    Kernels.MAX_DECODE_SPLITS);
            int splits = Kernels.MAX_DECODE_SPLITS;
            try (DeviceBuffer dq = gpu.halves(q); DeviceBuffer dk = gpu.halves(k); DeviceBuffer dv = gpu.halves(v);
                 DeviceBuffer slots = gpu.ints(new int[1]); DeviceBuffer lengths = gpu.ints(new int[] {length});
                 DeviceBuffer pMax = gpu.zeros("partial max", 4L * heads * splits);
                 DeviceBuffer pSum = gpu.zeros("partial sum", 4L * heads * splits);
                 DeviceBuffer pOut = gpu.zeros("partial out", 4L * heads * splits * headDim);
                 DeviceBuffer out = gpu.zeros("attention out", 2L * heads * headDim)) {
                gpu.ctx.launch(Kernels.attentionDecodePartial(split, 1, dq.address(), (long) heads * headDim,
                        dk.address(), dv.address(), slots.address(), lengths.address(), pMax.address(), pSum.address(),
                        pOut.address(), heads, kvHeads, headDim, 1, capacity, scale));
                gpu.ctx.launch(Kernels.attentionDecodeCombine(split, 1, pMax.address(), pSum.address(), pOut.address(),
                        slots.address(), lengths.address(), out.address(), (long) heads * headDim, heads, headDim, 1,
                        capacity));
                float[] got = widen(gpu.readHalves(out.address(), heads * headDim));
                float[] want = new float[heads * headDim];
                CpuOps.attention(widen(q), tokenMajor(widen(k), kvHeads, capacity, headDim),
                        tokenMajor(widen(v), kvHeads, capacity, headDim), 1, length - 1, heads, kvHeads, headDim, scale,
                        want);
                double rel = relativeError(got, want);
                System.out.printf("  decode (%s) %d/%d heads dim %d, %d keys, %d splits of %d: relative error %.2e%n",
                        path, heads, kvHeads, headDim, length, split.splits(), split.splitTokens(), rel);
                assertTrue(rel < 1e-3, "decode (" + path + ") " + rel);
            }
        }
    }

    /** fp16 bits Java's rounding gives, saturated as convert.cu does; NaN for NaN. */
    private static short expectedHalf(float x) {
        if (Float.isNaN(x)) return Float.floatToFloat16(Float.NaN);
        if (Math.abs(x) >= 65520f) return Float.floatToFloat16(Math.copySign(65504f, x));
        return Float.floatToFloat16(x);
    }

    @Test
    void conversionsRoundExactlyAndCountWhatFp16CannotHold() {
        int count = 1_000_003;
        float[] values = normal(count, 100);
        float[] specials = {70000f, -1e30f, Float.POSITIVE_INFINITY, Float.NaN, 1e-9f, 65519f, 65520f, -65520f,
            Float.NEGATIVE_INFINITY, 6e-8f, 3e-8f};
        for (int i = 0; i < specials.length; i++) values[i * 9973] = specials[i];
        for (DType from : new DType[] {DType.F32, DType.BF16}) {
            float[] source = values.clone();
            short[] bf16 = new short[count];
            if (from == DType.BF16) {
                for (int i = 0; i < count; i++) {
                    source[i] = DType.BF16.round(values[i]);
                    bf16[i] = (short) (Float.floatToRawIntBits(source[i]) >>> 16);
                }
            }
            // bf16 rounds 65519 up to 65536, so the two sources overflow differently.
            long overflows = 0, nans = 0;
            for (float x : source) {
                if (Float.isNaN(x)) nans++;
                else if (Math.abs(x) >= 65520f) overflows++;
            }
            try (DeviceBuffer in = from == DType.F32 ? gpu.floats(source) : gpu.halves(bf16);
                 DeviceBuffer out = gpu.zeros("converted", 2L * count);
                 DeviceBuffer counters = gpu.zeros("counters", 16)) {
                // Two chunks, as the uploader converts a tensor chunk by chunk into one pair of counters.
                int first = 600_001;
                long inBytes = from.bytes();
                gpu.ctx.launch(Kernels.convert(from, DType.F16, in.address(), out.address(), first, counters.address(),
                        counters.address() + 8));
                gpu.ctx.launch(Kernels.convert(from, DType.F16, in.address() + inBytes * first, out.address() + 2L * first,
                        count - first, counters.address(), counters.address() + 8));
                short[] got = gpu.readHalves(out.address(), count);
                long[] counts = gpu.readLongs(counters.address(), 2);
                long mismatches = 0;
                for (int i = 0; i < count; i++) {
                    short want = expectedHalf(source[i]);
                    boolean same = Float.isNaN(source[i]) ? Float.isNaN(Float.float16ToFloat(got[i])) : got[i] == want;
                    if (!same && mismatches++ < 5) {
                        System.out.printf("  %s element %d: %s -> 0x%04x, expected 0x%04x%n", from, i, source[i],
                                got[i], want);
                    }
                }
                System.out.printf("  %s -> fp16, %d values: %d mismatches, %d overflows, %d NaN counted%n", from,
                        count, mismatches, counts[0], counts[1]);
                assertEquals(0, mismatches, from + " conversion is round-to-nearest-even with saturation");
                assertEquals(overflows, counts[0], from + " overflow count");
                assertEquals(nans, counts[1], from + " NaN count");
            }
        }
    }

    @Test
    void syntheticFillEqualsSyntheticWeightsBitForBit() {
        long[] seeds = {random.nextLong(), -1L, 0L};
        int[] tensorIndexes = {0, 7, 253};
        float[][] amplitudeOffset = {{0.0191f, 0f}, {0.173f, 2f}, {1.5f, -0.25f}};
        int count = 3_000_001;
        try (DeviceBuffer out = gpu.zeros("synthetic", 2L * count)) {
            for (int c = 0; c < seeds.length; c++) {
                long s = seeds[c];
                int k = tensorIndexes[c];
                float amp = amplitudeOffset[c][0], off = amplitudeOffset[c][1];
                gpu.ctx.launch(Kernels.syntheticFill(out.address(), count, s, k, amp, off));
                short[] got = gpu.readHalves(out.address(), count);
                for (int i = 0; i < count; i++) {
                    short want = Float.floatToFloat16(SyntheticWeights.value(s, k, i, amp, off));
                    if (got[i] != want) {
                        throw new AssertionError(String.format("seed %d tensor %d element %d: 0x%04x, expected 0x%04x",
                                s, k, i, got[i], want));
                    }
                }
                System.out.printf("  synthetic seed %d tensor %d: %d values identical%n", s, k, count);
            }
        }
    }

    /**
     * How far an fp32-accumulated GEMM element may lie from the float64 sum, in units of
     * {@code sqrt(k) x eps32 x sum_i |x_i w_i|} (eps32 = 2^-23, twice fp32's unit roundoff). The fp16
     * products are exact in fp32 (11 + 11 significant bits); their sums are not, and cuBLAS on tensor
     * cores adds them in another order than a loop does (blocks of k inside an MMA, maybe split-K with
     * a separate reduction). Every partial sum is bounded by sum_i |x_i w_i|, each addition rounds by
     * at most half an eps32 of it, and the rounding errors of k additions with independent signs grow
     * as sqrt(k) (Higham and Mary's probabilistic bound; k would be the worst case). The whole eps32
     * per step covers tensor cores that truncate instead of rounding when they align the addends.
     * At k = 2048 with x ~ N(0, 1), w ~ N(0, 1/k) the bound is about 1.5e-4 on elements of order 1:
     * one product dropped or counted twice (|x_i w_i| ~ 2e-2), a wrong operand layout, or fp16
     * accumulation (errors ~1e-2) lie far outside it.
     */
    private static final double ACCUMULATION_BOUND = 1.0;

    @Test
    void gemmProjectionMatchesACpuMatmul() {
        Gemm gemm = new Gemm(gpu.ctx, Compute.FP16);
        try (DeviceBuffer workspace = gpu.memory.allocate("cuBLAS workspace", MemoryPlan.WORKSPACE_BYTES)) {
            gpu.ctx.setCublasWorkspace(workspace);
            int[][] shapes = {{1, 333, 1000}, {7, 2048, 257}, {64, 96, 4096}};
            for (int[] s : shapes) {
                int rows = s[0], in = s[1], out = s[2];
                short[] x = halves(rows * in, 1);
                short[] w = halves(out * in, 1 / Math.sqrt(in));
                float[] y0 = normal(rows * out, 1);
                float[] xf = widen(x), wf = widen(w);
                double[] product = new double[rows * out];      // float64 sums of the exact products
                double[] magnitude = new double[rows * out];    // sum_i |x_i w_i|
                for (int t = 0; t < rows; t++) {
                    for (int o = 0; o < out; o++) {
                        double sum = 0, abs = 0;
                        for (int i = 0; i < in; i++) {
                            double p = (double) xf[t * in + i] * wf[o * in + i];
                            sum += p;
                            abs += Math.abs(p);
                        }
                        product[t * out + o] = sum;
                        magnitude[t * out + o] = abs;
                    }
                }
                float[] productF = new float[rows * out];
                double[] accumulated = new double[rows * out];
                for (int i = 0; i < accumulated.length; i++) {
                    productF[i] = (float) product[i];
                    accumulated[i] = product[i] + y0[i];
                }
                try (DeviceBuffer dx = gpu.halves(x); DeviceBuffer dw = gpu.halves(w); DeviceBuffer dy = gpu.floats(y0);
                     DeviceBuffer dh = gpu.zeros("fp16 out", 2L * rows * out)) {
                    gemm.project(dx.address(), dw.address(), dy.address(), rows, in, out, Gemm.Output.F32, true, "test");
                    gemm.project(dx.address(), dw.address(), dh.address(), rows, in, out, Gemm.Output.F16, false, "test");
                    float[] got = gpu.readFloats(dy.address(), rows * out);
                    // Each element against its bound, plus the roundings of the beta = 1 add and the output.
                    double eps = Math.ulp(1f);
                    double[] bound = new double[got.length];
                    double worst = -1;
                    int worstAt = 0;
                    for (int i = 0; i < got.length && !Double.isNaN(worst); i++) {
                        bound[i] = Math.sqrt(in) * eps * magnitude[i] + eps * (Math.abs(y0[i]) + Math.abs(accumulated[i]));
                        double ratio = Math.abs(got[i] - accumulated[i]) / bound[i];
                        if (Double.isNaN(ratio) || ratio > worst) {
                            worst = ratio;
                            worstAt = i;
                        }
                    }
                    double relHalf = relativeError(widen(gpu.readHalves(dh.address(), rows * out)), productF);
                    System.out.printf("  GEMM %dx%dx%d: fp32 beta=1 worst element %d at %.3f of its bound (%.2e off),"
                                    + " fp16 out %.2e%n", rows, in, out, worstAt, worst,
                            Math.abs(got[worstAt] - accumulated[worstAt]), relHalf);
                    assertTrue(worst <= ACCUMULATION_BOUND, String.format("fp32 accumulate: element %d (row %d, column %d)"
                                    + " is %s, expected %.9g within %.3g: %.3f of the bound", worstAt, worstAt / out,
                            worstAt % out, got[worstAt], accumulated[worstAt], bound[worstAt], worst));
                    // plus one fp16 rounding of the result (~2.8e-4 rms).
                    assertTrue(relHalf < 1e-3, "fp16 output " + relHalf);
                }
            }
        }
    }
    /**
     * The GEMV kernels (decodeGemv=own) against the cuBLAS path they replace, on the same inputs:
     * o_proj/down_proj accumulation against a beta = 1 GEMM, the logits against rmsnorm_f16 and an
     * fp32 GEMM, the gate/up GEMV with GeGLU against rmsnorm_f16, an fp32 GEMM and geglu_f32. The fp16
     * operands are the same (the RMSNorm prologue repeats rmsnorm_f16's operations in its order), so
     * only the order of the fp32 sums differs.
     */
    @Test
    void gemvKernelsMatchTheCublasPath() {
        Gemm gemm = new Gemm(gpu.ctx, Compute.FP16);
        float eps = 1e-6f;
        try (DeviceBuffer workspace = gpu.memory.allocate("cuBLAS workspace", MemoryPlan.WORKSPACE_BYTES)) {
            gpu.ctx.setCublasWorkspace(workspace);
            // (rows, in, out): 1 and 8 rows, an odd out (a half pair), Gemma 2B's hidden width as in.
            int[][] shapes = {{1, 2048, 301}, {8, 256, 128}, {3, 512, 1001}};
            for (int[] s : shapes) {
                int rows = s[0], in = s[1], out = s[2];
                short[] x = halves(rows * in, 1);
                float[] residual = normal(rows * in, 3);
                short[] norm = halves(in, 0.5);
                short[] w = halves(out * in, 1 / Math.sqrt(in));
                float[] y0 = normal(rows * out, 1);
                try (DeviceBuffer dx = gpu.halves(x); DeviceBuffer dr = gpu.floats(residual);
                     DeviceBuffer dn = gpu.halves(norm); DeviceBuffer dw = gpu.halves(w);
                     DeviceBuffer ownAcc = gpu.floats(y0); DeviceBuffer blasAcc = gpu.floats(y0);
                     DeviceBuffer normed = gpu.zeros("normed", 2L * rows * in);
                     DeviceBuffer ownLogits = gpu.zeros("gemv logits", 4L * rows * out);
                     DeviceBuffer blasLogits = gpu.zeros("GEMM logits", 4L * rows * out);
                     DeviceBuffer ownGeglu = gpu.zeros("gemv geglu", 2L * rows * (out / 2));
                     DeviceBuffer blasGeglu = gpu.zeros("geglu", 2L * rows * (out / 2))) {
                    gpu.ctx.launch(Kernels.gemvAccumulate(dx.address(), in, dw.address(), ownAcc.address(), rows, in, out));
                    gemm.project(dx.address(), dw.address(), blasAcc.address(), rows, in, out, Gemm.Output.F32, true, "test");
                    gpu.ctx.launch(Kernels.gemvRmsnorm(dr.address(), dn.address(), eps, dw.address(), ownLogits.address(),
                            rows, in, out));
                    gpu.ctx.launch(Kernels.rmsnorm(dr.address(), dn.address(), normed.address(), rows, in, eps,
                            Kernels.RangeFlags.NONE, 0));
                    gemm.project(normed.address(), dw.address(), blasLogits.address(), rows, in, out, Gemm.Output.F32,
                            false, "test");
                    // The first 2 * inter rows of w as a fused gate/up weight; blasLogits holds their sums.
                    int inter = out / 2;
                    gpu.ctx.launch(Kernels.gemvRmsnormGeglu(dr.address(), dn.address(), eps, dw.address(),
                            ownGeglu.address(), rows, in, inter));
                    gpu.ctx.launch(Kernels.geglu(blasLogits.address(), blasLogits.address() + 4L * inter, out,
                            blasGeglu.address(), rows, inter, Kernels.RangeFlags.NONE, 0));
                    double acc = relativeError(gpu.readFloats(ownAcc.address(), rows * out),
                            gpu.readFloats(blasAcc.address(), rows * out));
                    double logits = relativeError(gpu.readFloats(ownLogits.address(), rows * out),
                            gpu.readFloats(blasLogits.address(), rows * out));
                    // geglu stores its output times 2^-GEGLU_SCALE_SHIFT (exact); the GEMV path does not scale.
                    float[] blasGegluValues = widen(gpu.readHalves(blasGeglu.address(), rows * inter));
                    for (int i = 0; i < blasGegluValues.length; i++) {
                        blasGegluValues[i] = Math.scalb(blasGegluValues[i], Kernels.GEGLU_SCALE_SHIFT);
                    }
                    float[] ownGegluValues = widen(gpu.readHalves(ownGeglu.address(), rows * inter));
                    double geglu = relativeError(ownGegluValues, blasGegluValues);
                    System.out.printf("  GEMV %dx%dx%d against cuBLAS: accumulate %.2e, rmsnorm + logits %.2e, "
                            + "rmsnorm + gate/up + geglu %.2e%n", rows, in, out, acc, logits, geglu);
                    // Same fp16 products, fp32 sums in two orders: ~2^-24 sqrt(in) relative; 1e-5 leaves 10x.
                    assertTrue(acc < 1e-5, "accumulate " + acc);
                    assertTrue(logits < 1e-5, "logits " + logits);
                    // Plus an fp16 output, which the two orders round to neighbouring values now and then: each
                    // element within one fp16 step of the other path's (2^-10 of its magnitude at most, or the
                    // smallest subnormal step of the scaled output), however many of them land apart.
                    for (int i = 0; i < ownGegluValues.length; i++) {
                        float a = ownGegluValues[i], b = blasGegluValues[i];
                        double step = Math.max(0x1p-10 * Math.max(Math.abs(a), Math.abs(b)),
                                Math.scalb(0x1p-24, Kernels.GEGLU_SCALE_SHIFT));
                        assertTrue(Math.abs(a - b) <= step, "geglu element " + i + ": gemv " + a + ", cuBLAS path " + b
                                + " (more than one fp16 step apart)");
                    }
                }
            }
        }
    }
}
