package dev.gemma4j.cuda;

/**
 * Device memory owned by one Java object: {@code bytes} bytes at a CUdeviceptr, counted by the
 * {@link DeviceMemory} that allocated it until {@link #close()}.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final DeviceMemory owner;
    private final String name;
    private final long bytes;
    private volatile long address;

    DeviceBuffer(DeviceMemory owner, String name, long address, long bytes) {
        this.owner = owner;
        this.name = name;
        this.address = address;
        this.bytes = bytes;
    }

    /** What the buffer holds, as named at allocation. */
    public String name() {
        return name;
    }

    public long bytes() {
        return bytes;
    }

    public boolean isOpen() {
        return address != 0;
    }

    /** @throws IllegalStateException when the buffer has been freed */
    public long address() {
        long a = address;
        if (a == 0) throw new IllegalStateException("device buffer '" + name + "' has been freed");
        return a;
    }

    /**
     * The address {@code offset} bytes in, for a view of {@code length} bytes.
     *
     * @throws IndexOutOfBoundsException when the view is not inside the buffer
     */
    public long address(long offset, long length) {
        if (offset < 0 || length < 0 || offset > bytes - length) {
            throw new IndexOutOfBoundsException("device buffer '" + name + "' of " + bytes + " bytes has no range ["
                    + offset + ", " + (offset + length) + ")");
        }
        return address() + offset;
    }

    /** Frees the memory; idempotent. */
    @Override
    public void close() {
        long a;
        synchronized (this) {
            a = address;
            address = 0;
        }
        if (a != 0) owner.release(this, a);
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + name + ", " + bytes + " bytes" + (isOpen() ? "" : ", freed") + "]";
    }
}
