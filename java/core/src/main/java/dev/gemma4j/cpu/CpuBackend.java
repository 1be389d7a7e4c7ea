package dev.gemma4j.cpu;

import dev.gemma4j.LoadOptions;
import dev.gemma4j.cuda.Bytes;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.DecodeBatch;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The CPU reference backend: fp32 math over weights kept in their stored dtype (memory-mapped, widened
 * in registers). Every GPU result is checked against it.
 */
public final class CpuBackend implements Backend {
    private final WeightSource weights;
    private final GemmaConfig c;
    private final int hidden, heads, kvHeads, headDim, inter, vocab;
    private final float eps, embeddingScale, attentionScale;
    private final float[] ropeInvFreq;
    private final Tensor embedding;
    private final Layer[] layers;
    private final float[] finalNorm;

    /** Residual stream of the current batch: h [n, hidden]. */
    private float[] h = new float[0];
    private int n;

    private record Layer(float[] inputNorm, Tensor q, Tensor k, Tensor v, Tensor o, float[] postAttentionNorm,
                         Tensor gate, Tensor up, Tensor down) {}

    private final CpuMemoryPlan plan;
    /** Bytes the open KV caches hold; guarded by this. */
    private long kvReserved;
    private int kvCaches;

    /** Per-sequence cache: k and v [layer][capacity, kvHeads, headDim], fp32. */
    private final class CpuKvCache implements KvCache {
        final float[][] k, v;
        final int capacity;
        final long bytes;
        private boolean closed;

        CpuKvCache(int layers, int capacity, int kvHeads, int headDim, long bytes) {
            this.bytes = bytes;
            long perLayer = (long) capacity * kvHeads * headDim;
            if (perLayer > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("KV cache of " + capacity + " tokens needs " + perLayer
                        + " floats per layer; the CPU backend holds at most " + (Integer.MAX_VALUE - 16));
            }
            this.capacity = capacity;
            k = new float[layers][(int) perLayer];
            v = new float[layers][(int) perLayer];
        }

        @Override public int capacity() { return capacity; }

        @Override
        public void close() {
            synchronized (CpuBackend.this) {
                if (closed) return;
                closed = true;
                kvReserved -= bytes;
                kvCaches--;
            }
        }
    }

    /**
     * A backend whose KV caches may take what the Java heap can still give ({@link CpuMemoryPlan} by default).
     *
     * @throws IllegalStateException when the JVM runs without {@code --add-modules jdk.incubator.vector}
     */
    public CpuBackend(WeightSource weights) {
        this(weights, CpuMemoryPlan.of(weights.config(), OptionalLong.empty(),
                LoadOptions.DEFAULT_MAX_BATCH_TOKENS));
    }

