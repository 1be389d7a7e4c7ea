package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.LoadOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DeviceChoiceTest {
    @Test
    void parsesEveryForm() {
        assertEquals(new DeviceChoice(LoadOptions.Device.AUTO, 0), DeviceChoice.parse("auto"));
        assertEquals(new DeviceChoice(LoadOptions.Device.CPU, 0), DeviceChoice.parse("CPU"));
        assertEquals(new DeviceChoice(LoadOptions.Device.CUDA, 0), DeviceChoice.parse("cuda"));
        assertEquals(new DeviceChoice(LoadOptions.Device.CUDA, 3), DeviceChoice.parse("cuda:3"));
        assertEquals("cuda:3", DeviceChoice.parse("cuda:3").toString());
        assertEquals("cuda", DeviceChoice.parse("cuda:0").toString());
    }

    @Test
    void refusesWhatIsNotADevice() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1.5", "cuda:99999999999", ""}) {
            TypeConversionException e = assertThrows(TypeConversionException.class, () -> DeviceChoice.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains(DeviceChoice.FORMS), e.getMessage());
        }
    }

    /** The ordinal reaches the CUDA backend's settings, the ones CudaContext.open hands to cuDeviceGet. */
    @Test
    void theOrdinalReachesTheLoadOptions() {
        LoadOptions o = DeviceChoice.parse("cuda:2").applyTo(LoadOptions.defaults());
        assertEquals(LoadOptions.Device.CUDA, o.device());
        assertEquals(2, o.cudaDevice());
        assertEquals(0, LoadOptions.defaults().cudaDevice());
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.defaults().withCudaDevice(-1));
    }
}
