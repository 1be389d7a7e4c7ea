package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DTypeTest {

    /** bfloat16 bits nearest to f, ties to even, computed exactly in BigDecimal (finite, in range). */
    private static int nearestBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int lo = bits >>> 16;                            // truncation: same sign, smaller magnitude
        int hi = lo + 1;                                 // next bf16 away from zero
        BigDecimal x = new BigDecimal(f).abs();
        BigDecimal dLo = x.subtract(new BigDecimal(Float.intBitsToFloat(lo << 16)).abs()).abs();
        BigDecimal dHi = new BigDecimal(Float.intBitsToFloat(hi << 16)).abs().subtract(x).abs();
        int cmp = dLo.compareTo(dHi);
        if (cmp != 0) return cmp < 0 ? lo : hi;
        return (lo & 1) == 0 ? lo : hi;
    }

    @Test
    void bf16RoundsToNearestEven() {
        long seed = System.nanoTime();
        System.out.println("DTypeTest.bf16RoundsToNearestEven seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        MemorySegment seg = MemorySegment.ofArray(new byte[2]);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            // Skip NaN/inf, and magnitudes whose next bf16 step is infinity (checked below).
            if (!Float.isFinite(f) || Math.abs(f) >= Float.intBitsToFloat(0x7F7F0000)) continue;
            DType.BF16.write(seg, 0, f);
            int got = Short.toUnsignedInt(DType.BF16.toBFloat16(f));
            assertEquals(nearestBf16(f), got, () -> "bf16 of " + f);
            assertEquals(Float.intBitsToFloat(got << 16), DType.BF16.read(seg, 0));
            assertEquals(Float.intBitsToFloat(got << 16), DType.BF16.round(f));
        }
        assertEquals(1.0f, DType.BF16.round(1f + 0x1p-8f));                     // tie, 1.0 has the even mantissa
        assertEquals(1f + 0x1p-6f, DType.BF16.round(1f + 3 * 0x1p-8f));         // tie, rounds up to even
        assertEquals(Float.POSITIVE_INFINITY, DType.BF16.round(Float.MAX_VALUE)); // beyond bf16 max + half ulp
        assertTrue(Float.isNaN(DType.BF16.round(Float.NaN)));
        assertEquals((short) 0x7FC0, DType.toBFloat16(Float.intBitsToFloat(0x7F800001)));  // signalling NaN stays NaN
    }

    @Test
    void storesLittleEndianBytes() {
        byte[] b = new byte[4];
        MemorySegment seg = MemorySegment.ofArray(b);
        DType.F32.write(seg, 0, 1.0f);                                   // 0x3F800000
        assertEquals(0x3F800000, (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24);
        assertEquals(0, b[0]);
        DType.BF16.write(seg, 1, -2.0f);                                 // 0xC000 at bytes 2..3
        assertEquals(0x00, b[2] & 0xFF);
        assertEquals(0xC0, b[3] & 0xFF);
        DType.F16.write(seg, 0, 1.0f);                                   // 0x3C00 at bytes 0..1
        assertEquals(0x00, b[0] & 0xFF);
        assertEquals(0x3C, b[1] & 0xFF);
        assertEquals(1.0f, DType.F16.read(seg, 0));
        assertEquals(-2.0f, DType.BF16.read(seg, 1));
        assertEquals(65504f, DType.F16.round(65504f));                   // fp16 max
        assertEquals(Float.POSITIVE_INFINITY, DType.F16.round(65520f));  // halfway to 2^16 rounds to infinity
    }

    @Test
    void namesRoundTripAndUnknownDtypeIsNamed() {
        for (DType t : DType.values()) {
            if (t.quantized()) continue;                 // GGUF-only types: no safetensors or torch name
            assertEquals(t, DType.fromSafetensors(t.safetensorsName(), Path.of("m.safetensors"), "x"));
            assertEquals(t, DType.parse(t.shortName()));
            assertEquals(t, DType.parse(t.torchName()));
        }
        assertEquals(4, DType.F32.bytes());
        assertEquals(2, DType.BF16.bytes());
        assertEquals(2, DType.F16.bytes());
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> DType.fromSafetensors("I8", Path.of("/m/model.safetensors"), "model.norm.weight"));
        assertEquals("/m/model.safetensors: tensor 'model.norm.weight' has dtype 'I8', expected one of [F32, BF16, F16]",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DType.parse("f64"));
    }
}
