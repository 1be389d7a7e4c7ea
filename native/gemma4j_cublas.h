/*
 * gemma4j_cublas.h: the subset of cuBLAS (libcublas.so.13, or libcublas.so.12) that gemma4j binds.
 *
 * Every type, constant and prototype here is copied from the official headers of CUDA 13.0:
 * cublas_api.h (statuses, operations, math modes, compute types, GEMM algorithms, the functions),
 * library_types.h (cudaDataType) and driver_types.h (cudaStream_t). The same declarations hold in
 * cuBLAS 12. NativeHeadersCompileTest compiles them together with the installed cublas_api.h
 * wherever it is found, and with library_types.h and driver_types.h otherwise.
 *
 * Functions are declared under their exported symbol names: cublas_v2.h #defines cublasCreate to
 * cublasCreate_v2, cublasSetStream to cublasSetStream_v2, and so on.
 *
 * Self-contained C11 for x86_64 Linux (LP64): jextract reads it as the input for
 * dev.gemma4j.cuda.bindings.cublas_h (see README.md in this folder).
 */
#ifndef GEMMA4J_CUBLAS_H
#define GEMMA4J_CUBLAS_H

#include <stddef.h>

/* Handles. cudaStream_t is the runtime's name for the driver's CUstream (same struct). */
typedef struct cublasContext *cublasHandle_t;
typedef struct CUstream_st *cudaStream_t;

/* Status codes returned by every cuBLAS call. */
typedef enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16
} cublasStatus_t;

/* Transposition of a GEMM operand (cuBLAS matrices are column-major). */
typedef enum {
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
    CUBLAS_OP_C = 2
} cublasOperation_t;

/* GEMM algorithm selection (a subset). */
typedef enum {
    CUBLAS_GEMM_DEFAULT = -1
} cublasGemmAlgo_t;

/* Math mode of a handle (a subset). */
typedef enum {
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_PEDANTIC_MATH = 2,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16
} cublasMath_t;

/* Accumulation type of the *Ex GEMMs (a subset). */
typedef enum {
    CUBLAS_COMPUTE_16F = 64,
    CUBLAS_COMPUTE_32F = 68,                /* fp32 accumulation, tensor cores allowed for fp16/bf16 inputs */
    CUBLAS_COMPUTE_32F_PEDANTIC = 69
} cublasComputeType_t;

/* Element type of a GEMM operand (library_types.h; a subset). */
typedef enum cudaDataType_t {
    CUDA_R_32F = 0,
    CUDA_R_16F = 2,
    CUDA_R_16BF = 14
} cudaDataType;

/* Handle management. */
cublasStatus_t cublasCreate_v2(cublasHandle_t *handle);
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version);
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t workspaceSizeInBytes);
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);

/* Error reporting: both return static strings owned by the library. */
const char *cublasGetStatusName(cublasStatus_t status);
const char *cublasGetStatusString(cublasStatus_t status);

/* C = alpha * op(A) op(B) + beta * C; alpha and beta point to values of the compute type
   (float for CUBLAS_COMPUTE_32F) in host memory under the default pointer mode. */
cublasStatus_t cublasGemmEx(cublasHandle_t handle,
                            cublasOperation_t transa, cublasOperation_t transb,
                            int m, int n, int k,
                            const void *alpha,
                            const void *A, cudaDataType Atype, int lda,
                            const void *B, cudaDataType Btype, int ldb,
                            const void *beta,
                            void *C, cudaDataType Ctype, int ldc,
                            cublasComputeType_t computeType, cublasGemmAlgo_t algo);

/* batchCount independent GEMMs; operand i starts at A + i * strideA elements (likewise B, C). */
cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle,
                                          cublasOperation_t transa, cublasOperation_t transb,
                                          int m, int n, int k,
                                          const void *alpha,
                                          const void *A, cudaDataType Atype, int lda, long long int strideA,
                                          const void *B, cudaDataType Btype, int ldb, long long int strideB,
                                          const void *beta,
                                          void *C, cudaDataType Ctype, int ldc, long long int strideC,
                                          int batchCount,
                                          cublasComputeType_t computeType, cublasGemmAlgo_t algo);

#endif /* GEMMA4J_CUBLAS_H */
