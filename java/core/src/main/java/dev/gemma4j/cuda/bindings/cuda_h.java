// Generated from native/gemma4j_cuda.h in the shape jextract produces; regenerate as native/README.md says.
package dev.gemma4j.cuda.bindings;

import dev.gemma4j.cuda.CudaLibraries;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Bindings for {@code native/gemma4j_cuda.h}: one static method per C function, named and
 * typed as in C (pointers are {@link MemorySegment}, {@code int} and enums are {@code int},
 * {@code size_t} and {@code long long} are {@code long}), one static method per constant, and
 * a layout per typedef. Each symbol is resolved in libcuda.so.1, as found by
 * {@link CudaLibraries}, the first time its function is used; when the library or the symbol
 * is missing, calling the function throws {@link dev.gemma4j.cuda.CudaException} saying what
 * was looked for and where.
 */
@SuppressWarnings("restricted")
public class cuda_h {

    cuda_h() {
        // Should not be called directly
    }

    static MethodHandle downcallHandle(String symbol, FunctionDescriptor descriptor) {
        return CudaLibraries.downcallHandle(CudaLibraries.Library.DRIVER, symbol, descriptor);
    }

    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS
            .withTargetLayout(MemoryLayout.sequenceLayout(java.lang.Long.MAX_VALUE, JAVA_BYTE));
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;

