package dev.gemma4j.model;

import java.util.Collections;
import java.util.List;

/**
 * What sets Gemma 2 and Gemma 3 apart from Gemma 1, as config.json (or a multimodal config's
 * {@code text_config}) states it. Gemma 1 is the family with every layer full, no soft-caps, no
 * extra norms and scores scaled by head_dim^-0.5.
 *
 * @param modelType              {@code model_type}: "gemma", "gemma2", "gemma3_text" or "gemma3"
 * @param layerTypes             the attention kind of each layer ({@code layer_types} or the family's pattern)
 * @param slidingWindow          {@code sliding_window}: a sliding layer's query at i sees keys j with i - j &lt; it; 0 without sliding layers
 * @param queryPreAttnScalar     {@code query_pre_attn_scalar}: scores are scaled by its inverse square root
 * @param attnLogitSoftcapping   {@code attn_logit_softcapping}: scores become cap · tanh(s / cap); 0 for none
 * @param finalLogitSoftcapping  {@code final_logit_softcapping}: the same on the logits; 0 for none
 * @param sandwichNorms          post_attention_layernorm and post_feedforward_layernorm after the blocks, pre_feedforward_layernorm before the MLP (Gemma 2 and 3)
 * @param qkNorms                per-head RMSNorm of q and k before RoPE (Gemma 3)
 * @param fullRopeFactor         linear RoPE scaling of full layers (positions divided by it), 1 for none
 * @param slidingRopeTheta       RoPE base of sliding layers ({@code rope_local_base_freq} in Gemma 3)
 * @param slidingRopeFactor      linear RoPE scaling of sliding layers, 1 for none
 * @param endTokenIds            the ids that end generation: generation_config.json's {@code eos_token_id}, else config.json's
 * @param multimodal             config.json describes Gemma3ForConditionalGeneration; the text model is its {@code text_config}
 */
public record GemmaFamily(String modelType, List<AttentionKind> layerTypes, int slidingWindow,
        double queryPreAttnScalar, double attnLogitSoftcapping, double finalLogitSoftcapping, boolean sandwichNorms,
        boolean qkNorms, double fullRopeFactor, double slidingRopeTheta, double slidingRopeFactor,
        List<Integer> endTokenIds, boolean multimodal) {

    public GemmaFamily {
        layerTypes = List.copyOf(layerTypes);
        endTokenIds = List.copyOf(endTokenIds);
    }

    /** Gemma 1 with {@code layers} layers whose eos is {@code eos}. */
    public static GemmaFamily gemma1(int layers, int headDim, double ropeTheta, int eos) {
        return new GemmaFamily("gemma", Collections.nCopies(layers, AttentionKind.FULL), 0, headDim, 0, 0, false,
                false, 1, ropeTheta, 1, List.of(eos), false);
    }

    /** Whether this is Gemma 1's family (model_type "gemma"). */
    public boolean isGemma1() {
        return modelType.equals("gemma");
    }

    /** Layers whose attention slides. */
    public long slidingLayers() {
        return layerTypes.stream().filter(k -> k == AttentionKind.SLIDING).count();
    }
}
