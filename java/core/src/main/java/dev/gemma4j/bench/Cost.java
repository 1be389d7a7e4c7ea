package dev.gemma4j.bench;

import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;

/**
 * What a model makes a backend move and compute: the bytes a decode step reads and the GEMM flops of
 * a prefill.
 *
 * @param weightBytes      bytes of weights one decode step reads: every tensor once, the embedding once
 *                         (as the output projection; the lookup of one row per sequence is left out)
 * @param kvBytesPerToken  bytes of keys and values one cached token holds on the backend, all layers
 * @param matmulParameters weights of the projections a prompt token goes through: q, k, v, o, gate, up
 *                         and down of every layer
 * @param logitParameters  weights of the output projection (vocab × hidden), applied to the last prompt
 *                         token only
 */
public record Cost(long weightBytes, long kvBytesPerToken, long matmulParameters, long logitParameters) {
    public Cost {
        if (weightBytes <= 0 || kvBytesPerToken <= 0 || matmulParameters <= 0 || logitParameters <= 0) {
            throw new IllegalArgumentException("costs must be positive, found weight bytes " + weightBytes
                    + ", KV bytes per token " + kvBytesPerToken + ", matmul parameters " + matmulParameters
                    + ", logit parameters " + logitParameters);
        }
    }

    /** The cost of {@code c} on a backend that holds its weights in {@code weightBytes} and caches K and V as given. */
    public static Cost of(GemmaConfig c, long weightBytes, long kvBytesPerToken) {
        long h = c.hiddenSize();
        long perLayer = h * (c.queryDim() + 2L * c.kvDim())     // q_proj, k_proj, v_proj
                + (long) c.queryDim() * h                        // o_proj
                + 3L * c.intermediateSize() * h;                 // gate_proj, up_proj, down_proj
        return new Cost(weightBytes, kvBytesPerToken, c.numHiddenLayers() * perLayer, (long) c.vocabSize() * h);
    }

    /** Bytes of every tensor as stored (the embedding once: it is both the lookup table and the output projection). */
    public static long storedBytes(WeightSource w) {
        long b = 0;
        for (Tensor t : w.tensors().values()) b += t.data().byteSize();
        return b;
    }

    /**
     * Cached tokens the decode steps of a batch read per step, on average: the step that enters
     * position p of a sequence attends positions [0, p], and the steps of a run enter positions
     * {@code prompt} .. {@code prompt + newTokens - 2}, so each sequence reads {@code prompt + newTokens / 2}
     * tokens per step on average.
     */
    public static double kvTokensPerDecodeStep(int batch, int promptTokens, int newTokens) {
        return batch * (promptTokens + newTokens / 2.0);
    }

    /** Weight bytes plus the KV bytes the batch reads at its mean position ({@link #kvTokensPerDecodeStep}). */
    public double bytesPerDecodeStep(int batch, int promptTokens, int newTokens) {
        return weightBytes + kvBytesPerToken * kvTokensPerDecodeStep(batch, promptTokens, newTokens);
    }

    /**
     * Flops of the GEMMs that prefill one prompt: 2 per projection weight per prompt token, plus the
     * output projection of the last token. Attention's score and value products (computed by the
     * attention kernel, not by GEMMs), norms, RoPE and the embedding lookup are not counted.
     */
    public double prefillFlops(int promptTokens) {
        return 2.0 * matmulParameters * promptTokens + 2.0 * logitParameters;
    }
}
