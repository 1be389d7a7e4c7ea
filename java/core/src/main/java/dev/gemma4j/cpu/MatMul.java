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
 * dtype (F32, BF16 or F16), widened exactly to fp32, fp32 products and sums. Quantized weights
 * (Q8_0, Q4_0) go to {@link QuantizedMatMul}.
 *
 * <p>Every output element is the same function of its weight row and its token's activations,
 * whatever the token count and the tiling: one L-lane accumulator runs over the row's vector
 * chunks in order ({@link #chunkOrder}), then its lanes are summed in a fixed pairwise tree, then
 * the elements past the last whole 2L block are added one by one. A token decoded alone, the same
 * token in a batch and the same token inside a prefill therefore get bit-identical results.
 *
 * <p>Two drivers compute that function. Decode (fewer than 8 tokens): a task streams 16 rows from
 * storage, four at a time, widening in registers with a kernel per layout (4 rows × 4 tokens, 4 rows
 * × 1 token), so each weight comes from memory once per step. Prefill: a task owns a tile of 64
 * rows × 64 tokens; for each K-block it widens its rows' weights once into an fp32 buffer and runs
 * 8 × 2, 8 × 1 and 1 × 1 fp32 micro-kernels over it, their accumulators carried in a per-thread
 * buffer from one K-block to the next so the chunk order is unchanged.
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
    /** Decode task: rows × every token. 16 rows balance 2..64 cores at little scheduling cost. */
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

        /**
         * At least {@code size} floats, not zeroed: the kernels start each accumulator from zero on
         * a row's first K-block and only then read it back.
         */
        float[] accumulators(int size) {
            if (accumulators.length < size) accumulators = new float[size];
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
        if (w.dtype().quantized()) {
            QuantizedMatMul.matmul(w, x, n, out, accumulate);
            return;
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
            if (n < PREFILL_MIN_TOKENS) {
                decodeTile(job, r0, Math.min(outDim, r0 + tileRows));
            } else {
                tile(job, r0, Math.min(outDim, r0 + tileRows), t0, Math.min(n, t0 + tileTokens));
            }
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
            default -> throw new IllegalArgumentException(dtype + " weights have no dense layout");
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
        IntStream tokens = IntStream.range(0, n);
        // A prefill's x is megabytes: each core lays out its share of the tokens.
        (n < PREFILL_MIN_TOKENS ? tokens : tokens.parallel()).forEach(t -> {
            for (int k0 = 0; k0 < vecDim; k0 += kBlock) {
                int kLen = Math.min(kBlock, vecDim - k0);
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
            int tail = inDim - vecDim;
            if (tail > 0) System.arraycopy(x, t * inDim + vecDim, xs, vecDim * n + t * tail, tail);
        });
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
            default -> throw new IllegalArgumentException(dtype + " weights have no dense layout");
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
        if (L == 16) {
            // The same tree with vector halves: [j] + [j + 8], then [j] + [j + 4], then the 4 lanes.
            FloatVector v = FloatVector.fromArray(F, a, off);
            FloatVector h8 = ((FloatVector) v.reinterpretShape(FloatVector.SPECIES_256, 0))
                    .add((FloatVector) v.reinterpretShape(FloatVector.SPECIES_256, 1));
            FloatVector h4 = ((FloatVector) h8.reinterpretShape(FloatVector.SPECIES_128, 0))
                    .add((FloatVector) h8.reinterpretShape(FloatVector.SPECIES_128, 1));
            return (h4.lane(0) + h4.lane(2)) + (h4.lane(1) + h4.lane(3));
        }
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
        if (j.vecDim == 0) java.util.Arrays.fill(acc, 0, rows * tokens * L, 0f);   // no K-block starts them
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

    /**
     * A decode tile: rows [r0, r1) × every token. Rows go four at a time through a kernel of their
     * layout that widens in registers, straight from storage, and keeps one accumulator per row and
     * token in the chunk order of the widened path (so the same results): tokens four at a time,
     * then one at a time, each row read from memory once and found in cache by the later tokens.
     * Leftover rows, and 16-bit rows that are not whole steps, take the widened path.
     */
    private static void decodeTile(Job j, int r0, int r1) {
        float[] lanes = SCRATCH.get().accumulators(16 * L);
        int r = r0;
        if (j.layout != Layout.NATURAL_16) {
            for (; r + 4 <= r1; r += 4) {
                int t = 0;
                for (; t + 4 <= j.n; t += 4) {
                    stream(j, r, t, 4, lanes);
                    for (int k = 0; k < 16; k++) finish(j, lanes, k * L, r + k / 4, t + k % 4);
                }
                for (; t < j.n; t++) {
                    stream(j, r, t, 1, lanes);
                    for (int k = 0; k < 4; k++) finish(j, lanes, k * L, r + k, t);
                }
            }
        }
        if (r < r1) tile(j, r, r1, 0, j.n);
    }

    /** Rows r..r+3 against tokens [t, t + tokens), tokens 1 or 4, by the kernel of the job's layout. */
    private static void stream(Job j, int r, int t, int tokens, float[] lanes) {
        int x = j.xOffset(0, j.vecDim, t);
        boolean four = tokens == 4;
        switch (j.layout) {
            case F32 -> { if (four) streamF32x4(j.w, r, j.inDim, j.vecDim, j.xs, x, lanes); else streamF32x1(j.w, r, j.inDim, j.vecDim, j.xs, x, lanes); }
            case BF16_PAIRED -> { if (four) streamBf16x4(j.w, r, j.inDim, j.vecDim, j.xs, x, lanes); else streamBf16x1(j.w, r, j.inDim, j.vecDim, j.xs, x, lanes); }
            case F16_PAIRED -> { if (four) streamF16x4(j.w, r, j.inDim, j.vecDim, j.xs, x, lanes); else streamF16x1(j.w, r, j.inDim, j.vecDim, j.xs, x, lanes); }
            case NATURAL_16 -> throw new IllegalStateException("no streaming kernel for rows that are not whole steps");
        }
    }

    /** Rows row0..row0+3 of paired BF16 weights, widened in registers, against tokens t..t+3; accumulators to {@code lanes[(row * 4 + token) * L ..]}. */
    private static void streamBf16x4(MemorySegment w, long row0, int inDim, int vecDim, float[] xs, int x0, float[] lanes) {
        long w0 = row0 * inDim, w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
        int x1 = x0 + vecDim;
        int x2 = x1 + vecDim;
        int x3 = x2 + vecDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z, a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int i = 0; i < vecDim; i += STEP) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, (w0 + i) * 2, LE);
            FloatVector f00 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f01 = p0.and(0xffff0000).reinterpretAsFloats();
            IntVector p1 = IntVector.fromMemorySegment(I, w, (w1 + i) * 2, LE);
            FloatVector f10 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f11 = p1.and(0xffff0000).reinterpretAsFloats();
            IntVector p2 = IntVector.fromMemorySegment(I, w, (w2 + i) * 2, LE);
            FloatVector f20 = p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f21 = p2.and(0xffff0000).reinterpretAsFloats();
            IntVector p3 = IntVector.fromMemorySegment(I, w, (w3 + i) * 2, LE);
            FloatVector f30 = p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f31 = p3.and(0xffff0000).reinterpretAsFloats();
            FloatVector xa0 = FloatVector.fromArray(F, xs, x0 + i), xb0 = FloatVector.fromArray(F, xs, x0 + i + L);
            a00 = f01.fma(xb0, f00.fma(xa0, a00)); a10 = f11.fma(xb0, f10.fma(xa0, a10)); a20 = f21.fma(xb0, f20.fma(xa0, a20)); a30 = f31.fma(xb0, f30.fma(xa0, a30));
            FloatVector xa1 = FloatVector.fromArray(F, xs, x1 + i), xb1 = FloatVector.fromArray(F, xs, x1 + i + L);
            a01 = f01.fma(xb1, f00.fma(xa1, a01)); a11 = f11.fma(xb1, f10.fma(xa1, a11)); a21 = f21.fma(xb1, f20.fma(xa1, a21)); a31 = f31.fma(xb1, f30.fma(xa1, a31));
            FloatVector xa2 = FloatVector.fromArray(F, xs, x2 + i), xb2 = FloatVector.fromArray(F, xs, x2 + i + L);
            a02 = f01.fma(xb2, f00.fma(xa2, a02)); a12 = f11.fma(xb2, f10.fma(xa2, a12)); a22 = f21.fma(xb2, f20.fma(xa2, a22)); a32 = f31.fma(xb2, f30.fma(xa2, a32));
            FloatVector xa3 = FloatVector.fromArray(F, xs, x3 + i), xb3 = FloatVector.fromArray(F, xs, x3 + i + L);
            a03 = f01.fma(xb3, f00.fma(xa3, a03)); a13 = f11.fma(xb3, f10.fma(xa3, a13)); a23 = f21.fma(xb3, f20.fma(xa3, a23)); a33 = f31.fma(xb3, f30.fma(xa3, a33));
        }
        a00.intoArray(lanes, 0 * L);
        a01.intoArray(lanes, 1 * L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
    }

    /** Rows row0..row0+3 of paired BF16 weights, widened in registers, against one token; accumulators to {@code lanes[(row * 1 + token) * L ..]}. */
    private static void streamBf16x1(MemorySegment w, long row0, int inDim, int vecDim, float[] xs, int x0, float[] lanes) {
        long w0 = row0 * inDim, w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a10 = z, a20 = z, a30 = z;
        for (int i = 0; i < vecDim; i += STEP) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, (w0 + i) * 2, LE);
            FloatVector f00 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f01 = p0.and(0xffff0000).reinterpretAsFloats();
            IntVector p1 = IntVector.fromMemorySegment(I, w, (w1 + i) * 2, LE);
            FloatVector f10 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f11 = p1.and(0xffff0000).reinterpretAsFloats();
            IntVector p2 = IntVector.fromMemorySegment(I, w, (w2 + i) * 2, LE);
            FloatVector f20 = p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f21 = p2.and(0xffff0000).reinterpretAsFloats();
            IntVector p3 = IntVector.fromMemorySegment(I, w, (w3 + i) * 2, LE);
            FloatVector f30 = p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f31 = p3.and(0xffff0000).reinterpretAsFloats();
            FloatVector xa0 = FloatVector.fromArray(F, xs, x0 + i), xb0 = FloatVector.fromArray(F, xs, x0 + i + L);
            a00 = f01.fma(xb0, f00.fma(xa0, a00)); a10 = f11.fma(xb0, f10.fma(xa0, a10)); a20 = f21.fma(xb0, f20.fma(xa0, a20)); a30 = f31.fma(xb0, f30.fma(xa0, a30));
        }
        a00.intoArray(lanes, 0 * L);
        a10.intoArray(lanes, 1 * L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
    }

    /** Rows row0..row0+3 of paired F16 weights, widened in registers as {@link #widenF16Paired} does, against tokens t..t+3; accumulators to {@code lanes[(row * 4 + token) * L ..]}. */
    private static void streamF16x4(MemorySegment w, long row0, int inDim, int vecDim, float[] xs, int x0, float[] lanes) {
        long w0 = row0 * inDim, w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
        int x1 = x0 + vecDim;
        int x2 = x1 + vecDim;
        int x3 = x2 + vecDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z, a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int i = 0; i < vecDim; i += STEP) {
            // Row by row, each row's two widened vectors used by all four tokens before the next
            // row is widened: eight widened rows live at once spill the registers (7x slower).
            FloatVector xa0 = FloatVector.fromArray(F, xs, x0 + i), xb0 = FloatVector.fromArray(F, xs, x0 + i + L);
            FloatVector xa1 = FloatVector.fromArray(F, xs, x1 + i), xb1 = FloatVector.fromArray(F, xs, x1 + i + L);
            FloatVector xa2 = FloatVector.fromArray(F, xs, x2 + i), xb2 = FloatVector.fromArray(F, xs, x2 + i + L);
            FloatVector xa3 = FloatVector.fromArray(F, xs, x3 + i), xb3 = FloatVector.fromArray(F, xs, x3 + i + L);
            IntVector p0 = IntVector.fromMemorySegment(I, w, (w0 + i) * 2, LE);
            IntVector h00 = p0.lanewise(VectorOperators.LSHL, 16);
            IntVector e00 = h00.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n00 = e00.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e00.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f00 = n00.blend(e00.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e00.compare(VectorOperators.LT, 0x00800000)).or(h00.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h01 = p0;
            IntVector e01 = h01.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n01 = e01.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e01.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f01 = n01.blend(e01.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e01.compare(VectorOperators.LT, 0x00800000)).or(h01.and(0x80000000))
                    .reinterpretAsFloats();
            a00 = f01.fma(xb0, f00.fma(xa0, a00)); a01 = f01.fma(xb1, f00.fma(xa1, a01)); a02 = f01.fma(xb2, f00.fma(xa2, a02)); a03 = f01.fma(xb3, f00.fma(xa3, a03));
            IntVector p1 = IntVector.fromMemorySegment(I, w, (w1 + i) * 2, LE);
            IntVector h10 = p1.lanewise(VectorOperators.LSHL, 16);
            IntVector e10 = h10.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n10 = e10.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e10.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f10 = n10.blend(e10.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e10.compare(VectorOperators.LT, 0x00800000)).or(h10.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h11 = p1;
            IntVector e11 = h11.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n11 = e11.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e11.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f11 = n11.blend(e11.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e11.compare(VectorOperators.LT, 0x00800000)).or(h11.and(0x80000000))
                    .reinterpretAsFloats();
            a10 = f11.fma(xb0, f10.fma(xa0, a10)); a11 = f11.fma(xb1, f10.fma(xa1, a11)); a12 = f11.fma(xb2, f10.fma(xa2, a12)); a13 = f11.fma(xb3, f10.fma(xa3, a13));
            IntVector p2 = IntVector.fromMemorySegment(I, w, (w2 + i) * 2, LE);
            IntVector h20 = p2.lanewise(VectorOperators.LSHL, 16);
            IntVector e20 = h20.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n20 = e20.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e20.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f20 = n20.blend(e20.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e20.compare(VectorOperators.LT, 0x00800000)).or(h20.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h21 = p2;
            IntVector e21 = h21.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n21 = e21.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e21.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f21 = n21.blend(e21.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e21.compare(VectorOperators.LT, 0x00800000)).or(h21.and(0x80000000))
                    .reinterpretAsFloats();
            a20 = f21.fma(xb0, f20.fma(xa0, a20)); a21 = f21.fma(xb1, f20.fma(xa1, a21)); a22 = f21.fma(xb2, f20.fma(xa2, a22)); a23 = f21.fma(xb3, f20.fma(xa3, a23));
            IntVector p3 = IntVector.fromMemorySegment(I, w, (w3 + i) * 2, LE);
            IntVector h30 = p3.lanewise(VectorOperators.LSHL, 16);
            IntVector e30 = h30.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n30 = e30.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e30.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f30 = n30.blend(e30.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e30.compare(VectorOperators.LT, 0x00800000)).or(h30.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h31 = p3;
            IntVector e31 = h31.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n31 = e31.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e31.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f31 = n31.blend(e31.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e31.compare(VectorOperators.LT, 0x00800000)).or(h31.and(0x80000000))
                    .reinterpretAsFloats();
            a30 = f31.fma(xb0, f30.fma(xa0, a30)); a31 = f31.fma(xb1, f30.fma(xa1, a31)); a32 = f31.fma(xb2, f30.fma(xa2, a32)); a33 = f31.fma(xb3, f30.fma(xa3, a33));
        }
        a00.intoArray(lanes, 0 * L);
        a01.intoArray(lanes, 1 * L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
    }

    /** Rows row0..row0+3 of paired F16 weights, widened in registers as {@link #widenF16Paired} does, against one token; accumulators to {@code lanes[(row * 1 + token) * L ..]}. */
    private static void streamF16x1(MemorySegment w, long row0, int inDim, int vecDim, float[] xs, int x0, float[] lanes) {
        long w0 = row0 * inDim, w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a10 = z, a20 = z, a30 = z;
        for (int i = 0; i < vecDim; i += STEP) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, (w0 + i) * 2, LE);
            IntVector h00 = p0.lanewise(VectorOperators.LSHL, 16);
            IntVector e00 = h00.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n00 = e00.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e00.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f00 = n00.blend(e00.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e00.compare(VectorOperators.LT, 0x00800000)).or(h00.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h01 = p0;
            IntVector e01 = h01.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n01 = e01.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e01.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f01 = n01.blend(e01.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e01.compare(VectorOperators.LT, 0x00800000)).or(h01.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector p1 = IntVector.fromMemorySegment(I, w, (w1 + i) * 2, LE);
            IntVector h10 = p1.lanewise(VectorOperators.LSHL, 16);
            IntVector e10 = h10.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n10 = e10.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e10.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f10 = n10.blend(e10.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e10.compare(VectorOperators.LT, 0x00800000)).or(h10.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h11 = p1;
            IntVector e11 = h11.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n11 = e11.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e11.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f11 = n11.blend(e11.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e11.compare(VectorOperators.LT, 0x00800000)).or(h11.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector p2 = IntVector.fromMemorySegment(I, w, (w2 + i) * 2, LE);
            IntVector h20 = p2.lanewise(VectorOperators.LSHL, 16);
            IntVector e20 = h20.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n20 = e20.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e20.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f20 = n20.blend(e20.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e20.compare(VectorOperators.LT, 0x00800000)).or(h20.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h21 = p2;
            IntVector e21 = h21.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n21 = e21.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e21.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f21 = n21.blend(e21.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e21.compare(VectorOperators.LT, 0x00800000)).or(h21.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector p3 = IntVector.fromMemorySegment(I, w, (w3 + i) * 2, LE);
            IntVector h30 = p3.lanewise(VectorOperators.LSHL, 16);
            IntVector e30 = h30.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n30 = e30.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e30.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f30 = n30.blend(e30.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e30.compare(VectorOperators.LT, 0x00800000)).or(h30.and(0x80000000))
                    .reinterpretAsFloats();
            IntVector h31 = p3;
            IntVector e31 = h31.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000);
            IntVector n31 = e31.add(0x38000000)
                    .lanewise(VectorOperators.ADD, 0x38000000, e31.compare(VectorOperators.GE, 0x0f800000));
            FloatVector f31 = n31.blend(e31.add(0x38800000).reinterpretAsFloats().sub(0x1p-14f)
                    .viewAsIntegralLanes(), e31.compare(VectorOperators.LT, 0x00800000)).or(h31.and(0x80000000))
                    .reinterpretAsFloats();
            FloatVector xa0 = FloatVector.fromArray(F, xs, x0 + i), xb0 = FloatVector.fromArray(F, xs, x0 + i + L);
            a00 = f01.fma(xb0, f00.fma(xa0, a00)); a10 = f11.fma(xb0, f10.fma(xa0, a10)); a20 = f21.fma(xb0, f20.fma(xa0, a20)); a30 = f31.fma(xb0, f30.fma(xa0, a30));
        }
        a00.intoArray(lanes, 0 * L);
        a10.intoArray(lanes, 1 * L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
    }

    /** Rows row0..row0+3 of F32 weights, against tokens t..t+3; accumulators to {@code lanes[(row * 4 + token) * L ..]}. */
    private static void streamF32x4(MemorySegment w, long row0, int inDim, int vecDim, float[] xs, int x0, float[] lanes) {
        long w0 = row0 * inDim, w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
        int x1 = x0 + vecDim;
        int x2 = x1 + vecDim;
        int x3 = x2 + vecDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z, a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int i = 0; i < vecDim; i += STEP) {
            FloatVector f00 = FloatVector.fromMemorySegment(F, w, (w0 + i) * 4, LE), f01 = FloatVector.fromMemorySegment(F, w, (w0 + i + L) * 4, LE);
            FloatVector f10 = FloatVector.fromMemorySegment(F, w, (w1 + i) * 4, LE), f11 = FloatVector.fromMemorySegment(F, w, (w1 + i + L) * 4, LE);
            FloatVector f20 = FloatVector.fromMemorySegment(F, w, (w2 + i) * 4, LE), f21 = FloatVector.fromMemorySegment(F, w, (w2 + i + L) * 4, LE);
            FloatVector f30 = FloatVector.fromMemorySegment(F, w, (w3 + i) * 4, LE), f31 = FloatVector.fromMemorySegment(F, w, (w3 + i + L) * 4, LE);
            FloatVector xa0 = FloatVector.fromArray(F, xs, x0 + i), xb0 = FloatVector.fromArray(F, xs, x0 + i + L);
            a00 = f01.fma(xb0, f00.fma(xa0, a00)); a10 = f11.fma(xb0, f10.fma(xa0, a10)); a20 = f21.fma(xb0, f20.fma(xa0, a20)); a30 = f31.fma(xb0, f30.fma(xa0, a30));
            FloatVector xa1 = FloatVector.fromArray(F, xs, x1 + i), xb1 = FloatVector.fromArray(F, xs, x1 + i + L);
            a01 = f01.fma(xb1, f00.fma(xa1, a01)); a11 = f11.fma(xb1, f10.fma(xa1, a11)); a21 = f21.fma(xb1, f20.fma(xa1, a21)); a31 = f31.fma(xb1, f30.fma(xa1, a31));
            FloatVector xa2 = FloatVector.fromArray(F, xs, x2 + i), xb2 = FloatVector.fromArray(F, xs, x2 + i + L);
            a02 = f01.fma(xb2, f00.fma(xa2, a02)); a12 = f11.fma(xb2, f10.fma(xa2, a12)); a22 = f21.fma(xb2, f20.fma(xa2, a22)); a32 = f31.fma(xb2, f30.fma(xa2, a32));
            FloatVector xa3 = FloatVector.fromArray(F, xs, x3 + i), xb3 = FloatVector.fromArray(F, xs, x3 + i + L);
            a03 = f01.fma(xb3, f00.fma(xa3, a03)); a13 = f11.fma(xb3, f10.fma(xa3, a13)); a23 = f21.fma(xb3, f20.fma(xa3, a23)); a33 = f31.fma(xb3, f30.fma(xa3, a33));
        }
        a00.intoArray(lanes, 0 * L);
        a01.intoArray(lanes, 1 * L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
    }

    /** Rows row0..row0+3 of F32 weights, against one token; accumulators to {@code lanes[(row * 1 + token) * L ..]}. */
    private static void streamF32x1(MemorySegment w, long row0, int inDim, int vecDim, float[] xs, int x0, float[] lanes) {
        long w0 = row0 * inDim, w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a10 = z, a20 = z, a30 = z;
        for (int i = 0; i < vecDim; i += STEP) {
            FloatVector f00 = FloatVector.fromMemorySegment(F, w, (w0 + i) * 4, LE), f01 = FloatVector.fromMemorySegment(F, w, (w0 + i + L) * 4, LE);
            FloatVector f10 = FloatVector.fromMemorySegment(F, w, (w1 + i) * 4, LE), f11 = FloatVector.fromMemorySegment(F, w, (w1 + i + L) * 4, LE);
            FloatVector f20 = FloatVector.fromMemorySegment(F, w, (w2 + i) * 4, LE), f21 = FloatVector.fromMemorySegment(F, w, (w2 + i + L) * 4, LE);
            FloatVector f30 = FloatVector.fromMemorySegment(F, w, (w3 + i) * 4, LE), f31 = FloatVector.fromMemorySegment(F, w, (w3 + i + L) * 4, LE);
            FloatVector xa0 = FloatVector.fromArray(F, xs, x0 + i), xb0 = FloatVector.fromArray(F, xs, x0 + i + L);
            a00 = f01.fma(xb0, f00.fma(xa0, a00)); a10 = f11.fma(xb0, f10.fma(xa0, a10)); a20 = f21.fma(xb0, f20.fma(xa0, a20)); a30 = f31.fma(xb0, f30.fma(xa0, a30));
        }
        a00.intoArray(lanes, 0 * L);
        a10.intoArray(lanes, 1 * L);
        a20.intoArray(lanes, 2 * L);
        a30.intoArray(lanes, 3 * L);
    }

    /** Widened row g (tile row rr) against token t (tile token tt) over one K-block. */
    private static void micro1x1(Job j, float[] wt, int g, int rr, int kLen, float[] acc, int tokens, int t, int tt,
                                 int k0) {
        int c = (rr * tokens + tt) * L;
        int w = g * kLen, x = j.xOffset(k0, kLen, t);
        FloatVector a = k0 == 0 ? FloatVector.zero(F) : FloatVector.fromArray(F, acc, c);
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
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 0 * stride + 0 * L);
        FloatVector a01 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 0 * stride + 1 * L);
        FloatVector a10 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 1 * stride + 0 * L);
        FloatVector a11 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 1 * stride + 1 * L);
        FloatVector a20 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 2 * stride + 0 * L);
        FloatVector a21 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 2 * stride + 1 * L);
        FloatVector a30 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 3 * stride + 0 * L);
        FloatVector a31 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 3 * stride + 1 * L);
        FloatVector a40 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 4 * stride + 0 * L);
        FloatVector a41 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 4 * stride + 1 * L);
        FloatVector a50 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 5 * stride + 0 * L);
        FloatVector a51 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 5 * stride + 1 * L);
        FloatVector a60 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 6 * stride + 0 * L);
        FloatVector a61 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 6 * stride + 1 * L);
        FloatVector a70 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 7 * stride + 0 * L);
        FloatVector a71 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 7 * stride + 1 * L);
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
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 0 * stride + 0 * L);
        FloatVector a10 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 1 * stride + 0 * L);
        FloatVector a20 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 2 * stride + 0 * L);
        FloatVector a30 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 3 * stride + 0 * L);
        FloatVector a40 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 4 * stride + 0 * L);
        FloatVector a50 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 5 * stride + 0 * L);
        FloatVector a60 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 6 * stride + 0 * L);
        FloatVector a70 = k0 == 0 ? z : FloatVector.fromArray(F, acc, c0 + 7 * stride + 0 * L);
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
        if (t.dtype().quantized()) {
            QuantizedMatMul.dequantizeRow(t, r, dst, dstOff);
            return;
        }
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
