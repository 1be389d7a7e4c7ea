package dev.gemma4j.synthetic;

import dev.gemma4j.Home;
import dev.gemma4j.model.AttentionKind;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Gemma-shaped weights filled with deterministic pseudo-random values, for measuring speed and
 * memory without a real checkpoint: Gemma 1 2B and 7B, Gemma 2 2B, Gemma 3 1B and 4B (text), each
 * with its published config.json's shapes, layer kinds, window, soft-caps and RoPE. Element {@code i} of the {@code k}-th tensor (in
 * {@link GemmaTensorNames#expectedShapes} order) is {@link #value}: a pure function of (seed, k, i)
 * that a GPU kernel can compute too, so both backends see the same model.
 */
public final class SyntheticWeights implements WeightSource {
    /** The synthetic model names. */
    public static final List<String> NAMES = List.of("synthetic-2b", "synthetic-7b", "synthetic-gemma2-2b",
            "synthetic-gemma3-1b", "synthetic-gemma3-4b");

    private final GemmaConfig config;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors;

    private SyntheticWeights(GemmaConfig config, DType dtype, long seed) {
        this.config = config;
        Map<String, Tensor> m = new LinkedHashMap<>();
        int k = 0;
        for (Map.Entry<String, long[]> e : GemmaTensorNames.expectedShapes(config).entrySet()) {
            long[] shape = e.getValue();
            long count = 1;
            for (long d : shape) count *= d;
            MemorySegment data = arena.allocate(count * dtype.bytes(), 64);
            fill(data, dtype, count, seed, k, e.getKey(), shape, config);
            m.put(e.getKey(), new Tensor(e.getKey(), dtype, shape, data));
            k++;
        }
        tensors = Collections.unmodifiableMap(m);
    }

    public static boolean isSynthetic(String name) {
        return NAMES.contains(name);
    }

    /**
     * @param name   one of {@link #NAMES}
     * @param layers how many of the model's layers to build (0 for all): a 7B-shaped model with a few
     *               layers fits the CPU side of a parity run
     */
    public static SyntheticWeights create(String name, int layers, DType dtype, long seed) {
        return new SyntheticWeights(config(name, layers, dtype), dtype, seed);
    }

    /**
     * Synthetic weights of any shape (the same values and amplitudes as the named models), e.g. a
     * model with a small vocabulary for tests whose cost grows with the vocabulary.
     */
    public static SyntheticWeights of(GemmaConfig config, DType dtype, long seed) {
        return new SyntheticWeights(config, dtype, seed);
    }

    /**
     * The configuration of a synthetic model, without building its weights; with {@code layers} below
     * the model's count, its first layers (their kinds as in the full model).
     */
    public static GemmaConfig config(String name, int layers, DType dtype) {
        GemmaConfig full = switch (name) {
            case "synthetic-2b" -> GemmaConfig.gemma2B();
            case "synthetic-7b" -> GemmaConfig.gemma7B();
            case "synthetic-gemma2-2b" -> published(256000, 2304, 9216, 26, 8, 4, 10000.0, 8192, "gemma2", 4096, 2, 1);
            case "synthetic-gemma3-1b" -> published(262144, 1152, 6912, 26, 4, 1, 1_000_000.0, 32768, "gemma3_text",
                    512, 6, 1);
            case "synthetic-gemma3-4b" -> published(262208, 2560, 10240, 34, 8, 4, 1_000_000.0, 131072, "gemma3_text",
                    1024, 6, 8);
            default -> throw new IllegalArgumentException("unknown synthetic model '" + name + "', expected one of " + NAMES);
        };
        if (layers < 0 || layers > full.numHiddenLayers()) {
            throw new IllegalArgumentException("layers for " + name + " must be in [0, " + full.numHiddenLayers()
                    + "] (0 = all), found " + layers);
        }
        int n = layers == 0 ? full.numHiddenLayers() : layers;
        GemmaFamily f = full.family();
        return new GemmaConfig(full.vocabSize(), full.hiddenSize(), full.intermediateSize(), n,
                full.numAttentionHeads(), full.numKeyValueHeads(), full.headDim(), full.rmsNormEps(), full.ropeTheta(),
                full.maxPositionEmbeddings(), dtype.torchName(), full.bosTokenId(), full.eosTokenId(),
                full.padTokenId(), full.hiddenActivation(),
                new GemmaFamily(f.modelType(), f.layerTypes().subList(0, n), f.slidingWindow(), f.queryPreAttnScalar(),
                        f.attnLogitSoftcapping(), f.finalLogitSoftcapping(), f.sandwichNorms(), f.qkNorms(),
                        f.fullRopeFactor(), f.slidingRopeTheta(), f.slidingRopeFactor(), f.endTokenIds(),
                        f.multimodal()));
    }

    /**
     * A Gemma 2 or Gemma 3 text model as its config.json states it: head_dim and query_pre_attn_scalar
     * 256, RMSNorm eps 1e-6. Gemma 2 slides on even layers (pattern 2) and soft-caps scores at 50 and
     * logits at 30; Gemma 3 has a full layer every {@code pattern}-th, q/k norms, RoPE base 1e4 on
     * sliding layers and {@code ropeTheta} with linear factor {@code fullRopeFactor} on full ones. End
     * ids are those of the published generation_config.json.
     */
    private static GemmaConfig published(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads,
            double ropeTheta, int maxPositions, String modelType, int window, int pattern, double fullRopeFactor) {
        boolean gemma2 = modelType.equals("gemma2");
        List<AttentionKind> kinds = IntStream.range(0, layers)
                .mapToObj(l -> (l + 1) % pattern == 0 ? AttentionKind.FULL : AttentionKind.SLIDING).toList();
        GemmaFamily family = new GemmaFamily(modelType, kinds, window, 256, gemma2 ? 50.0 : 0, gemma2 ? 30.0 : 0,
                true, !gemma2, fullRopeFactor, 10000.0, 1, List.of(1, gemma2 ? 107 : 106), false);
        return new GemmaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, 256, 1e-6, ropeTheta, maxPositions,
                "bfloat16", 2, 1, 0, GemmaConfig.GELU_TANH, family);
    }

    /**
     * Amplitude of a tensor's uniform values, chosen so activations look like a trained model's:
     * projections have variance 1/fan_in, the embedding 0.25/hidden, norm offsets are small and the
     * final norm's offset is about 2 (so 1 + w ≈ 3).
     */
    public static float amplitude(String name, long[] shape, GemmaConfig c) {
        float sqrt3 = (float) Math.sqrt(3);
        if (shape.length == 1) return 0.1f * sqrt3;
        if (name.equals(GemmaTensorNames.embed())) return 0.5f * sqrt3 / (float) Math.sqrt(c.hiddenSize());
        return sqrt3 / (float) Math.sqrt(shape[1]);
    }

    /** Offset added to every element: 2 for the final norm, else 0. */
    public static float offset(String name) {
        return name.equals(GemmaTensorNames.finalNorm()) ? 2f : 0f;
    }

    /**
     * Element {@code index} of tensor number {@code tensorIndex}: uniform in [-1, 1) from a splitmix64
     * hash of (seed, tensorIndex, index), times the amplitude, plus the offset; rounded to the dtype.
     */
    public static float value(long seed, int tensorIndex, long index, float amplitude, float offset) {
        long z = seed + 0x9E3779B97F4A7C15L * (tensorIndex + 1) + index * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        // top 24 bits -> [0, 2^24) -> [-1, 1) exactly representable in fp32
        float u = ((z >>> 40) - 8388608) * 0x1p-23f;
        return u * amplitude + offset;
    }

    private static void fill(MemorySegment data, DType dtype, long count, long seed, int k, String name,
                             long[] shape, GemmaConfig c) {
        float amp = amplitude(name, shape, c);
        float off = offset(name);
        long chunk = 1 << 20;
        int chunks = (int) ((count + chunk - 1) / chunk);
        IntStream.range(0, chunks).parallel().forEach(ci -> {
            long end = Math.min(count, (ci + 1) * chunk);
            for (long i = ci * chunk; i < end; i++) {
                dtype.write(data, i, value(seed, k, i, amp, off));
            }
        });
    }

    @Override public GemmaConfig config() { return config; }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("synthetic model has no tensor '" + name + "'");
        return t;
    }

    @Override public Map<String, Tensor> tensors() { return tensors; }

    /** Synthetic models use their family's real tokenizer from the cache. */
    @Override public Path tokenizerJson() { return tokenizerJson(config); }

    /** Gemma 3's tokenizer for Gemma 3 shapes, Gemma's (also Gemma 2's) for the others. */
    public static Path tokenizerJson(GemmaConfig config) {
        return config.family().modelType().startsWith("gemma3") ? Home.gemma3TokenizerJson() : Home.gemmaTokenizerJson();
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
