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
 * dtype (F32, BF16 or F16), widened exactly to fp32, fp32 products and sums.
 *
 * <p>Every output element is the same function of its weight row and its token's activations,
 * whatever the token count and the tiling: one L-lane accumulator runs over the row's vector
 * chunks in order ({@link #chunkOrder}), then its lanes are summed in a fixed pairwise tree, then
 * the elements past the last whole 2L block are added one by one. A token decoded alone, the same
 * token in a batch and the same token inside a prefill therefore get bit-identical results.
 *
 * <p>One driver for every token count. A task owns a tile of rows × tokens; for each K-block it
 * widens its rows' weights once into an fp32 buffer (the only dtype-specific loop) and runs 8 × 2,
 * 8 × 1 and 1 × 1 fp32 micro-kernels over it, their accumulators carried in a per-thread buffer
 * from one K-block to the next so the chunk order is unchanged. Decode tiles hold every token, so
 * each weight comes from memory once per step; prefill tiles reuse a widened block for 64 tokens.
 */
final class MatMul {
    private MatMul() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #F}: one load gives one float vector's worth of weights. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * Short.SIZE));
    private static final int L = F.length();
    /** Elements of one step: two float vectors, one int vector of paired 16-bit weights. */
    private static final int STEP = 2 * L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** 2^112: moves an fp16 exponent (bias 15) shifted into fp32 position to fp32's bias 127. */
    private static final float F16_EXPONENT_FIX = 0x1p112f;

    /** From this many tokens on, tiles are cut along the tokens too (prefill). */
    static final int PREFILL_MIN_TOKENS = 8;
    /** Decode tile: rows × every token. 16 rows balance 2..64 cores at little scheduling cost. */
    private static final int DECODE_TILE_ROWS = 16;
    /** Prefill tile: rows × tokens. The accumulators (64 × 64 × L floats) stay in a core's L2. */
    private static final int PREFILL_TILE_ROWS = 64, PREFILL_TILE_TOKENS = 64;
    /**
     * Rows of a micro-tile (GROUP) and its tokens (TOKEN_GROUP): 8 × 2 accumulators, loading 8
     * widened weight vectors from L1 and 2 x vectors from L2 per 16 FMAs; on 2 AVX-512 cores it
     * measured ahead of 4 × 4 and 6 × 3 (more accumulators spill).
     */
    private static final int GROUP = 8, TOKEN_GROUP = 2;
    /** Prefill K-block: a row group's widened slice (8 × 512 floats) and 2 tokens of x stay in L1. */
    private static final int TILE_K = 512;

    /** Per-thread buffers of {@link #tile}, reused so a decode step allocates nothing per tile. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        private float[] widened = new float[0], accumulators = new float[0];

        /** A buffer of at least {@code size} floats; its contents are overwritten before use. */
        float[] widened(int size) {
            if (widened.length < size) widened = new float[size];
            return widened;
        }

        /** {@code size} zeroed floats (and perhaps more). */
        float[] accumulators(int size) {
            if (accumulators.length < size) accumulators = new float[size];
            else java.util.Arrays.fill(accumulators, 0, size, 0f);
            return accumulators;
        }
    }

    /** How a row's weights become fp32 in chunk order. */
    private enum Layout { F32, BF16_PAIRED, F16_PAIRED, NATURAL_16 }

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
        Layout layout = layout(w.dtype(), inDim);
        int vecDim = inDim / STEP * STEP;
        int kBlock = n < PREFILL_MIN_TOKENS ? vecDim : Math.min(TILE_K, vecDim);
        Job job = new Job(w.data(), layout, w.dtype(), outDim, inDim, vecDim, kBlock,
                chunkOrder(x, n, inDim, vecDim, kBlock, layout), n, out, accumulate);
        int tileRows = n < PREFILL_MIN_TOKENS ? DECODE_TILE_ROWS : PREFILL_TILE_ROWS;
        int tileTokens = n < PREFILL_MIN_TOKENS ? n : PREFILL_TILE_TOKENS;
        int rowTiles = (outDim + tileRows - 1) / tileRows;
        int tokenTiles = (n + tileTokens - 1) / tileTokens;
        IntStream.range(0, rowTiles * tokenTiles).parallel().forEach(task -> {
            int r0 = (task % rowTiles) * tileRows, t0 = (task / rowTiles) * tileTokens;
            tile(job, r0, Math.min(outDim, r0 + tileRows), t0, Math.min(n, t0 + tileTokens));
        });
    }

    /**
     * One matmul's operands; {@code vecDim} elements of each row (whole steps) go through the
     * vector chunks in K-blocks of {@code kBlock}, the rest is the row's tail. {@code xs} is x as
     * {@link #chunkOrder} lays it out.
     */
    private record Job(MemorySegment w, Layout layout, DType dtype, int outDim, int inDim, int vecDim, int kBlock,
                       float[] xs, int n, float[] out, boolean accumulate) {
        /** Offset in {@code xs} of token t's slice of the K-block starting at k0 (kLen long). */
        int xOffset(int k0, int kLen, int t) {
            return k0 * n + t * kLen;
        }

        /** Offset in {@code xs} of token t's tail (elements vecDim .. inDim). */
        int tailOffset(int t) {
            return vecDim * n + t * (inDim - vecDim);
        }
    }

    /** 16-bit rows of whole steps are read as ints holding two weights each. */
    private static Layout layout(DType dtype, int inDim) {
        return switch (dtype) {
            case F32 -> Layout.F32;
            case BF16 -> inDim % STEP == 0 ? Layout.BF16_PAIRED : Layout.NATURAL_16;
            case F16 -> inDim % STEP == 0 ? Layout.F16_PAIRED : Layout.NATURAL_16;
        };
    }

    /**
     * x laid out for the micro-kernels: K-block by K-block, each as [token][kLen] so that a tile's
     * slice is contiguous, then the tails as [token][inDim - vecDim]; within a block, each STEP of
     * paired 16-bit weights is reordered as [even elements, odd elements] to match {@link #widen}.
     * Where that is x itself (natural order, one block, no tail or one token) x is used as it is.
     */
    private static float[] chunkOrder(float[] x, int n, int inDim, int vecDim, int kBlock, Layout layout) {
        boolean paired = layout == Layout.BF16_PAIRED || layout == Layout.F16_PAIRED;
        if (!paired && (n == 1 || (kBlock == inDim))) return x;
        float[] xs = new float[n * inDim];
        for (int k0 = 0; k0 < vecDim; k0 += kBlock) {
            int kLen = Math.min(kBlock, vecDim - k0);
            for (int t = 0; t < n; t++) {
                int src = t * inDim + k0, dst = k0 * n + t * kLen;
                if (!paired) {
                    System.arraycopy(x, src, xs, dst, kLen);
                    continue;
                }
                for (int b = 0; b < kLen; b += STEP) {
                    for (int j = 0; j < L; j++) {
                        xs[dst + b + j] = x[src + b + 2 * j];
                        xs[dst + b + L + j] = x[src + b + 2 * j + 1];
                    }
                }
            }
        }
        int tail = inDim - vecDim;
        for (int t = 0; t < n && tail > 0; t++) {
            System.arraycopy(x, t * inDim + vecDim, xs, vecDim * n + t * tail, tail);
        }
        return xs;
    }

    // ---- widening: the only loops that depend on the dtype ------------------------------------

    /**
     * Widens elements {@code [from, from + len)} of the weights (len a multiple of STEP, within the
     * vector part of a row) into {@code dst[off ..]} in chunk order. Each layout is its own method
     * that takes and returns no vector: a vector passed to or returned from a method C2 does not
     * inline is boxed on the heap, which costs more than the arithmetic.
     */
    private static void widen(Job j, long from, int len, float[] dst, int off) {
        switch (j.layout) {
            case F32 -> widenF32(j.w, from, len, dst, off);
            case BF16_PAIRED -> widenBf16Paired(j.w, from, len, dst, off);
            case F16_PAIRED -> widenF16Paired(j.w, from, len, dst, off);
            case NATURAL_16 -> widenNatural16(j.w, j.dtype, from, len, dst, off);
        }
    }

    private static void widenF32(MemorySegment w, long from, int len, float[] dst, int off) {
        for (int i = 0; i < len; i += L) {
            FloatVector.fromMemorySegment(F, w, (from + i) * 4, LE).intoArray(dst, off + i);
        }
    }

    /** bf16 is the top half of an fp32: the low weight of each int shifted up, the high one masked. */
    private static void widenBf16Paired(MemorySegment w, long from, int len, float[] dst, int off) {
        for (int i = 0; i < len; i += STEP) {
            IntVector p = IntVector.fromMemorySegment(I, w, (from + i) * 2, LE);
            p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, off + i);
            p.and(0xffff0000).reinterpretAsFloats().intoArray(dst, off + i + L);
        }
    }

    /**
     * fp16 to fp32, exact for every bit pattern and in integer arithmetic only (a float operation
     * on the subnormal intermediate of the usual multiply-by-2^112 widening takes a microcode
     * assist, about a hundred cycles per vector on x86). The low weight of each int is shifted to
     * the high half first; then, per lane: exponent and mantissa to fp32 bits 13..27, the exponent
     * rebiased by +112 (exponent 31, inf and NaN, by another +112 to 255, the mantissa kept),
     * exponent 0 (zero, subnormal m × 2^-24) as (1 + m/1024) × 2^-14 − 2^-14 on normal floats,
     * and the sign.
     */
    private static void widenF16Paired(MemorySegment w, long from, int len, float[] dst, int off) {
        for (int i = 0; i < len; i += STEP) {
            IntVector p = IntVector.fromMemorySegment(I, w, (from + i) * 2, LE);
            for (int half = 0; half < 2; half++) {
                IntVector hi = half == 0 ? p.lanewise(VectorOperators.LSHL, 16) : p;
                IntVector em = hi.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
                IntVector normal = em.add(0x38000000);
                normal = normal.lanewise(VectorOperators.ADD, 0x38000000, em.compare(VectorOperators.GE, 0x0f800000));
                IntVector small = em.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f).viewAsIntegralLanes();
                normal.blend(small, em.compare(VectorOperators.LT, 0x00800000)).or(hi.and(0x80000000))
                        .reinterpretAsFloats().intoArray(dst, off + i + half * L);
            }
        }
    }

    /** 16-bit rows that are not whole steps: natural order, one short vector at a time. */
    private static void widenNatural16(MemorySegment w, DType dtype, long from, int len, float[] dst, int off) {
        for (int i = 0; i < len; i += L) {
            load(w, dtype, from + i).intoArray(dst, off + i);
        }
    }

    /**
     * fp16 bits in the low 16 bits of each lane to fp32, every pattern exact (inf and NaN kept by a
     * blend): for widening single rows, where speed does not matter.
     */
    private static FloatVector f16ToF32(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector finite = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                .mul(F16_EXPONENT_FIX).viewAsIntegralLanes().or(sign);
        IntVector infNan = h.and(0x03ff).lanewise(VectorOperators.LSHL, 13).or(sign).or(0x7f800000);
        VectorMask<Integer> special = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        return finite.blend(infNan, special).viewAsFloatingLanes();
    }

    /** L weights starting at element {@code elementIndex}, natural order, widened to fp32. */
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

    /** Row {@code r} of W in chunk order (the vector part of the row), as the kernels see it. */
    static float[] widenedRow(Tensor w, int r) {
        int outDim = Math.toIntExact(w.shape()[0]), inDim = Math.toIntExact(w.shape()[1]);
        Job j = new Job(w.data(), layout(w.dtype(), inDim), w.dtype(), outDim, inDim, inDim / STEP * STEP,
                inDim / STEP * STEP, null, 0, null, false);
        float[] row = new float[j.vecDim];
        widen(j, (long) r * inDim, j.vecDim, row, 0);
        return row;
    }

    // ---- the common end of every output element ---------------------------------------------

    /** Lanes {@code [off, off + L)} of {@code a} summed in a fixed pairwise tree (destroys them). */
    static float laneSum(float[] a, int off) {
        for (int width = L / 2; width >= 1; width /= 2) {
            for (int j = 0; j < width; j++) {
                a[off + j] += a[off + j + width];
            }
        }
        return a[off];
    }

    /** Finishes element (t, r) from its accumulator lanes at {@code acc[off ..]}, then the row's tail. */
    private static void finish(Job j, float[] acc, int off, int r, int t) {
        float s = laneSum(acc, off);
        long base = (long) r * j.inDim;
        int xOff = j.tailOffset(t) - j.vecDim;
        for (int i = j.vecDim; i < j.inDim; i++) {
            s += j.dtype.read(j.w, base + i) * j.xs[xOff + i];
        }
        int o = t * j.outDim + r;
        j.out[o] = j.accumulate ? j.out[o] + s : s;
    }

    // ---- the driver ---------------------------------------------------------------------------

    /**
     * Rows [r0, r1) × tokens [t0, t1), GROUP rows at a time: for each K-block of a row group, the
     * group's weights are widened into {@code wt} [GROUP, kLen] in chunk order and micro-tiles run
     * over it for every token, their accumulators carried in {@code acc} [rows][tokens][L] from one
     * K-block to the next. A decode tile takes whole rows as one K-block, so its weights stream from
     * memory in address order; a prefill tile takes K-blocks that keep x's slice in cache.
     */
    private static void tile(Job j, int r0, int r1, int t0, int t1) {
        int rows = r1 - r0, tokens = t1 - t0;
        int kBlock = j.kBlock;
        Scratch scratch = SCRATCH.get();
        float[] wt = scratch.widened(GROUP * kBlock);
        float[] acc = scratch.accumulators(rows * tokens * L);
        for (int rr = 0; rr < rows; rr += GROUP) {
            int group = Math.min(GROUP, rows - rr);
            for (int k0 = 0; k0 < j.vecDim; k0 += kBlock) {
                int kLen = Math.min(kBlock, j.vecDim - k0);
                for (int g = 0; g < group; g++) {
                    widen(j, (long) (r0 + rr + g) * j.inDim + k0, kLen, wt, g * kLen);
                }
                if (group == GROUP) {
                    int tt = 0;
                    for (; tt + TOKEN_GROUP <= tokens; tt += TOKEN_GROUP) microTile(j, wt, rr, kLen, acc, tokens, t0 + tt, tt, k0);
                    for (; tt < tokens; tt++) microRows(j, wt, rr, kLen, acc, tokens, t0 + tt, tt, k0);
                } else {
                    for (int g = 0; g < group; g++) {
                        for (int tt = 0; tt < tokens; tt++) micro1x1(j, wt, g, rr + g, kLen, acc, tokens, t0 + tt, tt, k0);
                    }
                }
            }
        }
        for (int rr = 0; rr < rows; rr++) {
            for (int tt = 0; tt < tokens; tt++) finish(j, acc, (rr * tokens + tt) * L, r0 + rr, t0 + tt);
        }
    }

    /** Widened row g (tile row rr) against token t (tile token tt) over one K-block. */
    private static void micro1x1(Job j, float[] wt, int g, int rr, int kLen, float[] acc, int tokens, int t, int tt,
                                 int k0) {
        int c = (rr * tokens + tt) * L;
        int w = g * kLen, x = j.xOffset(k0, kLen, t);
        FloatVector a = FloatVector.fromArray(F, acc, c);
        for (int i = 0; i < kLen; i += L) {
            a = FloatVector.fromArray(F, wt, w + i).fma(FloatVector.fromArray(F, j.xs, x + i), a);
        }
        a.intoArray(acc, c);
    }

    /** Widened rows 0..7 (tile rows rr..rr+7) against tokens t, t+1 (tile tokens tt, tt+1) over one K-block. */
    private static void microTile(Job j, float[] wt, int rr, int kLen, float[] acc, int tokens, int t, int tt, int k0) {
        float[] xs = j.xs;
        int x0 = j.xOffset(k0, kLen, t);
        int x1 = x0 + kLen;
        // acc[(row * tokens + token) * L ..]
        int c0 = (rr * tokens + tt) * L, stride = tokens * L;
        FloatVector a00 = FloatVector.fromArray(F, acc, c0 + 0 * stride + 0 * L);
        FloatVector a01 = FloatVector.fromArray(F, acc, c0 + 0 * stride + 1 * L);
        FloatVector a10 = FloatVector.fromArray(F, acc, c0 + 1 * stride + 0 * L);
        FloatVector a11 = FloatVector.fromArray(F, acc, c0 + 1 * stride + 1 * L);
        FloatVector a20 = FloatVector.fromArray(F, acc, c0 + 2 * stride + 0 * L);
        FloatVector a21 = FloatVector.fromArray(F, acc, c0 + 2 * stride + 1 * L);
        FloatVector a30 = FloatVector.fromArray(F, acc, c0 + 3 * stride + 0 * L);
        FloatVector a31 = FloatVector.fromArray(F, acc, c0 + 3 * stride + 1 * L);
        FloatVector a40 = FloatVector.fromArray(F, acc, c0 + 4 * stride + 0 * L);
        FloatVector a41 = FloatVector.fromArray(F, acc, c0 + 4 * stride + 1 * L);
        FloatVector a50 = FloatVector.fromArray(F, acc, c0 + 5 * stride + 0 * L);
        FloatVector a51 = FloatVector.fromArray(F, acc, c0 + 5 * stride + 1 * L);
        FloatVector a60 = FloatVector.fromArray(F, acc, c0 + 6 * stride + 0 * L);
        FloatVector a61 = FloatVector.fromArray(F, acc, c0 + 6 * stride + 1 * L);
        FloatVector a70 = FloatVector.fromArray(F, acc, c0 + 7 * stride + 0 * L);
        FloatVector a71 = FloatVector.fromArray(F, acc, c0 + 7 * stride + 1 * L);
        for (int i = 0; i < kLen; i += L) {
            FloatVector x0v = FloatVector.fromArray(F, xs, x0 + i);
            FloatVector x1v = FloatVector.fromArray(F, xs, x1 + i);
            FloatVector w0 = FloatVector.fromArray(F, wt, 0 * kLen + i);
            a00 = w0.fma(x0v, a00); a01 = w0.fma(x1v, a01);
            FloatVector w1 = FloatVector.fromArray(F, wt, 1 * kLen + i);
            a10 = w1.fma(x0v, a10); a11 = w1.fma(x1v, a11);
            FloatVector w2 = FloatVector.fromArray(F, wt, 2 * kLen + i);
            a20 = w2.fma(x0v, a20); a21 = w2.fma(x1v, a21);
            FloatVector w3 = FloatVector.fromArray(F, wt, 3 * kLen + i);
            a30 = w3.fma(x0v, a30); a31 = w3.fma(x1v, a31);
            FloatVector w4 = FloatVector.fromArray(F, wt, 4 * kLen + i);
            a40 = w4.fma(x0v, a40); a41 = w4.fma(x1v, a41);
            FloatVector w5 = FloatVector.fromArray(F, wt, 5 * kLen + i);
            a50 = w5.fma(x0v, a50); a51 = w5.fma(x1v, a51);
            FloatVector w6 = FloatVector.fromArray(F, wt, 6 * kLen + i);
            a60 = w6.fma(x0v, a60); a61 = w6.fma(x1v, a61);
            FloatVector w7 = FloatVector.fromArray(F, wt, 7 * kLen + i);
            a70 = w7.fma(x0v, a70); a71 = w7.fma(x1v, a71);
        }
        a00.intoArray(acc, c0 + 0 * stride + 0 * L);
        a01.intoArray(acc, c0 + 0 * stride + 1 * L);
        a10.intoArray(acc, c0 + 1 * stride + 0 * L);
        a11.intoArray(acc, c0 + 1 * stride + 1 * L);
        a20.intoArray(acc, c0 + 2 * stride + 0 * L);
        a21.intoArray(acc, c0 + 2 * stride + 1 * L);
        a30.intoArray(acc, c0 + 3 * stride + 0 * L);
        a31.intoArray(acc, c0 + 3 * stride + 1 * L);
        a40.intoArray(acc, c0 + 4 * stride + 0 * L);
        a41.intoArray(acc, c0 + 4 * stride + 1 * L);
        a50.intoArray(acc, c0 + 5 * stride + 0 * L);
        a51.intoArray(acc, c0 + 5 * stride + 1 * L);
        a60.intoArray(acc, c0 + 6 * stride + 0 * L);
        a61.intoArray(acc, c0 + 6 * stride + 1 * L);
        a70.intoArray(acc, c0 + 7 * stride + 0 * L);
        a71.intoArray(acc, c0 + 7 * stride + 1 * L);
    }

    /** Widened rows 0..7 (tile rows rr..rr+7) against token t (tile token tt) over one K-block. */
    private static void microRows(Job j, float[] wt, int rr, int kLen, float[] acc, int tokens, int t, int tt, int k0) {
        float[] xs = j.xs;
        int x0 = j.xOffset(k0, kLen, t);
        // acc[(row * tokens + token) * L ..]
        int c0 = (rr * tokens + tt) * L, stride = tokens * L;
        FloatVector a00 = FloatVector.fromArray(F, acc, c0 + 0 * stride + 0 * L);
        FloatVector a10 = FloatVector.fromArray(F, acc, c0 + 1 * stride + 0 * L);
        FloatVector a20 = FloatVector.fromArray(F, acc, c0 + 2 * stride + 0 * L);
        FloatVector a30 = FloatVector.fromArray(F, acc, c0 + 3 * stride + 0 * L);
        FloatVector a40 = FloatVector.fromArray(F, acc, c0 + 4 * stride + 0 * L);
        FloatVector a50 = FloatVector.fromArray(F, acc, c0 + 5 * stride + 0 * L);
        FloatVector a60 = FloatVector.fromArray(F, acc, c0 + 6 * stride + 0 * L);
        FloatVector a70 = FloatVector.fromArray(F, acc, c0 + 7 * stride + 0 * L);
        for (int i = 0; i < kLen; i += L) {
            FloatVector x0v = FloatVector.fromArray(F, xs, x0 + i);
            FloatVector w0 = FloatVector.fromArray(F, wt, 0 * kLen + i);
            a00 = w0.fma(x0v, a00);
            FloatVector w1 = FloatVector.fromArray(F, wt, 1 * kLen + i);
            a10 = w1.fma(x0v, a10);
            FloatVector w2 = FloatVector.fromArray(F, wt, 2 * kLen + i);
            a20 = w2.fma(x0v, a20);
            FloatVector w3 = FloatVector.fromArray(F, wt, 3 * kLen + i);
            a30 = w3.fma(x0v, a30);
            FloatVector w4 = FloatVector.fromArray(F, wt, 4 * kLen + i);
            a40 = w4.fma(x0v, a40);
            FloatVector w5 = FloatVector.fromArray(F, wt, 5 * kLen + i);
            a50 = w5.fma(x0v, a50);
            FloatVector w6 = FloatVector.fromArray(F, wt, 6 * kLen + i);
            a60 = w6.fma(x0v, a60);
            FloatVector w7 = FloatVector.fromArray(F, wt, 7 * kLen + i);
            a70 = w7.fma(x0v, a70);
        }
        a00.intoArray(acc, c0 + 0 * stride + 0 * L);
        a10.intoArray(acc, c0 + 1 * stride + 0 * L);
        a20.intoArray(acc, c0 + 2 * stride + 0 * L);
        a30.intoArray(acc, c0 + 3 * stride + 0 * L);
        a40.intoArray(acc, c0 + 4 * stride + 0 * L);
        a50.intoArray(acc, c0 + 5 * stride + 0 * L);
        a60.intoArray(acc, c0 + 6 * stride + 0 * L);
        a70.intoArray(acc, c0 + 7 * stride + 0 * L);
    }

    // ---- rows of embedding-like tensors -------------------------------------------------------

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
