package dev.gemma4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the config.json of Gemma 2 ({@code gemma2}), Gemma 3 text ({@code gemma3_text}) and the
 * text part of Gemma 3 multimodal ({@code gemma3}, from its {@code text_config}). Absent keys take
 * the defaults of transformers' Gemma2Config and Gemma3TextConfig, since published Gemma 3
 * multimodal configs leave nearly all of text_config to them. Every number is bounded, and an
 * error names the key, the value and the bound.
 */
final class GemmaFamilyReader {
    private GemmaFamilyReader() {}

    static final String GENERATION_CONFIG = "generation_config.json";
    /** Longest sliding window accepted; published Gemma models use 512 to 4,096. */
    static final int MAX_SLIDING_WINDOW = 1 << 20;
    static final double MAX_QUERY_PRE_ATTN_SCALAR = 1 << 20;
    static final double MAX_SOFTCAP = 1e4;
    static final double MAX_ROPE_FACTOR = 1024;
    static final double MAX_ROPE_THETA = 1e12;
    static final int MAX_SLIDING_WINDOW_PATTERN = 1024;

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Transformers' defaults for one family. */
    private record Defaults(String architecture, int vocab, int hidden, int intermediate, int layers, int heads,
            int kvHeads, int headDim, double ropeTheta, int maxPositions, int window, double attnSoftcap,
            double finalSoftcap, boolean qkNorms, int pattern) {}

    private static final Defaults GEMMA2 = new Defaults("Gemma2ForCausalLM", 256000, 2304, 9216, 26, 8, 4, 256,
            10000.0, 8192, 4096, 50.0, 30.0, false, 2);
    private static final Defaults GEMMA3 = new Defaults("Gemma3ForCausalLM", 262208, 2304, 9216, 26, 8, 4, 256,
            1_000_000.0, 131072, 4096, 0, 0, true, 6);

