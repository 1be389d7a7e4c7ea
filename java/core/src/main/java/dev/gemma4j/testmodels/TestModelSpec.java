package dev.gemma4j.testmodels;

import dev.gemma4j.model.AttentionKind;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import java.util.List;

/**
 * The recipe of one deterministic test model: Gemma shapes, the stored dtype, and the seed its
 * weights are drawn from. The same spec always produces byte-identical files.
 *
 * @param name             folder-safe name: lower-case letters, digits and '-'
 * @param vocabSize        256000 to match Gemma's tokenizer
 * @param hiddenSize       residual width
 * @param intermediateSize GeGLU width
 * @param layers           decoder layers
 * @param heads            query heads
 * @param kvHeads          key/value heads (a divisor of heads)
 * @param headDim          per-head width (even; heads x headDim need not equal hiddenSize)
 * @param dtype            stored element type; values are drawn as float and rounded to it
 * @param seed             root of every tensor's random stream
 * @param zeroDownProj     every mlp.down_proj is zero, so the model is attention-only
 * @param zeroOProj        every self_attn.o_proj is zero, so the model is MLP-only
 * @param modelType        "gemma", or "gemma2" / "gemma3" for the Gemma 2 / Gemma 3 text layers of
 *                         {@link #family()}
 */
public record TestModelSpec(String name, int vocabSize, int hiddenSize, int intermediateSize, int layers,
        int heads, int kvHeads, int headDim, DType dtype, long seed, boolean zeroDownProj, boolean zeroOProj,
        String modelType) {

    /** Sliding window of the Gemma 2 and 3 test models: shorter than the prompts of their tests. */
    public static final int SLIDING_WINDOW = 4;

    /** A Gemma 1 recipe. */
    public TestModelSpec(String name, int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads,
            int kvHeads, int headDim, DType dtype, long seed, boolean zeroDownProj, boolean zeroOProj) {
        this(name, vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, dtype, seed, zeroDownProj,
                zeroOProj, "gemma");
    }

    /** @throws IllegalArgumentException for a name that is not folder-safe or shapes GemmaConfig rejects */
    public TestModelSpec {
        if (name == null || !name.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("test model name '" + name
                    + "': expected lower-case letters and digits in '-'-separated words");
        }
        if (dtype == null) throw new IllegalArgumentException("test model '" + name + "': dtype is null");
        if (!List.of("gemma", "gemma2", "gemma3").contains(modelType)) {
            throw new IllegalArgumentException("test model '" + name + "': model type expected \"gemma\", \"gemma2\" "
                    + "or \"gemma3\", found " + modelType);
        }
        GemmaConfig.of(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, dtype.torchName());
    }

    /**
     * What the Gemma 2 and 3 recipes add, with the published models' values unless said: Gemma 2
     * slides on even layers, scales scores by head_dim^-0.5 (query_pre_attn_scalar = head_dim, as in
     * Gemma 2 2B and 9B) and soft-caps them at 50 and the logits at 30;
     * Gemma 3 has a full layer last, q/k norms, RoPE base 1e6 with linear factor 8 (as Gemma 3 4B)
     * on full layers and 1e4 on sliding ones. Both use a window of {@link #SLIDING_WINDOW}, and the
     * end ids of their generation_config.json (Gemma 2: eos, end_of_turn 107; Gemma 3: eos, 106).
     */
    public GemmaFamily family() {
        List<AttentionKind> kinds = new java.util.ArrayList<>();
        for (int l = 0; l < layers; l++) {
            boolean full = modelType.equals("gemma2") ? l % 2 == 1 : l == layers - 1;
            kinds.add(full ? AttentionKind.FULL : AttentionKind.SLIDING);
        }
        return switch (modelType) {
            case "gemma2" -> new GemmaFamily("gemma2", kinds, SLIDING_WINDOW, headDim, 50.0, 30.0, true, false, 1,
                    10000.0, 1, List.of(1, 107), false);
            case "gemma3" -> new GemmaFamily("gemma3_text", kinds, SLIDING_WINDOW, headDim, 0, 0, true, true, 8,
                    10000.0, 1, List.of(1, 106), false);
            default -> GemmaFamily.gemma1(layers, headDim, 10000.0, 1);
        };
    }

    /** The config.json this spec produces (torch_dtype is the dtype's torch name). */
    public GemmaConfig config() {
        GemmaConfig gemma1 = GemmaConfig.of(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim,
                dtype.torchName());
        if (modelType.equals("gemma")) return gemma1;
        GemmaConfig c = new GemmaConfig(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim,
                gemma1.rmsNormEps(), modelType.equals("gemma3") ? 1_000_000.0 : 10000.0,
                modelType.equals("gemma3") ? 131072 : 8192, dtype.torchName(), 2, 1, 0, GemmaConfig.GELU_TANH);
        return c.withFamily(family());
    }

    /** The same recipe stored as {@code other}. */
    public TestModelSpec withDtype(DType other) {
        return new TestModelSpec(name, vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim,
                other, seed, zeroDownProj, zeroOProj, modelType);
    }

    /** Folder name under the generated-models root: name and dtype, e.g. "tiny-mqa-bf16". */
    public String folderName() {
        return name + "-" + dtype.shortName();
    }
}
