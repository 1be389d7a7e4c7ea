package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cublas_h;
import dev.gemma4j.cuda.bindings.cuda_h;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static dev.gemma4j.cuda.CudaCheck.cublas;
import static dev.gemma4j.cuda.CudaCheck.driver;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Smoke test of the driver and cuBLAS bindings on a real GPU: device queries, memory, copies,
 * memsets, streams, events, a PTX kernel launched directly and through a captured graph, and
 * cublasGemmEx / cublasGemmStridedBatchedEx (fp16 inputs, fp32 accumulation and output) against a
 * CPU matmul. Skips with the reason when no driver or no device is found.
 */
@Tag("gpu")
@SuppressWarnings("restricted")
class CudaBindingsGpuTest {

    /**
     * y[i] = fma(x[i], a, y[i]) for i < n; nvcc 13.0 output of
     * {@code extern "C" __global__ void axpy(float* y, const float* x, float a, int n)} for
     * compute_80, with the PTX ISA lowered from 9.0 to 7.0 (CUDA 11.0) so any driver able to run
     * an sm_80+ GPU JIT-compiles it; ptxas 13.0 accepts it for sm_80 and sm_90.
     */
    private static final String AXPY_PTX = """
            .version 7.0
            .target sm_80
            .address_size 64
            .visible .entry axpy(
                .param .u64 axpy_param_0,
                .param .u64 axpy_param_1,
                .param .f32 axpy_param_2,
                .param .u32 axpy_param_3
            )
            {
                .reg .pred     %p<2>;
                .reg .f32     %f<5>;
                .reg .b32     %r<6>;
                .reg .b64     %rd<8>;
                ld.param.u64     %rd1, [axpy_param_0];
                ld.param.u64     %rd2, [axpy_param_1];
                ld.param.f32     %f1, [axpy_param_2];
                ld.param.u32     %r2, [axpy_param_3];
                mov.u32     %r3, %ctaid.x;
                mov.u32     %r4, %ntid.x;
                mov.u32     %r5, %tid.x;
                mad.lo.s32     %r1, %r3, %r4, %r5;
                setp.ge.s32     %p1, %r1, %r2;
                @%p1 bra     $L__BB0_2;
                cvta.to.global.u64     %rd3, %rd1;
                cvta.to.global.u64     %rd4, %rd2;
                mul.wide.s32     %rd5, %r1, 4;
                add.s64     %rd6, %rd4, %rd5;
                ld.global.f32     %f2, [%rd6];
                add.s64     %rd7, %rd3, %rd5;
                ld.global.f32     %f3, [%rd7];
                fma.rn.f32     %f4, %f2, %f1, %f3;
                st.global.f32     [%rd7], %f4;
            $L__BB0_2:
                ret;
            }
            """;

    private static int device;
    private static MemorySegment context;
    private static int driverVersion;

