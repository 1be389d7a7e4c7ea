package dev.gemma4j.cpu;

import dev.gemma4j.LoadOptions;
import dev.gemma4j.cuda.Bytes;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.DecodeBatch;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.LayerPlan;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GgufCheckpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * The CPU reference backend: fp32 math over weights kept in their stored dtype (memory-mapped, widened
 * in registers). Every GPU result is checked against it.
 */
public final class CpuBackend implements Backend {
    private final WeightSource weights;
    private final GemmaConfig c;
    private final int hidden, heads, kvHeads, headDim, inter, vocab;
    private final float eps, embeddingScale;
    private final LayerPlan plan;
    /** RoPE inverse frequencies of each layer [layer][headDim / 2] (per layer kind: base and scaling). */
    private final float[][] ropeInvFreq;
    private final Tensor embedding;
    private final Layer[] layers;
    private final float[] finalNorm;

    /** Residual stream of the current batch: h [n, hidden]. */
    private float[] h = new float[0];
    private int n;

    /** A layer's weights; the norms Gemma 1 lacks (pre/post feed-forward, q/k) are null there. */
    private record Layer(float[] inputNorm, Tensor q, Tensor k, Tensor v, Tensor o, float[] postAttentionNorm,
                         Tensor gate, Tensor up, Tensor down, float[] preFeedforwardNorm, float[] postFeedforwardNorm,
                         float[] qNorm, float[] kNorm) {}

    private final CpuMemoryPlan memory;
    /** Bytes the open KV caches hold; guarded by this. */
    private long kvReserved;
    private int kvCaches;

    /**
     * Per-sequence cache: k and v [layer][rows, kvHeads, headDim], fp32. A full layer's rows are
     * the positions [0, capacity); a sliding layer keeps only its window, position p in row
     * {@code p % ring[layer]}, since no query looks further back.
     */
    private final class CpuKvCache implements KvCache {
        /** Keys and values [layer] of [rows, kvHeads, headDim] fp32, off the Java heap, freed by close. */
        final MemorySegment[] k, v;
        /** Rows of a sliding layer's ring; 0 for a full layer. */
        final int[] ring;
        final int capacity;
        final long bytes;
        private final Arena arena = Arena.ofShared();
        private final long rowBytes;
        private boolean closed;

        CpuKvCache(LayerPlan plan, int capacity, int kvHeads, int headDim, long bytes) {
            this.bytes = bytes;
            this.capacity = capacity;
            this.rowBytes = (long) kvHeads * headDim * Float.BYTES;
            int layers = plan.size();
            k = new MemorySegment[layers];
            v = new MemorySegment[layers];
            ring = new int[layers];
            try {
                for (int l = 0; l < layers; l++) {
                    LayerPlan.Layer layer = plan.layer(l);
                    int rows = layer.cacheRows(capacity);
                    ring[l] = layer.sliding() ? rows : 0;
                    k[l] = arena.allocate(rows * rowBytes, 64);
                    v[l] = arena.allocate(rows * rowBytes, 64);
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                arena.close();
                throw e;
            }
        }

        /**
         * Writes {@code rows} rows to cache rows {@code [row, row + rows)}: keys from row {@code kRow} of
         * {@code kSrc} on, values from row {@code vRow} of {@code vSrc} on.
         */
        void put(int layer, int row, float[] kSrc, int kRow, float[] vSrc, int vRow, int rows) {
            int floats = (int) (rowBytes / Float.BYTES);
            MemorySegment.copy(kSrc, kRow * floats, k[layer], ValueLayout.JAVA_FLOAT, row * rowBytes, rows * floats);
            MemorySegment.copy(vSrc, vRow * floats, v[layer], ValueLayout.JAVA_FLOAT, row * rowBytes, rows * floats);
        }

        /** Copies cache row {@code row} of k and v into row {@code dstRow} of the arrays. */
        void get(int layer, int row, float[] kDst, float[] vDst, int dstRow) {
            int floats = (int) (rowBytes / Float.BYTES);
            MemorySegment.copy(k[layer], ValueLayout.JAVA_FLOAT, row * rowBytes, kDst, dstRow * floats, floats);
            MemorySegment.copy(v[layer], ValueLayout.JAVA_FLOAT, row * rowBytes, vDst, dstRow * floats, floats);
        }

        /** The cache row of position {@code pos} in {@code layer}. */
        int row(int layer, int pos) {
            return ring[layer] > 0 ? pos % ring[layer] : pos;
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
            arena.close();
        }
    }

    /**
     * A backend whose KV caches may take what the machine can give without swapping ({@link CpuMemoryPlan}).
     *
     * @throws IllegalStateException when the JVM runs without {@code --add-modules jdk.incubator.vector}
     */
    public CpuBackend(WeightSource weights) {
        this(weights, CpuMemoryPlan.of(weights.config(), "all", LoadOptions.DEFAULT_MAX_BATCH_TOKENS,
                weights instanceof Checkpoint cp && !cp.mapped() || weights instanceof GgufCheckpoint g && !g.mapped() ? 0
                        : residentBytes(weights)));
    }

