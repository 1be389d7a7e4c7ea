package dev.gemma4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class FmaPeakTest {
    /**
     * A short measurement gives a finite positive rate and says what it ran. No lower bound: the test
     * machines are shared, and a rate is a benchmark's business, not a test's.
     */
    @Test
    void measuresAPositiveFiniteRateAndDescribesIt() {
        FmaPeak.Result r = FmaPeak.measure(2, 200_000, 3);
        System.out.printf("FmaPeakTest: %.1f GFLOP/s (%s)%n", r.flopsPerSecond() / 1e9, r.describe());
        assertTrue(r.flopsPerSecond() > 0 && Double.isFinite(r.flopsPerSecond()), "rate " + r.flopsPerSecond());
        assertEquals(2, r.threads());
        assertEquals(FloatVector.SPECIES_PREFERRED.length(), r.lanes());
        assertTrue(r.describe().contains(r.lanes() + " lanes x " + FmaPeak.ACCUMULATORS + " independent accumulators on each of 2 threads, best of 3"),
                r.describe());
    }

    @Test
    void rejectsAnEmptyMeasurement() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FmaPeak.measure(0, 10, 1));
        assertTrue(e.getMessage().contains("found 0 threads"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FmaPeak.measure(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> FmaPeak.measure(1, 10, 0));
    }
}
