package dev.gemma4j.cpu;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatMul}'s kernels for block-quantized weights (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K,
 * Q6_K), dequantized straight from storage. Q8_0 and Q4_0, whose blocks are one group with its
 * scale first, have kernels of their own that widen L integers at a time in registers. The other
 * types share kernels over groups that read a span of 256 elements (a K-quant super-block, or 8
 * blocks of 32) unpacked by the type's own method with vector byte operations into a per-thread
 * buffer of 256 floats (in L1), with its groups' scales and offsets; a tile's tokens, four at a
 * time, all go past each unpacked span before the next (their accumulators in a per-thread buffer),
 * so prefill unpacks each weight once per 64 tokens. No widened copy of a matrix, nothing allocated
 * per call beyond the driver's.
 *
 * <p>Every output element is the same function of its row and its token's activations, whatever the
 * token count: per group g of {@link DType#groupSize()} elements (scale a_g, offset b_g: element =
 * a_g · q + b_g), an L-lane accumulator {@code p_g = Σ_c q_c · x_c} over the group's chunks in order
 * (q widened exactly to fp32: the products and their sums are exact integers times x until the sum
 * rounds) and, for types with offsets, {@code s_g = Σ_c x_c}; then {@code acc = p_g · a_g + acc}
 * and {@code acc = s_g · b_g + acc} (fmas) over the groups in order, then {@link MatMul#laneSum}.
 * Tokens go four at a time or one at a time through kernels doing that same arithmetic, so decode,
 * batches and prefill agree bit for bit.
 *
 * <p>Against the dense path on the same weights dequantized to fp32 ({@link DType#read}: w = a · q
 * + b rounded once or twice), the result differs only in rounding: both sum the same products, each
 * with at most (inDim / L + 32 / L + log2 L + 2) roundings on the way to the result for L ≤ 16, so
 * |difference| ≤ 2 · (inDim / L + 38) · 2^-24 · Σ_i (|a_i q_i| + |b_i|) · |x_i| — for the types
 * without offsets that is Σ|w x| (about 1.6e-5 relative for inDim 2048); with offsets, a · q and
 * b can cancel in w, and the bound is relative to the terms, not to w.
 */
final class QuantizedMatMul {
    private QuantizedMatMul() {}

    private static final VectorSpecies<Float> F = MatMul.F;
    private static final int L = F.length();
    /** Bytes and ints with as many lanes as {@link #F}: one load is one float vector's worth of integers. */
    private static final VectorSpecies<Byte> B = L >= 8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE)) : null;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bit positions e .. e + L − 1 of Q5_0 / Q5_1's qh for the chunk starting at element e = c · L. */
    private static final IntVector[] QH_SHIFTS = new IntVector[Math.max(1, 32 / L)];

    static {
        int[] shifts = new int[L];
        for (int c = 0; c < QH_SHIFTS.length; c++) {
            for (int i = 0; i < L; i++) shifts[i] = c * L + i;
            QH_SHIFTS[c] = IntVector.fromArray(I, shifts, 0);
        }
    }

    /** Task: rows × tokens. A row's blocks stay in L1 while the tile's tokens go past them. */
    private static final int TILE_ROWS = 16, TILE_TOKENS = 64;
    private static final int BLOCK = 32;
    private static final int CHUNKS = BLOCK / Math.max(L, 1);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);


    /** As {@link MatMul#matmul}, for a quantized weight (the caller checked the sizes). */
    static void matmul(Tensor w, float[] x, int n, float[] out, boolean accumulate) {
        DType dtype = w.dtype();
        if (!dtype.quantized()) {
            throw new IllegalArgumentException("matmul " + w.name() + ": " + dtype + " is not a quantized type");
        }
        if (B == null) {
            throw new IllegalStateException("matmul " + w.name() + ": " + dtype + " kernels need float vectors of at"
                    + " least 8 lanes (AVX2 or wider), this JVM's preferred species has " + L);
        }
        int outDim = Math.toIntExact(w.dim(0)), inDim = Math.toIntExact(w.dim(1));
        int blocks = inDim / dtype.blockSize();
        long rowBytes = (long) blocks * dtype.blockBytes();
        MemorySegment data = w.data();
        boolean q8 = dtype == DType.Q8_0, q4 = dtype == DType.Q4_0;
        int rowTiles = (outDim + TILE_ROWS - 1) / TILE_ROWS;
        int tokenTiles = (n + TILE_TOKENS - 1) / TILE_TOKENS;
        IntStream.range(0, rowTiles * tokenTiles).parallel().forEach(task -> {
            int r0 = (task % rowTiles) * TILE_ROWS, t0 = (task / rowTiles) * TILE_TOKENS;
            int r1 = Math.min(outDim, r0 + TILE_ROWS), t1 = Math.min(n, t0 + TILE_TOKENS);
            Scratch s = SCRATCH.get();
            float[] lanes = s.lanes;
            for (int r = r0; r < r1; r++) {
                long row = r * rowBytes;
                if (!q8 && !q4) {
                    // Whole quads of the tile share each unpacked span; the rest go one at a time.
                    int quads = (t1 - t0) / 4 * 4;
                    if (quads > 0) dotTile(dtype, data, row, blocks, x, inDim, t0, t0 + quads, s);
                    for (int t = t0; t < t0 + quads; t++) {
                        store(out, t * outDim + r, MatMul.laneSum(s.acc, (t - t0) * L), accumulate);
                    }
                    for (int t = t0 + quads; t < t1; t++) {
                        dot1(dtype, data, row, blocks, x, t * inDim, s);
                        store(out, t * outDim + r, MatMul.laneSum(lanes, 0), accumulate);
                    }
                    continue;
                }
                int t = t0;
                for (; t + 4 <= t1; t += 4) {
                    if (q8) q8x4(data, row, blocks, x, t * inDim, inDim, lanes);
                    else q4x4(data, row, blocks, x, t * inDim, inDim, lanes);
                    for (int k = 0; k < 4; k++) store(out, (t + k) * outDim + r, MatMul.laneSum(lanes, k * L), accumulate);
                }
                for (; t < t1; t++) {
                    if (q8) q8x1(data, row, blocks, x, t * inDim, lanes);
                    else q4x1(data, row, blocks, x, t * inDim, lanes);
                    store(out, t * outDim + r, MatMul.laneSum(lanes, 0), accumulate);
                }
            }
        });
    }

    private static void store(float[] out, int o, float s, boolean accumulate) {
        out[o] = accumulate ? out[o] + s : s;
    }

    /** Row {@code r} of a quantized [rows, cols] tensor dequantized ({@link DType#read}) into {@code dst[off ..]}. */
    static void dequantizeRow(Tensor t, long r, float[] dst, int off) {
        int cols = Math.toIntExact(t.dim(1));
        long base = r * cols;
        for (int i = 0; i < cols; i++) dst[off + i] = t.getFloat(base + i);
    }

    /** Elements unpacked at a time: one K-quant super-block, or 8 blocks of 32. */
    private static final int SPAN = 256, MAX_GROUPS = 16;

    /**
     * Per-thread buffers: a span's integers as floats, its groups' scales and offsets, the lanes of 4
     * tokens, and the accumulators of a tile's tokens.
     */
    private static final class Scratch {
        final float[] acc = new float[TILE_TOKENS * L];
        final float[] q = new float[SPAN];
        final float[] scale = new float[MAX_GROUPS];
        final float[] offset = new float[MAX_GROUPS];
        final float[] lanes = new float[4 * L];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * The {@code nb} blocks at byte {@code at} (at most one span): their integers into {@code s.q},
     * their groups' scales and offsets into {@code s.scale}, {@code s.offset}. Each type unpacks in a
     * method of its own, so that the JIT compiles each for its type alone (a shared method would meet
     * several types in one model, and the JIT would then call instead of inline the code that makes
     * vectors, allocating each); the kernels read only the floats.
     */
    private static void unpack(DType dtype, MemorySegment w, long at, int nb, Scratch s) {
        long bb = dtype.blockBytes();
        for (int b = 0; b < nb; b++) {
            long block = at + b * bb;
            int e0 = b * dtype.blockSize();
            switch (dtype) {
                case Q4_1 -> q4_1(w, block, s.q, e0);
                case Q5_0 -> q5(w, block + 6, block + 2, 16, s.q, e0);
                case Q5_1 -> q5(w, block + 8, block + 4, 0, s.q, e0);
                case Q4_K -> q4k(w, block, s.q);
                case Q5_K -> q5k(w, block, s.q);
                case Q6_K -> q6k(w, block, s.q);
                default -> throw new IllegalStateException(dtype + " has no general kernel");
            }
        }
        int gs = dtype.groupSize(), perBlock = dtype.blockSize() / gs;
        for (int g = 0; g < nb * perBlock; g++) {
            long block = at + (g / perBlock) * bb;
            s.scale[g] = dtype.groupScale(w, block, g % perBlock);
            s.offset[g] = dtype.groupOffset(w, block, g % perBlock);
        }
    }

    private static void store(ByteVector q, float[] dst, int at) {
        ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).intoArray(dst, at);
    }

    private static void q4_1(MemorySegment w, long block, float[] q, int e0) {
        for (int e = 0; e < 32; e += L) store(nibbles(w, block + 4 + (e & 15), e < 16), q, e0 + e);
    }

    /** Q5_0 / Q5_1: the nibbles at {@code qs} with bit e of the uint32 at {@code qh} above element e, minus {@code bias}. */
    private static void q5(MemorySegment w, long qs, long qh, int bias, float[] q, int e0) {
        IntVector high = IntVector.broadcast(I, w.get(INT_LE, qh));
        for (int e = 0; e < 32; e += L) {
            IntVector bits = high.lanewise(VectorOperators.LSHR, QH_SHIFTS[e / L]).and(1).lanewise(VectorOperators.LSHL, 4);
            ByteVector v = nibbles(w, qs + (e & 15), e < 16).or((ByteVector) bits.convertShape(VectorOperators.I2B, B, 0));
            store(bias == 0 ? v : v.sub((byte) bias), q, e0 + e);
        }
    }

    /** Q4_K: group g's element l is the low (g even) or high nibble of byte 32 · (g / 2) + l of qs. */
    private static void q4k(MemorySegment w, long block, float[] q) {
        for (int e = 0; e < 256; e += L) store(nibbles(w, block + 16 + 32 * (e >>> 6) + (e & 31), (e & 32) == 0), q, e);
    }

    /** Q5_K: Q4_K's nibbles with bit g of qh[l] above group g's element l. */
    private static void q5k(MemorySegment w, long block, float[] q) {
        for (int e = 0; e < 256; e += L) {
            ByteVector high = ByteVector.fromMemorySegment(B, w, block + 16 + (e & 31), LE);
            store(nibbles(w, block + 48 + 32 * (e >>> 6) + (e & 31), (e & 32) == 0)
                    .or(high.lanewise(VectorOperators.LSHR, e >>> 5).and((byte) 1).lanewise(VectorOperators.LSHL, 4)), q, e);
        }
    }

    /** Q6_K, half h, quarter k: ql[64 h + 32 (k & 1) + l]'s low (k < 2) or high nibble, qh[32 h + l]'s bits 2k, 2k + 1 above, minus 32. */
    private static void q6k(MemorySegment w, long block, float[] q) {
        for (int e = 0; e < 256; e += L) {
            int h = e >>> 7, k = (e >>> 5) & 3, l = e & 31;
            ByteVector high = ByteVector.fromMemorySegment(B, w, block + 128 + 32 * h + l, LE);
            store(nibbles(w, block + 64 * h + 32 * (k & 1) + l, k < 2)
                    .or(high.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).lanewise(VectorOperators.LSHL, 4))
                    .sub((byte) 32), q, e);
        }
    }

    /** The low ({@code low}) or high nibbles of the L bytes at {@code at}. */
    private static ByteVector nibbles(MemorySegment w, long at, boolean low) {
        ByteVector b = ByteVector.fromMemorySegment(B, w, at, LE);
        return low ? b.and((byte) 0x0f) : b.lanewise(VectorOperators.LSHR, 4);
    }

    /**
     * Row {@code row} against tokens t0 .. t1 − 1 of x (a multiple of 4 of them): each span is unpacked
     * once for all of them, and each token's accumulator ({@code s.acc} at (t − t0) · L) goes through
     * the span's groups in the order {@link #dot1} takes them, so a token's result is the same whatever
     * tokens share its tile.
     */
    private static void dotTile(DType dtype, MemorySegment w, long row, int blocks, float[] x, int inDim, int t0, int t1,
                                Scratch s) {
        int bs = dtype.blockSize(), perSpan = SPAN / bs;
        long bb = dtype.blockBytes();
        java.util.Arrays.fill(s.acc, 0, (t1 - t0) * L, 0f);
        for (int b = 0; b < blocks; b += perSpan) {
            int nb = Math.min(perSpan, blocks - b);
            unpack(dtype, w, row + b * bb, nb, s);
            for (int t = t0; t < t1; t += 4) span4(dtype, nb, x, t * inDim + b * bs, inDim, s, (t - t0) * L);
        }
    }

    /** Row {@code row} against one token's x from {@code x0}, into {@code s.lanes}. */
    private static void dot1(DType dtype, MemorySegment w, long row, int blocks, float[] x, int x0, Scratch s) {
        int bs = dtype.blockSize(), gs = dtype.groupSize(), chunks = gs / L, perSpan = SPAN / bs;
        long bb = dtype.blockBytes();
        boolean offsets = dtype.hasOffsets();
        float[] q = s.q;
        FloatVector z = FloatVector.zero(F);
        FloatVector acc = z;
        for (int b = 0; b < blocks; b += perSpan) {
            int nb = Math.min(perSpan, blocks - b), xs = x0 + b * bs;
            unpack(dtype, w, row + b * bb, nb, s);
            for (int g = 0; g < nb * bs / gs; g++) {
                FloatVector p = z, sum = z;
                for (int c = 0; c < chunks; c++) {
                    int i = g * gs + c * L;
                    FloatVector xv = FloatVector.fromArray(F, x, xs + i);
                    p = FloatVector.fromArray(F, q, i).fma(xv, p);
                    if (offsets) sum = sum.add(xv);
                }
                acc = p.fma(FloatVector.broadcast(F, s.scale[g]), acc);
                if (offsets) acc = sum.fma(FloatVector.broadcast(F, s.offset[g]), acc);
            }
        }
        acc.intoArray(s.lanes, 0);
    }

    /** The unpacked span's {@code nb} blocks against 4 tokens' x from {@code xs} ({@code inDim} apart), into their accumulators from {@code at}. */
    private static void span4(DType dtype, int nb, float[] x, int xs, int inDim, Scratch s, int at) {
        int gs = dtype.groupSize(), chunks = gs / L;
        boolean offsets = dtype.hasOffsets();
        float[] q = s.q;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = FloatVector.fromArray(F, s.acc, at), a1 = FloatVector.fromArray(F, s.acc, at + L);
        FloatVector a2 = FloatVector.fromArray(F, s.acc, at + 2 * L), a3 = FloatVector.fromArray(F, s.acc, at + 3 * L);
        for (int g = 0; g < nb * dtype.blockSize() / gs; g++) {
            FloatVector p0 = z, p1 = z, p2 = z, p3 = z;
            FloatVector s0 = z, s1 = z, s2 = z, s3 = z;
            for (int c = 0; c < chunks; c++) {
                int i = g * gs + c * L, xi = xs + i;
                FloatVector qv = FloatVector.fromArray(F, q, i);
                FloatVector v0 = FloatVector.fromArray(F, x, xi), v1 = FloatVector.fromArray(F, x, xi + inDim);
                FloatVector v2 = FloatVector.fromArray(F, x, xi + 2 * inDim), v3 = FloatVector.fromArray(F, x, xi + 3 * inDim);
                p0 = qv.fma(v0, p0);
                p1 = qv.fma(v1, p1);
                p2 = qv.fma(v2, p2);
                p3 = qv.fma(v3, p3);
                if (offsets) {
                    s0 = s0.add(v0);
                    s1 = s1.add(v1);
                    s2 = s2.add(v2);
                    s3 = s3.add(v3);
                }
            }
            FloatVector d = FloatVector.broadcast(F, s.scale[g]);
            a0 = p0.fma(d, a0);
            a1 = p1.fma(d, a1);
            a2 = p2.fma(d, a2);
            a3 = p3.fma(d, a3);
            if (offsets) {
                FloatVector m = FloatVector.broadcast(F, s.offset[g]);
                a0 = s0.fma(m, a0);
                a1 = s1.fma(m, a1);
                a2 = s2.fma(m, a2);
                a3 = s3.fma(m, a3);
            }
        }
        a0.intoArray(s.acc, at);
        a1.intoArray(s.acc, at + L);
        a2.intoArray(s.acc, at + 2 * L);
        a3.intoArray(s.acc, at + 3 * L);
    }

    // ---- Q8_0 and Q4_0: the same arithmetic, each block's one scale read in place, the chunk loop unrolled ----

    private static float scale(MemorySegment w, long block) {
        return Float.float16ToFloat(w.get(SHORT_LE, block));
    }

    /** Q8_0 chunk c of the block at byte {@code block}: int8 lanes widened to fp32. */
    private static FloatVector q8(MemorySegment w, long block, int c) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, block + 2 + c * L, LE)
                .convertShape(VectorOperators.B2F, F, 0);
    }

    /** Q4_0 chunk c: elements c·L .. c·L + L − 1 are the low (below 16) or high nibbles of their bytes, minus 8. */
    private static FloatVector q4(MemorySegment w, long block, int c) {
        int e = c * L;
        return (FloatVector) nibbles(w, block + 2 + (e & 15), e < 16).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    private static void q8x1(MemorySegment w, long row, int blocks, float[] x, int x0, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long block = row + b * 34L;
            FloatVector p = FloatVector.zero(F);
            for (int c = 0; c < CHUNKS; c++) {
                p = q8(w, block, c).fma(FloatVector.fromArray(F, x, x0 + b * BLOCK + c * L), p);
            }
            acc = p.fma(FloatVector.broadcast(F, scale(w, block)), acc);
        }
        acc.intoArray(lanes, 0);
    }

    private static void q8x4(MemorySegment w, long row, int blocks, float[] x, int x0, int inDim, float[] lanes) {
        int x1 = x0 + inDim, x2 = x1 + inDim, x3 = x2 + inDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
        for (int b = 0; b < blocks; b++) {
            long block = row + b * 34L;
            FloatVector p0 = z, p1 = z, p2 = z, p3 = z;
            for (int c = 0; c < CHUNKS; c++) {
                FloatVector q = q8(w, block, c);
                int i = b * BLOCK + c * L;
                p0 = q.fma(FloatVector.fromArray(F, x, x0 + i), p0);
                p1 = q.fma(FloatVector.fromArray(F, x, x1 + i), p1);
                p2 = q.fma(FloatVector.fromArray(F, x, x2 + i), p2);
                p3 = q.fma(FloatVector.fromArray(F, x, x3 + i), p3);
            }
            FloatVector d = FloatVector.broadcast(F, scale(w, block));
            a0 = p0.fma(d, a0);
            a1 = p1.fma(d, a1);
            a2 = p2.fma(d, a2);
            a3 = p3.fma(d, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
    }

    private static void q4x1(MemorySegment w, long row, int blocks, float[] x, int x0, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long block = row + b * 18L;
            FloatVector p = FloatVector.zero(F);
            for (int c = 0; c < CHUNKS; c++) {
                p = q4(w, block, c).fma(FloatVector.fromArray(F, x, x0 + b * BLOCK + c * L), p);
            }
            acc = p.fma(FloatVector.broadcast(F, scale(w, block)), acc);
        }
        acc.intoArray(lanes, 0);
    }

    private static void q4x4(MemorySegment w, long row, int blocks, float[] x, int x0, int inDim, float[] lanes) {
        int x1 = x0 + inDim, x2 = x1 + inDim, x3 = x2 + inDim;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z;
        for (int b = 0; b < blocks; b++) {
            long block = row + b * 18L;
            FloatVector p0 = z, p1 = z, p2 = z, p3 = z;
            for (int c = 0; c < CHUNKS; c++) {
                FloatVector q = q4(w, block, c);
                int i = b * BLOCK + c * L;
                p0 = q.fma(FloatVector.fromArray(F, x, x0 + i), p0);
                p1 = q.fma(FloatVector.fromArray(F, x, x1 + i), p1);
                p2 = q.fma(FloatVector.fromArray(F, x, x2 + i), p2);
                p3 = q.fma(FloatVector.fromArray(F, x, x3 + i), p3);
            }
            FloatVector d = FloatVector.broadcast(F, scale(w, block));
            a0 = p0.fma(d, a0);
            a1 = p1.fma(d, a1);
            a2 = p2.fma(d, a2);
            a3 = p3.fma(d, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
    }
}
