package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gemma 2 and Gemma 3 configs: transformers' defaults, and every bad value refused naming its key. */
class Gemma23ConfigTest {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    private static GemmaConfig small(String modelType) {
        GemmaConfig base = new GemmaConfig(64, 16, 32, 3, 2, 1, 8, 1e-6, 10000.0, 512, "float32", 2, 1, 0,
                GemmaConfig.GELU_TANH);
        boolean gemma3 = modelType.equals("gemma3_text");
        return base.withFamily(new GemmaFamily(modelType, List.of(AttentionKind.SLIDING, AttentionKind.FULL,
                AttentionKind.SLIDING), 4, 8, gemma3 ? 0 : 50, gemma3 ? 0 : 30, true, gemma3, 1, 10000.0, 1,
                List.of(1), false));
    }

    private ObjectNode json(String modelType) throws IOException {
        return (ObjectNode) JSON.readTree(small(modelType).toJson());
    }

    private GemmaConfig read(ObjectNode config) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, JSON.writeValueAsString(config));
        return GemmaConfig.read(file);
    }

    /** The edited config is refused with a message naming the key and what was found. */
    private void refused(String modelType, Consumer<ObjectNode> edit, String key, String found) throws IOException {
        ObjectNode o = json(modelType);
        edit.accept(o);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(o));
        System.out.println("  " + e.getMessage());
        assertTrue(e.getMessage().contains("field '" + key + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(found), "expected '" + found + "' in: " + e.getMessage());
    }

    @Test
    void writtenConfigsReadBack() throws IOException {
        for (String type : List.of("gemma2", "gemma3_text")) assertEquals(small(type), read(json(type)));
    }

    @Test
    void gemma2DefaultsAreTransformers() throws IOException {
        ObjectNode o = json("gemma2");
        for (String key : List.of("layer_types", "query_pre_attn_scalar", "attn_logit_softcapping",
                "final_logit_softcapping", "sliding_window")) {
            o.remove(key);
        }
        GemmaFamily f = read(o).family();
        assertEquals(List.of(AttentionKind.SLIDING, AttentionKind.FULL, AttentionKind.SLIDING), f.layerTypes());
        assertEquals(256, f.queryPreAttnScalar());
        assertEquals(50, f.attnLogitSoftcapping());
        assertEquals(30, f.finalLogitSoftcapping());
        assertEquals(4096, f.slidingWindow());
    }

    @Test
    void slidingWindowMustBePositiveWhenLayersSlide() throws IOException {
        refused("gemma2", o -> o.put("sliding_window", 0), "sliding_window", "found 0");
        refused("gemma3_text", o -> o.put("sliding_window", -512), "sliding_window", "found -512");
        refused("gemma3_text", o -> o.put("sliding_window", 1 << 21), "sliding_window", "found 2097152");
        // Without sliding layers the window is not used.
        ObjectNode full = json("gemma3_text");
        full.putArray("layer_types").add("full_attention").add("full_attention").add("full_attention");
        full.put("sliding_window", 0);
        assertEquals(0, read(full).family().slidingLayers());
    }

    @Test
    void layerTypesOfWrongLengthOrUnknownKind() throws IOException {
        refused("gemma2", o -> o.putArray("layer_types").add("sliding_attention").add("full_attention"),
                "layer_types", "2 entries");
        refused("gemma3_text", o -> o.putArray("layer_types").add("sliding_attention").add("chunked_attention")
                .add("full_attention"), "layer_types", "\"chunked_attention\"");
        refused("gemma3_text", o -> o.put("layer_types", "sliding_attention"), "layer_types", "\"sliding_attention\"");
        refused("gemma3_text", o -> {
            o.remove("layer_types");
            o.put("sliding_window_pattern", 0);
        }, "sliding_window_pattern", "found 0");
    }

    @Test
    void queryPreAttnScalarMustBePositive() throws IOException {
        refused("gemma2", o -> o.put("query_pre_attn_scalar", 0), "query_pre_attn_scalar", "found 0.0");
        refused("gemma3_text", o -> o.put("query_pre_attn_scalar", -256), "query_pre_attn_scalar", "found -256.0");
    }

    @Test
    void softCapsMustBePositive() throws IOException {
        refused("gemma2", o -> o.put("attn_logit_softcapping", 0.0), "attn_logit_softcapping", "found 0.0");
        refused("gemma2", o -> o.put("final_logit_softcapping", -30.0), "final_logit_softcapping", "found -30.0");
        ObjectNode none = json("gemma2");
        none.putNull("attn_logit_softcapping");
        assertEquals(0, read(none).family().attnLogitSoftcapping(), "null: no cap");
    }

    @Test
    void ropeFactorAndTypeAreChecked() throws IOException {
        refused("gemma3_text", o -> o.putObject("rope_scaling").put("rope_type", "linear").put("factor", 0.0),
                "rope_scaling.factor", "found 0.0");
        refused("gemma3_text", o -> o.putObject("rope_scaling").put("rope_type", "linear").put("factor", -8.0),
                "rope_scaling.factor", "found -8.0");
        refused("gemma3_text", o -> o.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 8.0),
                "rope_scaling.rope_type", "\"yarn\"");
        refused("gemma3_text", o -> o.putObject("rope_scaling").put("type", "dynamic").put("factor", 2.0),
                "rope_scaling.type", "\"dynamic\"");
        refused("gemma3_text", o -> o.putObject("rope_parameters").putObject("full_attention")
                .put("rope_type", "llama3").put("factor", 8.0), "rope_parameters.full_attention.rope_type", "\"llama3\"");
        refused("gemma3_text", o -> o.putObject("rope_parameters").putObject("sliding_attention")
                .put("rope_type", "linear").put("factor", 0), "rope_parameters.sliding_attention.factor", "found 0.0");
    }

    @Test
    void multimodalConfigNeedsTextConfig() throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("Gemma3ForConditionalGeneration");
        o.put("model_type", "gemma3");
        o.putObject("vision_config").put("model_type", "siglip_vision_model");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(o));
        assertTrue(e.getMessage().contains("field 'text_config'") && e.getMessage().contains("found none"),
                e.getMessage());
        o.put("text_config", "gemma3_text");
        e = assertThrows(ModelFormatException.class, () -> read(o));
        assertTrue(e.getMessage().contains("field 'text_config'"), e.getMessage());
        // A bad text_config key is named with its prefix.
        o.putObject("text_config").put("query_pre_attn_scalar", 0);
        e = assertThrows(ModelFormatException.class, () -> read(o));
        assertTrue(e.getMessage().contains("field 'text_config.query_pre_attn_scalar'"), e.getMessage());
    }

    @Test
    void gemma3CheckpointWithoutQNormIsRefused() throws IOException {
        GemmaConfig c = small("gemma3_text");
        List<Tensor> tensors = new ArrayList<>(ModelFiles.randomTensors(c, DType.F32, 7));
        tensors.removeIf(t -> t.name().equals(GemmaTensorNames.layer(1, GemmaTensorNames.Q_NORM)));
        ModelFiles.writeCheckpoint(dir.resolve("m"), c, tensors);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.open(dir.resolve("m")));
        System.out.println("  " + e.getMessage());
        assertTrue(e.getMessage().contains("'model.layers.1.self_attn.q_norm.weight' with shape [8]"), e.getMessage());
    }

    @Test
    void endIdsFromGenerationConfigAreTokenIds() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, 64]}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(json("gemma2")));
        assertTrue(e.getMessage().contains("generation_config.json: field 'eos_token_id'")
                && e.getMessage().contains("found 64"), e.getMessage());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, 63]}");
        assertEquals(List.of(1, 63), read(json("gemma2")).family().endTokenIds());
    }

    @Test
    void multimodalCheckpointSkipsVisionTensorsUnderBothPrefixes() throws IOException {
        GemmaConfig c = small("gemma3_text");
        for (String prefix : List.of("language_model.model.", "model.language_model.")) {
            Path m = dir.resolve(prefix.replace(".", "_"));
            ObjectNode o = JSON.createObjectNode();
            o.putArray("architectures").add("Gemma3ForConditionalGeneration");
            o.put("model_type", "gemma3");
            ObjectNode text = (ObjectNode) JSON.readTree(c.toJson());
            text.remove("architectures");
            o.set("text_config", text);
            List<Tensor> tensors = new ArrayList<>();
            for (Tensor t : ModelFiles.randomTensors(c, DType.F32, 3)) {
                tensors.add(Tensor.of(prefix + t.name().substring("model.".length()), DType.F32, t.shape(),
                        new float[(int) t.elementCount()]));
            }
            String vision = prefix.startsWith("model.") ? "model." : "";
            tensors.add(Tensor.of(vision + "vision_tower.vision_model.post_layernorm.weight", DType.F32, new long[] {4},
                    new float[4]));
            Files.createDirectories(m);
            Files.writeString(m.resolve("config.json"), JSON.writeValueAsString(o));
            SafeTensorsWriter.write(m.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            try (Checkpoint ckpt = Checkpoint.open(m)) {
                assertEquals(1, ckpt.skippedVisionTensors());
                assertTrue(ckpt.config().family().multimodal());
                assertEquals(GemmaTensorNames.expectedShapes(ckpt.config()).keySet(), ckpt.tensors().keySet());
            }
        }
    }
}
