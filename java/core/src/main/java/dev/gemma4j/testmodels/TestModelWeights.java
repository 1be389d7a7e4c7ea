package dev.gemma4j.testmodels;

import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Draws a test model's weights so that it behaves like a trained model rather than an identity.
 * Linear weights are N(0, (g / sqrt(fan_in))^2) with gain g = 1 for k_proj, v_proj, gate_proj and
 * up_proj (outputs at the scale of their inputs), {@link #Q_GAIN} for q_proj and
 * {@link #RESIDUAL_WRITE_GAIN} for o_proj and down_proj. The embedding is
 * N(0, (0.5 / sqrt(hidden))^2), so {@code embed * sqrt(hidden)} is about 0.5 per element; layer norm
 * offsets are N(0, 0.1^2), so {@code 1 + w} is about 1; the final norm offset is 2 + N(0, 0.1^2), so
 * {@code 1 + w} is about 3, and logits have a standard deviation of about 1.5 (a range of about 14
 * over the 256000-entry vocabulary).
 *
 * <p>Why the two gains: with every gain 1, the input token's own embedding is a large share of the
 * last residual vector, and since the output projection is the embedding, greedy decoding of a
 * 2-layer model echoes its input. In a float64 forward pass over nine models shaped like the
 * presets (three per kv-head count), 22 of 27 greedy continuations of 20 tokens from random prompts
 * ended in one token repeated 8 times, with 2 distinct tokens out of 20 on average. A q_proj gain
 * of 3 makes attention scores spread by about 3 (peaked heads, as in trained models), and a gain of
 * 4 on the projections that write into the residual stream makes it outgrow the embedding, as
 * residual norms grow with depth in trained models. With both, 1 of 27 continuations collapsed and
 * they held 19 distinct tokens out of 20 on average. Weights of N(0, 0.02^2) everywhere would leave
 * each layer near the identity and hide bugs.
 *
 * <p>Each tensor has its own stream, seeded from the spec's seed and the tensor's name, so a
 * tensor's values do not depend on the other tensors or on the dtype: the BF16 and F16 models are
 * the F32 model rounded to nearest, ties to even.
 */
final class TestModelWeights {
    private TestModelWeights() {}

    /** Standard deviation of an embedding element times sqrt(hidden). */
    static final double EMBED_SCALE = 0.5;
    /** Standard deviation of an input/post-attention norm offset w (applied as 1 + w). */
    static final double NORM_STD = 0.1;
    /** Mean of the final norm offset w, so that 1 + w is about 3. */
    static final double FINAL_NORM_MEAN = 2.0;
    /** Gain on q_proj's 1/sqrt(fan_in) scale: attention scores spread by about 3. */
    static final double Q_GAIN = 3.0;
    /** Gain on o_proj's and down_proj's 1/sqrt(fan_in) scale: the residual stream outgrows the embedding. */
    static final double RESIDUAL_WRITE_GAIN = 4.0;

    /** The spec's tensors, in {@link GemmaTensorNames#expectedShapes} order, allocated in {@code arena}. */
    static List<Tensor> generate(TestModelSpec spec, Arena arena) {
        GemmaConfig c = spec.config();
        List<Tensor> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : GemmaTensorNames.expectedShapes(c).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            long count = 1;
            for (long d : shape) count *= d;
            MemorySegment data = arena.allocate(count * spec.dtype().bytes(), 8);
            double mean = 0;
            double std;
            if (name.equals(GemmaTensorNames.embed())) {
                std = EMBED_SCALE / Math.sqrt(c.hiddenSize());
            } else if (name.equals(GemmaTensorNames.finalNorm())) {
                mean = FINAL_NORM_MEAN;
                std = NORM_STD;
            } else if (shape.length == 1) {
                std = NORM_STD;
            } else if ((spec.zeroDownProj() && name.endsWith(GemmaTensorNames.DOWN_PROJ))
                    || (spec.zeroOProj() && name.endsWith(GemmaTensorNames.O_PROJ))) {
                std = 0;
            } else {
                double gain = name.endsWith(GemmaTensorNames.Q_PROJ) ? Q_GAIN
                        : name.endsWith(GemmaTensorNames.O_PROJ) || name.endsWith(GemmaTensorNames.DOWN_PROJ)
                                ? RESIDUAL_WRITE_GAIN : 1.0;
                std = gain / Math.sqrt(shape[1]);       // [out, in]: fan_in is the column count
            }
            SplitMix64 rng = new SplitMix64(SplitMix64.derive(spec.seed(), name));
            for (long i = 0; i < count; i++) {
                float v = std == 0 ? 0f : (float) (mean + std * rng.nextGaussian());
                spec.dtype().write(data, i, v);
            }
            out.add(new Tensor(name, spec.dtype(), shape, data));
        }
        return out;
    }
}
