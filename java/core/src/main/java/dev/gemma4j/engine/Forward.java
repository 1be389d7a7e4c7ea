package dev.gemma4j.engine;

import dev.gemma4j.model.GemmaConfig;

/**
 * Gemma's forward pass, written once for every backend:
 * embed → for each layer (attention block, MLP block) → final norm → logits.
 */
public final class Forward {
    private final Backend backend;

    /** Called after each step with its name ("embed", "layer 3 attention", "layer 3 mlp"). */
    @FunctionalInterface
    public interface StepObserver {
        void afterStep(String step, Backend backend);
    }

    public Forward(Backend backend) {
        this.backend = backend;
    }

    public Backend backend() {
        return backend;
    }

    public GemmaConfig config() {
        return backend.config();
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
            backend.embed(part);
            if (observer != null) observer.afterStep("embed", backend);
            for (int l = 0; l < config().numHiddenLayers(); l++) {
                backend.attentionBlock(l, cache, startPos + c0);
                if (observer != null) observer.afterStep("layer " + l + " attention", backend);
                backend.mlpBlock(l);
                if (observer != null) observer.afterStep("layer " + l + " mlp", backend);
            }
            // Rows of this chunk among the last logitRows tokens of the whole input.
            int first = Math.max(c0, n - logitRows);
            if (first < c1) {
                float[] part2 = backend.logits(first - c0, c1 - first);
                System.arraycopy(part2, 0, logits, (first - (n - logitRows)) * vocab, part2.length);
            }
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
        backend.embed(tokens);
        if (observer != null) observer.afterStep("embed", backend);
        for (int l = 0; l < config().numHiddenLayers(); l++) {
            backend.decodeAttentionBlock(l, caches, positions);
            if (observer != null) observer.afterStep("layer " + l + " attention", backend);
            backend.mlpBlock(l);
            if (observer != null) observer.afterStep("layer " + l + " mlp", backend);
        }
        return backend.logits(0, tokens.length);
    }

    public float[] run(int[] tokens, KvCache cache, int startPos, int logitRows) {
        return run(tokens, cache, startPos, logitRows, null);
    }
}
