package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A small pinned host array of int32 for the per-step uploads (token ids, positions, lengths): the
 * copies are truly asynchronous, and an event recorded after them guards the array, so it is
 * rewritten only once the device has read it.
 *
 * <p>Use: {@link #begin()}, {@link #set} the values, {@link #copy} ranges to the device, {@link #end()}.
 */
@SuppressWarnings("restricted")
final class PinnedInts implements AutoCloseable {
    private final CudaContext ctx;
    private final int capacity;
    private MemorySegment host;
    private MemorySegment event;
    private boolean recorded;

    PinnedInts(CudaContext ctx, int capacity) {
        this.ctx = ctx;
        this.capacity = capacity;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(ValueLayout.ADDRESS);
            CudaCheck.driver(cuda_h.cuMemAllocHost_v2(pointer, 4L * capacity), "cuMemAllocHost_v2",
                    () -> "allocating " + capacity + " pinned ints for token ids and positions");
            host = pointer.get(ValueLayout.ADDRESS, 0).reinterpret(4L * capacity);
            int rc = cuda_h.cuEventCreate(pointer, cuda_h.CU_EVENT_DISABLE_TIMING());
            if (rc != cuda_h.CUDA_SUCCESS()) {
                close();
                CudaCheck.driver(rc, "cuEventCreate");
            }
            event = pointer.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** Waits until the device has read every earlier copy out of the array. */
    void begin() {
        if (recorded) CudaCheck.driver(cuda_h.cuEventSynchronize(event), "cuEventSynchronize",
                () -> "waiting for the previous token id / position upload");
        recorded = false;
    }

    void set(int index, int value) {
        host.setAtIndex(ValueLayout.JAVA_INT, index, value);
    }

    /** Queues the copy of elements [from, from + count) to {@code device}. */
    void copy(int from, int count, long device, String what) {
        ctx.copyToDevice(device, host.asSlice(4L * from, 4L * count), 4L * count, what);
    }

    /** Records the event after the queued copies. */
    void end() {
        CudaCheck.driver(cuda_h.cuEventRecord(event, ctx.stream()), "cuEventRecord");
        recorded = true;
    }

    int capacity() {
        return capacity;
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
