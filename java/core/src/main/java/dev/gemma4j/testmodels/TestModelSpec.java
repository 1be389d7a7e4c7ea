package dev.gemma4j.testmodels;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;

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
 */
public record TestModelSpec(String name, int vocabSize, int hiddenSize, int intermediateSize, int layers,
        int heads, int kvHeads, int headDim, DType dtype, long seed, boolean zeroDownProj, boolean zeroOProj) {

    /** @throws IllegalArgumentException for a name that is not folder-safe or shapes GemmaConfig rejects */
    public TestModelSpec {
        if (name == null || !name.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("test model name '" + name
                    + "': expected lower-case letters and digits in '-'-separated words");
        }
        if (dtype == null) throw new IllegalArgumentException("test model '" + name + "': dtype is null");
        GemmaConfig.of(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, dtype.torchName());
    }

    /** The config.json this spec produces (torch_dtype is the dtype's torch name). */
    public GemmaConfig config() {
        return GemmaConfig.of(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim,
                dtype.torchName());
    }

    /** The same recipe stored as {@code other}. */
    public TestModelSpec withDtype(DType other) {
        return new TestModelSpec(name, vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim,
                other, seed, zeroDownProj, zeroOProj);
    }

    /** Folder name under the generated-models root: name and dtype, e.g. "tiny-mqa-bf16". */
    public String folderName() {
        return name + "-" + dtype.shortName();
    }
}
