package dev.gemma4j.testmodels;

/**
 * SplitMix64 (Steele, Lea and Flood, 2014) with standard normals by Marsaglia's polar form of the
 * Box-Muller transform. Written out rather than taken from {@code java.util.SplittableRandom},
 * whose algorithm the JDK does not promise to keep, and using {@link StrictMath#log} so that every
 * JVM on every platform draws bit-identical values.
 */
final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;
    private double spare;
    private boolean hasSpare;

    SplitMix64(long seed) {
        this.state = seed;
    }

    /** A seed for the stream named {@code label} under {@code seed}: independent of other labels and of draw order. */
    static long derive(long seed, String label) {
        long h = 0xCBF29CE484222325L;                  // FNV-1a 64 over the UTF-16 code units of label
        for (int i = 0; i < label.length(); i++) {
            h = (h ^ label.charAt(i)) * 0x100000001B3L;
        }
        return mix(seed ^ mix(h));
    }

    long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Standard normal. */
    double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u;
        double v;
        double s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
        spare = v * f;
        hasSpare = true;
        return u * f;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
