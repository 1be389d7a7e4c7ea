package dev.gemma4j.cpu;

import java.util.concurrent.CountDownLatch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's fp32 fused multiply-add peak the way a prefill's matmuls compute: the
 * widest vectors the JVM prefers, on every core at once, with enough independent accumulators that
 * the FMA units never wait for a previous result. It is the ceiling a CPU prefill is stated against.
 */
public final class FmaPeak {
    private FmaPeak() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * Independent FMA chains per thread (a0 … a11 in {@link #chains}). A core with two FMA ports and a 4-cycle FMA latency needs 8
     * in flight to issue one on every port every cycle; 12 leaves room for longer latencies and stays
     * well inside the 32 vector registers of AVX-512 (16 of AVX2).
     */
    static final int ACCUMULATORS = 12;
    /** Keeps the JIT from discarding the chains. */
    private static volatile float blackhole;

    /** What a measurement did, for reports. */
    public record Result(double flopsPerSecond, int threads, int lanes, long roundsPerThread, int runs) {
        public String describe() {
            return "fp32 FMA peak (Vector API, " + lanes + " lanes x " + ACCUMULATORS + " independent accumulators on each of "
                    + threads + " threads, best of " + runs + ")";
        }
    }

    /**
     * Best of {@code runs} passes in flop/s (an FMA counts 2): in each, {@code threads} platform
     * threads start together and each runs {@code rounds} rounds of {@link #ACCUMULATORS} vector FMAs.
     * The first pass also brings the loop to C2, whose intrinsics the Vector API needs; best-of leaves
     * it out.
     */
    public static Result measure(int threads, long rounds, int runs) {
        if (threads < 1 || rounds < 1 || runs < 1) {
            throw new IllegalArgumentException("an FMA measurement needs at least 1 thread, round and run, found "
                    + threads + " threads, " + rounds + " rounds, " + runs + " runs");
        }
        double best = 0;
        for (int r = 0; r < runs; r++) {
            best = Math.max(best, 2.0 * F.length() * ACCUMULATORS * rounds * threads / pass(threads, rounds));
        }
        return new Result(best, threads, F.length(), rounds, runs);
    }

    /** Seconds from the common start of {@code threads} threads to the end of the last one. */
    private static double pass(int threads, long rounds) {
        CountDownLatch start = new CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        float[] sums = new float[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers[t] = Thread.ofPlatform().name("fma-peak-" + t).start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                sums[id] = chains(rounds, 1f + id * 1e-7f);
            });
        }
        long t0 = System.nanoTime();
        start.countDown();
        try {
            for (Thread w : workers) w.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the FMA peak", e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        float s = 0;
        for (float v : sums) s += v;
        blackhole += s;
        return seconds;
    }

    /**
     * {@code rounds} rounds of acc = acc × m + c on each accumulator. With m just below 1 every chain
     * converges to c / (1 − m): no overflow, no subnormals, nothing the JIT can fold.
     */
    private static float chains(long rounds, float start) {
        FloatVector m = FloatVector.broadcast(F, 0.999f);
        FloatVector c = FloatVector.broadcast(F, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(F, start), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3);
        FloatVector a4 = a0.add(4), a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7);
        FloatVector a8 = a0.add(8), a9 = a0.add(9), a10 = a0.add(10), a11 = a0.add(11);
        for (long i = 0; i < rounds; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
