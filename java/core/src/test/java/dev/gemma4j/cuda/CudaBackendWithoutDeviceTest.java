package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.gemma4j.model.GemmaConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What the CUDA backend does where it cannot run: clear errors, before any allocation. */
class CudaBackendWithoutDeviceTest {
    private static final CudaBackend.Settings SETTINGS = CudaBackend.Settings.of(DeviceBudget.parse("1GiB"), 16, 64);

    @Test
    void withoutADriverOpeningSaysWhichLibraryIsMissing() {
        try {
            CudaLibraries.load(CudaLibraries.Library.DRIVER);
            abort("a CUDA driver is installed here; the GPU tests cover this machine");
        } catch (CudaException expected) {
            System.out.println("no driver, as this test needs: " + expected.getMessage().lines().findFirst().orElse(""));
        }
        AtomicBoolean planned = new AtomicBoolean();
        LoadListener listener = new LoadListener() {
            @Override
            public void planned(MemoryPlan plan, CudaContext.DeviceInfo device, CudaContext.MemoryInfo memory) {
                planned.set(true);
            }
        };
        CudaException e = assertThrows(CudaException.class, () -> CudaBackend.openSynthetic(
                GemmaConfig.of(1000, 64, 128, 1, 4, 1, 32, "float16"), 1, SETTINGS, listener));
        assertEquals(CudaException.Kind.LIBRARY, e.kind());
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
        assertTrue(!planned.get(), "no plan without a device");
    }

    @Test
    void headDimOutsideTheKernelsIsRefusedBeforeCudaIsTouched() {
        GemmaConfig c = GemmaConfig.of(1000, 64, 128, 1, 4, 1, 12, "float16");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaBackend.openSynthetic(c, 1, SETTINGS, LoadListener.NONE));
        assertTrue(e.getMessage().contains("head_dim a multiple of 8 in [8, 256]"), e.getMessage());
    }

    @Test
    void theBuildShipsTheFatbinOrTheContextSaysWhyNot() {
        byte[] fatbin;
        try {
            fatbin = CudaContext.readFatbin();
        } catch (CudaException e) {
            assertTrue(e.getMessage().contains("nvcc was not found when gemma4j was built"), e.getMessage());
            abort("this build has no fatbin (no nvcc): " + e.getMessage());
            return;
        }
        // build-kernels.sh: a fatbin starts with the magic 0xBA55ED50, little-endian.
        int magic = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        assertEquals(0xBA55ED50, magic, "fatbin magic");
        System.out.println("fatbin resource: " + fatbin.length + " bytes");
    }

    @Test
    void settingsRejectNonsense() {
        DeviceBudget b = DeviceBudget.allFree();
        assertThrows(IllegalArgumentException.class, () -> new CudaBackend.Settings(-1, b, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CudaBackend.Settings(0, null, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CudaBackend.Settings(0, b, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new CudaBackend.Settings(0, b, 1, 0));
    }
}
