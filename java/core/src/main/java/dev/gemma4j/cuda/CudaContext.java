package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cublas_h;
import dev.gemma4j.cuda.bindings.cuda_h;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * One CUDA device as gemma4j uses it: the device's primary context, one non-blocking stream that
 * every kernel, copy and GEMM is queued on, a cuBLAS handle bound to that stream, and the engine's
 * kernels loaded from the fatbin shipped in the jar ({@value #FATBIN_RESOURCE} next to this class),
 * each kernel's function handle looked up once.
 *
 * <p>The primary context is made current on the thread that opens it; a caller on another thread
 * calls {@link #makeCurrent()} first. {@link #close()} releases everything in reverse order and
 * the primary context last (the driver destroys it when no one else holds it).
 *
 * <p>With the system property {@code gemma4j.cuda.checkLaunches=true} the stream is synchronised
 * after every kernel and GEMM, so an asynchronous failure (an illegal address, say) is reported
 * by the launch that caused it rather than by a later copy.
 */
@SuppressWarnings("restricted")
public final class CudaContext implements AutoCloseable {
    /** The fatbin's resource name, next to this class in the jar. */
    public static final String FATBIN_RESOURCE = "gemma4j.fatbin";
    /** System property naming a fatbin file to load instead of the jar's. */
    public static final String FATBIN_PROPERTY = "gemma4j.fatbin";

    private static final boolean CHECK_LAUNCHES = Boolean.getBoolean("gemma4j.cuda.checkLaunches");
    private KernelProfile profile;

    /**
     * The device, as the driver describes it.
     *
     * @param driverVersion cuDriverGetVersion: 1000 x major + 10 x minor (13000 for CUDA 13.0)
     * @param cublasVersion cublasGetVersion: 10000 x major + 100 x minor + patch
     * @param cublasLibrary the cuBLAS library loaded and the cuBLASLt it uses ({@link CudaLibraries.Loaded})
     */
    public record DeviceInfo(int index, String name, int computeMajor, int computeMinor, int multiprocessors,
                             long totalBytes, int driverVersion, int cublasVersion, String cublasLibrary) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT,
                    "%s (device %d, compute capability %d.%d, %d SMs, %s, driver %d.%d, cuBLAS %d.%d.%d from %s)", name,
                    index, computeMajor, computeMinor, multiprocessors, Bytes.binary(totalBytes), driverVersion / 1000,
                    driverVersion % 1000 / 10, cublasVersion / 10000, cublasVersion % 10000 / 100, cublasVersion % 100,
                    cublasLibrary);
        }
    }

    /** cuMemGetInfo: free and total device bytes, as the whole device sees them (other processes included). */
    public record MemoryInfo(long freeBytes, long totalBytes) {
        @Override
        public String toString() {
            return Bytes.binary(freeBytes) + " free of " + Bytes.binary(totalBytes);
        }
    }

    private int device = -1;
    private MemorySegment context;
    private MemorySegment stream;
    private MemorySegment module;
    private MemorySegment cublas;
    private DeviceInfo info;
    private final Map<Kernel, MemorySegment> functions = new EnumMap<>(Kernel.class);
    private boolean closed;

    private CudaContext() {}

    /**
     * Opens device {@code deviceIndex}.
     *
     * @throws CudaException            when the driver, cuBLAS or the fatbin cannot be found or loaded,
     *                                  or a driver or cuBLAS call fails; the message says which and why
     * @throws IllegalArgumentException when there is no device with that index
     */
    public static CudaContext open(int deviceIndex) {
        CudaLibraries.load(CudaLibraries.Library.DRIVER);
        byte[] fatbin = readFatbin();
        CudaContext c = new CudaContext();
        try {
            c.start(deviceIndex, fatbin);
            return c;
        } catch (RuntimeException | Error e) {
            try {
                c.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The fatbin's bytes: the file the system property names, else the jar resource. */
    static byte[] readFatbin() {
        String override = System.getProperty(FATBIN_PROPERTY);
        if (override != null && !override.isBlank()) {
            Path file = Path.of(override.strip());
            try {
                return Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw CudaException.library("system property " + FATBIN_PROPERTY + " names " + file
                        + ", which does not exist (build it with scripts/build-kernels.sh)");
            } catch (IOException e) {
                throw new UncheckedIOException("reading the kernel fatbin " + file + ": " + e.getMessage(), e);
            }
        }
        try (InputStream in = CudaContext.class.getResourceAsStream(FATBIN_RESOURCE)) {
            if (in == null) {
                throw CudaException.library("the CUDA kernels are not in this build: resource dev/gemma4j/cuda/"
                        + FATBIN_RESOURCE + " is missing because nvcc was not found when gemma4j was built "
                        + "(scripts/build-kernels.sh compiles cuda-kernels/ into it). Rebuild on a machine with the "
                        + "CUDA toolkit, or point the system property " + FATBIN_PROPERTY + " at a fatbin built by "
                        + "scripts/build-kernels.sh.");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the kernel fatbin resource " + FATBIN_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    private void start(int deviceIndex, byte[] fatbin) {
        int init = cuda_h.cuInit(0);
        if (init == cuda_h.CUDA_ERROR_NO_DEVICE()) {
            throw CudaCheck.driverFailure(init, "cuInit", "initialising the CUDA driver: it finds no CUDA device");
        }
        CudaCheck.driver(init, "cuInit");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            CudaCheck.driver(cuda_h.cuDriverGetVersion(value), "cuDriverGetVersion");
            int driverVersion = value.get(ValueLayout.JAVA_INT, 0);
            CudaCheck.driver(cuda_h.cuDeviceGetCount(value), "cuDeviceGetCount");
            int count = value.get(ValueLayout.JAVA_INT, 0);
            if (deviceIndex < 0 || deviceIndex >= count) {
                throw new IllegalArgumentException("CUDA device " + deviceIndex + " does not exist: the driver reports "
                        + count + " device" + (count == 1 ? "" : "s"));
            }
            CudaCheck.driver(cuda_h.cuDeviceGet(value, deviceIndex), "cuDeviceGet");
            int dev = value.get(ValueLayout.JAVA_INT, 0);
            MemorySegment name = arena.allocate(256);
            CudaCheck.driver(cuda_h.cuDeviceGetName(name, 256, dev), "cuDeviceGetName");
            int major = attribute(arena, dev, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR(), "compute capability major");
            int minor = attribute(arena, dev, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR(), "compute capability minor");
            int sms = attribute(arena, dev, cuda_h.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT(), "multiprocessor count");
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            CudaCheck.driver(cuda_h.cuDeviceTotalMem_v2(total, dev), "cuDeviceTotalMem_v2");

            MemorySegment pointer = arena.allocate(ValueLayout.ADDRESS);
            CudaCheck.driver(cuda_h.cuDevicePrimaryCtxRetain(pointer, dev), "cuDevicePrimaryCtxRetain",
                    () -> "retaining the primary context of device " + deviceIndex);
            device = dev;
            context = pointer.get(ValueLayout.ADDRESS, 0);
            makeCurrent();
            CudaCheck.driver(cuda_h.cuStreamCreate(pointer, cuda_h.CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            stream = pointer.get(ValueLayout.ADDRESS, 0);

            String deviceText = name.getString(0) + " (compute capability " + major + "." + minor + ")";
            MemorySegment image = arena.allocate(fatbin.length + 1L, 64);
            MemorySegment.copy(fatbin, 0, image, ValueLayout.JAVA_BYTE, 0, fatbin.length);
            CudaCheck.driver(cuda_h.cuModuleLoadData(pointer, image), "cuModuleLoadData",
                    () -> "loading the kernel fatbin (" + fatbin.length + " bytes) on " + deviceText
                            + "; it holds SASS for sm_80, sm_86, sm_89, sm_90 and compute_90 PTX, which a driver "
                            + "older than the nvcc that built it cannot JIT-compile");
            module = pointer.get(ValueLayout.ADDRESS, 0);
            for (Kernel k : Kernel.values()) {
                CudaCheck.driver(cuda_h.cuModuleGetFunction(pointer, module, arena.allocateFrom(k.symbol)),
                        "cuModuleGetFunction", () -> "looking up kernel " + k.symbol + " (cuda-kernels/" + k.sourceFile
                                + ") in the fatbin; a missing kernel means the fatbin is older than this gemma4j");
                functions.put(k, pointer.get(ValueLayout.ADDRESS, 0));
            }

            CudaLibraries.Loaded cublasLibrary = CudaLibraries.load(CudaLibraries.Library.CUBLAS);
            CudaCheck.cublas(cublas_h.cublasCreate_v2(pointer), "cublasCreate_v2");
            cublas = pointer.get(ValueLayout.ADDRESS, 0);
            CudaCheck.cublas(cublas_h.cublasSetStream_v2(cublas, stream), "cublasSetStream_v2");
            // fp32 accumulation stays fp32 through split-K reductions even when C is fp16.
            CudaCheck.cublas(cublas_h.cublasSetMathMode(cublas, cublas_h.CUBLAS_DEFAULT_MATH()
                    | cublas_h.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION()), "cublasSetMathMode");
            CudaCheck.cublas(cublas_h.cublasGetVersion_v2(cublas, value), "cublasGetVersion_v2");
            info = new DeviceInfo(deviceIndex, name.getString(0), major, minor, sms, total.get(ValueLayout.JAVA_LONG, 0),
                    driverVersion, value.get(ValueLayout.JAVA_INT, 0), cublasLibrary.toString());
        }
    }

    private static int attribute(Arena arena, int dev, int attribute, String what) {
        MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
        CudaCheck.driver(cuda_h.cuDeviceGetAttribute(value, attribute, dev), "cuDeviceGetAttribute",
                () -> "reading the " + what);
        return value.get(ValueLayout.JAVA_INT, 0);
    }

    public DeviceInfo info() {
        return info;
    }

    /**
     * Whether every launch is followed by a synchronisation (system property
     * {@code gemma4j.cuda.checkLaunches}), which rules out CUDA graph capture.
     */
    static boolean checksLaunches() {
        return CHECK_LAUNCHES;
    }

    /** Times every launch and GEMM from now until {@link #stopProfile()}; no graph may be captured meanwhile. */
    void startProfile() {
        if (profile != null) throw new IllegalStateException("a profile is already running");
        profile = new KernelProfile(stream);
    }

    boolean profiling() {
        return profile != null;
    }

    /** Ends the profile and reads it (waiting for the work it timed). */
    KernelProfile.Result stopProfile() {
        if (profile == null) throw new IllegalStateException("no profile is running");
        KernelProfile p = profile;
        profile = null;
        return p.finish();
    }

    /** Makes this context current on the calling thread. */
    public void makeCurrent() {
        requireOpen();
        CudaCheck.driver(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /** cuMemGetInfo_v2 for this device. */
    public MemoryInfo memoryInfo() {
        requireOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sizes = arena.allocate(ValueLayout.JAVA_LONG, 2);
            CudaCheck.driver(cuda_h.cuMemGetInfo_v2(sizes, sizes.asSlice(8)), "cuMemGetInfo_v2");
            return new MemoryInfo(sizes.get(ValueLayout.JAVA_LONG, 0), sizes.get(ValueLayout.JAVA_LONG, 8));
        }
    }

    /** A {@link DeviceMemory} of {@code budgetBytes} allocating on this device. */
    public DeviceMemory newDeviceMemory(long budgetBytes) {
        return new DeviceMemory(budgetBytes, new DeviceMemory.Allocator() {
            @Override
            public long allocate(long bytes, String what) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment pointer = arena.allocate(ValueLayout.JAVA_LONG);
                    CudaCheck.driver(cuda_h.cuMemAlloc_v2(pointer, bytes), "cuMemAlloc_v2",
                            () -> "allocating " + what + " (" + Bytes.format(bytes) + "; the device reports "
                                    + memoryInfoOrReason() + ")");
                    return pointer.get(ValueLayout.JAVA_LONG, 0);
                }
            }

            @Override
            public void free(long address, String what) {
                CudaCheck.driver(cuda_h.cuMemFree_v2(address), "cuMemFree_v2", () -> "freeing " + what);
            }
        });
    }

    private String memoryInfoOrReason() {
        try {
            return memoryInfo().toString();
        } catch (CudaException e) {
            return "no memory figures: " + e.getMessage();
        }
    }

    MemorySegment stream() {
        return stream;
    }

    MemorySegment cublasHandle() {
        return cublas;
    }

    /** Gives cuBLAS {@code workspace} for its GEMMs instead of letting it allocate its own. */
    void setCublasWorkspace(DeviceBuffer workspace) {
        CudaCheck.cublas(cublas_h.cublasSetWorkspace_v2(cublas, MemorySegment.ofAddress(workspace.address()),
                workspace.bytes()), "cublasSetWorkspace_v2", () -> "binding the " + Bytes.format(workspace.bytes())
                + " workspace");
    }

    /** Queues {@code launch} on the stream: kernel parameters are an array of pointers to the argument values. */
    void launch(KernelLaunch launch) {
        Kernel k = launch.kernel();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment parameters = arena.allocate(ValueLayout.ADDRESS, k.argKinds.size());
            for (int i = 0; i < k.argKinds.size(); i++) {
                Object a = launch.args().get(i);
                MemorySegment value = switch (k.argKinds.get(i)) {
                    case POINTER, INT64 -> arena.allocateFrom(ValueLayout.JAVA_LONG, (Long) a);
                    case INT32 -> arena.allocateFrom(ValueLayout.JAVA_INT, (Integer) a);
                    case FLOAT32 -> arena.allocateFrom(ValueLayout.JAVA_FLOAT, (Float) a);
                };
                parameters.setAtIndex(ValueLayout.ADDRESS, i, value);
            }
            Dim3 g = launch.grid();
            if (profile != null) profile.begin(k.symbol);
            CudaCheck.driver(cuda_h.cuLaunchKernel(functions.get(k), g.x(), g.y(), g.z(), k.threads, 1, 1, 0, stream,
                    parameters, MemorySegment.NULL), "cuLaunchKernel", launch::toString);
            if (profile != null) profile.end();
        }
        if (CHECK_LAUNCHES) synchronize("running " + launch);
    }

    /** Called before each GEMM: starts its timing when profiling. */
    void beforeGemm(String what) {
        if (profile != null) profile.begin("gemm " + what);
    }

    /** Called after each GEMM: ends its timing when profiling, synchronises when launches are checked. */
    void afterGemm(String what) {
        if (profile != null) profile.end();
        if (CHECK_LAUNCHES) synchronize("running the GEMM " + what);
    }

    /** Queues a copy of {@code bytes} host bytes to device address {@code dst}. */
    void copyToDevice(long dst, MemorySegment src, long bytes, String what) {
        CudaCheck.driver(cuda_h.cuMemcpyHtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2",
                () -> "copying " + what + " (" + bytes + " bytes) to the device");
    }

    /** Copies {@code bytes} device bytes at {@code src} to the host, waiting for everything queued before. */
    void copyToHost(MemorySegment dst, long src, long bytes, String what) {
        CudaCheck.driver(cuda_h.cuMemcpyDtoHAsync_v2(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2",
                () -> "copying " + what + " (" + bytes + " bytes) to the host");
        synchronize("copying " + what + " to the host");
    }

    /** Queues zeroing of {@code bytes} device bytes at {@code dst}. */
    void zero(long dst, long bytes, String what) {
        CudaCheck.driver(cuda_h.cuMemsetD8Async(dst, (byte) 0, bytes, stream), "cuMemsetD8Async",
                () -> "zeroing " + what + " (" + bytes + " bytes)");
    }

    /**
     * Waits for everything queued on the stream. An asynchronous failure of an earlier kernel or copy
     * surfaces here; {@code what} says what the host was waiting for.
     */
    void synchronize(String what) {
        CudaCheck.driver(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize", () -> what);
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("the CUDA context has been closed");
    }

    /** Waits for the stream, then releases cuBLAS, the module, the stream and the primary context; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        if (profile != null) {
            KernelProfile p = profile;
            profile = null;
            failure = attempt(failure, p::discard);
        }
        if (context != null) failure = attempt(failure, () ->
                CudaCheck.driver(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent"));
        if (stream != null) failure = attempt(failure, () ->
                CudaCheck.driver(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize", () -> "closing the context"));
        if (cublas != null) failure = attempt(failure, () ->
                CudaCheck.cublas(cublas_h.cublasDestroy_v2(cublas), "cublasDestroy_v2"));
        if (module != null) failure = attempt(failure, () ->
                CudaCheck.driver(cuda_h.cuModuleUnload(module), "cuModuleUnload"));
        if (stream != null) failure = attempt(failure, () ->
                CudaCheck.driver(cuda_h.cuStreamDestroy_v2(stream), "cuStreamDestroy_v2"));
        if (context != null) failure = attempt(failure, () ->
                CudaCheck.driver(cuda_h.cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease_v2"));
        cublas = null;
        module = null;
        stream = null;
        context = null;
        functions.clear();
        if (failure != null) throw failure;
    }

    /** Runs {@code step}; returns the first failure so far, later ones added to it as suppressed. */
    static RuntimeException attempt(RuntimeException failure, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            if (failure == null) return e;
            failure.addSuppressed(e);
        }
        return failure;
    }
}