    /**
     * A backend whose KV caches together hold at most {@code plan.budgetBytes()}.
     *
     * @throws IllegalStateException when the JVM runs without {@code --add-modules jdk.incubator.vector}
     */
    public CpuBackend(WeightSource weights, CpuMemoryPlan memory) {
        VectorModule.require("the CPU backend");
        this.weights = weights;
        this.memory = memory;
        this.c = weights.config();
        hidden = c.hiddenSize();
        heads = c.numAttentionHeads();
        kvHeads = c.numKeyValueHeads();
        headDim = c.headDim();
        inter = c.intermediateSize();
        vocab = c.vocabSize();
        eps = (float) c.rmsNormEps();
        embeddingScale = c.embeddingScale();
        plan = LayerPlan.of(c);
        ropeInvFreq = new float[plan.size()][];
        embedding = weights.tensor(GemmaTensorNames.embed());
        layers = new Layer[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            LayerPlan.Layer p = plan.layer(l);
            ropeInvFreq[l] = CpuOps.ropeInverseFrequencies(headDim, p.ropeTheta(), p.ropeFactor());
            layers[l] = new Layer(
                    MatMul.widen(weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.INPUT_LAYERNORM))),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.Q_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.K_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.V_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.O_PROJ)),
                    MatMul.widen(weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.POST_ATTENTION_LAYERNORM))),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.GATE_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.UP_PROJ)),
                    weights.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.DOWN_PROJ)),
                    p.sandwichNorms() ? norm(weights, l, GemmaTensorNames.PRE_FEEDFORWARD_LAYERNORM) : null,
                    p.sandwichNorms() ? norm(weights, l, GemmaTensorNames.POST_FEEDFORWARD_LAYERNORM) : null,
                    p.qkNorms() ? norm(weights, l, GemmaTensorNames.Q_NORM) : null,
                    p.qkNorms() ? norm(weights, l, GemmaTensorNames.K_NORM) : null);
        }
        finalNorm = MatMul.widen(weights.tensor(GemmaTensorNames.finalNorm()));
    }

    private static float[] norm(WeightSource weights, int layer, String suffix) {
        return MatMul.widen(weights.tensor(GemmaTensorNames.layer(layer, suffix)));
    }

    @Override public String name() { return "cpu"; }

    @Override
    public void checkWeights() {
        weights.checkUnchanged();
    }

    @Override public GemmaConfig config() { return c; }

    /** Bytes of {@code weights} that stay in memory beside the caches when they are mapped: all of them. */
    public static long residentBytes(WeightSource weights) {
        long sum = 0;
        for (Tensor t : weights.tensors().values()) sum += t.data().byteSize();
        return sum;
    }

    /** The KV memory plan this backend was made with. */
    public CpuMemoryPlan memoryPlan() {
        return memory;
    }

    /**
     * @throws IllegalArgumentException when {@code capacity} is below 1 or above what the whole budget holds
     * @throws IllegalStateException    when the budget's free part, next to the other open caches, cannot
     *                                  hold it; nothing is allocated then
     */
    @Override
    public KvCache newCache(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("a KV cache holds at least 1 token, found " + capacity);
        long bytes = cacheBytes(capacity);
        synchronized (this) {
            if (bytes > memory.budgetBytes()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "a KV cache of %,d tokens needs %s, more than the CPU backend's whole KV budget of %s (%s);"
                                + " ask for fewer tokens (--max-tokens, --context) or a larger budget (--memory, -Xmx)",
                        capacity, Bytes.format(bytes), Bytes.binary(memory.budgetBytes()), memory.source()));
            }
            if (kvReserved + bytes > memory.budgetBytes()) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "a KV cache of %,d tokens needs %s; the CPU backend's KV budget of %s (%s) has %s free,"
                                + " %d other cache(s) hold %s; wait for other sequences to end, or ask for fewer tokens",
                        capacity, Bytes.binary(bytes), Bytes.binary(memory.budgetBytes()), memory.source(),
                        Bytes.binary(memory.budgetBytes() - kvReserved), kvCaches, Bytes.binary(kvReserved)));
            }
            kvReserved += bytes;
            kvCaches++;
        }
        try {
            return new CpuKvCache(plan, capacity, kvHeads, headDim, bytes);
        } catch (RuntimeException | OutOfMemoryError e) {
            synchronized (this) {
                kvReserved -= bytes;
                kvCaches--;
            }
            throw e;
        }
    }

    /** Bytes of a cache of {@code capacity} tokens: each layer's rows (a sliding layer's window at most), k and v. */
    long cacheBytes(int capacity) {
        long rows = 0;
        for (int l = 0; l < plan.size(); l++) rows += plan.layer(l).cacheRows(capacity);
        return rows * 2L * kvHeads * headDim * Float.BYTES;
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
        LayerPlan.Layer p = plan.layer(layer);
        qkNormAndRope(w, layer, q, k, n, startPos);
        int kvRow = kvHeads * headDim;
        float[] att = new float[n * heads * headDim];    // [n, heads, headDim]
        if (!p.sliding()) {
            kv.put(layer, startPos, k, 0, v, 0, n);
            CpuOps.attention(q, kv.k[layer], kv.v[layer], n, startPos, 0, 0, 0, heads, kvHeads, headDim,
                    p.queryScale(), p.attentionSoftcap(), att);
        } else {
            // The batch's first query looks back to lo; the ring holds [lo, startPos), the batch the rest.
            int lo = p.firstVisible(startPos);
            int rows = startPos - lo + n;
            float[] kw = new float[rows * kvRow];        // [startPos - lo + n, kvHeads, headDim]
            float[] vw = new float[rows * kvRow];
            for (int pos = lo; pos < startPos; pos++) kv.get(layer, kv.row(layer, pos), kw, vw, pos - lo);
            System.arraycopy(k, 0, kw, (startPos - lo) * kvRow, n * kvRow);
            System.arraycopy(v, 0, vw, (startPos - lo) * kvRow, n * kvRow);
            CpuOps.attention(q, MemorySegment.ofArray(kw), MemorySegment.ofArray(vw), n, startPos, lo, 0, p.window(), heads, kvHeads, headDim, p.queryScale(),
                    p.attentionSoftcap(), att);
            for (int t = Math.max(0, n - kv.ring[layer]); t < n; t++) kv.put(layer, kv.row(layer, startPos + t), k, t, v, t, 1);
        }
        addAttentionOutput(w, att);
    }

    /** Gemma 3's per-head q and k norms (when the layer has them), then RoPE at positions startPos... */
    private void qkNormAndRope(Layer w, int layer, float[] q, float[] k, int rows, int startPos) {
        if (w.qNorm != null) {
            CpuOps.rmsNorm(q, w.qNorm, eps, rows * heads, headDim, q);
            CpuOps.rmsNorm(k, w.kNorm, eps, rows * kvHeads, headDim, k);
        }
        CpuOps.rope(q, rows, heads, headDim, startPos, ropeInvFreq[layer]);
        CpuOps.rope(k, rows, kvHeads, headDim, startPos, ropeInvFreq[layer]);
    }

    /** {@code h += o_proj(att)}, through post_attention_layernorm first when the layer has sandwich norms. */
    private void addAttentionOutput(Layer w, float[] att) {
        addBlockOutput(w.o, att, w.preFeedforwardNorm != null ? w.postAttentionNorm : null);
    }

    /** {@code h += norm(W · x)}, or {@code h += W · x} when {@code outputNorm} is null. */
    private void addBlockOutput(Tensor weight, float[] x, float[] outputNorm) {
        if (outputNorm == null) {
            MatMul.matmul(weight, x, n, h, true);
            return;
        }
        float[] y = new float[n * hidden];               // [n, hidden]
        MatMul.matmul(weight, x, n, y, false);
        CpuOps.rmsNorm(y, outputNorm, eps, n, hidden, y);
        for (int i = 0; i < y.length; i++) h[i] += y[i];
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
        LayerPlan.Layer p = plan.layer(layer);
        for (int b = 0; b < n; b++) {
            CpuKvCache kv = (CpuKvCache) caches[b];
            int pos = positions[b];
            System.arraycopy(q, b * qRow, qb, 0, qRow);
            System.arraycopy(k, b * kvRow, kb, 0, kvRow);
            qkNormAndRope(w, layer, qb, kb, 1, pos);
            kv.put(layer, kv.row(layer, pos), kb, 0, v, b, 1);     // kb: row b's key after RoPE
            CpuOps.attention(qb, kv.k[layer], kv.v[layer], 1, pos, 0, kv.ring[layer], p.window(), heads, kvHeads,
                    headDim, p.queryScale(), p.attentionSoftcap(), ab);
            System.arraycopy(ab, 0, att, b * qRow, qRow);
        }
        addAttentionOutput(w, att);
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
        CpuOps.rmsNorm(h, w.preFeedforwardNorm != null ? w.preFeedforwardNorm : w.postAttentionNorm, eps, n, hidden, x);
        float[] gate = new float[n * inter];             // [n, intermediate]
        float[] up = new float[n * inter];
        MatMul.matmul(w.gate, x, n, gate, false);
        MatMul.matmul(w.up, x, n, up, false);
        CpuOps.geglu(gate, up, n * inter, gate);
        addBlockOutput(w.down, gate, w.postFeedforwardNorm);
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
        if (plan.finalLogitSoftcap() > 0) CpuOps.softcap(out, plan.finalLogitSoftcap());
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
