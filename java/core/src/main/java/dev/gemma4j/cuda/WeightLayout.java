package dev.gemma4j.cuda;

import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each weight lives in the one device buffer that holds them all, as fp16. Tensors follow
 * {@link GemmaTensorNames#expectedShapes} order, each group starting on a {@link #ALIGNMENT}-byte
 * boundary. k_proj and v_proj follow q_proj with no gap, so a layer's three projections form one
 * [queryDim + 2 kvDim, hidden] matrix and one GEMM computes q, k and v; up_proj follows gate_proj
 * the same way ([2 intermediate, hidden]). Gemma 3's q_norm and k_norm, listed between q_proj and
 * k_proj, are placed after v_proj so as not to split that matrix. The embedding is held once: it is
 * also the output projection.
 */
final class WeightLayout {
    /** Byte alignment of every group (cuBLAS and the vectorised kernels want 16; 256 is what cuMemAlloc gives). */
    static final long ALIGNMENT = 256;

    /**
     * One tensor's place.
     *
     * @param tensorIndex position in {@link GemmaTensorNames#expectedShapes} order (the synthetic
     *                    weights' tensor number)
     * @param shape       the Hugging Face shape, outermost first
     * @param offset      byte offset in the weights buffer
     * @param elements    product of the shape
     */
    record Placement(String name, int tensorIndex, long[] shape, long offset, long elements) {
        long bytes() {
            return elements * 2;
        }
    }

    private final GemmaConfig config;
    private final Map<String, Placement> placements;
    private final long totalBytes;

    WeightLayout(GemmaConfig config) {
        this.config = config;
        Map<String, Placement> m = new LinkedHashMap<>();
        long offset = 0;
        int k = 0;
        java.util.List<Map.Entry<String, long[]>> deferred = new java.util.ArrayList<>();
        java.util.List<Map.Entry<String, long[]>> ordered = new java.util.ArrayList<>();
        for (Map.Entry<String, long[]> e : GemmaTensorNames.expectedShapes(config).entrySet()) {
            if (e.getKey().endsWith(GemmaTensorNames.Q_NORM) || e.getKey().endsWith(GemmaTensorNames.K_NORM)) {
                deferred.add(e);
                continue;
            }
            ordered.add(e);
            if (e.getKey().endsWith(GemmaTensorNames.V_PROJ)) {
                ordered.addAll(deferred);
                deferred.clear();
            }
        }
        Map<String, Integer> index = new java.util.HashMap<>();
        for (String name : GemmaTensorNames.expectedShapes(config).keySet()) index.put(name, k++);
        for (Map.Entry<String, long[]> e : ordered) {
            String name = e.getKey();
            boolean continuesGroup = name.endsWith(GemmaTensorNames.K_PROJ) || name.endsWith(GemmaTensorNames.V_PROJ)
                    || name.endsWith(GemmaTensorNames.UP_PROJ);
            if (!continuesGroup) offset = Bytes.alignUp(offset, ALIGNMENT);
            long elements = 1;
            for (long d : e.getValue()) elements = Math.multiplyExact(elements, d);
            m.put(name, new Placement(name, index.get(name), e.getValue(), offset, elements));
            offset += elements * 2;
        }
        placements = Collections.unmodifiableMap(m);
        totalBytes = Bytes.alignUp(offset, ALIGNMENT);
    }

    GemmaConfig config() {
        return config;
    }

    /** Bytes of the weights buffer: every weight once at fp16, plus alignment padding. */
    long totalBytes() {
        return totalBytes;
    }

    /** Every tensor, in buffer order (expectedShapes order but for q_norm and k_norm, after v_proj). */
    Collection<Placement> placements() {
        return placements.values();
    }

    /** @throws IllegalArgumentException for a name that is not a weight of this configuration */
    Placement placement(String name) {
        Placement p = placements.get(name);
        if (p == null) throw new IllegalArgumentException("no weight named '" + name + "' in this Gemma configuration");
        return p;
    }

    long offset(String name) {
        return placement(name).offset();
    }

    long embedding() {
        return offset(GemmaTensorNames.embed());
    }

    long finalNorm() {
        return offset(GemmaTensorNames.finalNorm());
    }

    long inputNorm(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.INPUT_LAYERNORM));
    }

    long postAttentionNorm(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.POST_ATTENTION_LAYERNORM));
    }

    /** Gemma 2 and 3: the MLP's input norm. */
    long preFeedforwardNorm(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.PRE_FEEDFORWARD_LAYERNORM));
    }

    /** Gemma 2 and 3: the norm of the MLP's output. */
    long postFeedforwardNorm(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.POST_FEEDFORWARD_LAYERNORM));
    }

    /** Gemma 3: [head_dim], the per-head norm of q. */
    long qNorm(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.Q_NORM));
    }

    /** Gemma 3: [head_dim], the per-head norm of k. */
    long kNorm(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.K_NORM));
    }

    /** [queryDim + 2 kvDim, hidden]: q_proj, k_proj, v_proj stacked. */
    long qkv(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.Q_PROJ));
    }

    /** [hidden, queryDim]. */
    long o(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.O_PROJ));
    }

    /** [2 intermediate, hidden]: gate_proj, up_proj stacked. */
    long gateUp(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.GATE_PROJ));
    }

    /** [hidden, intermediate]. */
    long down(int layer) {
        return offset(GemmaTensorNames.layer(layer, GemmaTensorNames.DOWN_PROJ));
    }
}
