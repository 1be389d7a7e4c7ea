package dev.gemma4j.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Random quantized blocks for tests: every bit pattern a block can hold, with finite fp16 fields. */
public final class RandomBlocks {
    private RandomBlocks() {}

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * A [rows, cols] tensor of random blocks: every integer value, group scales and mins random bytes,
     * the fp16 fields (d, and m or dmin where the type has them) in ±[2^-10, 2^-3].
     */
    public static Tensor tensor(DType dtype, int rows, int cols, SplittableRandom rnd) {
        long blocks = (long) rows * cols / dtype.blockSize();
        byte[] bytes = new byte[Math.toIntExact(blocks * dtype.blockBytes())];
        rnd.nextBytes(bytes);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (long b = 0; b < blocks; b++) {
            for (int at : halfFields(dtype)) {
                float d = (float) Math.scalb(1 + rnd.nextDouble(), -10 + rnd.nextInt(8)) * (rnd.nextBoolean() ? 1 : -1);
                seg.set(SHORT_LE, b * dtype.blockBytes() + at, Float.floatToFloat16(d));
            }
        }
        return new Tensor("w", dtype, new long[] {rows, cols}, seg);
    }

    /** Byte offsets of a block's fp16 fields (ggml-common.h). */
    private static int[] halfFields(DType dtype) {
        return switch (dtype) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(dtype + " is not quantized");
        };
    }
}
