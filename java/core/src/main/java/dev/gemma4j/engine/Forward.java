package dev.gemma4j.engine;

import dev.gemma4j.model.GemmaConfig;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Gemma's forward pass, written once for every backend:
 * embed → for each layer (attention block, MLP block) → final norm → logits.
 */
public final class Forward {
    private final Backend backend;
    private final LayerPlan plan;

    /** Called after each step with its name ("embed", "layer 3 attention", "layer 3 mlp"). */
    @FunctionalInterface
    public interface StepObserver {
        void afterStep(String step, Backend backend);
    }

    public Forward(Backend backend) {
        this.backend = backend;
        this.plan = LayerPlan.of(backend.config());
    }

    public LayerPlan plan() {
        return plan;
    }

    public Backend backend() {
        return backend;
    }

    public GemmaConfig config() {
        return backend.config();
    }

    /**
     * The steps of one pass over a batch, in the order {@link #pass} calls them. {@link #run} and
     * {@link #decode} implement them with the {@link Backend}'s methods; a backend that queues a
     * whole decode step at once (the CUDA backend's graph) implements them with its own launches,
     * so the model's order of steps is written once, in {@link #pass}.
     */
    public interface Steps {
        /** {@code h = embed[tokens] · embeddingScale}: starts the batch. */
        void embed();

        /**
         * {@code h += o_proj(attention(...))} over {@code input_layernorm(h)}, as {@code layer} says
         * (window, RoPE, scale, soft-cap, q/k norms, post-attention norm): {@link Backend#attentionBlock}.
         */
        void attention(LayerPlan.Layer layer);

        /** {@code h += down(gelu_tanh(gate(x)) · up(x))}, normed as {@code layer} says: {@link Backend#mlpBlock}. */
        void mlp(LayerPlan.Layer layer);

        /** Final norm and the tied output projection: {@link Backend#logits}. */
        void logits();
    }

    /**
     * Gemma's forward pass over one batch: embed → for each layer of {@code plan} (attention
     * block, MLP block) → logits. {@code afterStep}, when not null, gets each step's name ("embed",
     * "layer 3 attention", "layer 3 mlp") once it is done; the logits step is not reported.
     */
    public static void pass(LayerPlan plan, Steps steps, Consumer<String> afterStep) {
        steps.embed();
        if (afterStep != null) afterStep.accept("embed");
        for (LayerPlan.Layer layer : plan.layers()) {
            steps.attention(layer);
            if (afterStep != null) afterStep.accept("layer " + layer.index() + " attention");
            steps.mlp(layer);
            if (afterStep != null) afterStep.accept("layer " + layer.index() + " mlp");
        }
        steps.logits();
    }

    /**
     * Runs {@code tokens} at positions {@code [startPos, startPos + n)} of the sequence whose cache is
     * given (earlier positions must already be in it). Inputs longer than the backend's
     * {@link Backend#maxBatchTokens()} run in chunks; causal attention makes that exact.
     *
     * @param logitRows logits are computed for the last {@code logitRows} tokens only
     * @return logits [logitRows, vocab]
     */
    public float[] run(int[] tokens, KvCache cache, int startPos, int logitRows, StepObserver observer) {
        int n = tokens.length;
        if (n == 0) {
            throw new IllegalArgumentException("no tokens to run");
        }
        if (startPos < 0 || startPos + n > cache.capacity()) {
            throw new IllegalArgumentException("positions " + startPos + ".." + (startPos + n - 1)
                    + " do not fit a context of " + cache.capacity() + " tokens");
        }
        if (logitRows < 0 || logitRows > n) {
            throw new IllegalArgumentException("logit rows must be in [0, " + n + "], found " + logitRows);
        }
        int chunk = backend.maxBatchTokens();
        int vocab = config().vocabSize();
        float[] logits = new float[logitRows * vocab];   // [logitRows, vocab]
        for (int c0 = 0; c0 < n; c0 += chunk) {
            int c1 = Math.min(n, c0 + chunk);
            int[] part = c0 == 0 && c1 == n ? tokens : java.util.Arrays.copyOfRange(tokens, c0, c1);
            int chunkStart = startPos + c0;
            // Rows of this chunk among the last logitRows tokens of the whole input.
            int first = Math.max(c0, n - logitRows);
            int firstRow = first - c0, rows = c1 - first, into = (first - (n - logitRows)) * vocab;
            pass(plan, backendSteps(() -> backend.embed(part),
                    layer -> backend.attentionBlock(layer, cache, chunkStart), () -> {
                        if (rows <= 0) return;
                        float[] chunkLogits = backend.logits(firstRow, rows);
                        System.arraycopy(chunkLogits, 0, logits, into, chunkLogits.length);
                    }), observer(observer));
        }
        return logits;
    }

    /**
     * One decode step through the backend's separate steps: {@code tokens[b]} at {@code positions[b]}
     * of {@code caches[b]} for every sequence b, the weights read once for all rows.
     *
     * @return logits [B, vocab]
     */
    public float[] decode(int[] tokens, KvCache[] caches, int[] positions, StepObserver observer) {
        DecodeBatch.check(tokens, caches, positions, null, config().vocabSize(),
                Math.min(backend.maxDecodeBatch(), backend.maxBatchTokens()));
        float[][] logits = new float[1][];
        pass(plan, backendSteps(() -> backend.embed(tokens),
                layer -> backend.decodeAttentionBlock(layer, caches, positions),
                () -> logits[0] = backend.logits(0, tokens.length)), observer(observer));
        return logits[0];
    }

    /** The steps of a pass through the backend's methods; every pass runs its MLP blocks with {@link Backend#mlpBlock}. */
    private Steps backendSteps(Runnable embed, IntConsumer attention, Runnable logits) {
        return new Steps() {
            @Override
            public void embed() {
                embed.run();
            }

            @Override
            public void attention(LayerPlan.Layer layer) {
                attention.accept(layer.index());
            }

            @Override
            public void mlp(LayerPlan.Layer layer) {
                backend.mlpBlock(layer.index());
            }

            @Override
            public void logits() {
                logits.run();
            }
        };
    }

    private Consumer<String> observer(StepObserver observer) {
        return observer == null ? null : step -> observer.afterStep(step, backend);
    }

    public float[] run(int[] tokens, KvCache cache, int startPos, int logitRows) {
        return run(tokens, cache, startPos, logitRows, null);
    }
}