    @BeforeAll
    static void openPrimaryContext() {
        try {
            System.out.println("CUDA driver: " + CudaLibraries.load(CudaLibraries.Library.DRIVER));
        } catch (CudaException e) {
            skip("no CUDA driver: " + e.getMessage());
        }
        int init = cuda_h.cuInit(0);
        if (init == cuda_h.CUDA_ERROR_NO_DEVICE()) {
            skip("the CUDA driver is installed but finds no device (cuInit: CUDA_ERROR_NO_DEVICE)");
        }
        driver(init, "cuInit");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            driver(cuda_h.cuDriverGetVersion(value), "cuDriverGetVersion");
            driverVersion = value.get(JAVA_INT, 0);
            driver(cuda_h.cuDeviceGetCount(value), "cuDeviceGetCount");
            if (value.get(JAVA_INT, 0) == 0) {
                skip("the CUDA driver reports no device");
            }
            driver(cuda_h.cuDeviceGet(value, 0), "cuDeviceGet");
            device = value.get(JAVA_INT, 0);
            MemorySegment pointer = arena.allocate(ADDRESS);
            driver(cuda_h.cuDevicePrimaryCtxRetain(pointer, device), "cuDevicePrimaryCtxRetain");
            context = pointer.get(ADDRESS, 0);
        }
    }

    @AfterAll
    static void releasePrimaryContext() {
        if (context != null) {
            driver(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            driver(cuda_h.cuCtxSynchronize(), "cuCtxSynchronize");
            driver(cuda_h.cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease_v2");
        }
    }

    @BeforeEach
    void makeContextCurrent() {
        driver(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    @Test
    void deviceAndMemoryQueries() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            driver(cuda_h.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
            int major = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR());
            int minor = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR());
            int sms = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT());
            int warp = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_WARP_SIZE());
            int threads = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK());
            int shared = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK());
            int sharedOptin = attribute(arena, cuda_h.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN());
            MemorySegment sizes = arena.allocate(JAVA_LONG, 2);
            driver(cuda_h.cuDeviceTotalMem_v2(sizes, device), "cuDeviceTotalMem_v2");
            long total = sizes.get(JAVA_LONG, 0);
            driver(cuda_h.cuMemGetInfo_v2(sizes, sizes.asSlice(8)), "cuMemGetInfo_v2");
            long free = sizes.get(JAVA_LONG, 0);
            long totalInfo = sizes.get(JAVA_LONG, 8);
            System.out.printf("device %d: %s, compute capability %d.%d, %d SMs, warp %d, %d threads/block, "
                            + "shared memory %d B (opt-in %d B), memory %d MiB total, %d MiB free, driver %d%n",
                    device, name.getString(0), major, minor, sms, warp, threads, shared, sharedOptin,
                    total >> 20, free >> 20, driverVersion);
            assertTrue(!name.getString(0).isBlank(), "device name");
            assertTrue(major >= 3 && minor >= 0, "compute capability " + major + "." + minor);
            assertTrue(sms > 0, "SM count " + sms);
            assertEquals(32, warp, "warp size");
            assertTrue(threads >= 512, "max threads per block " + threads);
            assertTrue(sharedOptin >= shared && shared >= 48 * 1024, "shared " + shared + ", opt-in " + sharedOptin);
            assertEquals(total, totalInfo, "cuDeviceTotalMem_v2 and cuMemGetInfo_v2 total");
            assertTrue(free > 0 && free <= total, "free " + free + " of " + total);
            assertTrue(driverVersion >= 11040, "driver version " + driverVersion);
        }
    }

    @Test
    void copiesAndMemsetsRoundTrip() {
        long seed = new Random().nextLong();
        System.out.println("copiesAndMemsetsRoundTrip seed " + seed);
        Random random = new Random(seed);
        int count = 1 << 18;
        long bytes = 4L * count;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(JAVA_FLOAT, count);
            for (int i = 0; i < count; i++) {
                host.setAtIndex(JAVA_FLOAT, i, (float) random.nextGaussian());
            }
            long a = allocate(arena, bytes);
            long b = allocate(arena, bytes);
            try {
                driver(cuda_h.cuMemcpyHtoD_v2(a, host, bytes), "cuMemcpyHtoD_v2");
                driver(cuda_h.cuMemcpyDtoD_v2(b, a, bytes), "cuMemcpyDtoD_v2");
                MemorySegment back = arena.allocate(JAVA_FLOAT, count);
                driver(cuda_h.cuMemcpyDtoH_v2(back, b, bytes), "cuMemcpyDtoH_v2");
                assertArrayEquals(host.toArray(JAVA_FLOAT), back.toArray(JAVA_FLOAT), "HtoD, DtoD, DtoH");

                driver(cuda_h.cuMemsetD32_v2(a, Float.floatToRawIntBits(1.5f), count), "cuMemsetD32_v2");
                driver(cuda_h.cuMemsetD8_v2(b, (byte) 0xA5, bytes), "cuMemsetD8_v2");
                driver(cuda_h.cuMemcpyDtoH_v2(back, a, bytes), "cuMemcpyDtoH_v2");
                for (int i = 0; i < count; i++) {
                    assertEquals(1.5f, back.getAtIndex(JAVA_FLOAT, i), "cuMemsetD32_v2 element " + i);
                }
                driver(cuda_h.cuMemcpyDtoH_v2(back, b, bytes), "cuMemcpyDtoH_v2");
                for (long i = 0; i < bytes; i++) {
                    assertEquals((byte) 0xA5, back.get(JAVA_BYTE, i), "cuMemsetD8_v2 byte " + i);
                }
                asyncCopiesThroughPinnedMemory(arena, host, a, b, bytes);
            } finally {
                driver(cuda_h.cuMemFree_v2(a), "cuMemFree_v2");
                driver(cuda_h.cuMemFree_v2(b), "cuMemFree_v2");
            }
        }
    }

    /** Pinned host buffer, a non-blocking stream and timing events around async copies. */
    private static void asyncCopiesThroughPinnedMemory(Arena arena, MemorySegment host, long a, long b, long bytes) {
        MemorySegment out = arena.allocate(ADDRESS);
        driver(cuda_h.cuMemAllocHost_v2(out, bytes), "cuMemAllocHost_v2");
        MemorySegment pinned = out.get(ADDRESS, 0).reinterpret(bytes);
        driver(cuda_h.cuStreamCreate(out, cuda_h.CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
        MemorySegment stream = out.get(ADDRESS, 0);
        driver(cuda_h.cuEventCreate(out, cuda_h.CU_EVENT_DEFAULT()), "cuEventCreate");
        MemorySegment start = out.get(ADDRESS, 0);
        driver(cuda_h.cuEventCreate(out, cuda_h.CU_EVENT_DEFAULT()), "cuEventCreate");
        MemorySegment stop = out.get(ADDRESS, 0);
        try {
            pinned.copyFrom(host);
            driver(cuda_h.cuEventRecord(start, stream), "cuEventRecord");
            driver(cuda_h.cuMemcpyHtoDAsync_v2(a, pinned, bytes, stream), "cuMemcpyHtoDAsync_v2");
            driver(cuda_h.cuMemcpyDtoDAsync_v2(b, a, bytes, stream), "cuMemcpyDtoDAsync_v2");
            driver(cuda_h.cuMemsetD8Async(a, (byte) 0, bytes, stream), "cuMemsetD8Async");
            driver(cuda_h.cuEventRecord(stop, stream), "cuEventRecord");
            driver(cuda_h.cuEventSynchronize(stop), "cuEventSynchronize");
            // The copy out of the pinned buffer has completed: it may now be overwritten.
            pinned.fill((byte) 0x11);
            driver(cuda_h.cuMemcpyDtoHAsync_v2(pinned, b, bytes, stream), "cuMemcpyDtoHAsync_v2");
            driver(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize");
            assertEquals(-1L, pinned.mismatch(host), "async HtoD, DtoD, DtoH through pinned memory");
            MemorySegment zeros = arena.allocate(bytes);
            driver(cuda_h.cuMemcpyDtoH_v2(zeros, a, bytes), "cuMemcpyDtoH_v2");
            assertEquals(-1L, zeros.mismatch(arena.allocate(bytes)), "cuMemsetD8Async to 0");
            MemorySegment milliseconds = arena.allocate(JAVA_FLOAT);
            if (driverVersion >= 12080) {
                driver(cuda_h.cuEventElapsedTime_v2(milliseconds, start, stop), "cuEventElapsedTime_v2");
                float ms = milliseconds.get(JAVA_FLOAT, 0);
                System.out.printf("async HtoD, DtoD and memset of %d bytes: %.3f ms%n", bytes, ms);
                assertTrue(ms >= 0 && ms < 60_000, "elapsed " + ms + " ms");
            } else {
                // cuEventElapsedTime_v2 first shipped with driver 12.8: the binding must say so, not crash.
                CudaException e = assertThrows(CudaException.class,
                        () -> cuda_h.cuEventElapsedTime_v2(milliseconds, start, stop));
                assertTrue(e.getMessage().contains("cuEventElapsedTime_v2"), e.getMessage());
                System.out.println("driver " + driverVersion + " lacks cuEventElapsedTime_v2: " + e.getMessage());
            }
        } finally {
            driver(cuda_h.cuEventDestroy_v2(start), "cuEventDestroy_v2");
            driver(cuda_h.cuEventDestroy_v2(stop), "cuEventDestroy_v2");
            driver(cuda_h.cuStreamDestroy_v2(stream), "cuStreamDestroy_v2");
            driver(cuda_h.cuMemFreeHost(pinned), "cuMemFreeHost");
        }
    }

    @Test
    void kernelLaunchDirectlyAndThroughACapturedGraph() {
        long seed = new Random().nextLong();
        System.out.println("kernelLaunchDirectlyAndThroughACapturedGraph seed " + seed);
        Random random = new Random(seed);
        int n = 10_000;
        float a = 0.75f;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
            y[i] = (float) random.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            driver(cuda_h.cuModuleLoadData(out, arena.allocateFrom(AXPY_PTX)), "cuModuleLoadData");
            MemorySegment module = out.get(ADDRESS, 0);
            long dx = allocate(arena, 4L * n);
            long dy = allocate(arena, 4L * n);
            MemorySegment stream = MemorySegment.NULL;
            try {
                driver(cuda_h.cuModuleGetFunction(out, module, arena.allocateFrom("axpy")), "cuModuleGetFunction");
                MemorySegment function = out.get(ADDRESS, 0);
                MemorySegment value = arena.allocate(JAVA_INT);
                driver(cuda_h.cuFuncGetAttribute(value, cuda_h.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK(), function),
                        "cuFuncGetAttribute");
                int maxThreads = value.get(JAVA_INT, 0);
                driver(cuda_h.cuFuncGetAttribute(value, cuda_h.CU_FUNC_ATTRIBUTE_NUM_REGS(), function),
                        "cuFuncGetAttribute");
                System.out.printf("axpy: max %d threads/block, %d registers%n", maxThreads, value.get(JAVA_INT, 0));
                assertTrue(maxThreads >= 256, "max threads per block " + maxThreads);
                driver(cuda_h.cuFuncSetAttribute(function, cuda_h.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES(), 0),
                        "cuFuncSetAttribute");

                driver(cuda_h.cuMemcpyHtoD_v2(dx, arena.allocateFrom(JAVA_FLOAT, x), 4L * n), "cuMemcpyHtoD_v2");
                driver(cuda_h.cuMemcpyHtoD_v2(dy, arena.allocateFrom(JAVA_FLOAT, y), 4L * n), "cuMemcpyHtoD_v2");
                MemorySegment parameters = kernelParameters(arena, dy, dx, a, n);
                int block = 256;
                int grid = (n + block - 1) / block;
                driver(cuda_h.cuLaunchKernel(function, grid, 1, 1, block, 1, 1, 0, MemorySegment.NULL, parameters,
                        MemorySegment.NULL), "cuLaunchKernel");
                driver(cuda_h.cuCtxSynchronize(), "cuCtxSynchronize");
                float[] expected = y.clone();
                for (int i = 0; i < n; i++) {
                    expected[i] = Math.fma(x[i], a, expected[i]);
                }
                assertArrayEquals(expected, download(arena, dy, n), "one launch: fma.rn.f32 on both sides, exact");

                driver(cuda_h.cuStreamCreate(out, cuda_h.CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
                stream = out.get(ADDRESS, 0);
                driver(cuda_h.cuStreamBeginCapture_v2(stream, cuda_h.CU_STREAM_CAPTURE_MODE_GLOBAL()),
                        "cuStreamBeginCapture_v2");
                driver(cuda_h.cuLaunchKernel(function, grid, 1, 1, block, 1, 1, 0, stream, parameters,
                        MemorySegment.NULL), "cuLaunchKernel");
                driver(cuda_h.cuStreamEndCapture(stream, out), "cuStreamEndCapture");
                MemorySegment graph = out.get(ADDRESS, 0);
                driver(cuda_h.cuGraphInstantiateWithFlags(out, graph, 0L), "cuGraphInstantiateWithFlags");
                MemorySegment executable = out.get(ADDRESS, 0);
                int launches = 3;
                for (int l = 0; l < launches; l++) {
                    driver(cuda_h.cuGraphLaunch(executable, stream), "cuGraphLaunch");
                }
                driver(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize");
                driver(cuda_h.cuGraphExecDestroy(executable), "cuGraphExecDestroy");
                driver(cuda_h.cuGraphDestroy(graph), "cuGraphDestroy");
                for (int l = 0; l < launches; l++) {
                    for (int i = 0; i < n; i++) {
                        expected[i] = Math.fma(x[i], a, expected[i]);
                    }
                }
                assertArrayEquals(expected, download(arena, dy, n), "three graph launches, exact");
            } finally {
                if (!stream.equals(MemorySegment.NULL)) {
                    driver(cuda_h.cuStreamDestroy_v2(stream), "cuStreamDestroy_v2");
                }
                driver(cuda_h.cuMemFree_v2(dx), "cuMemFree_v2");
                driver(cuda_h.cuMemFree_v2(dy), "cuMemFree_v2");
                driver(cuda_h.cuModuleUnload(module), "cuModuleUnload");
            }
        }
    }

    @Test
    void cublasGemmExMatchesCpuMatmul() {
        try {
            System.out.println("cuBLAS: " + CudaLibraries.load(CudaLibraries.Library.CUBLAS));
        } catch (CudaException e) {
            skip("no cuBLAS: " + e.getMessage());
        }
        long seed = new Random().nextLong();
        System.out.println("cublasGemmExMatchesCpuMatmul seed " + seed);
        Random random = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            cublas(cublas_h.cublasCreate_v2(out), "cublasCreate_v2");
            MemorySegment handle = out.get(ADDRESS, 0);
            driver(cuda_h.cuStreamCreate(out, cuda_h.CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            MemorySegment stream = out.get(ADDRESS, 0);
            long workspaceBytes = 4L << 20;
            long workspace = allocate(arena, workspaceBytes);
            try {
                MemorySegment version = arena.allocate(JAVA_INT);
                cublas(cublas_h.cublasGetVersion_v2(handle, version), "cublasGetVersion_v2");
                System.out.println("cuBLAS version " + version.get(JAVA_INT, 0));
                assertTrue(version.get(JAVA_INT, 0) >= 120000, "cuBLAS 12 or 13: " + version.get(JAVA_INT, 0));
                cublas(cublas_h.cublasSetStream_v2(handle, stream), "cublasSetStream_v2");
                cublas(cublas_h.cublasSetWorkspace_v2(handle, MemorySegment.ofAddress(workspace), workspaceBytes),
                        "cublasSetWorkspace_v2");
                cublas(cublas_h.cublasSetMathMode(handle, cublas_h.CUBLAS_DEFAULT_MATH()), "cublasSetMathMode");
                gemmTransposedWithAccumulate(arena, handle, stream, random);
                stridedBatchedGemm(arena, handle, stream, random);
                assertTrue(CudaCheck.cublasStatusName(cublas_h.CUBLAS_STATUS_INVALID_VALUE())
                        .equals("CUBLAS_STATUS_INVALID_VALUE"), "cublasGetStatusName");
            } finally {
                cublas(cublas_h.cublasDestroy_v2(handle), "cublasDestroy_v2");
                driver(cuda_h.cuStreamDestroy_v2(stream), "cuStreamDestroy_v2");
                driver(cuda_h.cuMemFree_v2(workspace), "cuMemFree_v2");
            }
        }
    }

    /**
     * C (m x n, fp32) = A^T B + C, the shape of a projection with a fused residual: A stored k x m
     * column-major (a row-major [m, k] weight), B k x n, both fp16.
     */
    private static void gemmTransposedWithAccumulate(Arena arena, MemorySegment handle, MemorySegment stream,
                                                     Random random) {
        int m = 96;
        int n = 40;
        int k = 160;
        short[] aHalf = randomHalves(random, k * m);
        short[] bHalf = randomHalves(random, k * n);
        float[] c0 = new float[m * n];
        for (int i = 0; i < c0.length; i++) {
            c0[i] = (float) random.nextGaussian();
        }
        double[] reference = new double[m * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = c0[i + j * m];
                for (int p = 0; p < k; p++) {
                    sum += (double) Float.float16ToFloat(aHalf[p + i * k]) * Float.float16ToFloat(bHalf[p + j * k]);
                }
                reference[i + j * m] = sum;
            }
        }
        long da = upload(arena, aHalf);
        long db = upload(arena, bHalf);
        long dc = allocate(arena, 4L * m * n);
        try {
            driver(cuda_h.cuMemcpyHtoD_v2(dc, arena.allocateFrom(JAVA_FLOAT, c0), 4L * m * n), "cuMemcpyHtoD_v2");
            // Copies from pageable memory may still be in flight; the GEMM runs on a non-blocking stream.
            driver(cuda_h.cuCtxSynchronize(), "cuCtxSynchronize");
            MemorySegment one = arena.allocateFrom(JAVA_FLOAT, 1f);
            cublas(cublas_h.cublasGemmEx(handle, cublas_h.CUBLAS_OP_T(), cublas_h.CUBLAS_OP_N(), m, n, k,
                    one, MemorySegment.ofAddress(da), cublas_h.CUDA_R_16F(), k,
                    MemorySegment.ofAddress(db), cublas_h.CUDA_R_16F(), k,
                    one, MemorySegment.ofAddress(dc), cublas_h.CUDA_R_32F(), m,
                    cublas_h.CUBLAS_COMPUTE_32F(), cublas_h.CUBLAS_GEMM_DEFAULT()), "cublasGemmEx");
            driver(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize");
            double error = relativeError(download(arena, dc, m * n), reference);
            System.out.printf("cublasGemmEx T,N m=%d n=%d k=%d beta=1: relative error %.3g%n", m, n, k, error);
            // fp16 x fp16 products are exact in fp32; fp32 accumulation over k = 160 terms, in whatever
            // order and with whatever intermediate rounding the tensor cores use, stays near 1e-6;
            // a wrong operand, transpose or leading dimension gives errors of order 1.
            assertTrue(error < 1e-4, "relative error " + error);
        } finally {
            driver(cuda_h.cuMemFree_v2(da), "cuMemFree_v2");
            driver(cuda_h.cuMemFree_v2(db), "cuMemFree_v2");
            driver(cuda_h.cuMemFree_v2(dc), "cuMemFree_v2");
        }
    }

    /** batch x (C_b = Q_b^T K_b), the shape of per-head attention scores. */
    private static void stridedBatchedGemm(Arena arena, MemorySegment handle, MemorySegment stream, Random random) {
        int batch = 3;
        int m = 24;
        int n = 32;
        int k = 64;
        short[] aHalf = randomHalves(random, batch * k * m);
        short[] bHalf = randomHalves(random, batch * k * n);
        double[] reference = new double[batch * m * n];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        sum += (double) Float.float16ToFloat(aHalf[b * k * m + p + i * k])
                                * Float.float16ToFloat(bHalf[b * k * n + p + j * k]);
                    }
                    reference[b * m * n + i + j * m] = sum;
                }
            }
        }
        long da = upload(arena, aHalf);
        long db = upload(arena, bHalf);
        long dc = allocate(arena, 4L * batch * m * n);
        try {
            driver(cuda_h.cuCtxSynchronize(), "cuCtxSynchronize");
            MemorySegment one = arena.allocateFrom(JAVA_FLOAT, 1f);
            MemorySegment zero = arena.allocateFrom(JAVA_FLOAT, 0f);
            cublas(cublas_h.cublasGemmStridedBatchedEx(handle, cublas_h.CUBLAS_OP_T(), cublas_h.CUBLAS_OP_N(),
                    m, n, k, one,
                    MemorySegment.ofAddress(da), cublas_h.CUDA_R_16F(), k, (long) k * m,
                    MemorySegment.ofAddress(db), cublas_h.CUDA_R_16F(), k, (long) k * n,
                    zero, MemorySegment.ofAddress(dc), cublas_h.CUDA_R_32F(), m, (long) m * n,
                    batch, cublas_h.CUBLAS_COMPUTE_32F(), cublas_h.CUBLAS_GEMM_DEFAULT()),
                    "cublasGemmStridedBatchedEx");
            driver(cuda_h.cuStreamSynchronize(stream), "cuStreamSynchronize");
            double error = relativeError(download(arena, dc, batch * m * n), reference);
            System.out.printf("cublasGemmStridedBatchedEx batch=%d m=%d n=%d k=%d: relative error %.3g%n",
                    batch, m, n, k, error);
            // Same reasoning as for cublasGemmEx: exact products, fp32 sums over k = 64 terms.
            assertTrue(error < 1e-4, "relative error " + error);
        } finally {
            driver(cuda_h.cuMemFree_v2(da), "cuMemFree_v2");
            driver(cuda_h.cuMemFree_v2(db), "cuMemFree_v2");
            driver(cuda_h.cuMemFree_v2(dc), "cuMemFree_v2");
        }
    }

    private static MemorySegment kernelParameters(Arena arena, long y, long x, float a, int n) {
        MemorySegment parameters = arena.allocate(ADDRESS, 4);
        parameters.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_LONG, y));
        parameters.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_LONG, x));
        parameters.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_FLOAT, a));
        parameters.setAtIndex(ADDRESS, 3, arena.allocateFrom(JAVA_INT, n));
        return parameters;
    }

    private static int attribute(Arena arena, int attribute) {
        MemorySegment value = arena.allocate(JAVA_INT);
        driver(cuda_h.cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute",
                () -> "reading attribute " + attribute);
        return value.get(JAVA_INT, 0);
    }

    private static long allocate(Arena arena, long bytes) {
        MemorySegment pointer = arena.allocate(JAVA_LONG);
        driver(cuda_h.cuMemAlloc_v2(pointer, bytes), "cuMemAlloc_v2", () -> "allocating " + bytes + " bytes");
        return pointer.get(JAVA_LONG, 0);
    }

    private static long upload(Arena arena, short[] halves) {
        long device = allocate(arena, 2L * halves.length);
        driver(cuda_h.cuMemcpyHtoD_v2(device, arena.allocateFrom(JAVA_SHORT, halves), 2L * halves.length),
                "cuMemcpyHtoD_v2");
        return device;
    }

    private static float[] download(Arena arena, long device, int count) {
        MemorySegment host = arena.allocate(JAVA_FLOAT, count);
        driver(cuda_h.cuMemcpyDtoH_v2(host, device, 4L * count), "cuMemcpyDtoH_v2");
        return host.toArray(JAVA_FLOAT);
    }

    /** Gaussian values rounded to fp16 bit patterns. */
    private static short[] randomHalves(Random random, int count) {
        short[] halves = new short[count];
        for (int i = 0; i < count; i++) {
            halves[i] = Float.floatToFloat16((float) random.nextGaussian());
        }
        return halves;
    }

    /** ||actual - expected|| / ||expected||; NaN anywhere makes it NaN, which fails every bound. */
    private static double relativeError(float[] actual, double[] expected) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            difference += d * d;
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(difference / norm);
    }

    private static void skip(String reason) {
        System.out.println("skipped: " + reason);
        abort(reason);
    }
}
