package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.AttentionKind;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.SafeTensorsWriter;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU engine against the float64 {@link ReferenceGemma} of Hugging Face's Gemma 2 and Gemma 3,
 * on tiny random checkpoints in each config.json and tensor layout those models are published in,
 * with prompts longer than the sliding window: as one prefill, token by token through the decode
 * path (whose sliding layers read a ring of window size), and as two prefill chunks (the second
 * reads the first's ring).
 *
 * <p>Tolerance 3e-5 of max |logit|: the engine computes in fp32 (unit roundoff 6e-8) through sums of
 * at most 64 terms, a few layers and soft-caps that only shrink errors; its error is about 1e-6
 * relative, and a wrong window, scale, cap, norm or RoPE base moves logits by 1e-2 or more.
 */
class Gemma23ParityTest {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final int PROMPT = 13;
    private static final double TOLERANCE = 3e-5;

    /** Gemma 2 shapes: window 4 of a 13-token prompt, soft-caps small enough to bend typical scores and logits. */
    private static GemmaConfig gemma2(String dtype) {
        GemmaConfig base = new GemmaConfig(320, 32, 64, 3, 4, 2, 16, 1e-6, 10000.0, 8192, dtype, 2, 1, 0,
                GemmaConfig.GELU_TANH);
        return base.withFamily(new GemmaFamily("gemma2", List.of(AttentionKind.SLIDING, AttentionKind.FULL,
                AttentionKind.SLIDING), 4, 24, 3.0, 5.0, true, false, 1, 10000.0, 1, List.of(1), false));
    }

    /** Gemma 3 shapes: window 5, full layers at RoPE base 1e6 with linear factor 8, sliding ones at 1e4. */
    private static GemmaConfig gemma3(String dtype, double factor) {
        GemmaConfig base = new GemmaConfig(320, 32, 64, 4, 4, 2, 16, 1e-6, 1_000_000.0, 131072, dtype, 2, 1, 0,
                GemmaConfig.GELU_TANH);
        return base.withFamily(new GemmaFamily("gemma3_text", List.of(AttentionKind.SLIDING, AttentionKind.FULL,
                AttentionKind.SLIDING, AttentionKind.FULL), 5, 20, 0, 0, true, true, factor, 10000.0, 1, List.of(1),
                false));
    }

    /** A published layout: the config.json keys and tensor names that differ between checkpoints. */
    enum Layout {
        /** Gemma 2 as google/gemma-2-2b: no layer_types, sliding on even layers. */
        GEMMA2_PLAIN(gemma2("float32"), DType.F32, o -> without(o, "layer_types"), "model."),
        /** Gemma 2 with a layer_types list that is not the default pattern. */
        GEMMA2_LAYER_TYPES(gemma2("float32"), DType.F32, o -> kinds(o, "full_attention", "sliding_attention",
                "sliding_attention"), "model."),
        GEMMA2_BF16(gemma2("bfloat16"), DType.BF16, o -> without(o, "layer_types"), "model."),
        /** Gemma 3 1B style: sliding_window_pattern instead of layer_types, plain RoPE. */
        GEMMA3_PLAIN(gemma3("float32", 1), DType.F32, o -> {
            without(o, "layer_types");
            o.put("sliding_window_pattern", 2);
            return o;
        }, "model."),
        /** layer_types not in the pattern, and rope_scaling linear factor 8 on full layers. */
        GEMMA3_LAYER_TYPES(gemma3("float32", 8), DType.F32, o -> kinds(o, "sliding_attention", "sliding_attention",
                "full_attention", "sliding_attention"), "model."),
        /** transformers 5: rope_parameters per layer kind and dtype instead of torch_dtype. */
        GEMMA3_ROPE_PARAMETERS(gemma3("float32", 8), DType.F32, o -> {
            without(o, "rope_scaling");
            without(o, "rope_theta");
            without(o, "rope_local_base_freq");
            o.put("dtype", o.remove("torch_dtype").asText());
            ObjectNode p = o.putObject("rope_parameters");
            p.putObject("full_attention").put("rope_type", "linear").put("factor", 8.0).put("rope_theta", 1_000_000.0);
            p.putObject("sliding_attention").put("rope_type", "default").put("rope_theta", 10000.0);
            return o;
        }, "model."),
        GEMMA3_BF16(gemma3("bfloat16", 8), DType.BF16, UnaryOperator.identity(), "model."),
        /** Gemma 3 4B as published: a text_config relying on defaults, weights under language_model.model. */
        GEMMA3_MULTIMODAL(gemma3("float32", 8), DType.F32, o -> nestedText(o, "torch_dtype"), "language_model.model."),
        /** As saved by transformers 5: weights under model.language_model., dtype key. */
        GEMMA3_MULTIMODAL_TRANSFORMERS5(gemma3("float32", 8), DType.F32, o -> nestedText(o, "dtype"),
                "model.language_model.");

        final GemmaConfig config;
        final DType dtype;
        final UnaryOperator<ObjectNode> json;
        final String prefix;

        Layout(GemmaConfig config, DType dtype, UnaryOperator<ObjectNode> json, String prefix) {
            this.config = config;
            this.dtype = dtype;
            this.json = json;
            this.prefix = prefix;
        }

        boolean nested() {
            return !prefix.equals("model.");
        }
    }

    private static ObjectNode without(ObjectNode o, String key) {
        o.remove(key);
        return o;
    }

    private static ObjectNode kinds(ObjectNode o, String... kinds) {
        ArrayNode a = o.putArray("layer_types");
        for (String k : kinds) a.add(k);
        return o;
    }

    /**
     * The text config nested as text_config with only what published Gemma 3 4B states (shapes,
     * window, rope_scaling); the rest (query_pre_attn_scalar 256, rope_theta 1e6, rope_local_base_freq
     * 1e4, the pattern 6, rms_norm_eps) from Gemma3TextConfig's defaults. 6 layers: 5 sliding, 1 full.
     */
    private static ObjectNode nestedText(ObjectNode text, String dtypeKey) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("Gemma3ForConditionalGeneration");
        o.put("model_type", "gemma3");
        o.put(dtypeKey, "float32");
        o.putArray("eos_token_id").add(1).add(106);
        ObjectNode t = o.putObject("text_config");
        for (String key : List.of("hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads",
                "head_dim", "vocab_size", "sliding_window", "rope_scaling")) {
            t.set(key, text.get(key));
        }
        t.put("model_type", "gemma3_text");
        t.put("num_hidden_layers", 6);
        o.putObject("vision_config").put("model_type", "siglip_vision_model");
        return o;
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void engineMatchesReference(Layout layout, @TempDir Path dir) throws IOException {
        long seed = 0x5EED0000L + layout.ordinal();
        int skipped = write(dir, layout, seed);
        try (Checkpoint ckpt = Checkpoint.open(dir); CpuBackend backend = new CpuBackend(ckpt)) {
            GemmaConfig c = ckpt.config();
            assertEquals(skipped, ckpt.skippedVisionTensors(), "vision tensors skipped");
            assertTrue(c.family().slidingLayers() > 0 && c.family().slidingLayers() < c.numHiddenLayers(),
                    "expected sliding and full layers, found " + c.family().layerTypes());
            int[] tokens = new SplittableRandom(seed).ints(PROMPT, 0, c.vocabSize()).toArray();
            System.out.println(layout + ": seed " + Long.toHexString(seed) + ", layers " + c.family().layerTypes()
                    + ", window " + c.family().slidingWindow() + ", tokens " + Arrays.toString(tokens));
            double[][] want = new ReferenceGemma(ckpt).logits(tokens);
            Forward forward = new Forward(backend);
            int n = tokens.length, vocab = c.vocabSize();

            float[] prefill;
            try (KvCache cache = backend.newCache(n)) {
                prefill = forward.run(tokens, cache, 0, n);
            }
            float[] incremental = new float[n * vocab];
            try (KvCache cache = backend.newCache(n)) {
                for (int t = 0; t < n; t++) {
                    float[] row = forward.decode(new int[] {tokens[t]}, new KvCache[] {cache}, new int[] {t}, null);
                    System.arraycopy(row, 0, incremental, t * vocab, vocab);
                }
            }
            float[] chunked = new float[n * vocab];
            try (KvCache cache = backend.newCache(n)) {
                int split = 7;
                float[] a = forward.run(Arrays.copyOfRange(tokens, 0, split), cache, 0, split);
                float[] b = forward.run(Arrays.copyOfRange(tokens, split, n), cache, split, n - split);
                System.arraycopy(a, 0, chunked, 0, a.length);
                System.arraycopy(b, 0, chunked, a.length, b.length);
            }
            check(layout + " prefill", want, prefill, vocab);
            check(layout + " incremental", want, incremental, vocab);
            check(layout + " two chunks", want, chunked, vocab);
        }
    }

    /** The built-in tiny-gemma2 and tiny-gemma3 (window 4) on a 10-token prompt, prefill and decode. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2", "tiny-gemma3", "tiny-gemma3-bf16"})
    void builtInModelsMatchReference(String name) {
        try (Checkpoint ckpt = Checkpoint.open(TestModels.resolve(name)); CpuBackend backend = new CpuBackend(ckpt)) {
            GemmaConfig c = ckpt.config();
            assertTrue(c.family().slidingWindow() < 10, "window " + c.family().slidingWindow());
            long seed = name.hashCode();
            int[] tokens = new SplittableRandom(seed).ints(10, 0, 256000).toArray();
            System.out.println(name + ": seed " + seed + ", tokens " + Arrays.toString(tokens));
            double[][] want = new ReferenceGemma(ckpt).logits(tokens);
            Forward forward = new Forward(backend);
            int vocab = c.vocabSize();
            try (KvCache cache = backend.newCache(tokens.length)) {
                check(name + " prefill", want, forward.run(tokens, cache, 0, tokens.length), vocab);
            }
            float[] incremental = new float[tokens.length * vocab];
            try (KvCache cache = backend.newCache(tokens.length)) {
                for (int t = 0; t < tokens.length; t++) {
                    float[] row = forward.decode(new int[] {tokens[t]}, new KvCache[] {cache}, new int[] {t}, null);
                    System.arraycopy(row, 0, incremental, t * vocab, vocab);
                }
            }
            check(name + " incremental", want, incremental, vocab);
        }
    }

    private static void check(String what, double[][] want, float[] got, int vocab) {
        double maxRef = 0, maxDiff = 0;
        for (int t = 0; t < want.length; t++) {
            int top = 0, gotTop = 0;
            for (int i = 0; i < vocab; i++) {
                double r = want[t][i], g = got[t * vocab + i];
                maxRef = Math.max(maxRef, Math.abs(r));
                double d = Math.abs(g - r);
                maxDiff = Double.isNaN(d) ? Double.NaN : Math.max(maxDiff, d);
                if (r > want[t][top]) top = i;
                if (g > got[t * vocab + gotTop]) gotTop = i;
            }
            assertEquals(top, gotTop, what + ": top-1 token at position " + t);
        }
        double rel = maxDiff / maxRef;
        System.out.printf("%s: max |logit| %.4f, relative error %.3e%n", what, maxRef, rel);
        assertTrue(rel < TOLERANCE, what + ": relative error " + rel + " (NaN fails), expected below " + TOLERANCE);
    }

    /** Writes the layout's config.json and random weights; returns the number of vision tensors written. */
    private static int write(Path dir, Layout layout, long seed) throws IOException {
        ObjectNode o = (ObjectNode) JSON.readTree(layout.config.toJson());
        ObjectNode json = layout.json.apply(o);
        Files.writeString(dir.resolve(Checkpoint.CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        GemmaConfig shapes = layout.config;
        if (layout.nested()) {
            // The text model the multimodal config states: 6 layers, Gemma3TextConfig's defaults otherwise.
            shapes = new GemmaConfig(shapes.vocabSize(), shapes.hiddenSize(), shapes.intermediateSize(), 6,
                    shapes.numAttentionHeads(), shapes.numKeyValueHeads(), shapes.headDim(), 1e-6, 1e6, 131072,
                    "float32", 2, 1, 0, GemmaConfig.GELU_TANH).withFamily(new GemmaFamily("gemma3",
                    List.of(AttentionKind.SLIDING, AttentionKind.SLIDING, AttentionKind.SLIDING, AttentionKind.SLIDING,
                            AttentionKind.SLIDING, AttentionKind.FULL), 5, 256, 0, 0, true, true, 8, 10000, 1,
                    List.of(1, 106), true));
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Tensor> tensors = new ArrayList<>();
        for (Map.Entry<String, long[]> e : GemmaTensorNames.expectedShapes(shapes).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            float[] v = new float[(int) (shape.length == 1 ? shape[0] : shape[0] * shape[1])];
            double std = shape.length == 1 ? 0.1
                    : name.equals(GemmaTensorNames.embed()) ? 0.5 / Math.sqrt(shape[1])
                    : (name.endsWith(GemmaTensorNames.Q_PROJ) ? 3 : 1) / Math.sqrt(shape[1]);
            double mean = name.equals(GemmaTensorNames.finalNorm()) ? 2 : 0;
            for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rnd.nextGaussian());
            String stored = layout.prefix + name.substring("model.".length());
            tensors.add(Tensor.of(stored, layout.dtype, shape, v));
        }
        int vision = 0;
        if (layout.nested()) {
            String root = layout.prefix.startsWith("model.") ? "model." : "";
            tensors.add(Tensor.of(root + "vision_tower.vision_model.post_layernorm.weight", layout.dtype,
                    new long[] {8}, new float[8]));
            tensors.add(Tensor.of(root + "multi_modal_projector.mm_input_projection_weight", layout.dtype,
                    new long[] {8, 32}, new float[256]));
            vision = 2;
        }
        SafeTensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
        return vision;
    }
}
