package dev.gemma4j.engine;

import dev.gemma4j.model.AttentionKind;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import java.util.ArrayList;
import java.util.List;

/**
 * How each layer of one model computes, read once from its config: the choices Gemma 1, 2 and 3
 * differ by, as data, so that {@link Forward#pass} and every backend run the one forward pass.
 *
 * @param layers                 one entry per decoder layer, in order
 * @param finalLogitSoftcap      logits become cap · tanh(logit / cap); 0 for none (Gemma 2: 30)
 */
public record LayerPlan(List<Layer> layers, float finalLogitSoftcap) {

    /**
     * One decoder layer.
     *
     * @param index            layer number
     * @param kind             full or sliding attention
     * @param window           sliding layers: query i sees key j only when i - j &lt; window; 0 for full layers
     * @param ropeTheta        RoPE base
     * @param ropeFactor       linear RoPE scaling: positions are divided by it (1: plain RoPE)
     * @param queryScale       scores are q · k times this: query_pre_attn_scalar^-0.5 (head_dim^-0.5 in Gemma 1)
     * @param attentionSoftcap scores become cap · tanh(s / cap) before the mask; 0 for none (Gemma 2: 50)
     * @param sandwichNorms    post_attention_layernorm on the attention output, pre_feedforward_layernorm
     *                         before and post_feedforward_layernorm after the MLP (Gemma 2 and 3); otherwise
     *                         post_attention_layernorm is the MLP's input norm (Gemma 1)
     * @param qkNorms          per-head RMSNorm of q and k over head_dim before RoPE (Gemma 3)
     */
    public record Layer(int index, AttentionKind kind, int window, double ropeTheta, double ropeFactor,
            float queryScale, float attentionSoftcap, boolean sandwichNorms, boolean qkNorms) {

        public boolean sliding() {
            return kind == AttentionKind.SLIDING;
        }

        /**
         * The first position that a query at {@code pos} attends: 0 on a full layer, else the oldest
         * of the window.
         */
        public int firstVisible(int pos) {
            return sliding() ? Math.max(0, pos - window + 1) : 0;
        }

        /** Positions this layer's KV cache must hold for a context of {@code capacity} tokens. */
        public int cacheRows(int capacity) {
            return sliding() ? Math.min(window, capacity) : capacity;
        }
    }

    public LayerPlan {
        layers = List.copyOf(layers);
    }

    /** The plan {@code c} describes. */
    public static LayerPlan of(GemmaConfig c) {
        GemmaFamily f = c.family();
        // fp32 like Hugging Face's scaling attribute, applied to fp32 scores.
        float scale = (float) (1.0 / Math.sqrt(f.queryPreAttnScalar()));
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            AttentionKind kind = f.layerTypes().get(l);
            boolean sliding = kind == AttentionKind.SLIDING;
            layers.add(new Layer(l, kind, sliding ? f.slidingWindow() : 0,
                    sliding ? f.slidingRopeTheta() : c.ropeTheta(), sliding ? f.slidingRopeFactor() : f.fullRopeFactor(),
                    scale, (float) f.attnLogitSoftcapping(), f.sandwichNorms(), f.qkNorms()));
        }
        return new LayerPlan(layers, (float) f.finalLogitSoftcapping());
    }

    public Layer layer(int index) {
        return layers.get(index);
    }

    public int size() {
        return layers.size();
    }

    /**
     * What the plan needs beyond Gemma 1's operations (sliding windows, soft-caps, extra norms,
     * RoPE per layer kind), or null when it needs nothing more: for a backend that computes Gemma 1 only.
     */
    public String beyondGemma1() {
        List<String> needs = new ArrayList<>();
        if (layers.stream().anyMatch(Layer::sliding)) needs.add("sliding-window attention");
        if (finalLogitSoftcap > 0 || layers.stream().anyMatch(l -> l.attentionSoftcap() > 0)) needs.add("soft-capping");
        if (layers.stream().anyMatch(Layer::sandwichNorms)) needs.add("post-attention and feed-forward norms");
        if (layers.stream().anyMatch(Layer::qkNorms)) needs.add("q/k norms");
        if (layers.stream().anyMatch(l -> l.ropeFactor() != 1)) needs.add("linear RoPE scaling");
        if (layers.stream().map(Layer::ropeTheta).distinct().count() > 1) needs.add("RoPE bases per layer kind");
        return needs.isEmpty() ? null : String.join(", ", needs);
    }
}
