package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CudaSwitchesTest {
    private static final String PROPERTY = "gemma4j.test.switch";

    @Test
    void unsetGivesTheDefaultAndValuesIgnoreCase() {
        System.clearProperty(PROPERTY);
        try {
            assertEquals(CudaSwitches.DecodeGemv.CUBLAS,
                    CudaSwitches.read(PROPERTY, CudaSwitches.DecodeGemv.class, CudaSwitches.DecodeGemv.CUBLAS));
            System.setProperty(PROPERTY, " Own ");
            assertEquals(CudaSwitches.DecodeGemv.OWN,
                    CudaSwitches.read(PROPERTY, CudaSwitches.DecodeGemv.class, CudaSwitches.DecodeGemv.CUBLAS));
        } finally {
            System.clearProperty(PROPERTY);
        }
    }

    @Test
    void anUnknownValueNamesThePropertyAndTheChoices() {
        System.setProperty(PROPERTY, "fast");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaSwitches.read(PROPERTY,
                    CudaSwitches.DecodeAttention.class, CudaSwitches.DecodeAttention.SCALAR));
            assertTrue(e.getMessage().contains(PROPERTY) && e.getMessage().contains("scalar, vector")
                    && e.getMessage().contains("\"fast\""), e.getMessage());
        } finally {
            System.clearProperty(PROPERTY);
        }
    }

    /** Each fp16-only switch is refused with bf16, naming the switch and the compute type; fp16 takes all. */
    @Test
    void fp16OnlySwitchesAreRefusedWithBf16() {
        String[][] switches = {{CudaSwitches.DECODE_GEMV, "own"}, {CudaSwitches.PREFILL_ATTENTION, "wmma"},
                {CudaSwitches.DECODE_ATTENTION, "vector"}};
        CudaSwitches.requireSupported(Compute.BF16);
        for (String[] sw : switches) {
            String before = System.getProperty(sw[0]);
            System.setProperty(sw[0], sw[1]);
            try {
                CudaSwitches.requireSupported(Compute.FP16);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> CudaSwitches.requireSupported(Compute.BF16));
                assertTrue(e.getMessage().contains("-D" + sw[0] + "=" + sw[1]) && e.getMessage().contains("compute bf16"),
                        e.getMessage());
            } finally {
                if (before == null) System.clearProperty(sw[0]);
                else System.setProperty(sw[0], before);
            }
        }
    }

    /** Each Gemma 1-only switch is refused for a model that needs more, naming the switch and the need. */
    @Test
    void gemma1OnlySwitchesAreRefusedForGemma2And3() {
        String[][] switches = {{CudaSwitches.DECODE_GEMV, "own"}, {CudaSwitches.PREFILL_ATTENTION, "wmma"},
                {CudaSwitches.DECODE_ATTENTION, "vector"}};
        String needs = "sliding-window attention, soft-capping";
        CudaSwitches.requireSupported(needs);
        for (String[] sw : switches) {
            String before = System.getProperty(sw[0]);
            System.setProperty(sw[0], sw[1]);
            try {
                CudaSwitches.requireSupported((String) null);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> CudaSwitches.requireSupported(needs));
                assertTrue(e.getMessage().contains("-D" + sw[0] + "=" + sw[1]) && e.getMessage().contains(needs),
                        e.getMessage());
            } finally {
                if (before == null) System.clearProperty(sw[0]);
                else System.setProperty(sw[0], before);
            }
        }
    }
}
