package dev.gemma4j.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Hugging Face tensor names of a Gemma checkpoint and the shapes its config implies. Linear
 * weights are [out_features, in_features], row-major. The output projection is tied to
 * {@code model.embed_tokens.weight}, so there is no {@code lm_head.weight}.
 */
public final class GemmaTensorNames {
    private GemmaTensorNames() {}

    /** [hidden]: RMSNorm offset before attention (applied as 1 + w). */
    public static final String INPUT_LAYERNORM = "input_layernorm.weight";
    /** [heads * head_dim, hidden]. */
    public static final String Q_PROJ = "self_attn.q_proj.weight";
    /** [kv_heads * head_dim, hidden]. */
    public static final String K_PROJ = "self_attn.k_proj.weight";
    /** [kv_heads * head_dim, hidden]. */
    public static final String V_PROJ = "self_attn.v_proj.weight";
    /** [hidden, heads * head_dim]. */
    public static final String O_PROJ = "self_attn.o_proj.weight";
    /** [hidden]: RMSNorm offset before the MLP (applied as 1 + w). */
    public static final String POST_ATTENTION_LAYERNORM = "post_attention_layernorm.weight";
    /** [intermediate, hidden]: the GELU branch of GeGLU. */
    public static final String GATE_PROJ = "mlp.gate_proj.weight";
    /** [intermediate, hidden]: the linear branch of GeGLU. */
    public static final String UP_PROJ = "mlp.up_proj.weight";
    /** [hidden, intermediate]. */
    public static final String DOWN_PROJ = "mlp.down_proj.weight";
    /** [hidden]: Gemma 2 and 3: RMSNorm offset before the MLP (post_attention_layernorm then follows attention). */
    public static final String PRE_FEEDFORWARD_LAYERNORM = "pre_feedforward_layernorm.weight";
    /** [hidden]: Gemma 2 and 3: RMSNorm offset of the MLP's output, before the residual add. */
    public static final String POST_FEEDFORWARD_LAYERNORM = "post_feedforward_layernorm.weight";
    /** [head_dim]: Gemma 3: per-head RMSNorm offset of q before RoPE. */
    public static final String Q_NORM = "self_attn.q_norm.weight";
    /** [head_dim]: Gemma 3: per-head RMSNorm offset of k before RoPE. */
    public static final String K_NORM = "self_attn.k_norm.weight";
    /** An untied output projection; Gemma checkpoints have none and gemma4j rejects one. */
    public static final String LM_HEAD = "lm_head.weight";

    /** [vocab, hidden]: the embedding, also the output projection. */
    public static String embed() {
        return "model.embed_tokens.weight";
    }

    /** [hidden]: the final RMSNorm offset (applied as 1 + w). */
    public static String finalNorm() {
        return "model.norm.weight";
    }

    /** The name of a per-layer tensor, e.g. {@code layer(3, Q_PROJ)} is "model.layers.3.self_attn.q_proj.weight". */
    public static String layer(int i, String suffix) {
        return "model.layers." + i + "." + suffix;
    }

    /**
     * Every tensor the config implies, in the order Hugging Face lists a Gemma model's parameters
     * (embedding, then each layer, then the final norm), with its shape.
     */
    public static Map<String, long[]> expectedShapes(GemmaConfig c) {
        long hidden = c.hiddenSize();
        long q = c.queryDim();
        long kv = c.kvDim();
        long inter = c.intermediateSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(embed(), new long[] {c.vocabSize(), hidden});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            m.put(layer(i, INPUT_LAYERNORM), new long[] {hidden});
            m.put(layer(i, Q_PROJ), new long[] {q, hidden});
            if (c.family().qkNorms()) {
                m.put(layer(i, Q_NORM), new long[] {c.headDim()});
                m.put(layer(i, K_NORM), new long[] {c.headDim()});
            }
            m.put(layer(i, K_PROJ), new long[] {kv, hidden});
            m.put(layer(i, V_PROJ), new long[] {kv, hidden});
            m.put(layer(i, O_PROJ), new long[] {hidden, q});
            m.put(layer(i, POST_ATTENTION_LAYERNORM), new long[] {hidden});
            if (c.family().sandwichNorms()) {
                m.put(layer(i, PRE_FEEDFORWARD_LAYERNORM), new long[] {hidden});
                m.put(layer(i, POST_FEEDFORWARD_LAYERNORM), new long[] {hidden});
            }
            m.put(layer(i, GATE_PROJ), new long[] {inter, hidden});
            m.put(layer(i, UP_PROJ), new long[] {inter, hidden});
            m.put(layer(i, DOWN_PROJ), new long[] {hidden, inter});
        }
        m.put(finalNorm(), new long[] {hidden});
        return Collections.unmodifiableMap(m);
    }

    /** How {@link #expectedShapes} derives a tensor's shape from config.json keys, for error messages. */
    static String shapeReason(String name) {
        if (name.equals(embed())) return "[vocab_size, hidden_size]";
        if (name.equals(finalNorm()) || name.endsWith(INPUT_LAYERNORM) || name.endsWith(POST_ATTENTION_LAYERNORM)
                || name.endsWith(PRE_FEEDFORWARD_LAYERNORM) || name.endsWith(POST_FEEDFORWARD_LAYERNORM)) {
            return "[hidden_size]";
        }
        if (name.endsWith(Q_NORM) || name.endsWith(K_NORM)) return "[head_dim]";
        if (name.endsWith(Q_PROJ)) return "[num_attention_heads * head_dim, hidden_size]";
        if (name.endsWith(K_PROJ) || name.endsWith(V_PROJ)) return "[num_key_value_heads * head_dim, hidden_size]";
        if (name.endsWith(O_PROJ)) return "[hidden_size, num_attention_heads * head_dim]";
        if (name.endsWith(GATE_PROJ) || name.endsWith(UP_PROJ)) return "[intermediate_size, hidden_size]";
        if (name.endsWith(DOWN_PROJ)) return "[hidden_size, intermediate_size]";
        throw new IllegalArgumentException("not a Gemma tensor name: " + name);
    }
}
