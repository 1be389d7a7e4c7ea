package dev.gemma4j.cpu;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatMul}'s kernels for block-quantized weights (Q8_0, Q4_0: 32 elements sharing one fp16
 * scale d), dequantized in registers straight from storage: no widened copy of a matrix, nothing
 * allocated per call beyond the driver's.
 *
 * <p>Every output element is the same function of its row and its token's activations, whatever the
 * token count: per block b, an L-lane block accumulator {@code p_b = Σ_c q_c · x_c} over the block's
 * 32 / L chunks in order (q the block's integers widened exactly to fp32: the products and their sums
 * are exact integers times x until the sum rounds), then {@code acc = p_b · d_b + acc} (one fma) over
 * the blocks in order, then {@link MatMul#laneSum}. Tokens go four at a time or one at a time
 * through kernels doing that same arithmetic, so decode, batches and prefill agree bit for bit.
 *
 * <p>Against the dense path on the same weights dequantized to fp32 (w = q · d rounded once), the
 * result differs only in rounding: both are sums of the same products, each computed with at most
 * (32 / L + blocks + log2 L + 1) roundings on the way from a product to the result, so
 * |difference| ≤ 2 · (inDim / L + 34) · 2^-24 · Σ_i |w_i · x_i| (about 1.6e-5 relative for inDim 2048).
 */
final class QuantizedMatMul {
    private QuantizedMatMul() {}

    private static final VectorSpecies<Float> F = MatMul.F;
    private static final int L = F.length();
    /** Bytes with as many lanes as {@link #F}: one load is one float vector's worth of integers. */
    private static final VectorSpecies<Byte> B = L >= 8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE)) : null;
    private static final int BLOCK = 32;
    private static final int CHUNKS = BLOCK / Math.max(L, 1);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Task: rows × tokens. A row's blocks stay in L1 while the tile's tokens go past them. */
    private static final int TILE_ROWS = 16, TILE_TOKENS = 64;

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[4 * L]);

    /** As {@link MatMul#matmul}, for a Q8_0 or Q4_0 weight (the caller checked the sizes). */
    static void matmul(Tensor w, float[] x, int n, float[] out, boolean accumulate) {
        DType dtype = w.dtype();
        if (dtype != DType.Q8_0 && dtype != DType.Q4_0) {
            throw new IllegalArgumentException("matmul " + w.name() + ": no kernel for " + dtype
                    + " weights, expected Q8_0 or Q4_0");
        }
        if (B == null) {
            throw new IllegalStateException("matmul " + w.name() + ": " + dtype + " kernels need float vectors of at"
                    + " least 8 lanes (AVX2 or wider), this JVM's preferred species has " + L);
        }
        int outDim = Math.toIntExact(w.dim(0)), inDim = Math.toIntExact(w.dim(1));
        int blocks = inDim / BLOCK;
        long rowBytes = (long) blocks * dtype.blockBytes();
        MemorySegment data = w.data();
        boolean q8 = dtype == DType.Q8_0;
        int rowTiles = (outDim + TILE_ROWS - 1) / TILE_ROWS;
        int tokenTiles = (n + TILE_TOKENS - 1) / TILE_TOKENS;
        IntStream.range(0, rowTiles * tokenTiles).parallel().forEach(task -> {
            int r0 = (task % rowTiles) * TILE_ROWS, t0 = (task / rowTiles) * TILE_TOKENS;
            int r1 = Math.min(outDim, r0 + TILE_ROWS), t1 = Math.min(n, t0 + TILE_TOKENS);
            float[] lanes = LANES.get();
            for (int r = r0; r < r1; r++) {
                long row = r * rowBytes;
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

    /** Row {@code r} of a quantized [rows, cols] tensor dequantized (q · d per element) into {@code dst[off ..]}. */
    static void dequantizeRow(Tensor t, long r, float[] dst, int off) {
        int cols = Math.toIntExact(t.dim(1));
        long base = r * cols;
        for (int i = 0; i < cols; i++) dst[off + i] = t.getFloat(base + i);
    }

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
        ByteVector b = ByteVector.fromMemorySegment(B, w, block + 2 + (e & 15), LE);
        ByteVector nibbles = e < 16 ? b.and((byte) 0x0f) : b.lanewise(VectorOperators.LSHR, 4);
        return (FloatVector) nibbles.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
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