    /**
     * {@snippet lang=c :
     * typedef unsigned long long CUdeviceptr_v2
     * }
     */
    public static final ValueLayout.OfLong CUdeviceptr_v2 = cuda_h.C_LONG_LONG;
    /**
     * {@snippet lang=c :
     * typedef CUdeviceptr_v2 CUdeviceptr
     * }
     */
    public static final ValueLayout.OfLong CUdeviceptr = cuda_h.C_LONG_LONG;
    /**
     * {@snippet lang=c :
     * typedef int CUdevice_v1
     * }
     */
    public static final ValueLayout.OfInt CUdevice_v1 = cuda_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef CUdevice_v1 CUdevice
     * }
     */
    public static final ValueLayout.OfInt CUdevice = cuda_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef struct CUctx_st *CUcontext
     * }
     */
    public static final AddressLayout CUcontext = cuda_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef struct CUmod_st *CUmodule
     * }
     */
    public static final AddressLayout CUmodule = cuda_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef struct CUfunc_st *CUfunction
     * }
     */
    public static final AddressLayout CUfunction = cuda_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef struct CUevent_st *CUevent
     * }
     */
    public static final AddressLayout CUevent = cuda_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef struct CUstream_st *CUstream
     * }
     */
    public static final AddressLayout CUstream = cuda_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef struct CUgraph_st *CUgraph
     * }
     */
    public static final AddressLayout CUgraph = cuda_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef struct CUgraphExec_st *CUgraphExec
     * }
     */
    public static final AddressLayout CUgraphExec = cuda_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef enum cudaError_enum CUresult
     * }
     */
    public static final ValueLayout.OfInt CUresult = cuda_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum CUdevice_attribute_enum CUdevice_attribute
     * }
     */
    public static final ValueLayout.OfInt CUdevice_attribute = cuda_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum CUfunction_attribute_enum CUfunction_attribute
     * }
     */
    public static final ValueLayout.OfInt CUfunction_attribute = cuda_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum CUstream_flags_enum CUstream_flags
     * }
     */
    public static final ValueLayout.OfInt CUstream_flags = cuda_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum CUevent_flags_enum CUevent_flags
     * }
     */
    public static final ValueLayout.OfInt CUevent_flags = cuda_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum CUstreamCaptureMode_enum CUstreamCaptureMode
     * }
     */
    public static final ValueLayout.OfInt CUstreamCaptureMode = cuda_h.C_INT;

    private static final int CUDA_SUCCESS = (int)0L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_SUCCESS = 0
     * }
     */
    public static int CUDA_SUCCESS() {
        return CUDA_SUCCESS;
    }

    private static final int CUDA_ERROR_INVALID_VALUE = (int)1L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_VALUE = 1
     * }
     */
    public static int CUDA_ERROR_INVALID_VALUE() {
        return CUDA_ERROR_INVALID_VALUE;
    }

    private static final int CUDA_ERROR_OUT_OF_MEMORY = (int)2L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_OUT_OF_MEMORY = 2
     * }
     */
    public static int CUDA_ERROR_OUT_OF_MEMORY() {
        return CUDA_ERROR_OUT_OF_MEMORY;
    }

    private static final int CUDA_ERROR_NOT_INITIALIZED = (int)3L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_INITIALIZED = 3
     * }
     */
    public static int CUDA_ERROR_NOT_INITIALIZED() {
        return CUDA_ERROR_NOT_INITIALIZED;
    }

    private static final int CUDA_ERROR_DEINITIALIZED = (int)4L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_DEINITIALIZED = 4
     * }
     */
    public static int CUDA_ERROR_DEINITIALIZED() {
        return CUDA_ERROR_DEINITIALIZED;
    }

    private static final int CUDA_ERROR_PROFILER_DISABLED = (int)5L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PROFILER_DISABLED = 5
     * }
     */
    public static int CUDA_ERROR_PROFILER_DISABLED() {
        return CUDA_ERROR_PROFILER_DISABLED;
    }

    private static final int CUDA_ERROR_PROFILER_NOT_INITIALIZED = (int)6L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PROFILER_NOT_INITIALIZED = 6
     * }
     */
    public static int CUDA_ERROR_PROFILER_NOT_INITIALIZED() {
        return CUDA_ERROR_PROFILER_NOT_INITIALIZED;
    }

    private static final int CUDA_ERROR_PROFILER_ALREADY_STARTED = (int)7L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PROFILER_ALREADY_STARTED = 7
     * }
     */
    public static int CUDA_ERROR_PROFILER_ALREADY_STARTED() {
        return CUDA_ERROR_PROFILER_ALREADY_STARTED;
    }

    private static final int CUDA_ERROR_PROFILER_ALREADY_STOPPED = (int)8L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PROFILER_ALREADY_STOPPED = 8
     * }
     */
    public static int CUDA_ERROR_PROFILER_ALREADY_STOPPED() {
        return CUDA_ERROR_PROFILER_ALREADY_STOPPED;
    }

    private static final int CUDA_ERROR_STUB_LIBRARY = (int)34L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STUB_LIBRARY = 34
     * }
     */
    public static int CUDA_ERROR_STUB_LIBRARY() {
        return CUDA_ERROR_STUB_LIBRARY;
    }

    private static final int CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER = (int)36L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER = 36
     * }
     */
    public static int CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER() {
        return CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER;
    }

    private static final int CUDA_ERROR_DEVICE_UNAVAILABLE = (int)46L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_DEVICE_UNAVAILABLE = 46
     * }
     */
    public static int CUDA_ERROR_DEVICE_UNAVAILABLE() {
        return CUDA_ERROR_DEVICE_UNAVAILABLE;
    }

    private static final int CUDA_ERROR_NO_DEVICE = (int)100L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NO_DEVICE = 100
     * }
     */
    public static int CUDA_ERROR_NO_DEVICE() {
        return CUDA_ERROR_NO_DEVICE;
    }

    private static final int CUDA_ERROR_INVALID_DEVICE = (int)101L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_DEVICE = 101
     * }
     */
    public static int CUDA_ERROR_INVALID_DEVICE() {
        return CUDA_ERROR_INVALID_DEVICE;
    }

    private static final int CUDA_ERROR_DEVICE_NOT_LICENSED = (int)102L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_DEVICE_NOT_LICENSED = 102
     * }
     */
    public static int CUDA_ERROR_DEVICE_NOT_LICENSED() {
        return CUDA_ERROR_DEVICE_NOT_LICENSED;
    }

    private static final int CUDA_ERROR_INVALID_IMAGE = (int)200L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_IMAGE = 200
     * }
     */
    public static int CUDA_ERROR_INVALID_IMAGE() {
        return CUDA_ERROR_INVALID_IMAGE;
    }

    private static final int CUDA_ERROR_INVALID_CONTEXT = (int)201L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_CONTEXT = 201
     * }
     */
    public static int CUDA_ERROR_INVALID_CONTEXT() {
        return CUDA_ERROR_INVALID_CONTEXT;
    }

    private static final int CUDA_ERROR_CONTEXT_ALREADY_CURRENT = (int)202L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CONTEXT_ALREADY_CURRENT = 202
     * }
     */
    public static int CUDA_ERROR_CONTEXT_ALREADY_CURRENT() {
        return CUDA_ERROR_CONTEXT_ALREADY_CURRENT;
    }

    private static final int CUDA_ERROR_MAP_FAILED = (int)205L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MAP_FAILED = 205
     * }
     */
    public static int CUDA_ERROR_MAP_FAILED() {
        return CUDA_ERROR_MAP_FAILED;
    }

    private static final int CUDA_ERROR_UNMAP_FAILED = (int)206L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_UNMAP_FAILED = 206
     * }
     */
    public static int CUDA_ERROR_UNMAP_FAILED() {
        return CUDA_ERROR_UNMAP_FAILED;
    }

    private static final int CUDA_ERROR_ARRAY_IS_MAPPED = (int)207L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ARRAY_IS_MAPPED = 207
     * }
     */
    public static int CUDA_ERROR_ARRAY_IS_MAPPED() {
        return CUDA_ERROR_ARRAY_IS_MAPPED;
    }

    private static final int CUDA_ERROR_ALREADY_MAPPED = (int)208L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ALREADY_MAPPED = 208
     * }
     */
    public static int CUDA_ERROR_ALREADY_MAPPED() {
        return CUDA_ERROR_ALREADY_MAPPED;
    }

    private static final int CUDA_ERROR_NO_BINARY_FOR_GPU = (int)209L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NO_BINARY_FOR_GPU = 209
     * }
     */
    public static int CUDA_ERROR_NO_BINARY_FOR_GPU() {
        return CUDA_ERROR_NO_BINARY_FOR_GPU;
    }

    private static final int CUDA_ERROR_ALREADY_ACQUIRED = (int)210L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ALREADY_ACQUIRED = 210
     * }
     */
    public static int CUDA_ERROR_ALREADY_ACQUIRED() {
        return CUDA_ERROR_ALREADY_ACQUIRED;
    }

    private static final int CUDA_ERROR_NOT_MAPPED = (int)211L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_MAPPED = 211
     * }
     */
    public static int CUDA_ERROR_NOT_MAPPED() {
        return CUDA_ERROR_NOT_MAPPED;
    }

    private static final int CUDA_ERROR_NOT_MAPPED_AS_ARRAY = (int)212L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_MAPPED_AS_ARRAY = 212
     * }
     */
    public static int CUDA_ERROR_NOT_MAPPED_AS_ARRAY() {
        return CUDA_ERROR_NOT_MAPPED_AS_ARRAY;
    }

    private static final int CUDA_ERROR_NOT_MAPPED_AS_POINTER = (int)213L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_MAPPED_AS_POINTER = 213
     * }
     */
    public static int CUDA_ERROR_NOT_MAPPED_AS_POINTER() {
        return CUDA_ERROR_NOT_MAPPED_AS_POINTER;
    }

    private static final int CUDA_ERROR_ECC_UNCORRECTABLE = (int)214L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ECC_UNCORRECTABLE = 214
     * }
     */
    public static int CUDA_ERROR_ECC_UNCORRECTABLE() {
        return CUDA_ERROR_ECC_UNCORRECTABLE;
    }

    private static final int CUDA_ERROR_UNSUPPORTED_LIMIT = (int)215L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_UNSUPPORTED_LIMIT = 215
     * }
     */
    public static int CUDA_ERROR_UNSUPPORTED_LIMIT() {
        return CUDA_ERROR_UNSUPPORTED_LIMIT;
    }

    private static final int CUDA_ERROR_CONTEXT_ALREADY_IN_USE = (int)216L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CONTEXT_ALREADY_IN_USE = 216
     * }
     */
    public static int CUDA_ERROR_CONTEXT_ALREADY_IN_USE() {
        return CUDA_ERROR_CONTEXT_ALREADY_IN_USE;
    }

    private static final int CUDA_ERROR_PEER_ACCESS_UNSUPPORTED = (int)217L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PEER_ACCESS_UNSUPPORTED = 217
     * }
     */
    public static int CUDA_ERROR_PEER_ACCESS_UNSUPPORTED() {
        return CUDA_ERROR_PEER_ACCESS_UNSUPPORTED;
    }

    private static final int CUDA_ERROR_INVALID_PTX = (int)218L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_PTX = 218
     * }
     */
    public static int CUDA_ERROR_INVALID_PTX() {
        return CUDA_ERROR_INVALID_PTX;
    }

    private static final int CUDA_ERROR_INVALID_GRAPHICS_CONTEXT = (int)219L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_GRAPHICS_CONTEXT = 219
     * }
     */
    public static int CUDA_ERROR_INVALID_GRAPHICS_CONTEXT() {
        return CUDA_ERROR_INVALID_GRAPHICS_CONTEXT;
    }

    private static final int CUDA_ERROR_NVLINK_UNCORRECTABLE = (int)220L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NVLINK_UNCORRECTABLE = 220
     * }
     */
    public static int CUDA_ERROR_NVLINK_UNCORRECTABLE() {
        return CUDA_ERROR_NVLINK_UNCORRECTABLE;
    }

    private static final int CUDA_ERROR_JIT_COMPILER_NOT_FOUND = (int)221L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221
     * }
     */
    public static int CUDA_ERROR_JIT_COMPILER_NOT_FOUND() {
        return CUDA_ERROR_JIT_COMPILER_NOT_FOUND;
    }

    private static final int CUDA_ERROR_UNSUPPORTED_PTX_VERSION = (int)222L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222
     * }
     */
    public static int CUDA_ERROR_UNSUPPORTED_PTX_VERSION() {
        return CUDA_ERROR_UNSUPPORTED_PTX_VERSION;
    }

    private static final int CUDA_ERROR_JIT_COMPILATION_DISABLED = (int)223L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_JIT_COMPILATION_DISABLED = 223
     * }
     */
    public static int CUDA_ERROR_JIT_COMPILATION_DISABLED() {
        return CUDA_ERROR_JIT_COMPILATION_DISABLED;
    }

    private static final int CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY = (int)224L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY = 224
     * }
     */
    public static int CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY() {
        return CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY;
    }

    private static final int CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC = (int)225L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC = 225
     * }
     */
    public static int CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC() {
        return CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC;
    }

    private static final int CUDA_ERROR_CONTAINED = (int)226L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CONTAINED = 226
     * }
     */
    public static int CUDA_ERROR_CONTAINED() {
        return CUDA_ERROR_CONTAINED;
    }

    private static final int CUDA_ERROR_INVALID_SOURCE = (int)300L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_SOURCE = 300
     * }
     */
    public static int CUDA_ERROR_INVALID_SOURCE() {
        return CUDA_ERROR_INVALID_SOURCE;
    }

    private static final int CUDA_ERROR_FILE_NOT_FOUND = (int)301L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_FILE_NOT_FOUND = 301
     * }
     */
    public static int CUDA_ERROR_FILE_NOT_FOUND() {
        return CUDA_ERROR_FILE_NOT_FOUND;
    }

    private static final int CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND = (int)302L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND = 302
     * }
     */
    public static int CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND() {
        return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
    }

    private static final int CUDA_ERROR_SHARED_OBJECT_INIT_FAILED = (int)303L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_SHARED_OBJECT_INIT_FAILED = 303
     * }
     */
    public static int CUDA_ERROR_SHARED_OBJECT_INIT_FAILED() {
        return CUDA_ERROR_SHARED_OBJECT_INIT_FAILED;
    }

    private static final int CUDA_ERROR_OPERATING_SYSTEM = (int)304L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_OPERATING_SYSTEM = 304
     * }
     */
    public static int CUDA_ERROR_OPERATING_SYSTEM() {
        return CUDA_ERROR_OPERATING_SYSTEM;
    }

    private static final int CUDA_ERROR_INVALID_HANDLE = (int)400L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_HANDLE = 400
     * }
     */
    public static int CUDA_ERROR_INVALID_HANDLE() {
        return CUDA_ERROR_INVALID_HANDLE;
    }

    private static final int CUDA_ERROR_ILLEGAL_STATE = (int)401L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ILLEGAL_STATE = 401
     * }
     */
    public static int CUDA_ERROR_ILLEGAL_STATE() {
        return CUDA_ERROR_ILLEGAL_STATE;
    }

    private static final int CUDA_ERROR_LOSSY_QUERY = (int)402L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_LOSSY_QUERY = 402
     * }
     */
    public static int CUDA_ERROR_LOSSY_QUERY() {
        return CUDA_ERROR_LOSSY_QUERY;
    }

    private static final int CUDA_ERROR_NOT_FOUND = (int)500L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_FOUND = 500
     * }
     */
    public static int CUDA_ERROR_NOT_FOUND() {
        return CUDA_ERROR_NOT_FOUND;
    }

    private static final int CUDA_ERROR_NOT_READY = (int)600L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_READY = 600
     * }
     */
    public static int CUDA_ERROR_NOT_READY() {
        return CUDA_ERROR_NOT_READY;
    }

    private static final int CUDA_ERROR_ILLEGAL_ADDRESS = (int)700L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ILLEGAL_ADDRESS = 700
     * }
     */
    public static int CUDA_ERROR_ILLEGAL_ADDRESS() {
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }

    private static final int CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = (int)701L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701
     * }
     */
    public static int CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES() {
        return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
    }

    private static final int CUDA_ERROR_LAUNCH_TIMEOUT = (int)702L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_LAUNCH_TIMEOUT = 702
     * }
     */
    public static int CUDA_ERROR_LAUNCH_TIMEOUT() {
        return CUDA_ERROR_LAUNCH_TIMEOUT;
    }

    private static final int CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING = (int)703L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING = 703
     * }
     */
    public static int CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING() {
        return CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING;
    }

    private static final int CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = (int)704L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = 704
     * }
     */
    public static int CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED() {
        return CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED;
    }

    private static final int CUDA_ERROR_PEER_ACCESS_NOT_ENABLED = (int)705L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PEER_ACCESS_NOT_ENABLED = 705
     * }
     */
    public static int CUDA_ERROR_PEER_ACCESS_NOT_ENABLED() {
        return CUDA_ERROR_PEER_ACCESS_NOT_ENABLED;
    }

    private static final int CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = (int)708L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = 708
     * }
     */
    public static int CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE() {
        return CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE;
    }

    private static final int CUDA_ERROR_CONTEXT_IS_DESTROYED = (int)709L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CONTEXT_IS_DESTROYED = 709
     * }
     */
    public static int CUDA_ERROR_CONTEXT_IS_DESTROYED() {
        return CUDA_ERROR_CONTEXT_IS_DESTROYED;
    }

    private static final int CUDA_ERROR_ASSERT = (int)710L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ASSERT = 710
     * }
     */
    public static int CUDA_ERROR_ASSERT() {
        return CUDA_ERROR_ASSERT;
    }

    private static final int CUDA_ERROR_TOO_MANY_PEERS = (int)711L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_TOO_MANY_PEERS = 711
     * }
     */
    public static int CUDA_ERROR_TOO_MANY_PEERS() {
        return CUDA_ERROR_TOO_MANY_PEERS;
    }

    private static final int CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED = (int)712L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED = 712
     * }
     */
    public static int CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED() {
        return CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED;
    }

    private static final int CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = (int)713L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = 713
     * }
     */
    public static int CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED() {
        return CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
    }

    private static final int CUDA_ERROR_HARDWARE_STACK_ERROR = (int)714L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_HARDWARE_STACK_ERROR = 714
     * }
     */
    public static int CUDA_ERROR_HARDWARE_STACK_ERROR() {
        return CUDA_ERROR_HARDWARE_STACK_ERROR;
    }

    private static final int CUDA_ERROR_ILLEGAL_INSTRUCTION = (int)715L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_ILLEGAL_INSTRUCTION = 715
     * }
     */
    public static int CUDA_ERROR_ILLEGAL_INSTRUCTION() {
        return CUDA_ERROR_ILLEGAL_INSTRUCTION;
    }

    private static final int CUDA_ERROR_MISALIGNED_ADDRESS = (int)716L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MISALIGNED_ADDRESS = 716
     * }
     */
    public static int CUDA_ERROR_MISALIGNED_ADDRESS() {
        return CUDA_ERROR_MISALIGNED_ADDRESS;
    }

    private static final int CUDA_ERROR_INVALID_ADDRESS_SPACE = (int)717L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_ADDRESS_SPACE = 717
     * }
     */
    public static int CUDA_ERROR_INVALID_ADDRESS_SPACE() {
        return CUDA_ERROR_INVALID_ADDRESS_SPACE;
    }

    private static final int CUDA_ERROR_INVALID_PC = (int)718L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_PC = 718
     * }
     */
    public static int CUDA_ERROR_INVALID_PC() {
        return CUDA_ERROR_INVALID_PC;
    }

    private static final int CUDA_ERROR_LAUNCH_FAILED = (int)719L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_LAUNCH_FAILED = 719
     * }
     */
    public static int CUDA_ERROR_LAUNCH_FAILED() {
        return CUDA_ERROR_LAUNCH_FAILED;
    }

    private static final int CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = (int)720L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = 720
     * }
     */
    public static int CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE() {
        return CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE;
    }

    private static final int CUDA_ERROR_TENSOR_MEMORY_LEAK = (int)721L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_TENSOR_MEMORY_LEAK = 721
     * }
     */
    public static int CUDA_ERROR_TENSOR_MEMORY_LEAK() {
        return CUDA_ERROR_TENSOR_MEMORY_LEAK;
    }

    private static final int CUDA_ERROR_NOT_PERMITTED = (int)800L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_PERMITTED = 800
     * }
     */
    public static int CUDA_ERROR_NOT_PERMITTED() {
        return CUDA_ERROR_NOT_PERMITTED;
    }

    private static final int CUDA_ERROR_NOT_SUPPORTED = (int)801L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_NOT_SUPPORTED = 801
     * }
     */
    public static int CUDA_ERROR_NOT_SUPPORTED() {
        return CUDA_ERROR_NOT_SUPPORTED;
    }

    private static final int CUDA_ERROR_SYSTEM_NOT_READY = (int)802L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_SYSTEM_NOT_READY = 802
     * }
     */
    public static int CUDA_ERROR_SYSTEM_NOT_READY() {
        return CUDA_ERROR_SYSTEM_NOT_READY;
    }

    private static final int CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = (int)803L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803
     * }
     */
    public static int CUDA_ERROR_SYSTEM_DRIVER_MISMATCH() {
        return CUDA_ERROR_SYSTEM_DRIVER_MISMATCH;
    }

    private static final int CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = (int)804L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = 804
     * }
     */
    public static int CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE() {
        return CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE;
    }

    private static final int CUDA_ERROR_MPS_CONNECTION_FAILED = (int)805L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MPS_CONNECTION_FAILED = 805
     * }
     */
    public static int CUDA_ERROR_MPS_CONNECTION_FAILED() {
        return CUDA_ERROR_MPS_CONNECTION_FAILED;
    }

    private static final int CUDA_ERROR_MPS_RPC_FAILURE = (int)806L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MPS_RPC_FAILURE = 806
     * }
     */
    public static int CUDA_ERROR_MPS_RPC_FAILURE() {
        return CUDA_ERROR_MPS_RPC_FAILURE;
    }

    private static final int CUDA_ERROR_MPS_SERVER_NOT_READY = (int)807L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MPS_SERVER_NOT_READY = 807
     * }
     */
    public static int CUDA_ERROR_MPS_SERVER_NOT_READY() {
        return CUDA_ERROR_MPS_SERVER_NOT_READY;
    }

    private static final int CUDA_ERROR_MPS_MAX_CLIENTS_REACHED = (int)808L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MPS_MAX_CLIENTS_REACHED = 808
     * }
     */
    public static int CUDA_ERROR_MPS_MAX_CLIENTS_REACHED() {
        return CUDA_ERROR_MPS_MAX_CLIENTS_REACHED;
    }

    private static final int CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED = (int)809L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED = 809
     * }
     */
    public static int CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED() {
        return CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED;
    }

    private static final int CUDA_ERROR_MPS_CLIENT_TERMINATED = (int)810L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_MPS_CLIENT_TERMINATED = 810
     * }
     */
    public static int CUDA_ERROR_MPS_CLIENT_TERMINATED() {
        return CUDA_ERROR_MPS_CLIENT_TERMINATED;
    }

    private static final int CUDA_ERROR_CDP_NOT_SUPPORTED = (int)811L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CDP_NOT_SUPPORTED = 811
     * }
     */
    public static int CUDA_ERROR_CDP_NOT_SUPPORTED() {
        return CUDA_ERROR_CDP_NOT_SUPPORTED;
    }

    private static final int CUDA_ERROR_CDP_VERSION_MISMATCH = (int)812L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CDP_VERSION_MISMATCH = 812
     * }
     */
    public static int CUDA_ERROR_CDP_VERSION_MISMATCH() {
        return CUDA_ERROR_CDP_VERSION_MISMATCH;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = (int)900L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED() {
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = (int)901L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_INVALIDATED() {
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_MERGE = (int)902L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_MERGE = 902
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_MERGE() {
        return CUDA_ERROR_STREAM_CAPTURE_MERGE;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = (int)903L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_UNMATCHED() {
        return CUDA_ERROR_STREAM_CAPTURE_UNMATCHED;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_UNJOINED = (int)904L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_UNJOINED = 904
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_UNJOINED() {
        return CUDA_ERROR_STREAM_CAPTURE_UNJOINED;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_ISOLATION = (int)905L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_ISOLATION = 905
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_ISOLATION() {
        return CUDA_ERROR_STREAM_CAPTURE_ISOLATION;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = (int)906L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_IMPLICIT() {
        return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
    }

    private static final int CUDA_ERROR_CAPTURED_EVENT = (int)907L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_CAPTURED_EVENT = 907
     * }
     */
    public static int CUDA_ERROR_CAPTURED_EVENT() {
        return CUDA_ERROR_CAPTURED_EVENT;
    }

    private static final int CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = (int)908L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908
     * }
     */
    public static int CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD() {
        return CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD;
    }

    private static final int CUDA_ERROR_TIMEOUT = (int)909L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_TIMEOUT = 909
     * }
     */
    public static int CUDA_ERROR_TIMEOUT() {
        return CUDA_ERROR_TIMEOUT;
    }

    private static final int CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE = (int)910L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE = 910
     * }
     */
    public static int CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE() {
        return CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE;
    }

    private static final int CUDA_ERROR_EXTERNAL_DEVICE = (int)911L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_EXTERNAL_DEVICE = 911
     * }
     */
    public static int CUDA_ERROR_EXTERNAL_DEVICE() {
        return CUDA_ERROR_EXTERNAL_DEVICE;
    }

    private static final int CUDA_ERROR_INVALID_CLUSTER_SIZE = (int)912L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_CLUSTER_SIZE = 912
     * }
     */
    public static int CUDA_ERROR_INVALID_CLUSTER_SIZE() {
        return CUDA_ERROR_INVALID_CLUSTER_SIZE;
    }

    private static final int CUDA_ERROR_FUNCTION_NOT_LOADED = (int)913L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_FUNCTION_NOT_LOADED = 913
     * }
     */
    public static int CUDA_ERROR_FUNCTION_NOT_LOADED() {
        return CUDA_ERROR_FUNCTION_NOT_LOADED;
    }

    private static final int CUDA_ERROR_INVALID_RESOURCE_TYPE = (int)914L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_RESOURCE_TYPE = 914
     * }
     */
    public static int CUDA_ERROR_INVALID_RESOURCE_TYPE() {
        return CUDA_ERROR_INVALID_RESOURCE_TYPE;
    }

    private static final int CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION = (int)915L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION = 915
     * }
     */
    public static int CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION() {
        return CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION;
    }

    private static final int CUDA_ERROR_KEY_ROTATION = (int)916L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_KEY_ROTATION = 916
     * }
     */
    public static int CUDA_ERROR_KEY_ROTATION() {
        return CUDA_ERROR_KEY_ROTATION;
    }

    private static final int CUDA_ERROR_UNKNOWN = (int)999L;

    /**
     * {@snippet lang=c :
     * enum cudaError_enum.CUDA_ERROR_UNKNOWN = 999
     * }
     */
    public static int CUDA_ERROR_UNKNOWN() {
        return CUDA_ERROR_UNKNOWN;
    }

    private static final int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = (int)1L;

    /**
     * {@snippet lang=c :
     * enum CUdevice_attribute_enum.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1
     * }
     */
    public static int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK() {
        return CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK;
    }

    private static final int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = (int)8L;

    /**
     * {@snippet lang=c :
     * enum CUdevice_attribute_enum.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8
     * }
     */
    public static int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK() {
        return CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK;
    }

    private static final int CU_DEVICE_ATTRIBUTE_WARP_SIZE = (int)10L;

    /**
     * {@snippet lang=c :
     * enum CUdevice_attribute_enum.CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10
     * }
     */
    public static int CU_DEVICE_ATTRIBUTE_WARP_SIZE() {
        return CU_DEVICE_ATTRIBUTE_WARP_SIZE;
    }

    private static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = (int)16L;

    /**
     * {@snippet lang=c :
     * enum CUdevice_attribute_enum.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16
     * }
     */
    public static int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT() {
        return CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
    }

    private static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = (int)75L;

    /**
     * {@snippet lang=c :
     * enum CUdevice_attribute_enum.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
     * }
     */
    public static int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR() {
        return CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
    }

    private static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = (int)76L;

    /**
     * {@snippet lang=c :
     * enum CUdevice_attribute_enum.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76
     * }
     */
    public static int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR() {
        return CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
    }

    private static final int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = (int)97L;

    /**
     * {@snippet lang=c :
     * enum CUdevice_attribute_enum.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97
     * }
     */
    public static int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN() {
        return CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN;
    }

    private static final int CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = (int)0L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK() {
        return CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK;
    }

    private static final int CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = (int)1L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES() {
        return CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES;
    }

    private static final int CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = (int)2L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES() {
        return CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES;
    }

    private static final int CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = (int)3L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES() {
        return CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES;
    }

    private static final int CU_FUNC_ATTRIBUTE_NUM_REGS = (int)4L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_NUM_REGS = 4
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_NUM_REGS() {
        return CU_FUNC_ATTRIBUTE_NUM_REGS;
    }

    private static final int CU_FUNC_ATTRIBUTE_PTX_VERSION = (int)5L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_PTX_VERSION = 5
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_PTX_VERSION() {
        return CU_FUNC_ATTRIBUTE_PTX_VERSION;
    }

    private static final int CU_FUNC_ATTRIBUTE_BINARY_VERSION = (int)6L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_BINARY_VERSION() {
        return CU_FUNC_ATTRIBUTE_BINARY_VERSION;
    }

    private static final int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = (int)8L;

    /**
     * {@snippet lang=c :
     * enum CUfunction_attribute_enum.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
     * }
     */
    public static int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES() {
        return CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;
    }

    private static final int CU_STREAM_DEFAULT = (int)0L;

    /**
     * {@snippet lang=c :
     * enum CUstream_flags_enum.CU_STREAM_DEFAULT = 0
     * }
     */
    public static int CU_STREAM_DEFAULT() {
        return CU_STREAM_DEFAULT;
    }

    private static final int CU_STREAM_NON_BLOCKING = (int)1L;

    /**
     * {@snippet lang=c :
     * enum CUstream_flags_enum.CU_STREAM_NON_BLOCKING = 1
     * }
     */
    public static int CU_STREAM_NON_BLOCKING() {
        return CU_STREAM_NON_BLOCKING;
    }

    private static final int CU_EVENT_DEFAULT = (int)0L;

    /**
     * {@snippet lang=c :
     * enum CUevent_flags_enum.CU_EVENT_DEFAULT = 0
     * }
     */
    public static int CU_EVENT_DEFAULT() {
        return CU_EVENT_DEFAULT;
    }

    private static final int CU_EVENT_BLOCKING_SYNC = (int)1L;

    /**
     * {@snippet lang=c :
     * enum CUevent_flags_enum.CU_EVENT_BLOCKING_SYNC = 1
     * }
     */
    public static int CU_EVENT_BLOCKING_SYNC() {
        return CU_EVENT_BLOCKING_SYNC;
    }

    private static final int CU_EVENT_DISABLE_TIMING = (int)2L;

    /**
     * {@snippet lang=c :
     * enum CUevent_flags_enum.CU_EVENT_DISABLE_TIMING = 2
     * }
     */
    public static int CU_EVENT_DISABLE_TIMING() {
        return CU_EVENT_DISABLE_TIMING;
    }

    private static final int CU_STREAM_CAPTURE_MODE_GLOBAL = (int)0L;

    /**
     * {@snippet lang=c :
     * enum CUstreamCaptureMode_enum.CU_STREAM_CAPTURE_MODE_GLOBAL = 0
     * }
     */
    public static int CU_STREAM_CAPTURE_MODE_GLOBAL() {
        return CU_STREAM_CAPTURE_MODE_GLOBAL;
    }

    private static final int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = (int)1L;

    /**
     * {@snippet lang=c :
     * enum CUstreamCaptureMode_enum.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1
     * }
     */
    public static int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL() {
        return CU_STREAM_CAPTURE_MODE_THREAD_LOCAL;
    }

    private static final int CU_STREAM_CAPTURE_MODE_RELAXED = (int)2L;

    /**
     * {@snippet lang=c :
     * enum CUstreamCaptureMode_enum.CU_STREAM_CAPTURE_MODE_RELAXED = 2
     * }
     */
    public static int CU_STREAM_CAPTURE_MODE_RELAXED() {
        return CU_STREAM_CAPTURE_MODE_RELAXED;
    }

    private static class cuGetErrorString {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuGetErrorString", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuGetErrorString(CUresult error, const char **pStr)
     * }
     */
    public static FunctionDescriptor cuGetErrorString$descriptor() {
        return cuGetErrorString.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuGetErrorString(CUresult error, const char **pStr)
     * }
     */
    public static MethodHandle cuGetErrorString$handle() {
        return cuGetErrorString.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuGetErrorString(CUresult error, const char **pStr)
     * }
     */
    public static int cuGetErrorString(int error, MemorySegment pStr) {
        var mh$ = cuGetErrorString.HANDLE;
        try {
            return (int)mh$.invokeExact(error, pStr);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuGetErrorName {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuGetErrorName", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuGetErrorName(CUresult error, const char **pStr)
     * }
     */
    public static FunctionDescriptor cuGetErrorName$descriptor() {
        return cuGetErrorName.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuGetErrorName(CUresult error, const char **pStr)
     * }
     */
    public static MethodHandle cuGetErrorName$handle() {
        return cuGetErrorName.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuGetErrorName(CUresult error, const char **pStr)
     * }
     */
    public static int cuGetErrorName(int error, MemorySegment pStr) {
        var mh$ = cuGetErrorName.HANDLE;
        try {
            return (int)mh$.invokeExact(error, pStr);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuInit {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuInit", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuInit(unsigned int Flags)
     * }
     */
    public static FunctionDescriptor cuInit$descriptor() {
        return cuInit.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuInit(unsigned int Flags)
     * }
     */
    public static MethodHandle cuInit$handle() {
        return cuInit.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuInit(unsigned int Flags)
     * }
     */
    public static int cuInit(int Flags) {
        var mh$ = cuInit.HANDLE;
        try {
            return (int)mh$.invokeExact(Flags);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDriverGetVersion {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDriverGetVersion", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDriverGetVersion(int *driverVersion)
     * }
     */
    public static FunctionDescriptor cuDriverGetVersion$descriptor() {
        return cuDriverGetVersion.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDriverGetVersion(int *driverVersion)
     * }
     */
    public static MethodHandle cuDriverGetVersion$handle() {
        return cuDriverGetVersion.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDriverGetVersion(int *driverVersion)
     * }
     */
    public static int cuDriverGetVersion(MemorySegment driverVersion) {
        var mh$ = cuDriverGetVersion.HANDLE;
        try {
            return (int)mh$.invokeExact(driverVersion);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDeviceGet {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDeviceGet", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDeviceGet(CUdevice *device, int ordinal)
     * }
     */
    public static FunctionDescriptor cuDeviceGet$descriptor() {
        return cuDeviceGet.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDeviceGet(CUdevice *device, int ordinal)
     * }
     */
    public static MethodHandle cuDeviceGet$handle() {
        return cuDeviceGet.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGet(CUdevice *device, int ordinal)
     * }
     */
    public static int cuDeviceGet(MemorySegment device, int ordinal) {
        var mh$ = cuDeviceGet.HANDLE;
        try {
            return (int)mh$.invokeExact(device, ordinal);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDeviceGetCount {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDeviceGetCount", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDeviceGetCount(int *count)
     * }
     */
    public static FunctionDescriptor cuDeviceGetCount$descriptor() {
        return cuDeviceGetCount.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDeviceGetCount(int *count)
     * }
     */
    public static MethodHandle cuDeviceGetCount$handle() {
        return cuDeviceGetCount.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGetCount(int *count)
     * }
     */
    public static int cuDeviceGetCount(MemorySegment count) {
        var mh$ = cuDeviceGetCount.HANDLE;
        try {
            return (int)mh$.invokeExact(count);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDeviceGetName {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDeviceGetName", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDeviceGetName(char *name, int len, CUdevice dev)
     * }
     */
    public static FunctionDescriptor cuDeviceGetName$descriptor() {
        return cuDeviceGetName.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDeviceGetName(char *name, int len, CUdevice dev)
     * }
     */
    public static MethodHandle cuDeviceGetName$handle() {
        return cuDeviceGetName.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGetName(char *name, int len, CUdevice dev)
     * }
     */
    public static int cuDeviceGetName(MemorySegment name, int len, int dev) {
        var mh$ = cuDeviceGetName.HANDLE;
        try {
            return (int)mh$.invokeExact(name, len, dev);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDeviceGetAttribute {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDeviceGetAttribute", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)
     * }
     */
    public static FunctionDescriptor cuDeviceGetAttribute$descriptor() {
        return cuDeviceGetAttribute.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)
     * }
     */
    public static MethodHandle cuDeviceGetAttribute$handle() {
        return cuDeviceGetAttribute.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)
     * }
     */
    public static int cuDeviceGetAttribute(MemorySegment pi, int attrib, int dev) {
        var mh$ = cuDeviceGetAttribute.HANDLE;
        try {
            return (int)mh$.invokeExact(pi, attrib, dev);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDeviceTotalMem_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDeviceTotalMem_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
     * }
     */
    public static FunctionDescriptor cuDeviceTotalMem_v2$descriptor() {
        return cuDeviceTotalMem_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
     * }
     */
    public static MethodHandle cuDeviceTotalMem_v2$handle() {
        return cuDeviceTotalMem_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
     * }
     */
    public static int cuDeviceTotalMem_v2(MemorySegment bytes, int dev) {
        var mh$ = cuDeviceTotalMem_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(bytes, dev);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDevicePrimaryCtxRetain {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDevicePrimaryCtxRetain", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
     * }
     */
    public static FunctionDescriptor cuDevicePrimaryCtxRetain$descriptor() {
        return cuDevicePrimaryCtxRetain.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
     * }
     */
    public static MethodHandle cuDevicePrimaryCtxRetain$handle() {
        return cuDevicePrimaryCtxRetain.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
     * }
     */
    public static int cuDevicePrimaryCtxRetain(MemorySegment pctx, int dev) {
        var mh$ = cuDevicePrimaryCtxRetain.HANDLE;
        try {
            return (int)mh$.invokeExact(pctx, dev);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuDevicePrimaryCtxRelease_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuDevicePrimaryCtxRelease_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
     * }
     */
    public static FunctionDescriptor cuDevicePrimaryCtxRelease_v2$descriptor() {
        return cuDevicePrimaryCtxRelease_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
     * }
     */
    public static MethodHandle cuDevicePrimaryCtxRelease_v2$handle() {
        return cuDevicePrimaryCtxRelease_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
     * }
     */
    public static int cuDevicePrimaryCtxRelease_v2(int dev) {
        var mh$ = cuDevicePrimaryCtxRelease_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dev);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuCtxSetCurrent {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuCtxSetCurrent", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuCtxSetCurrent(CUcontext ctx)
     * }
     */
    public static FunctionDescriptor cuCtxSetCurrent$descriptor() {
        return cuCtxSetCurrent.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuCtxSetCurrent(CUcontext ctx)
     * }
     */
    public static MethodHandle cuCtxSetCurrent$handle() {
        return cuCtxSetCurrent.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuCtxSetCurrent(CUcontext ctx)
     * }
     */
    public static int cuCtxSetCurrent(MemorySegment ctx) {
        var mh$ = cuCtxSetCurrent.HANDLE;
        try {
            return (int)mh$.invokeExact(ctx);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuCtxSynchronize {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuCtxSynchronize", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuCtxSynchronize(void)
     * }
     */
    public static FunctionDescriptor cuCtxSynchronize$descriptor() {
        return cuCtxSynchronize.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuCtxSynchronize(void)
     * }
     */
    public static MethodHandle cuCtxSynchronize$handle() {
        return cuCtxSynchronize.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuCtxSynchronize(void)
     * }
     */
    public static int cuCtxSynchronize() {
        var mh$ = cuCtxSynchronize.HANDLE;
        try {
            return (int)mh$.invokeExact();
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemGetInfo_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemGetInfo_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemGetInfo_v2(size_t *free, size_t *total)
     * }
     */
    public static FunctionDescriptor cuMemGetInfo_v2$descriptor() {
        return cuMemGetInfo_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemGetInfo_v2(size_t *free, size_t *total)
     * }
     */
    public static MethodHandle cuMemGetInfo_v2$handle() {
        return cuMemGetInfo_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemGetInfo_v2(size_t *free, size_t *total)
     * }
     */
    public static int cuMemGetInfo_v2(MemorySegment free, MemorySegment total) {
        var mh$ = cuMemGetInfo_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(free, total);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemAlloc_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemAlloc_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
     * }
     */
    public static FunctionDescriptor cuMemAlloc_v2$descriptor() {
        return cuMemAlloc_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
     * }
     */
    public static MethodHandle cuMemAlloc_v2$handle() {
        return cuMemAlloc_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
     * }
     */
    public static int cuMemAlloc_v2(MemorySegment dptr, long bytesize) {
        var mh$ = cuMemAlloc_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dptr, bytesize);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemFree_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemFree_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemFree_v2(CUdeviceptr dptr)
     * }
     */
    public static FunctionDescriptor cuMemFree_v2$descriptor() {
        return cuMemFree_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemFree_v2(CUdeviceptr dptr)
     * }
     */
    public static MethodHandle cuMemFree_v2$handle() {
        return cuMemFree_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemFree_v2(CUdeviceptr dptr)
     * }
     */
    public static int cuMemFree_v2(long dptr) {
        var mh$ = cuMemFree_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dptr);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemAllocHost_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemAllocHost_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
     * }
     */
    public static FunctionDescriptor cuMemAllocHost_v2$descriptor() {
        return cuMemAllocHost_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
     * }
     */
    public static MethodHandle cuMemAllocHost_v2$handle() {
        return cuMemAllocHost_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
     * }
     */
    public static int cuMemAllocHost_v2(MemorySegment pp, long bytesize) {
        var mh$ = cuMemAllocHost_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(pp, bytesize);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemFreeHost {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemFreeHost", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemFreeHost(void *p)
     * }
     */
    public static FunctionDescriptor cuMemFreeHost$descriptor() {
        return cuMemFreeHost.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemFreeHost(void *p)
     * }
     */
    public static MethodHandle cuMemFreeHost$handle() {
        return cuMemFreeHost.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemFreeHost(void *p)
     * }
     */
    public static int cuMemFreeHost(MemorySegment p) {
        var mh$ = cuMemFreeHost.HANDLE;
        try {
            return (int)mh$.invokeExact(p);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemcpyHtoD_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG,
            cuda_h.C_POINTER,
            cuda_h.C_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemcpyHtoD_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
     * }
     */
    public static FunctionDescriptor cuMemcpyHtoD_v2$descriptor() {
        return cuMemcpyHtoD_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
     * }
     */
    public static MethodHandle cuMemcpyHtoD_v2$handle() {
        return cuMemcpyHtoD_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
     * }
     */
    public static int cuMemcpyHtoD_v2(long dstDevice, MemorySegment srcHost, long ByteCount) {
        var mh$ = cuMemcpyHtoD_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstDevice, srcHost, ByteCount);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemcpyDtoH_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_LONG_LONG,
            cuda_h.C_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemcpyDtoH_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
     * }
     */
    public static FunctionDescriptor cuMemcpyDtoH_v2$descriptor() {
        return cuMemcpyDtoH_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
     * }
     */
    public static MethodHandle cuMemcpyDtoH_v2$handle() {
        return cuMemcpyDtoH_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
     * }
     */
    public static int cuMemcpyDtoH_v2(MemorySegment dstHost, long srcDevice, long ByteCount) {
        var mh$ = cuMemcpyDtoH_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstHost, srcDevice, ByteCount);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemcpyDtoD_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG,
            cuda_h.C_LONG_LONG,
            cuda_h.C_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemcpyDtoD_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
     * }
     */
    public static FunctionDescriptor cuMemcpyDtoD_v2$descriptor() {
        return cuMemcpyDtoD_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
     * }
     */
    public static MethodHandle cuMemcpyDtoD_v2$handle() {
        return cuMemcpyDtoD_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
     * }
     */
    public static int cuMemcpyDtoD_v2(long dstDevice, long srcDevice, long ByteCount) {
        var mh$ = cuMemcpyDtoD_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstDevice, srcDevice, ByteCount);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemcpyHtoDAsync_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG,
            cuda_h.C_POINTER,
            cuda_h.C_LONG,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemcpyHtoDAsync_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuMemcpyHtoDAsync_v2$descriptor() {
        return cuMemcpyHtoDAsync_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream)
     * }
     */
    public static MethodHandle cuMemcpyHtoDAsync_v2$handle() {
        return cuMemcpyHtoDAsync_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream)
     * }
     */
    public static int cuMemcpyHtoDAsync_v2(long dstDevice, MemorySegment srcHost, long ByteCount, MemorySegment hStream) {
        var mh$ = cuMemcpyHtoDAsync_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstDevice, srcHost, ByteCount, hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemcpyDtoHAsync_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_LONG_LONG,
            cuda_h.C_LONG,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemcpyDtoHAsync_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuMemcpyDtoHAsync_v2$descriptor() {
        return cuMemcpyDtoHAsync_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
     * }
     */
    public static MethodHandle cuMemcpyDtoHAsync_v2$handle() {
        return cuMemcpyDtoHAsync_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
     * }
     */
    public static int cuMemcpyDtoHAsync_v2(MemorySegment dstHost, long srcDevice, long ByteCount, MemorySegment hStream) {
        var mh$ = cuMemcpyDtoHAsync_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstHost, srcDevice, ByteCount, hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemcpyDtoDAsync_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG,
            cuda_h.C_LONG_LONG,
            cuda_h.C_LONG,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemcpyDtoDAsync_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuMemcpyDtoDAsync_v2$descriptor() {
        return cuMemcpyDtoDAsync_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
     * }
     */
    public static MethodHandle cuMemcpyDtoDAsync_v2$handle() {
        return cuMemcpyDtoDAsync_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
     * }
     */
    public static int cuMemcpyDtoDAsync_v2(long dstDevice, long srcDevice, long ByteCount, MemorySegment hStream) {
        var mh$ = cuMemcpyDtoDAsync_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstDevice, srcDevice, ByteCount, hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemsetD8_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG,
            cuda_h.C_CHAR,
            cuda_h.C_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemsetD8_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N)
     * }
     */
    public static FunctionDescriptor cuMemsetD8_v2$descriptor() {
        return cuMemsetD8_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N)
     * }
     */
    public static MethodHandle cuMemsetD8_v2$handle() {
        return cuMemsetD8_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N)
     * }
     */
    public static int cuMemsetD8_v2(long dstDevice, byte uc, long N) {
        var mh$ = cuMemsetD8_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstDevice, uc, N);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemsetD32_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG,
            cuda_h.C_INT,
            cuda_h.C_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemsetD32_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, size_t N)
     * }
     */
    public static FunctionDescriptor cuMemsetD32_v2$descriptor() {
        return cuMemsetD32_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, size_t N)
     * }
     */
    public static MethodHandle cuMemsetD32_v2$handle() {
        return cuMemsetD32_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, size_t N)
     * }
     */
    public static int cuMemsetD32_v2(long dstDevice, int ui, long N) {
        var mh$ = cuMemsetD32_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(dstDevice, ui, N);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuMemsetD8Async {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_LONG_LONG,
            cuda_h.C_CHAR,
            cuda_h.C_LONG,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuMemsetD8Async", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuMemsetD8Async$descriptor() {
        return cuMemsetD8Async.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream)
     * }
     */
    public static MethodHandle cuMemsetD8Async$handle() {
        return cuMemsetD8Async.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream)
     * }
     */
    public static int cuMemsetD8Async(long dstDevice, byte uc, long N, MemorySegment hStream) {
        var mh$ = cuMemsetD8Async.HANDLE;
        try {
            return (int)mh$.invokeExact(dstDevice, uc, N, hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuStreamCreate {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuStreamCreate", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags)
     * }
     */
    public static FunctionDescriptor cuStreamCreate$descriptor() {
        return cuStreamCreate.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags)
     * }
     */
    public static MethodHandle cuStreamCreate$handle() {
        return cuStreamCreate.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags)
     * }
     */
    public static int cuStreamCreate(MemorySegment phStream, int Flags) {
        var mh$ = cuStreamCreate.HANDLE;
        try {
            return (int)mh$.invokeExact(phStream, Flags);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuStreamDestroy_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuStreamDestroy_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuStreamDestroy_v2(CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuStreamDestroy_v2$descriptor() {
        return cuStreamDestroy_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuStreamDestroy_v2(CUstream hStream)
     * }
     */
    public static MethodHandle cuStreamDestroy_v2$handle() {
        return cuStreamDestroy_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamDestroy_v2(CUstream hStream)
     * }
     */
    public static int cuStreamDestroy_v2(MemorySegment hStream) {
        var mh$ = cuStreamDestroy_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuStreamSynchronize {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuStreamSynchronize", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuStreamSynchronize(CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuStreamSynchronize$descriptor() {
        return cuStreamSynchronize.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuStreamSynchronize(CUstream hStream)
     * }
     */
    public static MethodHandle cuStreamSynchronize$handle() {
        return cuStreamSynchronize.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamSynchronize(CUstream hStream)
     * }
     */
    public static int cuStreamSynchronize(MemorySegment hStream) {
        var mh$ = cuStreamSynchronize.HANDLE;
        try {
            return (int)mh$.invokeExact(hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuEventCreate {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuEventCreate", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags)
     * }
     */
    public static FunctionDescriptor cuEventCreate$descriptor() {
        return cuEventCreate.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags)
     * }
     */
    public static MethodHandle cuEventCreate$handle() {
        return cuEventCreate.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags)
     * }
     */
    public static int cuEventCreate(MemorySegment phEvent, int Flags) {
        var mh$ = cuEventCreate.HANDLE;
        try {
            return (int)mh$.invokeExact(phEvent, Flags);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuEventRecord {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuEventRecord", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuEventRecord(CUevent hEvent, CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuEventRecord$descriptor() {
        return cuEventRecord.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuEventRecord(CUevent hEvent, CUstream hStream)
     * }
     */
    public static MethodHandle cuEventRecord$handle() {
        return cuEventRecord.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuEventRecord(CUevent hEvent, CUstream hStream)
     * }
     */
    public static int cuEventRecord(MemorySegment hEvent, MemorySegment hStream) {
        var mh$ = cuEventRecord.HANDLE;
        try {
            return (int)mh$.invokeExact(hEvent, hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuEventSynchronize {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuEventSynchronize", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuEventSynchronize(CUevent hEvent)
     * }
     */
    public static FunctionDescriptor cuEventSynchronize$descriptor() {
        return cuEventSynchronize.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuEventSynchronize(CUevent hEvent)
     * }
     */
    public static MethodHandle cuEventSynchronize$handle() {
        return cuEventSynchronize.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuEventSynchronize(CUevent hEvent)
     * }
     */
    public static int cuEventSynchronize(MemorySegment hEvent) {
        var mh$ = cuEventSynchronize.HANDLE;
        try {
            return (int)mh$.invokeExact(hEvent);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuEventElapsedTime_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuEventElapsedTime_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd)
     * }
     */
    public static FunctionDescriptor cuEventElapsedTime_v2$descriptor() {
        return cuEventElapsedTime_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd)
     * }
     */
    public static MethodHandle cuEventElapsedTime_v2$handle() {
        return cuEventElapsedTime_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd)
     * }
     */
    public static int cuEventElapsedTime_v2(MemorySegment pMilliseconds, MemorySegment hStart, MemorySegment hEnd) {
        var mh$ = cuEventElapsedTime_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(pMilliseconds, hStart, hEnd);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuEventDestroy_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuEventDestroy_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuEventDestroy_v2(CUevent hEvent)
     * }
     */
    public static FunctionDescriptor cuEventDestroy_v2$descriptor() {
        return cuEventDestroy_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuEventDestroy_v2(CUevent hEvent)
     * }
     */
    public static MethodHandle cuEventDestroy_v2$handle() {
        return cuEventDestroy_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuEventDestroy_v2(CUevent hEvent)
     * }
     */
    public static int cuEventDestroy_v2(MemorySegment hEvent) {
        var mh$ = cuEventDestroy_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(hEvent);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuModuleLoadData {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuModuleLoadData", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuModuleLoadData(CUmodule *module, const void *image)
     * }
     */
    public static FunctionDescriptor cuModuleLoadData$descriptor() {
        return cuModuleLoadData.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuModuleLoadData(CUmodule *module, const void *image)
     * }
     */
    public static MethodHandle cuModuleLoadData$handle() {
        return cuModuleLoadData.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuModuleLoadData(CUmodule *module, const void *image)
     * }
     */
    public static int cuModuleLoadData(MemorySegment module, MemorySegment image) {
        var mh$ = cuModuleLoadData.HANDLE;
        try {
            return (int)mh$.invokeExact(module, image);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuModuleUnload {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuModuleUnload", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuModuleUnload(CUmodule hmod)
     * }
     */
    public static FunctionDescriptor cuModuleUnload$descriptor() {
        return cuModuleUnload.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuModuleUnload(CUmodule hmod)
     * }
     */
    public static MethodHandle cuModuleUnload$handle() {
        return cuModuleUnload.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuModuleUnload(CUmodule hmod)
     * }
     */
    public static int cuModuleUnload(MemorySegment hmod) {
        var mh$ = cuModuleUnload.HANDLE;
        try {
            return (int)mh$.invokeExact(hmod);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuModuleGetFunction {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuModuleGetFunction", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)
     * }
     */
    public static FunctionDescriptor cuModuleGetFunction$descriptor() {
        return cuModuleGetFunction.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)
     * }
     */
    public static MethodHandle cuModuleGetFunction$handle() {
        return cuModuleGetFunction.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)
     * }
     */
    public static int cuModuleGetFunction(MemorySegment hfunc, MemorySegment hmod, MemorySegment name) {
        var mh$ = cuModuleGetFunction.HANDLE;
        try {
            return (int)mh$.invokeExact(hfunc, hmod, name);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuFuncGetAttribute {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuFuncGetAttribute", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc)
     * }
     */
    public static FunctionDescriptor cuFuncGetAttribute$descriptor() {
        return cuFuncGetAttribute.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc)
     * }
     */
    public static MethodHandle cuFuncGetAttribute$handle() {
        return cuFuncGetAttribute.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc)
     * }
     */
    public static int cuFuncGetAttribute(MemorySegment pi, int attrib, MemorySegment hfunc) {
        var mh$ = cuFuncGetAttribute.HANDLE;
        try {
            return (int)mh$.invokeExact(pi, attrib, hfunc);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuFuncSetAttribute {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuFuncSetAttribute", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value)
     * }
     */
    public static FunctionDescriptor cuFuncSetAttribute$descriptor() {
        return cuFuncSetAttribute.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value)
     * }
     */
    public static MethodHandle cuFuncSetAttribute$handle() {
        return cuFuncSetAttribute.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value)
     * }
     */
    public static int cuFuncSetAttribute(MemorySegment hfunc, int attrib, int value) {
        var mh$ = cuFuncSetAttribute.HANDLE;
        try {
            return (int)mh$.invokeExact(hfunc, attrib, value);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuLaunchKernel {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuLaunchKernel", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra)
     * }
     */
    public static FunctionDescriptor cuLaunchKernel$descriptor() {
        return cuLaunchKernel.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra)
     * }
     */
    public static MethodHandle cuLaunchKernel$handle() {
        return cuLaunchKernel.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra)
     * }
     */
    public static int cuLaunchKernel(MemorySegment f, int gridDimX, int gridDimY, int gridDimZ, int blockDimX, int blockDimY, int blockDimZ, int sharedMemBytes, MemorySegment hStream, MemorySegment kernelParams, MemorySegment extra) {
        var mh$ = cuLaunchKernel.HANDLE;
        try {
            return (int)mh$.invokeExact(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, hStream, kernelParams, extra);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuStreamBeginCapture_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_INT
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuStreamBeginCapture_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode)
     * }
     */
    public static FunctionDescriptor cuStreamBeginCapture_v2$descriptor() {
        return cuStreamBeginCapture_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode)
     * }
     */
    public static MethodHandle cuStreamBeginCapture_v2$handle() {
        return cuStreamBeginCapture_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode)
     * }
     */
    public static int cuStreamBeginCapture_v2(MemorySegment hStream, int mode) {
        var mh$ = cuStreamBeginCapture_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(hStream, mode);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuStreamEndCapture {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuStreamEndCapture", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuStreamEndCapture(CUstream hStream, CUgraph *phGraph)
     * }
     */
    public static FunctionDescriptor cuStreamEndCapture$descriptor() {
        return cuStreamEndCapture.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuStreamEndCapture(CUstream hStream, CUgraph *phGraph)
     * }
     */
    public static MethodHandle cuStreamEndCapture$handle() {
        return cuStreamEndCapture.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamEndCapture(CUstream hStream, CUgraph *phGraph)
     * }
     */
    public static int cuStreamEndCapture(MemorySegment hStream, MemorySegment phGraph) {
        var mh$ = cuStreamEndCapture.HANDLE;
        try {
            return (int)mh$.invokeExact(hStream, phGraph);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuGraphInstantiateWithFlags {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER,
            cuda_h.C_LONG_LONG
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuGraphInstantiateWithFlags", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph, unsigned long long flags)
     * }
     */
    public static FunctionDescriptor cuGraphInstantiateWithFlags$descriptor() {
        return cuGraphInstantiateWithFlags.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph, unsigned long long flags)
     * }
     */
    public static MethodHandle cuGraphInstantiateWithFlags$handle() {
        return cuGraphInstantiateWithFlags.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph, unsigned long long flags)
     * }
     */
    public static int cuGraphInstantiateWithFlags(MemorySegment phGraphExec, MemorySegment hGraph, long flags) {
        var mh$ = cuGraphInstantiateWithFlags.HANDLE;
        try {
            return (int)mh$.invokeExact(phGraphExec, hGraph, flags);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuGraphUpload {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuGraphUpload", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuGraphUpload(CUgraphExec hGraphExec, CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuGraphUpload$descriptor() {
        return cuGraphUpload.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuGraphUpload(CUgraphExec hGraphExec, CUstream hStream)
     * }
     */
    public static MethodHandle cuGraphUpload$handle() {
        return cuGraphUpload.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuGraphUpload(CUgraphExec hGraphExec, CUstream hStream)
     * }
     */
    public static int cuGraphUpload(MemorySegment hGraphExec, MemorySegment hStream) {
        var mh$ = cuGraphUpload.HANDLE;
        try {
            return (int)mh$.invokeExact(hGraphExec, hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuGraphLaunch {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuGraphLaunch", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)
     * }
     */
    public static FunctionDescriptor cuGraphLaunch$descriptor() {
        return cuGraphLaunch.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)
     * }
     */
    public static MethodHandle cuGraphLaunch$handle() {
        return cuGraphLaunch.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)
     * }
     */
    public static int cuGraphLaunch(MemorySegment hGraphExec, MemorySegment hStream) {
        var mh$ = cuGraphLaunch.HANDLE;
        try {
            return (int)mh$.invokeExact(hGraphExec, hStream);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuGraphExecDestroy {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuGraphExecDestroy", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuGraphExecDestroy(CUgraphExec hGraphExec)
     * }
     */
    public static FunctionDescriptor cuGraphExecDestroy$descriptor() {
        return cuGraphExecDestroy.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuGraphExecDestroy(CUgraphExec hGraphExec)
     * }
     */
    public static MethodHandle cuGraphExecDestroy$handle() {
        return cuGraphExecDestroy.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuGraphExecDestroy(CUgraphExec hGraphExec)
     * }
     */
    public static int cuGraphExecDestroy(MemorySegment hGraphExec) {
        var mh$ = cuGraphExecDestroy.HANDLE;
        try {
            return (int)mh$.invokeExact(hGraphExec);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cuGraphDestroy {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cuda_h.C_INT,
            cuda_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cuda_h.downcallHandle("cuGraphDestroy", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * CUresult cuGraphDestroy(CUgraph hGraph)
     * }
     */
    public static FunctionDescriptor cuGraphDestroy$descriptor() {
        return cuGraphDestroy.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * CUresult cuGraphDestroy(CUgraph hGraph)
     * }
     */
    public static MethodHandle cuGraphDestroy$handle() {
        return cuGraphDestroy.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * CUresult cuGraphDestroy(CUgraph hGraph)
     * }
     */
    public static int cuGraphDestroy(MemorySegment hGraph) {
        var mh$ = cuGraphDestroy.HANDLE;
        try {
            return (int)mh$.invokeExact(hGraph);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }
}
