package dev.gemma4j.cuda;

import java.io.Serial;

/** An allocation or a plan that the device memory budget does not allow; the message gives the numbers. */
public final class DeviceMemoryException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public DeviceMemoryException(String message) {
        super(message);
    }
}
