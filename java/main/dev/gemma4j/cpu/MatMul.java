package dev.gemma4j.cpu;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out[t, r] = Σ_i W[r, i] · x[t, i]} for a row-major weight {@code W[out, in]} kept in its stored
 * dtype (F32, BF16 or F16) and widened to fp32 in registers. Each weight row is read from memory once
 * for all {@code n} tokens; rows are split across all cores.
 */
final class MatMul {
    private MatMul() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #F}: one load gives one float vector's worth of weights. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * Short.SIZE));
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** 2^112: moves an fp16 exponent (bias 15) shifted into fp32 position to fp32's bias 127. */
    private static final float F16_EXPONENT_FIX = 0x1p112f;
    /** Rows per parallel task: large enough to amortise scheduling, small enough to balance 2..64 cores. */
    private static final int ROWS_PER_TASK = 16;
    /** Tokens that share one pass over a weight row (accumulators held in registers). */
    private static final int TOKEN_BLOCK = 4;

    /**
     * @param w   weight [outDim, inDim]
     * @param x   activations [n, inDim] row-major
     * @param out [n, outDim]; overwritten, or added to when {@code accumulate}
     */
    static void matmul(Tensor w, float[] x, int n, float[] out, boolean accumulate) {
        int outDim = Math.toIntExact(w.shape()[0]);
        int inDim = Math.toIntExact(w.shape()[1]);
        if (x.length < (long) n * inDim || out.length < (long) n * outDim) {
            throw new IllegalArgumentException("matmul " + w.name() + ": expected x >= " + (long) n * inDim
                    + " and out >= " + (long) n * outDim + " floats, found " + x.length + " and " + out.length);
        }
        // 16-bit weights with rows of whole 2L-element blocks take the paired path: one int load
        // holds two weights, widened with a shift and a mask instead of a lane-widening conversion.
        boolean paired = w.dtype() != DType.F32 && inDim % (2 * L) == 0;
        float[] xs = paired ? deinterleave(x, n, inDim) : x;
        int tasks = (outDim + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            int r0 = task * ROWS_PER_TASK;
            int r1 = Math.min(outDim, r0 + ROWS_PER_TASK);
            for (int r = r0; r < r1; r++) {
                int t = 0;
                for (; t + TOKEN_BLOCK <= n; t += TOKEN_BLOCK) {
                    if (paired) {
                        dot4Paired(w, r, inDim, outDim, xs, t, out, accumulate);
                    } else {
                        dot4(w, r, inDim, outDim, xs, t, out, accumulate);
                    }
                }
                for (; t < n; t++) {
                    float v = paired ? dotPaired(w, r, inDim, xs, t * inDim) : dot(w, r, inDim, xs, t * inDim);
                    int o = t * outDim + r;
                    out[o] = accumulate ? out[o] + v : v;
                }
            }
        });
    }

    /**
     * Reorders each 2L-element block of every token's activations as [even elements, odd elements],
     * matching the two float vectors {@link #even} and {@link #odd} widen from L ints of weights.
     */
    private static float[] deinterleave(float[] x, int n, int inDim) {
        float[] xs = new float[n * inDim];
        for (int base = 0; base < n * inDim; base += 2 * L) {
            for (int j = 0; j < L; j++) {
                xs[base + j] = x[base + 2 * j];
                xs[base + L + j] = x[base + 2 * j + 1];
            }
        }
        return xs;
    }

    /** The even-indexed weights (low halves) of L ints holding 2L 16-bit weights, widened to fp32. */
    private static FloatVector even(IntVector pairs, DType dtype) {
        return dtype == DType.BF16
                ? pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                : f16ToF32(pairs.and(0xffff));
    }

    /** The odd-indexed weights (high halves), widened to fp32. */
    private static FloatVector odd(IntVector pairs, DType dtype) {
        return dtype == DType.BF16
                ? pairs.and(0xffff0000).reinterpretAsFloats()
                : f16ToF32(pairs.lanewise(VectorOperators.LSHR, 16));
    }

    /**
     * fp16 bits in the low 16 bits of each lane to fp32: sign to bit 31, exponent and mantissa to bits
     * 13..27, then rescale by 2^112 (exact, subnormals included); exponent 31 (inf/NaN) is kept by a
     * blend.
     */
    private static FloatVector f16ToF32(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector finite = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                .mul(F16_EXPONENT_FIX).viewAsIntegralLanes().or(sign);
        IntVector infNan = h.and(0x03ff).lanewise(VectorOperators.LSHL, 13).or(sign).or(0x7f800000);
        VectorMask<Integer> special = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        return finite.blend(infNan, special).viewAsFloatingLanes();
    }

    /** L ints (2L 16-bit weights) of a row starting at element {@code elementIndex}. */
    private static IntVector pairs(MemorySegment seg, long elementIndex) {
        return IntVector.fromMemorySegment(I, seg, elementIndex * 2, LE);
    }

    /** Row {@code r} of 16-bit W dotted with deinterleaved {@code xs[xOff, xOff + inDim)}. */
    private static float dotPaired(Tensor w, int r, int inDim, float[] xs, int xOff) {
        MemorySegment seg = w.data();
        DType dt = w.dtype();
        long base = (long) r * inDim;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int i = 0;
        for (; i + 4 * L <= inDim; i += 4 * L) {
            IntVector p0 = pairs(seg, base + i);
            IntVector p1 = pairs(seg, base + i + 2 * L);
            a0 = even(p0, dt).fma(FloatVector.fromArray(F, xs, xOff + i), a0);
            a1 = odd(p0, dt).fma(FloatVector.fromArray(F, xs, xOff + i + L), a1);
            a2 = even(p1, dt).fma(FloatVector.fromArray(F, xs, xOff + i + 2 * L), a2);
            a3 = odd(p1, dt).fma(FloatVector.fromArray(F, xs, xOff + i + 3 * L), a3);
        }
        for (; i < inDim; i += 2 * L) {
            IntVector p0 = pairs(seg, base + i);
            a0 = even(p0, dt).fma(FloatVector.fromArray(F, xs, xOff + i), a0);
            a1 = odd(p0, dt).fma(FloatVector.fromArray(F, xs, xOff + i + L), a1);
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    /** Row {@code r} of 16-bit W against tokens {@code [t0, t0 + 4)} of deinterleaved {@code xs}. */
    private static void dot4Paired(Tensor w, int r, int inDim, int outDim, float[] xs, int t0, float[] out,
                                   boolean accumulate) {
        MemorySegment seg = w.data();
        DType dt = w.dtype();
        long base = (long) r * inDim;
        int x0 = t0 * inDim, x1 = x0 + inDim, x2 = x1 + inDim, x3 = x2 + inDim;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int i = 0; i < inDim; i += 2 * L) {
            IntVector p = pairs(seg, base + i);
            FloatVector we = even(p, dt);
            FloatVector wo = odd(p, dt);
            a0 = wo.fma(FloatVector.fromArray(F, xs, x0 + i + L), we.fma(FloatVector.fromArray(F, xs, x0 + i), a0));
            a1 = wo.fma(FloatVector.fromArray(F, xs, x1 + i + L), we.fma(FloatVector.fromArray(F, xs, x1 + i), a1));
            a2 = wo.fma(FloatVector.fromArray(F, xs, x2 + i + L), we.fma(FloatVector.fromArray(F, xs, x2 + i), a2));
            a3 = wo.fma(FloatVector.fromArray(F, xs, x3 + i + L), we.fma(FloatVector.fromArray(F, xs, x3 + i), a3));
        }
        store4(out, t0 * outDim + r, outDim, accumulate, a0.reduceLanes(VectorOperators.ADD),
                a1.reduceLanes(VectorOperators.ADD), a2.reduceLanes(VectorOperators.ADD),
                a3.reduceLanes(VectorOperators.ADD));
    }

    private static void store4(float[] out, int o, int stride, boolean accumulate, float s0, float s1, float s2, float s3) {
        out[o] = accumulate ? out[o] + s0 : s0;
        out[o + stride] = accumulate ? out[o + stride] + s1 : s1;
        out[o + 2 * stride] = accumulate ? out[o + 2 * stride] + s2 : s2;
        out[o + 3 * stride] = accumulate ? out[o + 3 * stride] + s3 : s3;
    }

    /** Loads L weights of row {@code r} starting at column {@code i}, widened to fp32. */
    private static FloatVector load(MemorySegment seg, DType dtype, long elementIndex) {
        return switch (dtype) {
            case F32 -> FloatVector.fromMemorySegment(F, seg, elementIndex * 4, LE);
            case BF16 -> {
                // bf16 is the top half of an fp32: widen (sign-extend) and shift left 16.
                IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, seg, elementIndex * 2, LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                yield bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            }
            case F16 -> f16ToF32((IntVector) ShortVector.fromMemorySegment(S, seg, elementIndex * 2, LE)
                    .convertShape(VectorOperators.S2I, I, 0));
        };
    }

    /** Row {@code r} of W dotted with {@code x[xOff, xOff + inDim)}. */
    private static float dot(Tensor w, int r, int inDim, float[] x, int xOff) {
        MemorySegment seg = w.data();
        DType dt = w.dtype();
        long base = (long) r * inDim;
        // Four independent accumulators hide FMA latency; decode is bound by the weight stream.
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int i = 0;
        for (; i + 4 * L <= inDim; i += 4 * L) {
            a0 = load(seg, dt, base + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = load(seg, dt, base + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
            a2 = load(seg, dt, base + i + 2 * L).fma(FloatVector.fromArray(F, x, xOff + i + 2 * L), a2);
            a3 = load(seg, dt, base + i + 3 * L).fma(FloatVector.fromArray(F, x, xOff + i + 3 * L), a3);
        }
        for (; i + L <= inDim; i += L) {
            a0 = load(seg, dt, base + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < inDim; i++) {
            s += w.getFloat(base + i) * x[xOff + i];
        }
        return s;
    }

    /** Row {@code r} of W against tokens {@code [t0, t0 + 4)}: one weight load feeds four FMAs. */
    private static void dot4(Tensor w, int r, int inDim, int outDim, float[] x, int t0, float[] out,
                             boolean accumulate) {
        MemorySegment seg = w.data();
        DType dt = w.dtype();
        long base = (long) r * inDim;
        int x0 = t0 * inDim, x1 = x0 + inDim, x2 = x1 + inDim, x3 = x2 + inDim;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= inDim; i += L) {
            FloatVector wv = load(seg, dt, base + i);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < inDim; i++) {
            float wi = w.getFloat(base + i);
            s0 += wi * x[x0 + i];
            s1 += wi * x[x1 + i];
            s2 += wi * x[x2 + i];
            s3 += wi * x[x3 + i];
        }
        store4(out, t0 * outDim + r, outDim, accumulate, s0, s1, s2, s3);
    }

    /** Widens row {@code r} of an embedding-like tensor [rows, cols] into {@code dst[dstOff ..]}. */
    static void widenRow(Tensor t, long r, float[] dst, int dstOff) {
        int cols = Math.toIntExact(t.shape()[1]);
        long base = r * cols;
        int i = 0;
        for (; i + L <= cols; i += L) {
            load(t.data(), t.dtype(), base + i).intoArray(dst, dstOff + i);
        }
        for (; i < cols; i++) {
            dst[dstOff + i] = t.getFloat(base + i);
        }
    }

    /** Widens a 1-D tensor to a float array. */
    static float[] widen(Tensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getFloat(i);
        }
        return out;
    }
}