    /**
     * A backend whose KV caches together hold at most {@code plan.budgetBytes()}.
     *
     * @throws IllegalStateException when the JVM runs without {@code --add-modules jdk.incubator.vector}
     */
    public CpuBackend(WeightSource weights, CpuMemoryPlan plan) {
        VectorModule.require("the CPU backend");
        this.weights = weights;
        this.plan = plan;
        this.c = weights.config();
        hidden = c.hiddenSize();
        heads = c.numAttentionHeads();
        kvHeads = c.numKeyValueHeads();
        headDim = c.headDim();
        inter = c.intermediateSize();
        vocab = c.vocabSize();
        eps = (float) c.rmsNormEps();
        embeddingScale = c.embeddingScale();
        attentionScale = (float) (1.0 / Math.sqrt(headDim));
        ropeInvFreq = CpuOps.ropeInverseFrequencies(headDim, c.ropeTheta());
        embedding = weights.tensor(GemmaTensorNames.embed());
        layers = new Layer[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer(
                    MatMul.widen(weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.INPUT_LAYERNORM))),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.Q_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.K_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.V_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.O_PROJ)),
                    MatMul.widen(weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.POST_ATTENTION_LAYERNORM))),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.GATE_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.UP_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.DOWN_PROJ)));
        }
        finalNorm = MatMul.widen(weights.tensor(GemmaTensorNames.finalNorm()));
    }

    @Override public String name() { return "cpu"; }

    @Override
    public void checkWeights() {
        weights.checkUnchanged();
    }

    @Override public GemmaConfig config() { return c; }

    /** The KV memory plan this backend was made with. */
    public CpuMemoryPlan memoryPlan() {
        return plan;
    }

    /**
     * @throws IllegalArgumentException when {@code capacity} is below 1 or above what the whole budget holds
     * @throws IllegalStateException    when the budget's free part, next to the other open caches, cannot
     *                                  hold it; nothing is allocated then
     */
    @Override
    public KvCache newCache(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("a KV cache holds at least 1 token, found " + capacity);
        long bytes = plan.cacheBytes(capacity);
        synchronized (this) {
            if (bytes > plan.budgetBytes()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "a KV cache of %,d tokens needs %s (%,d bytes per token), more than the CPU backend's whole KV"
                                + " budget of %s (%s, %,d tokens); ask for fewer tokens (--max-tokens, --context)"
                                + " or a larger budget (--memory, -Xmx)",
                        capacity, Bytes.format(bytes), plan.kvBytesPerToken(), Bytes.binary(plan.budgetBytes()),
                        plan.source(), plan.tokensThatFit()));
            }
            if (kvReserved + bytes > plan.budgetBytes()) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "a KV cache of %,d tokens needs %s; the CPU backend's KV budget of %s (%s) has %s free,"
                                + " %d other cache(s) hold %s; wait for other sequences to end, or ask for fewer tokens",
                        capacity, Bytes.binary(bytes), Bytes.binary(plan.budgetBytes()), plan.source(),
                        Bytes.binary(plan.budgetBytes() - kvReserved), kvCaches, Bytes.binary(kvReserved)));
            }
            kvReserved += bytes;
            kvCaches++;
        }
        try {
            return new CpuKvCache(layers.length, capacity, kvHeads, headDim, bytes);
        } catch (RuntimeException | OutOfMemoryError e) {
            synchronized (this) {
                kvReserved -= bytes;
                kvCaches--;
            }
            throw e;
        }
    }

    @Override
    public void embed(int[] tokens) {
        n = tokens.length;
        h = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[t] + " at position " + t
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
            MatMul.widenRow(embedding, tokens[t], h, t * hidden);
            for (int i = 0; i < hidden; i++) {
                h[t * hidden + i] *= embeddingScale;
            }
        }
    }

    @Override
    public void attentionBlock(int layer, KvCache cache, int startPos) {
        Layer w = layers[layer];
        CpuKvCache kv = (CpuKvCache) cache;
        if (startPos + n > kv.capacity) {
            throw new IllegalArgumentException("KV cache holds " + kv.capacity + " tokens; positions "
                    + startPos + ".." + (startPos + n - 1) + " do not fit");
        }
        float[] x = new float[n * hidden];               // [n, hidden]
        CpuOps.rmsNorm(h, w.inputNorm, eps, n, hidden, x);
        float[] q = new float[n * heads * headDim];      // [n, heads, headDim]
        float[] k = new float[n * kvHeads * headDim];    // [n, kvHeads, headDim]
        float[] v = new float[n * kvHeads * headDim];
        MatMul.matmul(w.q, x, n, q, false);
        MatMul.matmul(w.k, x, n, k, false);
        MatMul.matmul(w.v, x, n, v, false);
        CpuOps.rope(q, n, heads, headDim, startPos, ropeInvFreq);
        CpuOps.rope(k, n, kvHeads, headDim, startPos, ropeInvFreq);
        int kvRow = kvHeads * headDim;
        System.arraycopy(k, 0, kv.k[layer], startPos * kvRow, n * kvRow);
        System.arraycopy(v, 0, kv.v[layer], startPos * kvRow, n * kvRow);
        float[] att = new float[n * heads * headDim];    // [n, heads, headDim]
        CpuOps.attention(q, kv.k[layer], kv.v[layer], n, startPos, heads, kvHeads, headDim, attentionScale, att);
        MatMul.matmul(w.o, att, n, h, true);
    }

    @Override
    public void decodeAttentionBlock(int layer, KvCache[] caches, int[] positions) {
        DecodeBatch.checkRows(caches, positions, n);
        Layer w = layers[layer];
        float[] x = new float[n * hidden];               // [n, hidden]
        CpuOps.rmsNorm(h, w.inputNorm, eps, n, hidden, x);
        int qRow = heads * headDim;
        int kvRow = kvHeads * headDim;
        float[] q = new float[n * qRow];                 // [n, heads, headDim]
        float[] k = new float[n * kvRow];                // [n, kvHeads, headDim]
        float[] v = new float[n * kvRow];
        MatMul.matmul(w.q, x, n, q, false);
        MatMul.matmul(w.k, x, n, k, false);
        MatMul.matmul(w.v, x, n, v, false);
        float[] att = new float[n * qRow];               // [n, heads, headDim]
        float[] qb = new float[qRow];
        float[] kb = new float[kvRow];
        float[] ab = new float[qRow];
        for (int b = 0; b < n; b++) {
            CpuKvCache kv = (CpuKvCache) caches[b];
            int pos = positions[b];
            System.arraycopy(q, b * qRow, qb, 0, qRow);
            System.arraycopy(k, b * kvRow, kb, 0, kvRow);
            CpuOps.rope(qb, 1, heads, headDim, pos, ropeInvFreq);
            CpuOps.rope(kb, 1, kvHeads, headDim, pos, ropeInvFreq);
            System.arraycopy(kb, 0, kv.k[layer], pos * kvRow, kvRow);
            System.arraycopy(v, b * kvRow, kv.v[layer], pos * kvRow, kvRow);
            CpuOps.attention(qb, kv.k[layer], kv.v[layer], 1, pos, heads, kvHeads, headDim, attentionScale, ab);
            System.arraycopy(ab, 0, att, b * qRow, qRow);
        }
        MatMul.matmul(w.o, att, n, h, true);
    }

    @Override
    public int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
        DecodeBatch.check(tokens, caches, positions, samplers, vocab, maxDecodeBatch());
        float[] logits = new Forward(this).decode(tokens, caches, positions, null);
        return Sampler.sampleRows(logits, samplers, vocab);
    }

    @Override
    public void mlpBlock(int layer) {
        Layer w = layers[layer];
        float[] x = new float[n * hidden];               // [n, hidden]
        CpuOps.rmsNorm(h, w.postAttentionNorm, eps, n, hidden, x);
        float[] gate = new float[n * inter];             // [n, intermediate]
        float[] up = new float[n * inter];
        MatMul.matmul(w.gate, x, n, gate, false);
        MatMul.matmul(w.up, x, n, up, false);
        CpuOps.geglu(gate, up, n * inter, gate);
        MatMul.matmul(w.down, gate, n, h, true);
    }

    @Override
    public float[] logits(int firstRow, int rows) {
        if (firstRow < 0 || rows < 0 || firstRow + rows > n) {
            throw new IllegalArgumentException("logits rows [" + firstRow + ", " + (firstRow + rows)
                    + ") outside the batch of " + n + " tokens");
        }
        float[] sel = new float[rows * hidden];
        System.arraycopy(h, firstRow * hidden, sel, 0, rows * hidden);
        float[] x = new float[rows * hidden];
        CpuOps.rmsNorm(sel, finalNorm, eps, rows, hidden, x);
        float[] out = new float[rows * vocab];           // [rows, vocab]
        MatMul.matmul(embedding, x, rows, out, false);
        return out;
    }

    @Override
    public float[] residual() {
        return h.clone();
    }

    @Override
    public void close() {
        h = new float[0];
    }
}
