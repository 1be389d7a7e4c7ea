package dev.gemma4j.cuda;

import java.util.Locale;

/**
 * The 16-bit type the CUDA backend keeps weights, the KV cache and the activations between kernels
 * in. Accumulation is fp32 in both (cuBLAS {@code CUBLAS_COMPUTE_32F}, fp32 sums in the kernels), and
 * the residual stream is fp32. Both take 2 bytes an element, so the memory plan is the same.
 */
public enum Compute {
    /**
     * fp16: 11 significant bits, largest value 65504. The default. A checkpoint whose activations leave
     * that range fails the requests that meet it (the range flags name the layer and tensor).
     */
    FP16,
    /**
     * bf16, Gemma's native dtype: 8 significant bits, fp32's range. bf16 checkpoints are kept as stored,
     * fp16 and fp32 ones rounded to bf16 at upload. For checkpoints whose activations overflow fp16.
     */
    BF16;

    /** The name the CLI and the load notice use: {@code fp16} or {@code bf16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
