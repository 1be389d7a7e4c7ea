package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cublas_h;
import dev.gemma4j.cuda.bindings.cuda_h;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Formatting of failed statuses. Without a driver the names come from the static tables; with one,
 * cuGetErrorName gives the same names, so the assertions on name and code hold on both.
 */
class CudaCheckTest {

    @Test
    void successPassesWithoutEvaluatingTheContext() {
        assertDoesNotThrow(() -> CudaCheck.driver(cuda_h.CUDA_SUCCESS(), "cuInit"));
        assertDoesNotThrow(() -> CudaCheck.driver(cuda_h.CUDA_SUCCESS(), "cuInit", () -> {
            throw new AssertionError("context evaluated on success");
        }));
        assertDoesNotThrow(() -> CudaCheck.cublas(cublas_h.CUBLAS_STATUS_SUCCESS(), "cublasCreate_v2"));
        assertDoesNotThrow(() -> CudaCheck.cublas(cublas_h.CUBLAS_STATUS_SUCCESS(), "cublasCreate_v2", () -> {
            throw new AssertionError("context evaluated on success");
        }));
    }

    @Test
    void driverFailureNamesFunctionErrorAndCode() {
        CudaException e = assertThrows(CudaException.class,
                () -> CudaCheck.driver(cuda_h.CUDA_ERROR_OUT_OF_MEMORY(), "cuMemAlloc_v2"));
        assertEquals(CudaException.Kind.DRIVER, e.kind());
        assertEquals("cuMemAlloc_v2", e.function());
        assertEquals(2, e.status());
        assertTrue(e.getMessage().startsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)"), e.getMessage());
        System.out.println("driver failure: " + e.getMessage());
    }

    @Test
    void contextIsAppended() {
        CudaException e = assertThrows(CudaException.class, () -> CudaCheck.driver(
                cuda_h.CUDA_ERROR_OUT_OF_MEMORY(), "cuMemAlloc_v2",
                () -> "allocating 524288000 bytes for model.embed_tokens.weight"));
        assertTrue(e.getMessage().startsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)"), e.getMessage());
        assertTrue(e.getMessage().endsWith(" while allocating 524288000 bytes for model.embed_tokens.weight"),
                e.getMessage());
    }

    @Test
    void unknownDriverCodeIsReportedByNumber() {
        CudaException e = assertThrows(CudaException.class, () -> CudaCheck.driver(123456, "cuLaunchKernel"));
        assertEquals("cuLaunchKernel failed: unrecognised CUresult (123456)", e.getMessage());
        assertEquals(123456, e.status());
    }

    @Test
    void cublasFailureNamesFunctionStatusAndCode() {
        CudaException e = assertThrows(CudaException.class,
                () -> CudaCheck.cublas(cublas_h.CUBLAS_STATUS_INVALID_VALUE(), "cublasGemmEx", () -> "q_proj, m=2048"));
        assertEquals(CudaException.Kind.CUBLAS, e.kind());
        assertEquals("cublasGemmEx", e.function());
        assertEquals(7, e.status());
        assertTrue(e.getMessage().startsWith("cublasGemmEx failed: CUBLAS_STATUS_INVALID_VALUE (7)"), e.getMessage());
        assertTrue(e.getMessage().endsWith(" while q_proj, m=2048"), e.getMessage());
        System.out.println("cuBLAS failure: " + e.getMessage());
    }

    @Test
    void messageLayout() {
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory",
                CudaCheck.message("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", ""));
        assertEquals("cuModuleLoadData failed: CUDA_ERROR_NO_BINARY_FOR_GPU (209) while loading gemma4j.fatbin",
                CudaCheck.message("cuModuleLoadData", 209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "",
                        "loading gemma4j.fatbin"));
    }

    @Test
    void staticNamesAgreeWithTheHeaders() {
        NativeHeader driver = NativeHeader.driver();
        for (Map.Entry<Integer, String> entry : CudaCheck.driverErrorNames().entrySet()) {
            NativeHeader.Constant declared = driver.constant(entry.getValue());
            assertEquals("CUresult", declared.enumTypedef(), entry.getValue());
            assertEquals(declared.value(), (long) entry.getKey(), entry.getValue());
            assertEquals(entry.getValue(), CudaCheck.staticDriverErrorName(entry.getKey()));
        }
        NativeHeader cublas = NativeHeader.cublas();
        long statuses = cublas.constants().stream().filter(c -> c.enumTypedef().equals("cublasStatus_t")).count();
        assertEquals(statuses, CudaCheck.cublasStatusNames().size(), "every cublasStatus_t has a name");
        for (Map.Entry<Integer, String> entry : CudaCheck.cublasStatusNames().entrySet()) {
            NativeHeader.Constant declared = cublas.constant(entry.getValue());
            assertEquals("cublasStatus_t", declared.enumTypedef(), entry.getValue());
            assertEquals(declared.value(), (long) entry.getKey(), entry.getValue());
        }
        assertTrue(CudaCheck.driverErrorNames().size() >= 40, "the common CUresults are named");
        assertEquals("unrecognised cublasStatus_t", CudaCheck.staticCublasStatusName(2));
    }
}
