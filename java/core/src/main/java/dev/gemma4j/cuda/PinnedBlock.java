package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A pinned host mirror of a small device block (the per-step inputs: token ids, slots, positions,
 * lengths, sampling parameters): copies from it are truly asynchronous, and an event recorded after
 * them guards it, so it is rewritten only once the device has read it.
 *
 * <p>Use: {@link #begin()}, set values at byte offsets, {@link #copy} ranges to the device, {@link #end()}.
 * Results read back into it ({@link #copyFromDevice}) land in pinned memory too.
 */
@SuppressWarnings("restricted")
final class PinnedBlock implements AutoCloseable {
    private final CudaContext ctx;
    private final long bytes;
    private MemorySegment host;
    private MemorySegment event;
    private boolean recorded;

    PinnedBlock(CudaContext ctx, long bytes, String what) {
        this.ctx = ctx;
        this.bytes = bytes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(ValueLayout.ADDRESS);
            CudaCheck.driver(cuda_h.cuMemAllocHost_v2(pointer, bytes), "cuMemAllocHost_v2",
                    () -> "allocating " + bytes + " pinned bytes for " + what);
            host = pointer.get(ValueLayout.ADDRESS, 0).reinterpret(bytes);
            int rc = cuda_h.cuEventCreate(pointer, cuda_h.CU_EVENT_DISABLE_TIMING());
            if (rc != cuda_h.CUDA_SUCCESS()) {
                close();
                CudaCheck.driver(rc, "cuEventCreate");
            }
            event = pointer.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** Waits until the device has read every earlier copy out of the block. */
    void begin() {
        if (recorded) CudaCheck.driver(cuda_h.cuEventSynchronize(event), "cuEventSynchronize",
                () -> "waiting for the previous upload of step inputs");
        recorded = false;
    }

    void setInt(long offset, int value) {
        host.set(ValueLayout.JAVA_INT, offset, value);
    }

    void setFloat(long offset, float value) {
        host.set(ValueLayout.JAVA_FLOAT, offset, value);
    }

    void setDouble(long offset, double value) {
        host.set(ValueLayout.JAVA_DOUBLE, offset, value);
    }

    /** Queues the copy of bytes [from, from + count) to {@code device}. */
    void copy(long from, long count, long device, String what) {
        ctx.copyToDevice(device, host.asSlice(from, count), count, what);
    }

    int getInt(long offset) {
        return host.get(ValueLayout.JAVA_INT, offset);
    }

    /**
     * Copies {@code count} bytes at {@code device} into bytes [to, to + count) of the block, waiting
     * for them and for everything queued before (so also for the block's earlier uploads).
     */
    void copyFromDevice(long device, long to, long count, String what) {
        ctx.copyToHost(host.asSlice(to, count), device, count, what);
    }

    /** Records the event after the queued copies. */
    void end() {
        CudaCheck.driver(cuda_h.cuEventRecord(event, ctx.stream()), "cuEventRecord");
        recorded = true;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        if (event != null) {
            MemorySegment e = event;
            failure = CudaContext.attempt(failure, () -> CudaCheck.driver(cuda_h.cuEventSynchronize(e), "cuEventSynchronize"));
            failure = CudaContext.attempt(failure, () -> CudaCheck.driver(cuda_h.cuEventDestroy_v2(e), "cuEventDestroy_v2"));
            event = null;
        }
        if (host != null) {
            MemorySegment h = host;
            failure = CudaContext.attempt(failure, () -> CudaCheck.driver(cuda_h.cuMemFreeHost(h), "cuMemFreeHost"));
            host = null;
        }
        if (failure != null) throw failure;
    }
}