    static GemmaConfig read(Path configJson, JsonNode root, String modelType) {
        Keys top = new Keys(configJson, root, "");
        Keys f;
        Defaults d;
        switch (modelType) {
            case "gemma2" -> {
                d = GEMMA2;
                f = top;
                checkArchitecture(top, "Gemma2ForCausalLM");
            }
            case "gemma3_text" -> {
                d = GEMMA3;
                f = top;
                checkArchitecture(top, "Gemma3ForCausalLM");
            }
            case "gemma3" -> {
                d = GEMMA3;
                checkArchitecture(top, "Gemma3ForConditionalGeneration");
                JsonNode text = root.get("text_config");
                if (text == null || text.isNull()) {
                    throw top.error("text_config", "an object with the text model's settings (a multimodal "
                            + "Gemma 3 config.json nests them there)", "none");
                }
                if (!text.isObject()) throw top.error("text_config", "an object", text.toString());
                f = new Keys(configJson, text, "text_config.");
            }
            default -> throw top.error("model_type",
                    "\"gemma\", \"gemma2\", \"gemma3_text\" or \"gemma3\"", '"' + modelType + '"');
        }
        boolean gemma3 = d == GEMMA3;
        JsonNode attentionBias = f.node("attention_bias");
        if (attentionBias != null && !(attentionBias.isBoolean() && !attentionBias.asBoolean())) {
            throw f.error("attention_bias", "false (Gemma projections have no bias)", attentionBias.toString());
        }
        String dtypeKey = f.node("torch_dtype") != null ? "torch_dtype" : "dtype";
        String torchDtype = f.string(dtypeKey, null);
        if (torchDtype == null) torchDtype = top.string(top.node("torch_dtype") != null ? "torch_dtype" : "dtype", null);
        String activationKey = f.node("hidden_activation") != null ? "hidden_activation" : "hidden_act";
        String activation = f.string(activationKey, GemmaConfig.GELU_TANH);

        int vocab = f.integer("vocab_size", d.vocab);
        int hidden = f.integer("hidden_size", d.hidden);
        int intermediate = f.integer("intermediate_size", d.intermediate);
        int layers = f.integer("num_hidden_layers", d.layers);
        int heads = f.integer("num_attention_heads", d.heads);
        int kvHeads = f.integer("num_key_value_heads", d.kvHeads);
        int headDim = f.integer("head_dim", d.headDim);
        double eps = f.number("rms_norm_eps", GemmaConfig.DEFAULT_RMS_NORM_EPS);
        double theta = f.number("rope_theta", d.ropeTheta);
        int maxPos = f.integer("max_position_embeddings", d.maxPositions);
        int bos = f.integer("bos_token_id", GemmaConfig.DEFAULT_BOS);
        List<Integer> eosList = f.ids("eos_token_id", List.of(GemmaConfig.DEFAULT_EOS));
        int pad = f.integer("pad_token_id", GemmaConfig.DEFAULT_PAD);
        if (eosList.isEmpty()) throw f.error("eos_token_id", "a token id or a non-empty list of them", "[]");

        double qScalar = f.bounded("query_pre_attn_scalar", 256, MAX_QUERY_PRE_ATTN_SCALAR);
        double attnCap = f.softcap("attn_logit_softcapping", d.attnSoftcap);
        double finalCap = f.softcap("final_logit_softcapping", d.finalSoftcap);
        List<AttentionKind> kinds = layerTypes(f, layers, d.pattern);
        int window = 0;
        if (kinds.contains(AttentionKind.SLIDING)) {
            window = f.integer("sliding_window", d.window);
            if (window <= 0 || window > MAX_SLIDING_WINDOW) {
                throw f.error("sliding_window", "an integer in [1, " + MAX_SLIDING_WINDOW + "] (layer_types holds "
                        + "sliding layers)", Integer.toString(window));
            }
        }
        double slidingTheta = gemma3 ? f.bounded("rope_local_base_freq", 10000.0, MAX_ROPE_THETA) : theta;
        double[] full = {theta, 1};
        double[] sliding = {slidingTheta, 1};
        rope(f, gemma3, full, sliding);

        List<Integer> ends = endIds(configJson, vocab, eosList);
        GemmaFamily family = new GemmaFamily(modelType, kinds, window, qScalar, attnCap, finalCap, true, gemma3,
                full[1], sliding[0], sliding[1], ends, modelType.equals("gemma3"));
        try {
            return new GemmaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, headDim, eps, full[0], maxPos,
                    torchDtype, bos, eosList.getFirst(), pad, activation, family);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage().replace("'hidden_activation'", "'" + activationKey + "'")
                    .replace("'torch_dtype'", "'" + dtypeKey + "'").replace("field '", "field '" + f.prefix);
            throw new ModelFormatException(configJson + ": " + message, e);
        }
    }

    private static void checkArchitecture(Keys top, String expected) {
        JsonNode architectures = top.node("architectures");
        if (architectures == null) return;
        boolean found = false;
        if (architectures.isArray()) {
            for (JsonNode a : architectures) found |= a.isTextual() && a.asText().equals(expected);
        }
        if (!found) throw top.error("architectures", "[\"" + expected + "\"]", architectures.toString());
    }

    /**
     * {@code layer_types}, else the family's pattern: Gemma 2 slides on even layers; Gemma 3's layer i
     * is full when (i + 1) % sliding_window_pattern == 0.
     */
    private static List<AttentionKind> layerTypes(Keys f, int layers, int defaultPattern) {
        JsonNode list = f.node("layer_types");
        List<AttentionKind> kinds = new ArrayList<>();
        if (list != null) {
            if (!list.isArray() || list.size() != layers) {
                throw f.error("layer_types", "a list of num_hidden_layers " + layers + " layer kinds",
                        list.isArray() ? list.size() + " entries" : list.toString());
            }
            for (int i = 0; i < layers; i++) {
                JsonNode k = list.get(i);
                AttentionKind kind = k.isTextual() ? AttentionKind.ofKey(k.asText()) : null;
                if (kind == null) {
                    throw f.error("layer_types", "\"full_attention\" or \"sliding_attention\" at index " + i,
                            k.toString());
                }
                kinds.add(kind);
            }
            return kinds;
        }
        String patternKey = f.node("sliding_window_pattern") != null ? "sliding_window_pattern" : "_sliding_window_pattern";
        int pattern = f.integer(patternKey, defaultPattern);
        if (pattern <= 0 || pattern > MAX_SLIDING_WINDOW_PATTERN) {
            throw f.error(patternKey, "an integer in [1, " + MAX_SLIDING_WINDOW_PATTERN + "]", Integer.toString(pattern));
        }
        for (int i = 0; i < layers; i++) {
            kinds.add((i + 1) % pattern == 0 ? AttentionKind.FULL : AttentionKind.SLIDING);
        }
        return kinds;
    }

    /**
     * RoPE base and linear factor of full and sliding layers ({base, factor} each), from
     * {@code rope_parameters} (transformers 5: per layer kind, or one set for all) or
     * {@code rope_scaling}. Gemma 3's sliding layers keep plain RoPE at rope_local_base_freq
     * unless rope_parameters says otherwise, as transformers computes them.
     */
    private static void rope(Keys f, boolean gemma3, double[] full, double[] sliding) {
        JsonNode parameters = f.node("rope_parameters");
        if (parameters != null) {
            if (!parameters.isObject()) throw f.error("rope_parameters", "an object", parameters.toString());
            if (parameters.has("full_attention") || parameters.has("sliding_attention")) {
                for (var e : parameters.properties()) {
                    AttentionKind kind = AttentionKind.ofKey(e.getKey());
                    if (kind == null) {
                        throw f.error("rope_parameters", "keys \"full_attention\" and \"sliding_attention\"",
                                '"' + e.getKey() + '"');
                    }
                    ropeSet(f, "rope_parameters." + e.getKey(), e.getValue(), kind == AttentionKind.FULL ? full : sliding);
                }
            } else {
                ropeSet(f, "rope_parameters", parameters, full);
                if (!gemma3) {
                    sliding[0] = full[0];
                    sliding[1] = full[1];
                }
            }
            return;
        }
        JsonNode scaling = f.node("rope_scaling");
        if (scaling != null) {
            if (!scaling.isObject()) throw f.error("rope_scaling", "null or an object", scaling.toString());
            ropeSet(f, "rope_scaling", scaling, full);
            if (!gemma3) sliding[1] = full[1];
        }
    }

    /** One RoPE parameter set: rope_type (or type) "default" or "linear", factor, and optionally rope_theta. */
    private static void ropeSet(Keys f, String key, JsonNode set, double[] baseAndFactor) {
        if (!set.isObject()) throw f.error(key, "an object", set.toString());
        JsonNode typeNode = set.has("rope_type") ? set.get("rope_type") : set.get("type");
        String typeKey = key + (set.has("rope_type") ? ".rope_type" : ".type");
        String type = typeNode == null || typeNode.isNull() ? "default" : typeNode.isTextual() ? typeNode.asText() : null;
        if (type == null || !(type.equals("default") || type.equals("linear"))) {
            throw f.error(typeKey, "\"default\" or \"linear\" (the RoPE types gemma4j implements)",
                    String.valueOf(typeNode));
        }
        Keys inner = new Keys(f.file, set, f.prefix + key + ".");
        if (set.has("rope_theta")) baseAndFactor[0] = inner.bounded("rope_theta", 0, MAX_ROPE_THETA);
        baseAndFactor[1] = type.equals("linear") ? inner.bounded("factor", Double.NaN, MAX_ROPE_FACTOR) : 1;
    }

    /** generation_config.json's eos_token_id (an id or a list), else config.json's; each a token id. */
    private static List<Integer> endIds(Path configJson, int vocab, List<Integer> configEos) {
        Path generation = configJson.resolveSibling(GENERATION_CONFIG);
        List<Integer> ids = configEos;
        Keys where = null;
        if (Files.isRegularFile(generation)) {
            JsonNode root;
            try {
                root = JSON.readTree(Files.readString(generation));
            } catch (JacksonException e) {
                throw new ModelFormatException(generation + ": not valid JSON: " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new ModelFormatException(generation + ": cannot be read: " + e, e);
            }
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(generation + ": expected a JSON object, found " + root);
            }
            where = new Keys(generation, root, "");
            ids = where.ids("eos_token_id", configEos);
            if (ids.isEmpty()) throw where.error("eos_token_id", "a token id or a non-empty list of them", "[]");
        }
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                String file = where == null ? configJson.toString() : generation.toString();
                throw new ModelFormatException(file + ": field 'eos_token_id': expected token ids in [0, vocab_size "
                        + vocab + "), found " + id);
            }
        }
        return ids;
    }

    /** The keys of one JSON object; errors name the file and the key with its prefix ("text_config."). */
    private record Keys(Path file, JsonNode root, String prefix) {
        ModelFormatException error(String key, String expected, String found) {
            return new ModelFormatException(file + ": field '" + prefix + key + "': expected " + expected
                    + ", found " + found);
        }

        /** The key's value, or null when absent or JSON null. */
        JsonNode node(String key) {
            JsonNode n = root.get(key);
            return n == null || n.isNull() ? null : n;
        }

        String string(String key, String fallback) {
            JsonNode n = node(key);
            if (n == null) return fallback;
            if (!n.isTextual()) throw error(key, "a string", n.toString());
            return n.asText();
        }

        int integer(String key, int fallback) {
            JsonNode n = node(key);
            if (n == null) return fallback;
            if (!n.isIntegralNumber() || !n.canConvertToInt()) throw error(key, "an integer", n.toString());
            return n.asInt();
        }

        double number(String key, double fallback) {
            JsonNode n = node(key);
            if (n == null) return fallback;
            if (!n.isNumber()) throw error(key, "a number", n.toString());
            return n.asDouble();
        }

        /** A number in (0, max], or {@code fallback} when absent (NaN: the key is required). */
        double bounded(String key, double fallback, double max) {
            JsonNode n = node(key);
            if (n == null && Double.isNaN(fallback)) throw error(key, "a number in (0, " + max + "]", "none");
            double v = number(key, fallback);
            if (!(v > 0 && v <= max)) throw error(key, "a number in (0, " + max + "]", Double.toString(v));
            return v;
        }

        /** A soft-cap in (0, MAX_SOFTCAP], or 0 when the key is null (no cap); {@code fallback} when absent. */
        double softcap(String key, double fallback) {
            if (!root.has(key)) return fallback;
            if (root.get(key).isNull()) return 0;
            double v = number(key, fallback);
            if (!(v > 0 && v <= MAX_SOFTCAP)) {
                throw error(key, "null (no cap) or a number in (0, " + MAX_SOFTCAP + "]", Double.toString(v));
            }
            return v;
        }

        /** An id or a list of ids. */
        List<Integer> ids(String key, List<Integer> fallback) {
            JsonNode n = node(key);
            if (n == null) return fallback;
            List<Integer> ids = new ArrayList<>();
            if (n.isArray()) {
                for (JsonNode e : n) {
                    if (!e.isIntegralNumber() || !e.canConvertToInt()) throw error(key, "integer token ids", n.toString());
                    ids.add(e.asInt());
                }
            } else {
                ids.add(integer(key, 0));
            }
            return ids;
        }
    }
}
