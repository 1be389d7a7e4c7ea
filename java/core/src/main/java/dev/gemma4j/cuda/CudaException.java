package dev.gemma4j.cuda;

import java.io.Serial;

/**
 * A CUDA library could not be found or loaded, a symbol is missing from it, or a driver or cuBLAS
 * call returned a failure status. The message names the library or C function, and for a failed
 * call the status by name and number.
 */
public final class CudaException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    /** What failed. */
    public enum Kind {
        /** A library could not be found or loaded, or lacks a symbol; no call was made. */
        LIBRARY,
        /** A driver API call returned a {@code CUresult} other than {@code CUDA_SUCCESS}. */
        DRIVER,
        /** A cuBLAS call returned a {@code cublasStatus_t} other than {@code CUBLAS_STATUS_SUCCESS}. */
        CUBLAS
    }

    private final Kind kind;
    private final String function;
    private final int status;

    private CudaException(Kind kind, String function, int status, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.function = function;
        this.status = status;
    }

    static CudaException library(String message) {
        return new CudaException(Kind.LIBRARY, "", 0, message, null);
    }

    static CudaException library(String message, Throwable cause) {
        return new CudaException(Kind.LIBRARY, "", 0, message, cause);
    }

    static CudaException call(Kind kind, String function, int status, String message) {
        return new CudaException(kind, function, status, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The C function whose call failed (its exported symbol name); empty for {@link Kind#LIBRARY}. */
    public String function() {
        return function;
    }

    /** The {@code CUresult} or {@code cublasStatus_t} the call returned; 0 for {@link Kind#LIBRARY}. */
    public int status() {
        return status;
    }
}
