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
}
