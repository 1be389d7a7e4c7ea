package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import org.junit.jupiter.api.Test;

class ParityTest {

    @Test
    void identicalBackendsAgreeToRounding() {
        try (WeightSource a = Checkpoint.open(TestModels.resolve("tiny-mha"));
             WeightSource b = Checkpoint.open(TestModels.resolve("tiny-mha"));
             CpuBackend ba = new CpuBackend(a); CpuBackend bb = new CpuBackend(b)) {
            Parity.Report r = Parity.compare(new Forward(ba), new Forward(bb), new int[] {2, 651, 1234, 99, 5000}, 8);
            // embed + 2 layers x (attention, mlp) + logits
            assertEquals(6, r.steps().size());
            // Not bit-exact: the Vector API leaves the lane order of reduceLanes(ADD) unspecified, so an
            // interpreted and a JIT-compiled run of the same code may round differently (~1e-7).
            for (Parity.Step s : r.steps()) assertTrue(s.relativeError() < 1e-6, s.name() + ": " + s.relativeError());
            assertArrayEquals(r.greedyReference(), r.greedyTest());
            assertEquals(8, r.agreeingTokens());
        }
    }

    /** A bf16 copy of the same weights differs by bf16 rounding: visible, small, and NaN-free. */
    @Test
    void bf16ModelDiffersFromF32ByRoundingOnly() {
        try (WeightSource a = Checkpoint.open(TestModels.resolve("tiny-mqa-bf16"));
             WeightSource b = Checkpoint.open(TestModels.resolve("tiny-mqa"));
             CpuBackend ba = new CpuBackend(a); CpuBackend bb = new CpuBackend(b)) {
            Parity.Report r = Parity.compare(new Forward(ba), new Forward(bb), new int[] {2, 651, 1234, 99, 5000}, 4);
            double rel = r.logitsRelativeError();
            System.out.println("bf16 vs f32 logits relative error " + rel);
            // bf16 keeps 8 significant bits: per-weight error 2^-9 ≈ 2e-3, averaging over sums keeps it
            // near that; anything above 5e-2 would mean a wrong widening, below 1e-5 no rounding at all.
            assertTrue(rel > 1e-5 && rel < 5e-2, "relative error " + rel);
        }
    }

    @Test
    void nanNeverPasses() {
        assertTrue(Double.isNaN(Parity.relativeError(new float[] {1, Float.NaN}, new float[] {1, 2})));
        assertTrue(Double.isNaN(Parity.relativeError(new float[] {1, 2}, new float[] {Float.POSITIVE_INFINITY, 2})));
    }
}
