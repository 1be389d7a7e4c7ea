package dev.gemma4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.io.WholeFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The hyper-parameters of a Gemma 1 checkpoint, as Hugging Face's {@code config.json} states them.
 *
 * <p>Field names in error messages are the config.json keys. Shape fields have no default here:
 * Hugging Face's defaults describe Gemma 7B, and silently applying them to another checkpoint would
 * hide a broken config. Optional keys default as Hugging Face's {@code GemmaConfig} does.
 *
 * @param vocabSize             {@code vocab_size}: rows of the (tied) embedding
 * @param hiddenSize            {@code hidden_size}: width of the residual stream
 * @param intermediateSize      {@code intermediate_size}: GeGLU width
 * @param numHiddenLayers       {@code num_hidden_layers}
 * @param numAttentionHeads     {@code num_attention_heads}: query heads
 * @param numKeyValueHeads      {@code num_key_value_heads}: 1 for multi-query, equal to query heads for multi-head
 * @param headDim               {@code head_dim}; read from the file, never derived from hidden / heads
 * @param rmsNormEps            {@code rms_norm_eps}, default 1e-6
 * @param ropeTheta             {@code rope_theta}, default 10000
 * @param maxPositionEmbeddings {@code max_position_embeddings}, default 8192
 * @param torchDtype            {@code torch_dtype} (or {@code dtype}): "float32", "bfloat16", "float16", or null when absent
 * @param bosTokenId            {@code bos_token_id}, default 2
 * @param eosTokenId            {@code eos_token_id}, default 1
 * @param padTokenId            {@code pad_token_id}, default 0
 * @param hiddenActivation      {@code hidden_activation}, else {@code hidden_act}, else "gelu_pytorch_tanh"
 * @param family                what Gemma 2 and 3 add: sliding layers, soft-caps, extra norms
 *                              ({@link GemmaFamily#gemma1} for model_type "gemma"); ropeTheta is the
 *                              base of full layers
 */
public record GemmaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
        int maxPositionEmbeddings, String torchDtype, int bosTokenId, int eosTokenId, int padTokenId,
        String hiddenActivation, GemmaFamily family) {

    /** Hugging Face's default activation for Gemma: GELU with the tanh approximation. */
    public static final String GELU_TANH = "gelu_pytorch_tanh";
    /**
     * The activation the original Gemma config.json files name. The Gemma reference implementation
     * computes the tanh approximation for it, and Hugging Face overrides it with
     * {@code gelu_pytorch_tanh}; gemma4j accepts it and computes the tanh approximation.
     */
    public static final String GELU = "gelu";

    static final double DEFAULT_RMS_NORM_EPS = 1e-6;
    static final double DEFAULT_ROPE_THETA = 10000.0;
    static final int DEFAULT_MAX_POSITION_EMBEDDINGS = 8192;
    static final int DEFAULT_BOS = 2;
    static final int DEFAULT_EOS = 1;
    static final int DEFAULT_PAD = 0;

    /** The config.json keys with an upper bound, in the order of {@link #UPPER_BOUNDS}. */
    private static final String[] BOUNDED_KEYS = {"vocab_size", "hidden_size", "intermediate_size",
        "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings"};
    /**
     * Upper bounds, each 4 to 16 times the largest published Gemma's value (Gemma 3: vocab 262,208,
     * hidden 5,376, 62 layers, 32 heads, head_dim 256, 131,072 positions; Gemma 2 27B: intermediate
     * 36,864), so that every product the engine forms of them (heads x head_dim, a tensor's element
     * count, a KV cache's size) fits a long with room to spare and the int index types hold every
     * single dimension. Positions stop at 2^24, where float32 stops representing every integer and
     * RoPE's angle pos x freq would lose the position.
     */
    private static final int[] UPPER_BOUNDS = {1 << 20, 1 << 16, 1 << 20, 1 << 10, 1 << 10, 1 << 10, 1 << 10, 1 << 24};
    private static final String[] BOUND_REASONS = {"4x Gemma 3's vocabulary", "12x Gemma 3 27B's width",
        "28x Gemma 2 27B's GeGLU width", "16x Gemma 3 27B's layers", "32x the most heads of any Gemma",
        "32x the most heads of any Gemma", "4x Gemma's head_dim 256", "float32 RoPE positions are exact up to 2^24"};

    private static String bound(int i) {
        return "an integer in [1, " + UPPER_BOUNDS[i] + "] (" + BOUND_REASONS[i] + ")";
    }

    /** The bound of a config.json key, for an integer too large for an int, or null for an unbounded key. */
    private static String boundOf(String key) {
        for (int i = 0; i < BOUNDED_KEYS.length; i++) if (BOUNDED_KEYS[i].equals(key)) return bound(i);
        return null;
    }

    private static final Set<String> ACTIVATIONS = Set.of(GELU_TANH, GELU);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** @throws IllegalArgumentException naming the config.json key that is out of range */
    public GemmaConfig {
        String problem = problem(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, maxPositionEmbeddings, torchDtype,
                bosTokenId, eosTokenId, padTokenId, hiddenActivation);
        if (problem != null) throw new IllegalArgumentException(problem);
        if (family == null) throw new IllegalArgumentException("no model family given");
        if (family.layerTypes().size() != numHiddenLayers) {
            throw new IllegalArgumentException("field 'layer_types': expected num_hidden_layers " + numHiddenLayers
                    + " entries, found " + family.layerTypes().size());
        }
        if (family.slidingLayers() > 0 && family.slidingWindow() <= 0) {
            throw new IllegalArgumentException("field 'sliding_window': expected a positive integer (layer_types "
                    + "holds sliding layers), found " + family.slidingWindow());
        }
    }

    /** A Gemma 1 configuration (model_type "gemma"). */
    public GemmaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
            int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta, int maxPositionEmbeddings,
            String torchDtype, int bosTokenId, int eosTokenId, int padTokenId, String hiddenActivation) {
        this(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim,
                rmsNormEps, ropeTheta, maxPositionEmbeddings, torchDtype, bosTokenId, eosTokenId, padTokenId,
                hiddenActivation, GemmaFamily.gemma1(Math.max(0, numHiddenLayers), headDim, ropeTheta, eosTokenId));
    }

    /** This configuration with {@code other} as its family. */
    public GemmaConfig withFamily(GemmaFamily other) {
        return new GemmaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, maxPositionEmbeddings, torchDtype, bosTokenId,
                eosTokenId, padTokenId, hiddenActivation, other);
    }

    /**
     * A configuration with Hugging Face's defaults for everything but the shapes and the dtype.
     *
     * @param torchDtype "float32", "bfloat16", "float16", or null
     */
    public static GemmaConfig of(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
            int numAttentionHeads, int numKeyValueHeads, int headDim, String torchDtype) {
        return new GemmaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, DEFAULT_RMS_NORM_EPS, DEFAULT_ROPE_THETA,
                DEFAULT_MAX_POSITION_EMBEDDINGS, torchDtype, DEFAULT_BOS, DEFAULT_EOS, DEFAULT_PAD, GELU_TANH);
    }

    /** The shapes of google/gemma-2b (multi-query, 2.51 B parameters), stored as bfloat16. */
    public static GemmaConfig gemma2B() {
        return of(256000, 2048, 16384, 18, 8, 1, 256, "bfloat16");
    }

    /** The shapes of google/gemma-7b (multi-head, q_proj 4096 x 3072, 8.54 B parameters), stored as bfloat16. */
    public static GemmaConfig gemma7B() {
        return of(256000, 3072, 24576, 28, 16, 16, 256, "bfloat16");
    }

    /**
     * Reads and validates a Hugging Face Gemma config.json.
     *
     * @throws ModelFormatException naming the file, the key, what was expected and what was found
     */
    public static GemmaConfig read(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(WholeFile.readUtf8(configJson, WholeFile.CONFIG_LIMIT, "config.json",
                    ModelFormatException::new).toString());
        } catch (JacksonException e) {
            // A parser limit (nesting depth, number length) comes without a location.
            throw new ModelFormatException(configJson + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr()), e);
        } catch (IOException e) {
            throw new ModelFormatException(configJson + ": cannot be read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(configJson + ": expected a JSON object, found "
                    + (root == null || root.isMissingNode() ? "an empty file"
                            : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        Fields f = new Fields(configJson, root);

        String modelType = f.requiredString("model_type");
        if (!modelType.equals("gemma")) return GemmaFamilyReader.read(configJson, root, modelType);
        JsonNode architectures = root.get("architectures");
        if (architectures != null && !architectures.isNull()) {
            boolean causalLm = false;
            if (architectures.isArray()) {
                for (JsonNode a : architectures) causalLm |= a.isTextual() && a.asText().equals("GemmaForCausalLM");
            }
            if (!causalLm) throw f.error("architectures", "[\"GemmaForCausalLM\"]", architectures.toString());
        }
        JsonNode ropeScaling = root.get("rope_scaling");
        if (ropeScaling != null && !ropeScaling.isNull()) {
            throw f.error("rope_scaling", "null (gemma4j implements plain RoPE)", ropeScaling.toString());
        }
        JsonNode attentionBias = root.get("attention_bias");
        if (attentionBias != null && !attentionBias.isNull() && !(attentionBias.isBoolean() && !attentionBias.asBoolean())) {
            throw f.error("attention_bias", "false (Gemma projections have no bias)", attentionBias.toString());
        }

        String dtypeKey = root.has("torch_dtype") ? "torch_dtype" : "dtype";
        String torchDtype = f.optionalString(dtypeKey, null);
        String activationKey = root.has("hidden_activation") && !root.get("hidden_activation").isNull()
                ? "hidden_activation" : "hidden_act";
        String activation = f.optionalString(activationKey, GELU_TANH);

        int vocab = f.requiredInt("vocab_size");
        int hidden = f.requiredInt("hidden_size");
        int intermediate = f.requiredInt("intermediate_size");
        int layers = f.requiredInt("num_hidden_layers");
        int heads = f.requiredInt("num_attention_heads");
        int kvHeads = f.requiredInt("num_key_value_heads");
        int headDim = f.requiredInt("head_dim");
        double eps = f.optionalDouble("rms_norm_eps", DEFAULT_RMS_NORM_EPS);
        double theta = f.optionalDouble("rope_theta", DEFAULT_ROPE_THETA);
        int maxPos = f.optionalInt("max_position_embeddings", DEFAULT_MAX_POSITION_EMBEDDINGS);
        int bos = f.optionalInt("bos_token_id", DEFAULT_BOS);
        int eos = f.optionalInt("eos_token_id", DEFAULT_EOS);
        int pad = f.optionalInt("pad_token_id", DEFAULT_PAD);

        String problem = problem(vocab, hidden, intermediate, layers, heads, kvHeads, headDim, eps, theta, maxPos,
                torchDtype, bos, eos, pad, activation);
        if (problem != null) {
            problem = problem.replace("'hidden_activation'", "'" + activationKey + "'")
                    .replace("'torch_dtype'", "'" + dtypeKey + "'");
            throw new ModelFormatException(configJson + ": " + problem);
        }
        return new GemmaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, headDim, eps, theta, maxPos,
                torchDtype, bos, eos, pad, activation);
    }

    /** Width of the concatenated query heads: num_attention_heads x head_dim (q_proj rows). */
    public int queryDim() {
        return numAttentionHeads * headDim;
    }

    /** Width of the concatenated key (or value) heads: num_key_value_heads x head_dim (k_proj rows). */
    public int kvDim() {
        return numKeyValueHeads * headDim;
    }

    /**
     * The factor that scales embedding rows: sqrt(hidden_size) rounded to {@code torch_dtype} as
     * Hugging Face rounds it ({@code torch.tensor(hidden_size ** 0.5, dtype=hidden_states.dtype)}):
     * bfloat16 turns 55.4256 into 55.5 (hidden 3072) and 45.2548 into 45.25 (hidden 2048); float16
     * rounds to binary16; float32 or no torch_dtype keeps the float value.
     */
    public float embeddingScale() {
        float scale = (float) Math.sqrt(hiddenSize);
        return torchDtype == null ? scale : DType.parse(torchDtype).round(scale);
    }

    /** Number of weights, counting the tied embedding once (it is also the output projection). */
    public long parameterCount() {
        long h = hiddenSize;
        long perLayer = 2 * h                                      // input_layernorm, post_attention_layernorm
                + (long) queryDim() * h + 2L * kvDim() * h          // q_proj, k_proj, v_proj
                + h * queryDim()                                    // o_proj
                + 3L * intermediateSize * h                         // gate_proj, up_proj, down_proj
                + (family.sandwichNorms() ? 2 * h : 0)              // pre_ and post_feedforward_layernorm
                + (family.qkNorms() ? 2L * headDim : 0);            // q_norm, k_norm
        return (long) vocabSize * h + numHiddenLayers * perLayer + h;  // + embed_tokens, + final norm
    }

    /**
     * This configuration as Hugging Face writes a Gemma config.json (pretty-printed, keys sorted); a
     * Gemma 2 or 3 family as a gemma2 or gemma3_text config with an explicit layer_types list (a
     * multimodal family is written as its text model).
     */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        if (!family.isGemma1()) return familyJson(o);
        o.putArray("architectures").add("GemmaForCausalLM");
        o.put("attention_bias", false);
        o.put("attention_dropout", 0.0);
        o.put("bos_token_id", bosTokenId);
        o.put("eos_token_id", eosTokenId);
        o.put("head_dim", headDim);
        o.put("hidden_act", hiddenActivation);
        o.put("hidden_activation", hiddenActivation);
        o.put("hidden_size", hiddenSize);
        o.put("initializer_range", 0.02);
        o.put("intermediate_size", intermediateSize);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("model_type", "gemma");
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("pad_token_id", padTokenId);
        o.put("rms_norm_eps", rmsNormEps);
        o.putNull("rope_scaling");
        o.put("rope_theta", ropeTheta);
        if (torchDtype != null) o.put("torch_dtype", torchDtype);
        o.put("use_cache", true);
        o.put("vocab_size", vocabSize);
        return pretty(o);
    }

    private static String pretty(ObjectNode o) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (JacksonException e) {
            throw new IllegalStateException("serialising a JSON tree of numbers and strings failed", e);
        }
    }

    private String familyJson(ObjectNode o) {
        boolean gemma3 = family.qkNorms();
        o.putArray("architectures").add(gemma3 ? "Gemma3ForCausalLM" : "Gemma2ForCausalLM");
        o.put("attention_bias", false);
        o.put("attention_dropout", 0.0);
        o.put("attn_logit_softcapping", family.attnLogitSoftcapping() > 0 ? family.attnLogitSoftcapping() : null);
        o.put("bos_token_id", bosTokenId);
        o.put("eos_token_id", eosTokenId);
        o.put("final_logit_softcapping", family.finalLogitSoftcapping() > 0 ? family.finalLogitSoftcapping() : null);
        o.put("head_dim", headDim);
        o.put("hidden_activation", hiddenActivation);
        o.put("hidden_size", hiddenSize);
        o.put("initializer_range", 0.02);
        o.put("intermediate_size", intermediateSize);
        var types = o.putArray("layer_types");
        for (AttentionKind k : family.layerTypes()) types.add(k.key());
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("model_type", gemma3 ? "gemma3_text" : "gemma2");
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("pad_token_id", padTokenId);
        o.put("query_pre_attn_scalar", family.queryPreAttnScalar());
        o.put("rms_norm_eps", rmsNormEps);
        if (gemma3) o.put("rope_local_base_freq", family.slidingRopeTheta());
        if (family.fullRopeFactor() != 1) {
            o.putObject("rope_scaling").put("factor", family.fullRopeFactor()).put("rope_type", "linear");
        } else {
            o.putNull("rope_scaling");
        }
        o.put("rope_theta", ropeTheta);
        o.put("sliding_window", family.slidingWindow() > 0 ? family.slidingWindow() : 4096);
        if (torchDtype != null) o.put("torch_dtype", torchDtype);
        o.put("use_cache", true);
        o.put("vocab_size", vocabSize);
        return pretty(o);
    }

    /** The first range or consistency violation, phrased with config.json keys, or null. */
    private static String problem(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads,
            int headDim, double eps, double theta, int maxPos, String torchDtype, int bos, int eos, int pad,
            String activation) {
        int[] values = {vocab, hidden, intermediate, layers, heads, kvHeads, headDim, maxPos};
        for (int i = 0; i < BOUNDED_KEYS.length; i++) {
            if (values[i] <= 0 || values[i] > UPPER_BOUNDS[i]) {
                return "field '" + BOUNDED_KEYS[i] + "': expected " + bound(i) + ", found " + values[i];
            }
        }
        if (kvHeads > heads) {
            return "field 'num_key_value_heads': expected at most num_attention_heads " + heads + ", found " + kvHeads;
        }
        if (heads % kvHeads != 0) {
            return "field 'num_key_value_heads': expected a divisor of num_attention_heads " + heads
                    + " (each key/value head serves a whole group of query heads), found " + kvHeads;
        }
        if (headDim % 2 != 0) {
            return "field 'head_dim': expected an even number (rotate-half RoPE pairs i with i + head_dim/2), found "
                    + headDim;
        }
        if (!(eps > 0 && Double.isFinite(eps))) {
            return "field 'rms_norm_eps': expected a positive finite number, found " + eps;
        }
        if (!(theta > 0 && Double.isFinite(theta))) {
            return "field 'rope_theta': expected a positive finite number, found " + theta;
        }
        if (torchDtype != null && !Set.of("float32", "bfloat16", "float16").contains(torchDtype)) {
            return "field 'torch_dtype': expected \"float32\", \"bfloat16\" or \"float16\", found \"" + torchDtype + '"';
        }
        String[] idNames = {"bos_token_id", "eos_token_id", "pad_token_id"};
        int[] ids = {bos, eos, pad};
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                return "field '" + idNames[i] + "': expected a token id in [0, vocab_size " + vocab + "), found " + ids[i];
            }
        }
        if (activation == null || !ACTIVATIONS.contains(activation)) {
            return "field 'hidden_activation': expected \"" + GELU_TANH + "\" or \"" + GELU + "\", found "
                    + (activation == null ? "null" : '"' + activation + '"');
        }
        return null;
    }

    /** Typed access to the keys of one config.json, with errors that name the file and the key. */
    private record Fields(Path file, JsonNode root) {
        ModelFormatException error(String key, String expected, String found) {
            return new ModelFormatException(file + ": field '" + key + "': expected " + expected + ", found " + found);
        }

        private JsonNode present(String key) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) throw error(key, "a value (the field is required)", "none");
            return n;
        }

        String requiredString(String key) {
            JsonNode n = present(key);
            if (!n.isTextual()) throw error(key, "a string", n.toString());
            return n.asText();
        }

        String optionalString(String key, String fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) return fallback;
            if (!n.isTextual()) throw error(key, "a string", n.toString());
            return n.asText();
        }

        int requiredInt(String key) {
            return toInt(key, present(key));
        }

        int optionalInt(String key, int fallback) {
            JsonNode n = root.get(key);
            return n == null || n.isNull() ? fallback : toInt(key, n);
        }

        double optionalDouble(String key, double fallback) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) return fallback;
            if (!n.isNumber()) throw error(key, "a number", n.toString());
            return n.asDouble();
        }

        private int toInt(String key, JsonNode n) {
            if (n.isIntegralNumber() && !n.canConvertToInt()) {
                String bound = boundOf(key);
                throw error(key, bound != null ? bound : "an integer in [" + Integer.MIN_VALUE + ", "
                        + Integer.MAX_VALUE + "]", n.toString());
            }
            if (!n.isIntegralNumber()) throw error(key, "an integer", n.toString());
            return n.asInt();
        }
    }
}
