package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void holdsShapeAndValues() {
        float[] v = {1.5f, -2f, 3.25f, 0f, 1e-3f, 7f};
        Tensor t = Tensor.of("w", DType.F32, new long[] {2, 3}, v);
        assertEquals(6, t.elementCount());
        assertEquals(2, t.rows());
        assertEquals(3, t.cols());
        assertEquals(2, t.rank());
        assertEquals(3.25f, t.getFloat(2));
        assertArrayEquals(v, t.toFloatArray());
        long[] shape = t.shape();
        shape[0] = 99;
        assertEquals(2, t.shape()[0], "shape() returns a copy");
        Tensor bf = Tensor.of("w", DType.BF16, new long[] {6}, v);
        for (int i = 0; i < v.length; i++) assertEquals(DType.BF16.round(v[i]), bf.getFloat(i));
    }

    @Test
    void rejectsDataOfTheWrongSizeAndMisuse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("w", DType.F16, new long[] {4, 4}, MemorySegment.ofArray(new byte[30])));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("32 bytes")
                && e.getMessage().contains("30"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.of("w", DType.F32, new long[] {2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of("w", DType.F32, new long[] {-1}, new float[0]));
        Tensor vector = Tensor.of("n", DType.F32, new long[] {3}, new float[3]);
        IllegalStateException s = assertThrows(IllegalStateException.class, vector::rows);
        assertTrue(s.getMessage().contains("'n'") && s.getMessage().contains("[3]"), s.getMessage());
    }
}
