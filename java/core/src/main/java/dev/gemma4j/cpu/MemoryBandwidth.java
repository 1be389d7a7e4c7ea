package dev.gemma4j.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Measures this machine's memory read bandwidth the way a decode step reads weights: all cores
 * streaming disjoint slices of a buffer far larger than the caches, summing with the Vector API.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    /** Keeps the JIT from discarding the sums. */
    private static volatile double blackhole;

    /** Best of {@code runs} passes over {@code bytes} bytes, in bytes per second. */
    public static double measureRead(long bytes, int runs) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(bytes, 64);
            seg.fill((byte) 1);
            int slices = Runtime.getRuntime().availableProcessors() * 4;
            long slice = (bytes / slices) & ~63L;
            double best = 0;
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                double s = IntStream.range(0, slices).parallel()
                        .mapToDouble(i -> sum(seg.asSlice(i * slice, slice)))
                        .sum();
                long dt = System.nanoTime() - t0;
                blackhole += s;
                best = Math.max(best, slices * slice / (dt / 1e9));
            }
            return best;
        }
    }

    private static double sum(MemorySegment s) {
        var f = MatMul.F;
        int step = f.length() * 4;
        FloatVector a0 = FloatVector.zero(f), a1 = FloatVector.zero(f), a2 = FloatVector.zero(f), a3 = FloatVector.zero(f);
        long n = s.byteSize() / 4;
        long i = 0;
        for (; i + step <= n; i += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(f, s, i * 4, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(f, s, (i + f.length()) * 4, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(f, s, (i + 2L * f.length()) * 4, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(f, s, (i + 3L * f.length()) * 4, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
