package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cublas_h;
import dev.gemma4j.cuda.bindings.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static java.util.Map.entry;

/**
 * Turns CUDA driver ({@code CUresult}) and cuBLAS ({@code cublasStatus_t}) statuses into
 * {@link CudaException}s. Every binding call's status goes through here, for example
 * {@code CudaCheck.driver(cuda_h.cuMemAlloc_v2(ptr, bytes), "cuMemAlloc_v2")}.
 *
 * <p>The message names the function, the status by name and number and, when the library is
 * loaded, the library's description of it:
 * {@code cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory}. Names come from
 * {@code cuGetErrorName} / {@code cublasGetStatusName} when the library is loaded (they know every
 * status of the installed version), else from a table of the common statuses taken from the
 * CUDA 13.0 headers.
 */
public final class CudaCheck {

    /** Common {@code CUresult} names; cuGetErrorName covers the rest at run time. */
    private static final Map<Integer, String> DRIVER_ERROR_NAMES = Map.ofEntries(
            entry(cuda_h.CUDA_SUCCESS(), "CUDA_SUCCESS"),
            entry(cuda_h.CUDA_ERROR_INVALID_VALUE(), "CUDA_ERROR_INVALID_VALUE"),
            entry(cuda_h.CUDA_ERROR_OUT_OF_MEMORY(), "CUDA_ERROR_OUT_OF_MEMORY"),
            entry(cuda_h.CUDA_ERROR_NOT_INITIALIZED(), "CUDA_ERROR_NOT_INITIALIZED"),
            entry(cuda_h.CUDA_ERROR_DEINITIALIZED(), "CUDA_ERROR_DEINITIALIZED"),
            entry(cuda_h.CUDA_ERROR_STUB_LIBRARY(), "CUDA_ERROR_STUB_LIBRARY"),
            entry(cuda_h.CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER(), "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER"),
            entry(cuda_h.CUDA_ERROR_DEVICE_UNAVAILABLE(), "CUDA_ERROR_DEVICE_UNAVAILABLE"),
            entry(cuda_h.CUDA_ERROR_NO_DEVICE(), "CUDA_ERROR_NO_DEVICE"),
            entry(cuda_h.CUDA_ERROR_INVALID_DEVICE(), "CUDA_ERROR_INVALID_DEVICE"),
            entry(cuda_h.CUDA_ERROR_INVALID_IMAGE(), "CUDA_ERROR_INVALID_IMAGE"),
            entry(cuda_h.CUDA_ERROR_INVALID_CONTEXT(), "CUDA_ERROR_INVALID_CONTEXT"),
            entry(cuda_h.CUDA_ERROR_NO_BINARY_FOR_GPU(), "CUDA_ERROR_NO_BINARY_FOR_GPU"),
            entry(cuda_h.CUDA_ERROR_ECC_UNCORRECTABLE(), "CUDA_ERROR_ECC_UNCORRECTABLE"),
            entry(cuda_h.CUDA_ERROR_INVALID_PTX(), "CUDA_ERROR_INVALID_PTX"),
            entry(cuda_h.CUDA_ERROR_JIT_COMPILER_NOT_FOUND(), "CUDA_ERROR_JIT_COMPILER_NOT_FOUND"),
            entry(cuda_h.CUDA_ERROR_UNSUPPORTED_PTX_VERSION(), "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
            entry(cuda_h.CUDA_ERROR_INVALID_SOURCE(), "CUDA_ERROR_INVALID_SOURCE"),
            entry(cuda_h.CUDA_ERROR_FILE_NOT_FOUND(), "CUDA_ERROR_FILE_NOT_FOUND"),
            entry(cuda_h.CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND(), "CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND"),
            entry(cuda_h.CUDA_ERROR_SHARED_OBJECT_INIT_FAILED(), "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED"),
            entry(cuda_h.CUDA_ERROR_OPERATING_SYSTEM(), "CUDA_ERROR_OPERATING_SYSTEM"),
            entry(cuda_h.CUDA_ERROR_INVALID_HANDLE(), "CUDA_ERROR_INVALID_HANDLE"),
            entry(cuda_h.CUDA_ERROR_ILLEGAL_STATE(), "CUDA_ERROR_ILLEGAL_STATE"),
            entry(cuda_h.CUDA_ERROR_NOT_FOUND(), "CUDA_ERROR_NOT_FOUND"),
            entry(cuda_h.CUDA_ERROR_NOT_READY(), "CUDA_ERROR_NOT_READY"),
            entry(cuda_h.CUDA_ERROR_ILLEGAL_ADDRESS(), "CUDA_ERROR_ILLEGAL_ADDRESS"),
            entry(cuda_h.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES(), "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
            entry(cuda_h.CUDA_ERROR_LAUNCH_TIMEOUT(), "CUDA_ERROR_LAUNCH_TIMEOUT"),
            entry(cuda_h.CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE(), "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE"),
            entry(cuda_h.CUDA_ERROR_CONTEXT_IS_DESTROYED(), "CUDA_ERROR_CONTEXT_IS_DESTROYED"),
            entry(cuda_h.CUDA_ERROR_ASSERT(), "CUDA_ERROR_ASSERT"),
            entry(cuda_h.CUDA_ERROR_HARDWARE_STACK_ERROR(), "CUDA_ERROR_HARDWARE_STACK_ERROR"),
            entry(cuda_h.CUDA_ERROR_ILLEGAL_INSTRUCTION(), "CUDA_ERROR_ILLEGAL_INSTRUCTION"),
            entry(cuda_h.CUDA_ERROR_MISALIGNED_ADDRESS(), "CUDA_ERROR_MISALIGNED_ADDRESS"),
            entry(cuda_h.CUDA_ERROR_INVALID_ADDRESS_SPACE(), "CUDA_ERROR_INVALID_ADDRESS_SPACE"),
            entry(cuda_h.CUDA_ERROR_INVALID_PC(), "CUDA_ERROR_INVALID_PC"),
            entry(cuda_h.CUDA_ERROR_LAUNCH_FAILED(), "CUDA_ERROR_LAUNCH_FAILED"),
            entry(cuda_h.CUDA_ERROR_NOT_PERMITTED(), "CUDA_ERROR_NOT_PERMITTED"),
            entry(cuda_h.CUDA_ERROR_NOT_SUPPORTED(), "CUDA_ERROR_NOT_SUPPORTED"),
            entry(cuda_h.CUDA_ERROR_SYSTEM_NOT_READY(), "CUDA_ERROR_SYSTEM_NOT_READY"),
            entry(cuda_h.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH(), "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"),
            entry(cuda_h.CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE(), "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"),
            entry(cuda_h.CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED(), "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"),
            entry(cuda_h.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED(), "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"),
            entry(cuda_h.CUDA_ERROR_STREAM_CAPTURE_UNJOINED(), "CUDA_ERROR_STREAM_CAPTURE_UNJOINED"),
            entry(cuda_h.CUDA_ERROR_STREAM_CAPTURE_ISOLATION(), "CUDA_ERROR_STREAM_CAPTURE_ISOLATION"),
            entry(cuda_h.CUDA_ERROR_STREAM_CAPTURE_IMPLICIT(), "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT"),
            entry(cuda_h.CUDA_ERROR_CAPTURED_EVENT(), "CUDA_ERROR_CAPTURED_EVENT"),
            entry(cuda_h.CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD(), "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD"),
            entry(cuda_h.CUDA_ERROR_TIMEOUT(), "CUDA_ERROR_TIMEOUT"),
            entry(cuda_h.CUDA_ERROR_UNKNOWN(), "CUDA_ERROR_UNKNOWN"));

    /** Every {@code cublasStatus_t} of cuBLAS 12 and 13. */
    private static final Map<Integer, String> CUBLAS_STATUS_NAMES = Map.ofEntries(
            entry(cublas_h.CUBLAS_STATUS_SUCCESS(), "CUBLAS_STATUS_SUCCESS"),
            entry(cublas_h.CUBLAS_STATUS_NOT_INITIALIZED(), "CUBLAS_STATUS_NOT_INITIALIZED"),
            entry(cublas_h.CUBLAS_STATUS_ALLOC_FAILED(), "CUBLAS_STATUS_ALLOC_FAILED"),
            entry(cublas_h.CUBLAS_STATUS_INVALID_VALUE(), "CUBLAS_STATUS_INVALID_VALUE"),
            entry(cublas_h.CUBLAS_STATUS_ARCH_MISMATCH(), "CUBLAS_STATUS_ARCH_MISMATCH"),
            entry(cublas_h.CUBLAS_STATUS_MAPPING_ERROR(), "CUBLAS_STATUS_MAPPING_ERROR"),
            entry(cublas_h.CUBLAS_STATUS_EXECUTION_FAILED(), "CUBLAS_STATUS_EXECUTION_FAILED"),
            entry(cublas_h.CUBLAS_STATUS_INTERNAL_ERROR(), "CUBLAS_STATUS_INTERNAL_ERROR"),
            entry(cublas_h.CUBLAS_STATUS_NOT_SUPPORTED(), "CUBLAS_STATUS_NOT_SUPPORTED"),
            entry(cublas_h.CUBLAS_STATUS_LICENSE_ERROR(), "CUBLAS_STATUS_LICENSE_ERROR"));

    private CudaCheck() {
    }

    /** Throws unless {@code result}, returned by the driver function {@code function}, is CUDA_SUCCESS. */
    public static void driver(int result, String function) {
        if (result != cuda_h.CUDA_SUCCESS()) {
            throw driverFailure(result, function, "");
        }
    }

    /**
     * As {@link #driver(int, String)}, appending {@code context} (what was being done, for example
     * which tensor was being allocated) to the message; it is evaluated only on failure.
     */
    public static void driver(int result, String function, Supplier<String> context) {
        if (result != cuda_h.CUDA_SUCCESS()) {
            throw driverFailure(result, function, context.get());
        }
    }

    /** Throws unless {@code status}, returned by the cuBLAS function {@code function}, is CUBLAS_STATUS_SUCCESS. */
    public static void cublas(int status, String function) {
        if (status != cublas_h.CUBLAS_STATUS_SUCCESS()) {
            throw cublasFailure(status, function, "");
        }
    }

    /** As {@link #cublas(int, String)}, appending {@code context} to the message on failure. */
    public static void cublas(int status, String function, Supplier<String> context) {
        if (status != cublas_h.CUBLAS_STATUS_SUCCESS()) {
            throw cublasFailure(status, function, context.get());
        }
    }

    /**
     * The name of a {@code CUresult}: from cuGetErrorName when the driver is loaded, else from the
     * table of common statuses, else {@code "unrecognised CUresult"}.
     */
    public static String driverErrorName(int result) {
        return driverString(result, true).orElseGet(() -> staticDriverErrorName(result));
    }

    /**
     * The name of a {@code cublasStatus_t}: from cublasGetStatusName when cuBLAS is loaded, else
     * from the table, else {@code "unrecognised cublasStatus_t"}.
     */
    public static String cublasStatusName(int status) {
        return cublasString(status, true).orElseGet(() -> staticCublasStatusName(status));
    }

    static CudaException driverFailure(int result, String function, String context) {
        String message = message(function, result, driverErrorName(result),
                driverString(result, false).orElse(""), context);
        return CudaException.call(CudaException.Kind.DRIVER, function, result, message);
    }

    static CudaException cublasFailure(int status, String function, String context) {
        String message = message(function, status, cublasStatusName(status),
                cublasString(status, false).orElse(""), context);
        return CudaException.call(CudaException.Kind.CUBLAS, function, status, message);
    }

    /**
     * {@code <function> failed: <name> (<code>)[: <description>][ while <context>]}; empty
     * description or context is left out.
     */
    static String message(String function, int code, String name, String description, String context) {
        StringBuilder message = new StringBuilder()
                .append(function).append(" failed: ").append(name).append(" (").append(code).append(')');
        if (!description.isBlank()) {
            message.append(": ").append(description);
        }
        if (!context.isBlank()) {
            message.append(" while ").append(context);
        }
        return message.toString();
    }

    static String staticDriverErrorName(int result) {
        return DRIVER_ERROR_NAMES.getOrDefault(result, "unrecognised CUresult");
    }

    static String staticCublasStatusName(int status) {
        return CUBLAS_STATUS_NAMES.getOrDefault(status, "unrecognised cublasStatus_t");
    }

    static Map<Integer, String> driverErrorNames() {
        return DRIVER_ERROR_NAMES;
    }

    static Map<Integer, String> cublasStatusNames() {
        return CUBLAS_STATUS_NAMES;
    }

    /** cuGetErrorName or cuGetErrorString of {@code result}; empty unless the driver is loaded and knows it. */
    private static Optional<String> driverString(int result, boolean name) {
        if (!CudaLibraries.isLoaded(CudaLibraries.Library.DRIVER)) {
            return Optional.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(cuda_h.C_POINTER);
            int status = name ? cuda_h.cuGetErrorName(result, text) : cuda_h.cuGetErrorString(result, text);
            if (status != cuda_h.CUDA_SUCCESS()) {
                // CUDA_ERROR_INVALID_VALUE: the driver does not know this code.
                return Optional.empty();
            }
            return cString(text.get(cuda_h.C_POINTER, 0));
        } catch (CudaException e) {
            // The loaded driver lacks the symbol: the table names the status instead.
            return Optional.empty();
        }
    }

    /** cublasGetStatusName or cublasGetStatusString of {@code status}; empty unless cuBLAS is loaded. */
    private static Optional<String> cublasString(int status, boolean name) {
        if (!CudaLibraries.isLoaded(CudaLibraries.Library.CUBLAS)) {
            return Optional.empty();
        }
        try {
            return cString(name ? cublas_h.cublasGetStatusName(status) : cublas_h.cublasGetStatusString(status));
        } catch (CudaException e) {
            // The loaded cuBLAS lacks the symbol: the table names the status instead.
            return Optional.empty();
        }
    }

    private static Optional<String> cString(MemorySegment pointer) {
        return pointer.equals(MemorySegment.NULL) ? Optional.empty() : Optional.of(pointer.getString(0));
    }
}
