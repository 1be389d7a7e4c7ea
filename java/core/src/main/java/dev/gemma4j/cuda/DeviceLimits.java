package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cuda_h;

/**
 * Measures the limits a benchmark states its figures against, on the device it runs on: the
 * device-to-device copy bandwidth (what a memory-bound decode step can reach) and the cuBLAS fp16
 * GEMM rate with fp32 accumulation (what a compute-bound prefill can reach).
 *
 * @param copyBytesPerSecond bytes read plus bytes written per second by cuMemcpyDtoDAsync
 * @param gemmFlopsPerSecond 2·m·n·k per second of a fp16 × fp16 → fp32 cublasGemmEx
 */
public record DeviceLimits(double copyBytesPerSecond, double gemmFlopsPerSecond, String gemmShape) {

    /**
     * @param copyBytes size of the copied buffer (two of these are allocated)
     * @param m         GEMM output rows (weight rows), {@code n} tokens, {@code k} inner dimension
     */
    public static DeviceLimits measure(int device, long copyBytes, int m, int n, int k) {
        try (CudaContext ctx = CudaContext.open(device);
             DeviceMemory memory = ctx.newDeviceMemory(2 * copyBytes + 2L * m * k + 2L * n * k + 4L * m * n + (64L << 20))) {
            DeviceBuffer workspace = memory.allocate("cuBLAS workspace", MemoryPlan.WORKSPACE_BYTES);
            ctx.setCublasWorkspace(workspace);
            DeviceBuffer src = memory.allocate("copy source", copyBytes);
            DeviceBuffer dst = memory.allocate("copy destination", copyBytes);
            ctx.zero(src.address(), copyBytes, "the copy source");
            Runnable copy = () -> CudaCheck.driver(cuda_h.cuMemcpyDtoDAsync_v2(dst.address(), src.address(), copyBytes,
                    ctx.stream()), "cuMemcpyDtoDAsync_v2", () -> "timing a " + copyBytes + "-byte device copy");
            double copySeconds = bestOf(ctx, copy, 3, 10, "device copies");

            GemmOperands operands = gemmOperands(ctx, memory, m, n, k);
            Gemm gemm = new Gemm(ctx, Compute.FP16);
            Runnable matmul = () -> gemm.project(operands.input().address(), operands.weight().address(),
                    operands.output().address(), n, k, m, Gemm.Output.F32, false, "timing the GEMM rate");
            double gemmSeconds = bestOf(ctx, matmul, 3, 10, "GEMMs");
            return new DeviceLimits(2.0 * copyBytes / copySeconds, 2.0 * m * n * k / gemmSeconds,
                    m + " x " + n + " x " + k);
        }
    }

    /**
     * The operands of the timed GEMM: fp16 weight [m, k] and input [n, k] holding pseudo-random values
     * (synthetic.cu's fill, uniform in [-1, 1) and [-1/sqrt(k), 1/sqrt(k)) for the weight, so outputs
     * stay of order 1), and the fp32 output [n, m]. Not zeros: Hopper's tensor cores draw less power
     * on zeros and hold higher clocks (one H200 ran a bf16 GEMM at 894 TFLOP/s on zeros against 788 on
     * random data), which would overstate the rate and understate the prefill fraction.
     */
    record GemmOperands(DeviceBuffer weight, DeviceBuffer input, DeviceBuffer output) {}

    /** Fixed, so that every run times the same values. */
    private static final long OPERAND_SEED = 0x5EED_6E77L;

    static GemmOperands gemmOperands(CudaContext ctx, DeviceMemory memory, int m, int n, int k) {
        DeviceBuffer w = memory.allocate("GEMM weight", 2L * m * k);
        DeviceBuffer x = memory.allocate("GEMM input", 2L * n * k);
        DeviceBuffer y = memory.allocate("GEMM output", 4L * m * n);
        ctx.launch(Kernels.syntheticFill(w.address(), (long) m * k, OPERAND_SEED, 0, (float) (1 / Math.sqrt(k)), 0f));
        ctx.launch(Kernels.syntheticFill(x.address(), (long) n * k, OPERAND_SEED, 1, 1f, 0f));
        return new GemmOperands(w, x, y);
    }

    /** Seconds per run: the best of {@code rounds} timings of {@code perRound} queued runs each. */
    private static double bestOf(CudaContext ctx, Runnable run, int rounds, int perRound, String what) {
        run.run();
        ctx.synchronize("warming up " + what);
        double best = Double.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perRound; i++) run.run();
            ctx.synchronize("timing " + what);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / perRound);
        }
        return best;
    }
}
