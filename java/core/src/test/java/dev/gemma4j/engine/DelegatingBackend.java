package dev.gemma4j.engine;

import dev.gemma4j.model.GemmaConfig;

/** A backend that passes every call to {@code inner}; tests override the calls they change. */
abstract class DelegatingBackend implements Backend {
    final Backend inner;

    DelegatingBackend(Backend inner) {
        this.inner = inner;
    }

    @Override public String name() { return inner.name(); }
    @Override public GemmaConfig config() { return inner.config(); }
    @Override public int maxBatchTokens() { return inner.maxBatchTokens(); }
    @Override public int maxDecodeBatch() { return inner.maxDecodeBatch(); }
    @Override public KvCache newCache(int capacity) { return inner.newCache(capacity); }
    @Override public boolean isDeviceFault(Throwable failure) { return inner.isDeviceFault(failure); }
    @Override public void checkWeights() { inner.checkWeights(); }
    @Override public void embed(int[] tokens) { inner.embed(tokens); }
    @Override public void attentionBlock(int layer, KvCache cache, int startPos) { inner.attentionBlock(layer, cache, startPos); }
    @Override public void decodeAttentionBlock(int layer, KvCache[] caches, int[] positions) {
        inner.decodeAttentionBlock(layer, caches, positions);
    }
    @Override public int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
        return inner.decodeStep(tokens, caches, positions, samplers);
    }
    @Override public void mlpBlock(int layer) { inner.mlpBlock(layer); }
    @Override public float[] logits(int firstRow, int rows) { return inner.logits(firstRow, rows); }
    @Override public float[] residual() { return inner.residual(); }
    @Override public void close() { inner.close(); }
}
