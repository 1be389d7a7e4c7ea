package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/** Says whether this host can run the CUDA backend: a driver that loads and at least one GPU. */
public final class CudaProbe {
    private CudaProbe() {}

    /** Why CUDA cannot be used here, or empty when a driver and a GPU are present. */
    public static Optional<String> unavailableReason() {
        try {
            CudaLibraries.load(CudaLibraries.Library.DRIVER);
        } catch (CudaException e) {
            return Optional.of("no CUDA driver found (--device cuda lists where gemma4j looked)");
        }
        try (Arena arena = Arena.ofConfined()) {
            int rc = cuda_h.cuInit(0);
            if (rc != 0) return Optional.of("cuInit failed: " + CudaCheck.driverErrorName(rc));
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            rc = cuda_h.cuDeviceGetCount(count);
            if (rc != 0) return Optional.of("cuDeviceGetCount failed: " + CudaCheck.driverErrorName(rc));
            if (count.get(ValueLayout.JAVA_INT, 0) < 1) return Optional.of("the CUDA driver reports no GPU");
            return Optional.empty();
        }
    }
}
