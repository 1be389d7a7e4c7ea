package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cublas_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The projections of the forward pass as cuBLAS GEMMs: {@code y[n, out] = x[n, in] · W[out, in]ᵀ}
 * (+ y when accumulating), with W and x fp16, accumulation in fp32 ({@code CUBLAS_COMPUTE_32F}) and
 * y fp16 or fp32. Accumulating into the fp32 residual stream (beta = 1) fuses the residual add of
 * o_proj and down_proj.
 *
 * <p>cuBLAS is column-major. A row-major [out, in] W is, read column-major, an [in x out] matrix
 * with leading dimension in; a row-major x [n, in] is [in x n] with ld in; a row-major y [n, out]
 * is [out x n] with ld out. So {@code y = x Wᵀ} row-major is {@code C(out x n) = op_T(A) · B}
 * column-major with A = W (lda = in), B = x (ldb = in), C = y (ldc = out), m = out, n = n, k = in.
 */
final class Gemm {
    /** Element type of y. */
    enum Output {
        F16, F32;

        int cudaType() {
            return this == F16 ? cublas_h.CUDA_R_16F() : cublas_h.CUDA_R_32F();
        }
    }

    /** The arguments of one cublasGemmEx call (device operands as addresses; alpha and beta fp32 host values). */
    record Call(int transa, int transb, int m, int n, int k, float alpha, long a, int aType, int lda, long b,
                int bType, int ldb, float beta, long c, int cType, int ldc, int computeType, int algo) {
        /**
         * The call with its fp16 operands in {@code compute}'s 16-bit type: bf16 A, B (and C when it is
         * 16-bit), still accumulated in fp32, which cuBLAS supports for bf16 as for fp16.
         */
        Call in(Compute compute) {
            if (compute == Compute.FP16) return this;
            int half = cublas_h.CUDA_R_16F(), bf16 = cublas_h.CUDA_R_16BF();
            return new Call(transa, transb, m, n, k, alpha, a, aType == half ? bf16 : aType, lda, b,
                    bType == half ? bf16 : bType, ldb, beta, c, cType == half ? bf16 : cType, ldc, computeType, algo);
        }
    }

    private final CudaContext context;
    private final Compute compute;

    /** GEMMs on {@code compute}'s 16-bit operands. */
    Gemm(CudaContext context, Compute compute) {
        this.context = context;
        this.compute = compute;
    }

    /**
     * The cublasGemmEx call computing {@code y[rows, out] = x[rows, in] · w[out, in]ᵀ (+ y)}.
     *
     * @param accumulate beta = 1 (y += ...) instead of beta = 0
     */
    static Call projection(long x, long w, long y, int rows, int in, int out, Output output, boolean accumulate) {
        return projection(x, w, y, rows, in, out, output, accumulate, 1f);
    }

    /** The same with {@code y = alpha · x · wᵀ (+ y)}. */
    static Call projection(long x, long w, long y, int rows, int in, int out, Output output, boolean accumulate,
                           float alpha) {
        if (rows < 1 || in < 1 || out < 1) {
            throw new IllegalArgumentException("GEMM dimensions must be positive: rows " + rows + ", in " + in
                    + ", out " + out);
        }
        return new Call(cublas_h.CUBLAS_OP_T(), cublas_h.CUBLAS_OP_N(), out, rows, in, alpha,
                w, cublas_h.CUDA_R_16F(), in,
                x, cublas_h.CUDA_R_16F(), in,
                accumulate ? 1f : 0f,
                y, output.cudaType(), out,
                cublas_h.CUBLAS_COMPUTE_32F(), cublas_h.CUBLAS_GEMM_DEFAULT());
    }

    /** Enqueues {@code y = x · wᵀ (+ y)} on the context's stream. */
    void project(long x, long w, long y, int rows, int in, int out, Output output, boolean accumulate, String what) {
        run(projection(x, w, y, rows, in, out, output, accumulate), what);
    }

    void run(Call call, String what) {
        Call c = call.in(compute);
        context.beforeGemm(what);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment alpha = arena.allocateFrom(ValueLayout.JAVA_FLOAT, c.alpha());
            MemorySegment beta = arena.allocateFrom(ValueLayout.JAVA_FLOAT, c.beta());
            CudaCheck.cublas(cublas_h.cublasGemmEx(context.cublasHandle(), c.transa(), c.transb(), c.m(), c.n(), c.k(),
                    alpha, MemorySegment.ofAddress(c.a()), c.aType(), c.lda(),
                    MemorySegment.ofAddress(c.b()), c.bType(), c.ldb(),
                    beta, MemorySegment.ofAddress(c.c()), c.cType(), c.ldc(),
                    c.computeType(), c.algo()), "cublasGemmEx",
                    () -> what + " (m " + c.m() + ", n " + c.n() + ", k " + c.k() + ", C type "
                            + (c.cType() == cublas_h.CUDA_R_32F() ? "fp32" : compute.label()) + ", beta " + c.beta() + ")");
        }
        context.afterGemm(what);
    }
}
