// Generated from native/gemma4j_cublas.h in the shape jextract produces; regenerate as native/README.md says.
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
 * Bindings for {@code native/gemma4j_cublas.h}: one static method per C function, named and
 * typed as in C (pointers are {@link MemorySegment}, {@code int} and enums are {@code int},
 * {@code size_t} and {@code long long} are {@code long}), one static method per constant, and
 * a layout per typedef. Each symbol is resolved in libcublas.so.13 (or .12), as found by
 * {@link CudaLibraries}, the first time its function is used; when the library or the symbol
 * is missing, calling the function throws {@link dev.gemma4j.cuda.CudaException} saying what
 * was looked for and where.
 */
@SuppressWarnings("restricted")
public class cublas_h {

    cublas_h() {
        // Should not be called directly
    }

    static MethodHandle downcallHandle(String symbol, FunctionDescriptor descriptor) {
        return CudaLibraries.downcallHandle(CudaLibraries.Library.CUBLAS, symbol, descriptor);
    }

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS
            .withTargetLayout(MemoryLayout.sequenceLayout(java.lang.Long.MAX_VALUE, JAVA_BYTE));
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;

    /**
     * {@snippet lang=c :
     * typedef struct cublasContext *cublasHandle_t
     * }
     */
    public static final AddressLayout cublasHandle_t = cublas_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef struct CUstream_st *cudaStream_t
     * }
     */
    public static final AddressLayout cudaStream_t = cublas_h.C_POINTER;
    /**
     * {@snippet lang=c :
     * typedef enum { ... } cublasStatus_t
     * }
     */
    public static final ValueLayout.OfInt cublasStatus_t = cublas_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum { ... } cublasOperation_t
     * }
     */
    public static final ValueLayout.OfInt cublasOperation_t = cublas_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum { ... } cublasGemmAlgo_t
     * }
     */
    public static final ValueLayout.OfInt cublasGemmAlgo_t = cublas_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum { ... } cublasMath_t
     * }
     */
    public static final ValueLayout.OfInt cublasMath_t = cublas_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum { ... } cublasComputeType_t
     * }
     */
    public static final ValueLayout.OfInt cublasComputeType_t = cublas_h.C_INT;
    /**
     * {@snippet lang=c :
     * typedef enum cudaDataType_t cudaDataType
     * }
     */
    public static final ValueLayout.OfInt cudaDataType = cublas_h.C_INT;

    private static final int CUBLAS_STATUS_SUCCESS = (int)0L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_SUCCESS = 0
     * }
     */
    public static int CUBLAS_STATUS_SUCCESS() {
        return CUBLAS_STATUS_SUCCESS;
    }

    private static final int CUBLAS_STATUS_NOT_INITIALIZED = (int)1L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_NOT_INITIALIZED = 1
     * }
     */
    public static int CUBLAS_STATUS_NOT_INITIALIZED() {
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }

    private static final int CUBLAS_STATUS_ALLOC_FAILED = (int)3L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_ALLOC_FAILED = 3
     * }
     */
    public static int CUBLAS_STATUS_ALLOC_FAILED() {
        return CUBLAS_STATUS_ALLOC_FAILED;
    }

    private static final int CUBLAS_STATUS_INVALID_VALUE = (int)7L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE = 7
     * }
     */
    public static int CUBLAS_STATUS_INVALID_VALUE() {
        return CUBLAS_STATUS_INVALID_VALUE;
    }

    private static final int CUBLAS_STATUS_ARCH_MISMATCH = (int)8L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_ARCH_MISMATCH = 8
     * }
     */
    public static int CUBLAS_STATUS_ARCH_MISMATCH() {
        return CUBLAS_STATUS_ARCH_MISMATCH;
    }

    private static final int CUBLAS_STATUS_MAPPING_ERROR = (int)11L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_MAPPING_ERROR = 11
     * }
     */
    public static int CUBLAS_STATUS_MAPPING_ERROR() {
        return CUBLAS_STATUS_MAPPING_ERROR;
    }

    private static final int CUBLAS_STATUS_EXECUTION_FAILED = (int)13L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_EXECUTION_FAILED = 13
     * }
     */
    public static int CUBLAS_STATUS_EXECUTION_FAILED() {
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }

    private static final int CUBLAS_STATUS_INTERNAL_ERROR = (int)14L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_INTERNAL_ERROR = 14
     * }
     */
    public static int CUBLAS_STATUS_INTERNAL_ERROR() {
        return CUBLAS_STATUS_INTERNAL_ERROR;
    }

    private static final int CUBLAS_STATUS_NOT_SUPPORTED = (int)15L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED = 15
     * }
     */
    public static int CUBLAS_STATUS_NOT_SUPPORTED() {
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }

    private static final int CUBLAS_STATUS_LICENSE_ERROR = (int)16L;

    /**
     * {@snippet lang=c :
     * enum cublasStatus_t.CUBLAS_STATUS_LICENSE_ERROR = 16
     * }
     */
    public static int CUBLAS_STATUS_LICENSE_ERROR() {
        return CUBLAS_STATUS_LICENSE_ERROR;
    }

    private static final int CUBLAS_OP_N = (int)0L;

    /**
     * {@snippet lang=c :
     * enum cublasOperation_t.CUBLAS_OP_N = 0
     * }
     */
    public static int CUBLAS_OP_N() {
        return CUBLAS_OP_N;
    }

    private static final int CUBLAS_OP_T = (int)1L;

    /**
     * {@snippet lang=c :
     * enum cublasOperation_t.CUBLAS_OP_T = 1
     * }
     */
    public static int CUBLAS_OP_T() {
        return CUBLAS_OP_T;
    }

    private static final int CUBLAS_OP_C = (int)2L;

    /**
     * {@snippet lang=c :
     * enum cublasOperation_t.CUBLAS_OP_C = 2
     * }
     */
    public static int CUBLAS_OP_C() {
        return CUBLAS_OP_C;
    }

    private static final int CUBLAS_GEMM_DEFAULT = (int)-1L;

    /**
     * {@snippet lang=c :
     * enum cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT = -1
     * }
     */
    public static int CUBLAS_GEMM_DEFAULT() {
        return CUBLAS_GEMM_DEFAULT;
    }

    private static final int CUBLAS_DEFAULT_MATH = (int)0L;

    /**
     * {@snippet lang=c :
     * enum cublasMath_t.CUBLAS_DEFAULT_MATH = 0
     * }
     */
    public static int CUBLAS_DEFAULT_MATH() {
        return CUBLAS_DEFAULT_MATH;
    }

    private static final int CUBLAS_PEDANTIC_MATH = (int)2L;

    /**
     * {@snippet lang=c :
     * enum cublasMath_t.CUBLAS_PEDANTIC_MATH = 2
     * }
     */
    public static int CUBLAS_PEDANTIC_MATH() {
        return CUBLAS_PEDANTIC_MATH;
    }

    private static final int CUBLAS_TF32_TENSOR_OP_MATH = (int)3L;

    /**
     * {@snippet lang=c :
     * enum cublasMath_t.CUBLAS_TF32_TENSOR_OP_MATH = 3
     * }
     */
    public static int CUBLAS_TF32_TENSOR_OP_MATH() {
        return CUBLAS_TF32_TENSOR_OP_MATH;
    }

    private static final int CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = (int)16L;

    /**
     * {@snippet lang=c :
     * enum cublasMath_t.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16
     * }
     */
    public static int CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION() {
        return CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    }

    private static final int CUBLAS_COMPUTE_16F = (int)64L;

    /**
     * {@snippet lang=c :
     * enum cublasComputeType_t.CUBLAS_COMPUTE_16F = 64
     * }
     */
    public static int CUBLAS_COMPUTE_16F() {
        return CUBLAS_COMPUTE_16F;
    }

    private static final int CUBLAS_COMPUTE_32F = (int)68L;

    /**
     * {@snippet lang=c :
     * enum cublasComputeType_t.CUBLAS_COMPUTE_32F = 68
     * }
     */
    public static int CUBLAS_COMPUTE_32F() {
        return CUBLAS_COMPUTE_32F;
    }

    private static final int CUBLAS_COMPUTE_32F_PEDANTIC = (int)69L;

    /**
     * {@snippet lang=c :
     * enum cublasComputeType_t.CUBLAS_COMPUTE_32F_PEDANTIC = 69
     * }
     */
    public static int CUBLAS_COMPUTE_32F_PEDANTIC() {
        return CUBLAS_COMPUTE_32F_PEDANTIC;
    }

    private static final int CUDA_R_32F = (int)0L;

    /**
     * {@snippet lang=c :
     * enum cudaDataType_t.CUDA_R_32F = 0
     * }
     */
    public static int CUDA_R_32F() {
        return CUDA_R_32F;
    }

    private static final int CUDA_R_16F = (int)2L;

    /**
     * {@snippet lang=c :
     * enum cudaDataType_t.CUDA_R_16F = 2
     * }
     */
    public static int CUDA_R_16F() {
        return CUDA_R_16F;
    }

    private static final int CUDA_R_16BF = (int)14L;

    /**
     * {@snippet lang=c :
     * enum cudaDataType_t.CUDA_R_16BF = 14
     * }
     */
    public static int CUDA_R_16BF() {
        return CUDA_R_16BF;
    }

    private static class cublasCreate_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasCreate_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)
     * }
     */
    public static FunctionDescriptor cublasCreate_v2$descriptor() {
        return cublasCreate_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)
     * }
     */
    public static MethodHandle cublasCreate_v2$handle() {
        return cublasCreate_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)
     * }
     */
    public static int cublasCreate_v2(MemorySegment handle) {
        var mh$ = cublasCreate_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(handle);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasDestroy_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasDestroy_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
     * }
     */
    public static FunctionDescriptor cublasDestroy_v2$descriptor() {
        return cublasDestroy_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
     * }
     */
    public static MethodHandle cublasDestroy_v2$handle() {
        return cublasDestroy_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
     * }
     */
    public static int cublasDestroy_v2(MemorySegment handle) {
        var mh$ = cublasDestroy_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(handle);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasGetVersion_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasGetVersion_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version)
     * }
     */
    public static FunctionDescriptor cublasGetVersion_v2$descriptor() {
        return cublasGetVersion_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version)
     * }
     */
    public static MethodHandle cublasGetVersion_v2$handle() {
        return cublasGetVersion_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version)
     * }
     */
    public static int cublasGetVersion_v2(MemorySegment handle, MemorySegment version) {
        var mh$ = cublasGetVersion_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(handle, version);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasSetStream_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_POINTER
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasSetStream_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)
     * }
     */
    public static FunctionDescriptor cublasSetStream_v2$descriptor() {
        return cublasSetStream_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)
     * }
     */
    public static MethodHandle cublasSetStream_v2$handle() {
        return cublasSetStream_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)
     * }
     */
    public static int cublasSetStream_v2(MemorySegment handle, MemorySegment streamId) {
        var mh$ = cublasSetStream_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(handle, streamId);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasSetWorkspace_v2 {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_POINTER,
            cublas_h.C_LONG
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasSetWorkspace_v2", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t workspaceSizeInBytes)
     * }
     */
    public static FunctionDescriptor cublasSetWorkspace_v2$descriptor() {
        return cublasSetWorkspace_v2.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t workspaceSizeInBytes)
     * }
     */
    public static MethodHandle cublasSetWorkspace_v2$handle() {
        return cublasSetWorkspace_v2.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t workspaceSizeInBytes)
     * }
     */
    public static int cublasSetWorkspace_v2(MemorySegment handle, MemorySegment workspace, long workspaceSizeInBytes) {
        var mh$ = cublasSetWorkspace_v2.HANDLE;
        try {
            return (int)mh$.invokeExact(handle, workspace, workspaceSizeInBytes);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasSetMathMode {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_INT
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasSetMathMode", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
     * }
     */
    public static FunctionDescriptor cublasSetMathMode$descriptor() {
        return cublasSetMathMode.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
     * }
     */
    public static MethodHandle cublasSetMathMode$handle() {
        return cublasSetMathMode.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
     * }
     */
    public static int cublasSetMathMode(MemorySegment handle, int mode) {
        var mh$ = cublasSetMathMode.HANDLE;
        try {
            return (int)mh$.invokeExact(handle, mode);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasGetStatusName {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_POINTER,
            cublas_h.C_INT
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasGetStatusName", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * const char *cublasGetStatusName(cublasStatus_t status)
     * }
     */
    public static FunctionDescriptor cublasGetStatusName$descriptor() {
        return cublasGetStatusName.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * const char *cublasGetStatusName(cublasStatus_t status)
     * }
     */
    public static MethodHandle cublasGetStatusName$handle() {
        return cublasGetStatusName.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * const char *cublasGetStatusName(cublasStatus_t status)
     * }
     */
    public static MemorySegment cublasGetStatusName(int status) {
        var mh$ = cublasGetStatusName.HANDLE;
        try {
            return (MemorySegment)mh$.invokeExact(status);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasGetStatusString {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_POINTER,
            cublas_h.C_INT
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasGetStatusString", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * const char *cublasGetStatusString(cublasStatus_t status)
     * }
     */
    public static FunctionDescriptor cublasGetStatusString$descriptor() {
        return cublasGetStatusString.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * const char *cublasGetStatusString(cublasStatus_t status)
     * }
     */
    public static MethodHandle cublasGetStatusString$handle() {
        return cublasGetStatusString.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * const char *cublasGetStatusString(cublasStatus_t status)
     * }
     */
    public static MemorySegment cublasGetStatusString(int status) {
        var mh$ = cublasGetStatusString.HANDLE;
        try {
            return (MemorySegment)mh$.invokeExact(status);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasGemmEx {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasGemmEx", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
     * }
     */
    public static FunctionDescriptor cublasGemmEx$descriptor() {
        return cublasGemmEx.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
     * }
     */
    public static MethodHandle cublasGemmEx$handle() {
        return cublasGemmEx.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
     * }
     */
    public static int cublasGemmEx(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha, MemorySegment A, int Atype, int lda, MemorySegment B, int Btype, int ldb, MemorySegment beta, MemorySegment C, int Ctype, int ldc, int computeType, int algo) {
        var mh$ = cublasGemmEx.HANDLE;
        try {
            return (int)mh$.invokeExact(handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc, computeType, algo);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }

    private static class cublasGemmStridedBatchedEx {
        public static final FunctionDescriptor DESC = FunctionDescriptor.of(
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_POINTER,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_LONG_LONG,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_LONG_LONG,
            cublas_h.C_POINTER,
            cublas_h.C_POINTER,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_LONG_LONG,
            cublas_h.C_INT,
            cublas_h.C_INT,
            cublas_h.C_INT
        );

        public static final MethodHandle HANDLE = cublas_h.downcallHandle("cublasGemmStridedBatchedEx", DESC);
    }

    /**
     * Function descriptor for:
     * {@snippet lang=c :
     * cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, long long int strideA, const void *B, cudaDataType Btype, int ldb, long long int strideB, const void *beta, void *C, cudaDataType Ctype, int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
     * }
     */
    public static FunctionDescriptor cublasGemmStridedBatchedEx$descriptor() {
        return cublasGemmStridedBatchedEx.DESC;
    }

    /**
     * Downcall method handle for:
     * {@snippet lang=c :
     * cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, long long int strideA, const void *B, cudaDataType Btype, int ldb, long long int strideB, const void *beta, void *C, cudaDataType Ctype, int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
     * }
     */
    public static MethodHandle cublasGemmStridedBatchedEx$handle() {
        return cublasGemmStridedBatchedEx.HANDLE;
    }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, long long int strideA, const void *B, cudaDataType Btype, int ldb, long long int strideB, const void *beta, void *C, cudaDataType Ctype, int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
     * }
     */
    public static int cublasGemmStridedBatchedEx(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha, MemorySegment A, int Atype, int lda, long strideA, MemorySegment B, int Btype, int ldb, long strideB, MemorySegment beta, MemorySegment C, int Ctype, int ldc, long strideC, int batchCount, int computeType, int algo) {
        var mh$ = cublasGemmStridedBatchedEx.HANDLE;
        try {
            return (int)mh$.invokeExact(handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B, Btype, ldb, strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType, algo);
        } catch (Error | RuntimeException ex) {
           throw ex;
        } catch (Throwable ex$) {
           throw new AssertionError("should not reach here", ex$);
        }
    }
}
