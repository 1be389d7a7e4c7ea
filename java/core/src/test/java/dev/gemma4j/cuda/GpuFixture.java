package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assumptions.abort;

import dev.gemma4j.cuda.bindings.cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A CUDA context and a device memory pool for GPU tests, with copies of Java arrays to and from the
 * device. {@link #openOrSkip()} aborts the test with the printed reason where there is no driver or
 * no device; any other failure (a missing fatbin, a failing call) fails it.
 */
final class GpuFixture implements AutoCloseable {
    final CudaContext ctx;
    final DeviceMemory memory;

    private GpuFixture(CudaContext ctx, DeviceMemory memory) {
        this.ctx = ctx;
        this.memory = memory;
    }

    /** Context on device 0 and a pool of at most {@code budget} bytes. */
    static GpuFixture openOrSkip(long budget) {
        CudaContext ctx = openContextOrSkip();
        long free = ctx.memoryInfo().freeBytes();
        return new GpuFixture(ctx, ctx.newDeviceMemory(Math.min(budget, free - DeviceBudget.ALL_FREE_RESERVE)));
    }

    static CudaContext openContextOrSkip() {
        try {
            System.out.println("CUDA driver: " + CudaLibraries.load(CudaLibraries.Library.DRIVER));
        } catch (CudaException e) {
            skip("no CUDA driver: " + e.getMessage());
        }
        try {
            CudaContext ctx = CudaContext.open(0);
            System.out.println("device: " + ctx.info() + ", " + ctx.memoryInfo() + "; decode attention: "
                    + CudaSwitches.decodeAttention() + " (" + CudaSwitches.DECODE_ATTENTION + ")");
            return ctx;
        } catch (CudaException e) {
            if (e.kind() == CudaException.Kind.DRIVER && e.status() == cuda_h.CUDA_ERROR_NO_DEVICE()) {
                skip("the CUDA driver finds no device: " + e.getMessage());
            }
            throw e;
        }
    }

    static void skip(String reason) {
        System.out.println("skipped: " + reason);
        abort(reason);
    }

    DeviceBuffer floats(float[] values) {
        DeviceBuffer b = memory.allocate("test floats", 4L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            ctx.copyToDevice(b.address(), arena.allocateFrom(ValueLayout.JAVA_FLOAT, values), 4L * values.length, "floats");
            ctx.synchronize("uploading test floats");
        }
        return b;
    }

    DeviceBuffer halves(short[] values) {
        DeviceBuffer b = memory.allocate("test halves", 2L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            ctx.copyToDevice(b.address(), arena.allocateFrom(ValueLayout.JAVA_SHORT, values), 2L * values.length, "halves");
            ctx.synchronize("uploading test halves");
        }
        return b;
    }

    DeviceBuffer ints(int[] values) {
        DeviceBuffer b = memory.allocate("test ints", 4L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            ctx.copyToDevice(b.address(), arena.allocateFrom(ValueLayout.JAVA_INT, values), 4L * values.length, "ints");
            ctx.synchronize("uploading test ints");
        }
        return b;
    }

    DeviceBuffer zeros(String what, long bytes) {
        DeviceBuffer b = memory.allocate(what, bytes);
        ctx.zero(b.address(), bytes, what);
        return b;
    }

    float[] readFloats(long address, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, count);
            ctx.copyToHost(host, address, 4L * count, "test floats");
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    short[] readHalves(long address, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_SHORT, count);
            ctx.copyToHost(host, address, 2L * count, "test halves");
            return host.toArray(ValueLayout.JAVA_SHORT);
        }
    }

    long[] readLongs(long address, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_LONG, count);
            ctx.copyToHost(host, address, 8L * count, "test longs");
            return host.toArray(ValueLayout.JAVA_LONG);
        }
    }

    static float[] widen(short[] halves) {
        float[] f = new float[halves.length];
        for (int i = 0; i < f.length; i++) f[i] = Float.float16ToFloat(halves[i]);
        return f;
    }

    /** ||actual - expected|| / ||expected||; NaN anywhere gives NaN, which fails every bound. */
    static double relativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("lengths differ: " + actual.length + " vs " + expected.length);
        }
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.length; i++) {
            if (Float.isNaN(actual[i]) || Float.isNaN(expected[i])) return Double.NaN;
            double d = (double) actual[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        failure = CudaContext.attempt(failure, ctx::makeCurrent);
        failure = CudaContext.attempt(failure, memory::close);
        failure = CudaContext.attempt(failure, ctx::close);
        if (failure != null) throw failure;
    }
}
