package dev.gemma4j.cuda;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SequencedSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's device allocations, counted against its budget. Every {@link DeviceBuffer} comes from
 * here; an allocation that would take the total past the budget is refused before the driver is
 * asked, with a message naming what was asked for and what is held. {@link #close()} frees whatever
 * is still held, so an error part-way through loading leaks nothing. Thread-safe.
 */
public final class DeviceMemory implements AutoCloseable {
    /** Raw device allocation: cuMemAlloc_v2 / cuMemFree_v2 on a device, a fake in tests. */
    interface Allocator {
        /** @return the device address of {@code bytes} fresh bytes */
        long allocate(long bytes, String what);

        void free(long address, String what);
    }

    /** Bytes held by every instance in this process. */
    private static final AtomicLong HELD_BY_ALL = new AtomicLong();

    private final long budgetBytes;
    private final Allocator allocator;
    private final SequencedSet<DeviceBuffer> live = new LinkedHashSet<>();
    private long allocatedBytes;
    private long peakBytes;
    private boolean closed;

    DeviceMemory(long budgetBytes, Allocator allocator) {
        if (budgetBytes <= 0) throw new IllegalArgumentException("budget must be positive, found " + budgetBytes);
        this.budgetBytes = budgetBytes;
        this.allocator = allocator;
    }

    /**
     * A fresh buffer of {@code bytes} bytes (contents undefined).
     *
     * @param what names the buffer in messages, e.g. "weights" or "KV cache of 4,096 tokens"
     * @throws DeviceMemoryException when the budget does not allow it
     * @throws CudaException         when the driver fails to allocate it
     */
    public synchronized DeviceBuffer allocate(String what, long bytes) {
        if (closed) throw new IllegalStateException("device memory is closed; cannot allocate " + what);
        if (bytes <= 0) throw new IllegalArgumentException(what + ": a device buffer needs at least 1 byte, found " + bytes);
        if (bytes > budgetBytes - allocatedBytes) {
            throw new DeviceMemoryException(String.format(Locale.ROOT,
                    "%s needs %s but only %s of the device memory budget of %s is left (held: %s)", what,
                    Bytes.format(bytes), Bytes.format(budgetBytes - allocatedBytes), Bytes.format(budgetBytes),
                    holdings()));
        }
        long address = allocator.allocate(bytes, what);
        DeviceBuffer buffer = new DeviceBuffer(this, what, address, bytes);
        live.add(buffer);
        allocatedBytes += bytes;
        HELD_BY_ALL.addAndGet(bytes);
        peakBytes = Math.max(peakBytes, allocatedBytes);
        return buffer;
    }

    /** Frees {@code buffer}'s memory; called once by {@link DeviceBuffer#close()}. */
    synchronized void release(DeviceBuffer buffer, long address) {
        if (!live.remove(buffer)) return;
        allocatedBytes -= buffer.bytes();
        HELD_BY_ALL.addAndGet(-buffer.bytes());
        allocator.free(address, buffer.name());
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** Bytes held now. */
    public synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    /** The most bytes held at once. */
    public synchronized long peakBytes() {
        return peakBytes;
    }

    /**
     * Bytes held now by every {@code DeviceMemory} of this process: the engine's own device memory,
     * which, unlike the device's free memory, the driver and cuBLAS do not move.
     */
    static long heldByAll() {
        return HELD_BY_ALL.get();
    }

    /** Bytes the budget still allows. */
    public synchronized long availableBytes() {
        return budgetBytes - allocatedBytes;
    }

    /** Buffers held now. */
    public synchronized int liveBuffers() {
        return live.size();
    }

    /** What is held, for messages: {@code weights 17.08 GB, activations ...}, or "nothing". */
    synchronized String holdings() {
        if (live.isEmpty()) return "nothing";
        List<String> parts = new ArrayList<>();
        for (DeviceBuffer b : live) parts.add(b.name() + " " + Bytes.binary(b.bytes()));
        return String.join(", ", parts);
    }

    /** Frees every buffer still held, newest first; later allocations are refused. */
    @Override
    public void close() {
        List<DeviceBuffer> toFree;
        synchronized (this) {
            closed = true;
            toFree = new ArrayList<>(live).reversed();
        }
        RuntimeException failure = null;
        for (DeviceBuffer b : toFree) {
            try {
                b.close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }
}
