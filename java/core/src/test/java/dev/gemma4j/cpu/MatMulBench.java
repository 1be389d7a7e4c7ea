package dev.gemma4j.cpu;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.RandomBlocks;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@link MatMul#matmul} on the matrix shapes of a 2B Gemma, each figure stated against a ceiling
 * measured in the same process between the repetitions: decode (1 and 4 tokens) as a fraction of
 * the read bandwidth of {@link MemoryBandwidth}, prefill (128 and 512 tokens) as a fraction of the
 * fp32 FMA peak of {@link FmaPeak}. Min, median and max of those per-repetition fractions, and the
 * best rate over the best ceiling (other processes only ever slow either down): a program, not a test.
 * A layer's matrices (1 to 128 MB) are timed on repeated calls and may come partly from the
 * last-level cache, so their decode fractions can pass 1; the logits matrix (0.5 to 2 GB) is the
 * streaming figure.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/core/classes:target/core/test-classes:<runtime classpath> \
 *     dev.gemma4j.cpu.MatMulBench [bf16|f16|f32|q8_0|q4_0|q4_k|q6_k|...] [reps] [decode|prefill|all]</pre>
 */
public final class MatMulBench {
    private record Shape(String name, int out, int in) {}

    private static final Shape[] LAYER = {
        new Shape("q/o 2048x2048", 2048, 2048), new Shape("k/v 256x2048", 256, 2048),
        new Shape("gate/up 16384x2048", 16384, 2048), new Shape("down 2048x16384", 2048, 16384)};
    private static final Shape LOGITS = new Shape("logits 256000x2048", 256000, 2048);

    public static void main(String[] args) {
        String type = args.length > 0 ? args[0] : "bf16";
        DType dtype = type.toLowerCase(Locale.ROOT).startsWith("q") ? DType.valueOf(type.toUpperCase(Locale.ROOT))
                : DType.parse(type);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String what = args.length > 2 ? args[2] : "all";
        long seed = 11;
        int threads = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "MatMulBench %s, %d reps, %d threads, seed %d, %d lanes%n",
                dtype, reps, threads, seed, MatMul.F.length());
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            List<Shape> shapes = new ArrayList<>(Arrays.asList(LAYER));
            if (!what.equals("prefill")) shapes.add(LOGITS);
            Map<Shape, Tensor> tensors = new LinkedHashMap<>();
            for (Shape s : shapes) tensors.put(s, random(arena, s, dtype, rnd));
            int[] decodeTokens = what.equals("prefill") ? new int[0] : new int[] {1, 4};
            int[] prefillTokens = what.equals("decode") ? new int[0] : new int[] {128, 512};
            Map<String, List<Double>> fractions = new LinkedHashMap<>();
            List<Double> peaks = new ArrayList<>(), bandwidths = new ArrayList<>();
            Map<String, Double> best = new LinkedHashMap<>();   // case -> best rate (bytes/s or flop/s)
            for (int rep = -1; rep < reps; rep++) {   // rep -1 warms the JIT up
                double peak = FmaPeak.measure(threads, 20_000_000, 2).flopsPerSecond();
                double bw = MemoryBandwidth.measureRead(1L << 30, 3);
                if (rep >= 0) {
                    peaks.add(peak / 1e9);
                    bandwidths.add(bw / 1e9);
                }
                for (Shape s : shapes) {
                    Tensor w = tensors.get(s);
                    for (int n : decodeTokens) {
                        double sec = time(w, s, n, rnd, s == LOGITS ? 2 : 5);
                        if (rep >= 0) record(fractions, best, "decode n=" + n + " " + s.name, w.data().byteSize() / sec, bw);
                    }
                    if (s == LOGITS) continue;
                    for (int n : prefillTokens) {
                        double sec = time(w, s, n, rnd, 1);
                        if (rep >= 0) record(fractions, best, "prefill n=" + n + " " + s.name, 2.0 * n * s.out * s.in / sec, peak);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "FMA peak median %.1f GFLOP/s, read bandwidth median %.1f GB/s%n",
                    median(peaks), median(bandwidths));
            double bestPeak = peaks.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            double bestBw = bandwidths.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            System.out.printf(Locale.ROOT, "%-34s %8s %8s %8s %10s  %s%n", "case", "min", "median", "max", "best/best", "of");
            for (Map.Entry<String, List<Double>> e : fractions.entrySet()) {
                List<Double> v = new ArrayList<>(e.getValue());
                v.sort(null);
                boolean decode = e.getKey().startsWith("decode");
                System.out.printf(Locale.ROOT, "%-34s %8.3f %8.3f %8.3f %10.3f  %s%n", e.getKey(), v.get(0), median(v),
                        v.get(v.size() - 1), best.get(e.getKey()) / 1e9 / (decode ? bestBw : bestPeak),
                        decode ? "bandwidth" : "FMA peak");
            }
        }
    }

    /** Best-of seconds per call of {@code calls} calls (best: other processes only ever slow it down). */
    private static double time(Tensor w, Shape s, int n, SplittableRandom rnd, int calls) {
        float[] x = new float[n * s.in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] out = new float[n * s.out];
        double best = Double.MAX_VALUE;
        for (int c = 0; c < calls; c++) {
            long t0 = System.nanoTime();
            MatMul.matmul(w, x, n, out, false);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    /** The rate as a fraction of the ceiling measured in the same repetition, and the best rate so far. */
    private static void record(Map<String, List<Double>> fractions, Map<String, Double> best, String key, double rate,
                               double ceiling) {
        fractions.computeIfAbsent(key, k -> new ArrayList<>()).add(rate / ceiling);
        best.merge(key, rate, Math::max);
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }

    /**
     * Normal-range weights of magnitude about 2^-4..2^4 with random signs and mantissas; random blocks
     * ({@link RandomBlocks}) for a quantized type.
     */
    private static Tensor random(Arena arena, Shape s, DType dtype, SplittableRandom rnd) {
        if (dtype.quantized()) {
            Tensor t = RandomBlocks.tensor(dtype, s.out, s.in, rnd);
            MemorySegment seg = arena.allocate(t.data().byteSize(), 64).copyFrom(t.data());
            return new Tensor(s.name, dtype, new long[] {s.out, s.in}, seg);
        }
        long count = (long) s.out * s.in;
        MemorySegment seg = arena.allocate(count * dtype.bytes(), 64);
        for (long i = 0; i < count; i++) {
            int sign = rnd.nextInt(2), e = rnd.nextInt(9) - 4, m = rnd.nextInt(1 << 23);
            int bits = sign << 31 | (127 + e) << 23 | m;
            switch (dtype) {
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, bits);
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (bits >>> 16));
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                        Float.floatToFloat16(Float.intBitsToFloat(bits)));
            }
        }
        return new Tensor(s.name, dtype, new long[] {s.out, s.in}, seg);
    }
}
