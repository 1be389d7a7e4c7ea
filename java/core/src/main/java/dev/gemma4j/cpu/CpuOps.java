package dev.gemma4j.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise and attention steps of Gemma 1 in fp32, exactly as DESIGN.md states them. Each
 * method is the CPU reference a GPU kernel is checked against.
 */
public final class CpuOps {
    private CpuOps() {}

    /**
     * RMSNorm with Gemma's (1 + w) weight: {@code y = x · rsqrt(mean(x²) + eps) · (1 + w)}, per row.
     *
     * @param x [n, dim]; {@code w} [dim] holds the stored offset w (not 1 + w)
     */
    public static void rmsNorm(float[] x, float[] w, float eps, int n, int dim, float[] y) {
        for (int t = 0; t < n; t++) {
            int off = t * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) {
                ss += (double) x[off + i] * x[off + i];
            }
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) {
                y[off + i] = x[off + i] * inv * (1f + w[i]);
            }
        }
    }

    /**
     * Inverse frequencies of rotate-half RoPE, computed in fp32 as Hugging Face does:
     * {@code 1 / theta^(2i / headDim)} for i in [0, headDim/2).
     */
    public static float[] ropeInverseFrequencies(int headDim, double theta) {
        return ropeInverseFrequencies(headDim, theta, 1);
    }

    /**
     * As {@link #ropeInverseFrequencies(int, double)} with linear scaling: each frequency divided by
     * {@code factor} in fp32, as Hugging Face's linear RoPE divides inv_freq (positions / factor).
     */
    public static float[] ropeInverseFrequencies(int headDim, double theta, double factor) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            inv[i] = 1f / (float) Math.pow((float) theta, exponent);
            if (factor != 1) inv[i] /= (float) factor;
        }
        return inv;
    }

    /** Gemma 2's soft-cap in place: {@code x = cap · tanh(x / cap)} in fp32. */
    public static void softcap(float[] x, float cap) {
        for (int i = 0; i < x.length; i++) x[i] = cap * (float) Math.tanh(x[i] / cap);
    }

    /**
     * Rotate-half (NeoX) RoPE in place: element i pairs with i + headDim/2.
     *
     * @param x [n, heads, headDim]; token t sits at position {@code startPos + t}
     */
    public static void rope(float[] x, int n, int heads, int headDim, int startPos, float[] invFreq) {
        int half = headDim / 2;
        for (int t = 0; t < n; t++) {
            int pos = startPos + t;
            for (int j = 0; j < half; j++) {
                // fp32 angle like HF (position * inv_freq in fp32), cos/sin from it.
                float angle = pos * invFreq[j];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int off = (t * heads + h) * headDim;
                    float a = x[off + j];
                    float b = x[off + j + half];
                    x[off + j] = a * c - b * s;
                    x[off + j + half] = b * c + a * s;
                }
            }
        }
    }

    /** 2 · sqrt(2 / pi): GELU's tanh argument u doubled, z = 2u, since 0.5 (1 + tanh u) = 1 / (1 + e^-z). */
    private static final float GELU_SCALE_2 = 1.5957691216057308f;
    private static final float GELU_CUBIC = 0.044715f;
    /** Elements of one parallel GeGLU task. */
    private static final int GEGLU_BLOCK = 4096;
    /**
     * e^-104 is 0.97 · 2^-150, which rounds to 0 in fp32 as every e^t below it should; clamping t there
     * keeps n ≥ -150, so 2^n is the product of two normal powers of two.
     */
    private static final float EXP_MIN = -104f;
    private static final float LOG2_E = 1.44269504088896341f;
    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer, held in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    /** ln 2 split in two (Cody and Waite): n · LN2_HI is exact for |n| < 2^11, so t - n ln 2 loses nothing. */
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** Cephes' expf minimax polynomial on [-ln2/2, ln2/2]: e^r = 1 + r + r² P(r), within 1 ulp. */
    private static final float EXP_P0 = 1.9875691500e-4f, EXP_P1 = 1.3981999507e-3f, EXP_P2 = 8.3334519073e-3f,
            EXP_P3 = 4.1665795894e-2f, EXP_P4 = 1.6666665459e-1f, EXP_P5 = 5.0000001201e-1f;

    /**
     * {@code out[t, i] = gelu_tanh(gate[t, i]) · up[t, i]}: GELU's tanh approximation (Gemma's
     * gelu_pytorch_tanh) {@code 0.5 x (1 + tanh(u))}, {@code u = sqrt(2/pi) (x + 0.044715 x³)}, computed in
     * fp32 as the identical {@code x σ(z)}, {@code z = 2u}: with {@code e = e^-|z|} (never overflows),
     * {@code x / (1 + e)} for z ≥ 0 and {@code x e / (1 + e)} below. The exponential is this class's own
     * (range reduction, a polynomial, the power of two from exponent bits) in IEEE adds, multiplies, fmas
     * and one division, the same operations in the same order in the vector lanes and in the scalar
     * tail: an element's value is a function of its two inputs alone, whatever its position, the call's
     * length, the lane count or the JIT tier. (The Vector API's TANH is not: its C2 intrinsic and its
     * Java fallback round differently, which made a row's tokens depend on its batch.) Within
     * {@code (8 + 6|z|) · 2^-24} relative of float64 GELU ({@code CpuOpsTest} derives it); unlike the
     * fp32 tanh form, whose {@code 1 + tanh u} cancels to 0 for x below about -4.6, small negative
     * outputs keep their precision.
     */
    public static void geglu(float[] gate, float[] up, int count, float[] out) {
        VectorSpecies<Float> f = MatMul.F;
        IntStream.range(0, (count + GEGLU_BLOCK - 1) / GEGLU_BLOCK).parallel().forEach(b -> {
            int end = Math.min(count, (b + 1) * GEGLU_BLOCK);
            int i = b * GEGLU_BLOCK;
            for (; i + f.length() <= end; i += f.length()) {
                gegluLanes(gate, up, out, i);
            }
            for (; i < end; i++) {
                out[i] = gegluElement(gate[i], up[i]);
            }
        });
    }

    private static void gegluLanes(float[] gate, float[] up, float[] out, int i) {
        VectorSpecies<Float> f = MatMul.F;
        FloatVector x = FloatVector.fromArray(f, gate, i);
        FloatVector z = x.mul(x).mul(GELU_CUBIC).fma(x, x).mul(GELU_SCALE_2);
        FloatVector t = z.abs().neg().max(EXP_MIN);
        FloatVector k = t.fma(LOG2_E, ROUND_MAGIC);
        FloatVector n = k.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(f, -LN2_LO), n.fma(FloatVector.broadcast(f, -LN2_HI), t));
        FloatVector p = r.fma(EXP_P0, EXP_P1).fma(r, FloatVector.broadcast(f, EXP_P2)).fma(r, FloatVector.broadcast(f, EXP_P3))
                .fma(r, FloatVector.broadcast(f, EXP_P4)).fma(r, FloatVector.broadcast(f, EXP_P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector ni = k.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector e = p.mul(n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                .mul(n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
        FloatVector num = x.mul(e).blend(x, z.compare(VectorOperators.GE, 0f));
        num.div(e.add(1f)).mul(FloatVector.fromArray(f, up, i)).intoArray(out, i);
    }

    /** One element of {@link #geglu}: {@link #gegluLanes}'s operations on one lane, in the same order. */
    static float gegluElement(float x, float up) {
        float z = Math.fma(x * x * GELU_CUBIC, x, x) * GELU_SCALE_2;
        float t = Math.max(-Math.abs(z), EXP_MIN);
        float k = Math.fma(t, LOG2_E, ROUND_MAGIC);
        float n = k - ROUND_MAGIC;
        float r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, t));
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, EXP_P0, EXP_P1), r, EXP_P2), r, EXP_P3), r, EXP_P4),
                r, EXP_P5);
        p = Math.fma(p, r * r, r) + 1f;
        int ni = Float.floatToRawIntBits(k) - ROUND_MAGIC_BITS;
        int n1 = ni >> 1;
        int n2 = ni - n1;
        float e = p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
        float num = z >= 0f ? x : x * e;
        return num / (e + 1f) * up;
    }

    /**
     * Causal attention for n new tokens of one sequence whose keys and values (positions
     * [0, startPos + n)) are already in the cache. Each (token, head) is computed the same way
     * whatever n: scores as vector dot products of four keys at a time, an fp32 softmax with a
     * float64 sum, then the values accumulated with vector FMAs.
     *
     * @param q      [n, heads, headDim], RoPE applied
     * @param kCache [capacity, kvHeads, headDim]
     * @param vCache [capacity, kvHeads, headDim]
     * @param out    [n, heads, headDim]
     */
    public static void attention(float[] q, float[] kCache, float[] vCache, int n, int startPos, int heads,
                                 int kvHeads, int headDim, float scale, float[] out) {
        attention(q, MemorySegment.ofArray(kCache), MemorySegment.ofArray(vCache), n, startPos, 0, 0, 0, heads,
                kvHeads, headDim, scale, 0f, out);
    }

    /**
     * Causal attention as {@link #attention(float[], float[], float[], int, int, int, int, int, float, float[])},
     * over a window and a cache laid out as a ring or from a base position, with soft-capped scores.
     * The query at position {@code pos} attends positions {@code [lo, pos]}, lo = 0, or
     * {@code max(0, pos - window + 1)} when window &gt; 0; position p is cache row {@code p % ring}
     * when ring &gt; 0, else row {@code p - keyBase}. Scores are {@code q · k · scale}, then
     * {@code softcap · tanh(s / softcap)} when softcap &gt; 0 (Gemma 2), before the softmax.
     *
     * @param kCache [rows, kvHeads, headDim] fp32, native order: the off-heap KV cache, or an array's segment
     * @param vCache [rows, kvHeads, headDim] fp32, native order
     */
    public static void attention(float[] q, MemorySegment kCache, MemorySegment vCache, int n, int startPos, int keyBase,
                                 int ring, int window, int heads, int kvHeads, int headDim, float scale,
                                 float softcap, float[] out) {
        int group = heads / kvHeads;
        long kvRowBytes = (long) kvHeads * headDim * Float.BYTES;
        IntStream.range(0, n * heads).parallel().forEach(th -> {
            int t = th / heads;
            int h = th % heads;
            int kvh = h / group;
            int pos = startPos + t;
            int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
            if (lo < keyBase) {
                throw new IllegalArgumentException("position " + pos + " attends position " + lo
                        + ", before the first cached position " + keyBase);
            }
            int len = pos - lo + 1;
            int qOff = (t * heads + h) * headDim;
            long headBytes = (long) kvh * headDim * Float.BYTES;
            float[] scores = new float[len];
            float[] lanes = new float[4 * MatMul.F.length()];
            int p = 0;
            while (p + 4 <= len) {
                long r = ring > 0 ? (lo + p) % ring : lo + p - keyBase;
                if (ring > 0 && r + 4 > ring) {
                    scores[p] = dot(q, qOff, kCache, r * kvRowBytes + headBytes, headDim, lanes);
                    p++;
                } else {
                    dot4(q, qOff, kCache, r * kvRowBytes + headBytes, kvRowBytes, headDim, scores, p, lanes);
                    p += 4;
                }
            }
            for (; p < len; p++) {
                long r = ring > 0 ? (lo + p) % ring : lo + p - keyBase;
                scores[p] = dot(q, qOff, kCache, r * kvRowBytes + headBytes, headDim, lanes);
            }
            float max = Float.NEGATIVE_INFINITY;
            for (p = 0; p < len; p++) {
                scores[p] *= scale;
                if (softcap > 0) scores[p] = softcap * (float) Math.tanh(scores[p] / softcap);
                max = Math.max(max, scores[p]);
            }
            double sum = 0;
            for (p = 0; p < len; p++) {
                float e = (float) Math.exp(scores[p] - max);
                scores[p] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int oOff = (t * heads + h) * headDim;
            java.util.Arrays.fill(out, oOff, oOff + headDim, 0f);
            VectorSpecies<Float> f = MatMul.F;
            int vec = headDim - headDim % f.length();
            for (p = 0; p < len; p++) {
                float a = scores[p] * inv;
                FloatVector av = FloatVector.broadcast(f, a);
                long r = ring > 0 ? (lo + p) % ring : lo + p - keyBase;
                long vOff = r * kvRowBytes + headBytes;
                int i = 0;
                for (; i < vec; i += f.length()) {
                    FloatVector.fromMemorySegment(f, vCache, vOff + (long) i * Float.BYTES, NATIVE)
                            .fma(av, FloatVector.fromArray(f, out, oOff + i)).intoArray(out, oOff + i);
                }
                for (; i < headDim; i++) {
                    out[oOff + i] = Math.fma(a, vCache.get(FLOAT, vOff + (long) i * Float.BYTES), out[oOff + i]);
                }
            }
        });
    }

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** fp32 in native order at any 4-byte offset: an array's segment and the native cache alike. */
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** {@code q[qOff ..] · k[kOff ..]} over headDim (kOff in bytes): one lane accumulator, a fixed lane sum, then the tail. */
    private static float dot(float[] q, int qOff, MemorySegment k, long kOff, int headDim, float[] lanes) {
        VectorSpecies<Float> f = MatMul.F;
        int vec = headDim - headDim % f.length();
        FloatVector a = FloatVector.zero(f);
        for (int i = 0; i < vec; i += f.length()) {
            a = FloatVector.fromArray(f, q, qOff + i)
                    .fma(FloatVector.fromMemorySegment(f, k, kOff + (long) i * Float.BYTES, NATIVE), a);
        }
        a.intoArray(lanes, 0);
        float s = MatMul.laneSum(lanes, 0);
        for (int i = vec; i < headDim; i++) {
            s = Math.fma(q[qOff + i], k.get(FLOAT, kOff + (long) i * Float.BYTES), s);
        }
        return s;
    }

    /** Scores of keys at byte offsets {@code kOff + j · kStride}, j in [0, 4), into {@code scores[p + j]}; each as {@link #dot}. */
    private static void dot4(float[] q, int qOff, MemorySegment k, long kOff, long kStride, int headDim, float[] scores,
                             int p, float[] lanes) {
        VectorSpecies<Float> f = MatMul.F;
        int vec = headDim - headDim % f.length();
        long k0 = kOff, k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
        FloatVector a0 = FloatVector.zero(f), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < vec; i += f.length()) {
            FloatVector qv = FloatVector.fromArray(f, q, qOff + i);
            long b = (long) i * Float.BYTES;
            a0 = qv.fma(FloatVector.fromMemorySegment(f, k, k0 + b, NATIVE), a0);
            a1 = qv.fma(FloatVector.fromMemorySegment(f, k, k1 + b, NATIVE), a1);
            a2 = qv.fma(FloatVector.fromMemorySegment(f, k, k2 + b, NATIVE), a2);
            a3 = qv.fma(FloatVector.fromMemorySegment(f, k, k3 + b, NATIVE), a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, f.length());
        a2.intoArray(lanes, 2 * f.length());
        a3.intoArray(lanes, 3 * f.length());
        long[] offs = {k0, k1, k2, k3};
        for (int j = 0; j < 4; j++) {
            float s = MatMul.laneSum(lanes, j * f.length());
            for (int i = vec; i < headDim; i++) {
                s = Math.fma(q[qOff + i], k.get(FLOAT, offs[j] + (long) i * Float.BYTES), s);
            }
            scores[p + j] = s;
        }
    }
}
