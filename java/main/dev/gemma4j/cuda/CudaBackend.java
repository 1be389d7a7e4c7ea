package dev.gemma4j.cuda;

import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SequencedSet;

/**
 * The CUDA backend: the steps of {@link dev.gemma4j.cpu.CpuBackend} on one GPU, with fp16 weights,
 * the residual stream in fp32, GEMMs through cuBLAS (fp16 operands, fp32 accumulation), the engine's
 * kernels for everything else and an fp16 KV cache.
 *
 * <p>Everything is allocated at load, within the budget, by the {@link MemoryPlan}: the weights, the
 * cuBLAS workspace and the activations of the largest batch; KV caches come from what the plan
 * left. No step allocates. Work is queued on one stream; the host waits only where it reads a
 * result back ({@link #logits}, {@link #residual}). Not thread-safe (as {@link Backend} says); any
 * thread may call it, one at a time.
 *
 * <p>Per layer: attention is {@code rmsnorm -> qkv GEMM (fp16) -> rope_and_cache -> attention (prefill
 * kernel for a batch, flash-decoding for one token) -> o_proj GEMM into the residual (beta = 1)}; the
 * MLP is {@code rmsnorm -> gate|up GEMM (fp32) -> geglu (fp32, saturated to fp16) -> down_proj GEMM
 * into the residual (beta = 1)}.
 */
public final class CudaBackend implements Backend {
    /**
     * How to open a backend.
     *
     * @param device         CUDA device index
     * @param budget         device memory the engine may allocate for itself
     * @param maxBatchTokens the largest batch {@link #embed} takes; a longer prompt must be run in chunks
     * @param contextTokens  the KV cache tokens that must fit for the load to go ahead
     */
    public record Settings(int device, DeviceBudget budget, int maxBatchTokens, int contextTokens) {
        public Settings {
            if (device < 0) throw new IllegalArgumentException("device index must be >= 0, found " + device);
            if (budget == null) throw new IllegalArgumentException("no device memory budget given");
            if (maxBatchTokens < 1) throw new IllegalArgumentException("max batch tokens must be >= 1, found " + maxBatchTokens);
            if (contextTokens < 1) throw new IllegalArgumentException("context tokens must be >= 1, found " + contextTokens);
        }

        /** On device 0. */
        public static Settings of(DeviceBudget budget, int maxBatchTokens, int contextTokens) {
            return new Settings(0, budget, maxBatchTokens, contextTokens);
        }
    }

    /** Values of one checkpoint tensor that fp16 cannot hold: saturated to ±65504 ({@code overflows}), or NaN. */
    public record Fp16Overflow(String tensor, long overflows, long nans) {}

    private final CudaContext ctx;
    private final DeviceMemory memory;
    private final MemoryPlan plan;
    private final GemmaConfig c;
    private final WeightLayout w;
    private final ActivationLayout a;
    private final DeviceBuffer weights;
    private final DeviceBuffer activations;
    private final PinnedInts hostInts;
    private final Gemm gemm;
    private final List<Fp16Overflow> overflows;
    private final int hidden, heads, kvHeads, headDim, inter, vocab, qkvWidth;
    private final float eps, embeddingScale, attentionScale, ropeTheta;
    private final SequencedSet<CudaKvCache> caches = new LinkedHashSet<>();

    /** Tokens in the current batch; 0 before the first {@link #embed}. */
    private int n;
    /** The start position whose positions and length the device holds for this batch, or -1. */
    private int positionsFor = -1;
    private boolean closed;

    private CudaBackend(CudaContext ctx, DeviceMemory memory, MemoryPlan plan, DeviceBuffer weights,
                        DeviceBuffer activations, PinnedInts hostInts, List<Fp16Overflow> overflows) {
        this.ctx = ctx;
        this.memory = memory;
        this.plan = plan;
        this.c = plan.config();
        this.w = plan.weightLayout();
        this.a = plan.activationLayout();
        this.weights = weights;
        this.activations = activations;
        this.hostInts = hostInts;
        this.gemm = new Gemm(ctx);
        this.overflows = List.copyOf(overflows);
        hidden = c.hiddenSize();
        heads = c.numAttentionHeads();
        kvHeads = c.numKeyValueHeads();
        headDim = c.headDim();
        inter = c.intermediateSize();
        vocab = c.vocabSize();
        qkvWidth = c.queryDim() + 2 * c.kvDim();
        eps = (float) c.rmsNormEps();
        embeddingScale = c.embeddingScale();
        attentionScale = (float) (1.0 / Math.sqrt(headDim));
        ropeTheta = (float) c.ropeTheta();
    }

    /**
     * Loads {@code source}'s weights onto the device. The plan is made (and given to
     * {@code listener}) before anything is allocated; a plan that does not fit is refused then.
     *
     * @throws DeviceMemoryException when the plan does not fit the budget or the device's free memory
     * @throws CudaException         when CUDA, cuBLAS or the kernels cannot be loaded, or a CUDA call fails
     * @throws dev.gemma4j.model.ModelFormatException when a tensor is missing or has the wrong shape
     */
    public static CudaBackend open(WeightSource source, Settings settings, LoadListener listener) {
        return load(source.config(), settings, listener, (ctx, memory, plan, weights, l) ->
                WeightUploader.upload(ctx, memory, source, plan.weightLayout(), weights.address(), l));
    }

    /**
     * A model of {@code config}'s shape whose weights a kernel computes on the device:
     * element i of the k-th tensor is {@code SyntheticWeights.value(seed, k, i, amplitude, offset)}
     * rounded to fp16, exactly what {@code SyntheticWeights.create(name, layers, DType.F16, seed)}
     * holds on the host for the same config. Nothing is uploaded.
     */
    public static CudaBackend openSynthetic(GemmaConfig config, long seed, Settings settings, LoadListener listener) {
        return load(config, settings, listener, (ctx, memory, plan, weights, l) -> {
            WeightUploader.fillSynthetic(ctx, plan.weightLayout(), weights.address(), seed, l);
            return List.of();
        });
    }

    /** Fills the weights buffer; returns the fp16 overflows found. */
    private interface WeightFill {
        List<Fp16Overflow> fill(CudaContext ctx, DeviceMemory memory, MemoryPlan plan, DeviceBuffer weights,
                                LoadListener listener);
    }

    private static CudaBackend load(GemmaConfig config, Settings settings, LoadListener listener, WeightFill fill) {
        LoadListener l = listener == null ? LoadListener.NONE : listener;
        Kernels.checkAttentionShape(config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim());
        CudaContext ctx = CudaContext.open(settings.device());
        DeviceMemory memory = null;
        PinnedInts hostInts = null;
        try {
            CudaContext.MemoryInfo free = ctx.memoryInfo();
            long budget = settings.budget().resolve(free.freeBytes());
            MemoryPlan plan = MemoryPlan.of(config, budget, settings.maxBatchTokens(), settings.contextTokens());
            l.planned(plan, ctx.info(), free);
            if (!plan.fits()) throw new DeviceMemoryException(plan.refusal());
            if (plan.requiredBytes() > free.freeBytes()) {
                throw new DeviceMemoryException("the plan needs " + Bytes.format(plan.requiredBytes())
                        + " but device " + ctx.info().index() + " (" + ctx.info().name() + ") has only "
                        + Bytes.format(free.freeBytes()) + " free (budget " + Bytes.format(budget) + ")");
            }
            memory = ctx.newDeviceMemory(budget);
            DeviceBuffer workspace = memory.allocate("cuBLAS workspace", plan.workspaceBytes());
            ctx.setCublasWorkspace(workspace);
            DeviceBuffer activations = memory.allocate("activations", plan.activationBytes());
            DeviceBuffer weights = memory.allocate("weights", plan.weightBytes());
            List<Fp16Overflow> overflows = fill.fill(ctx, memory, plan, weights, l);
            ActivationLayout act = plan.activationLayout();
            ctx.zero(activations.address(act.slots, 4L * act.batch), 4L * act.batch, "the sequence slots");
            hostInts = new PinnedInts(ctx, 2 * act.batch + 1);
            ctx.synchronize("finishing the load");
            return new CudaBackend(ctx, memory, plan, weights, activations, hostInts, overflows);
        } catch (RuntimeException | Error e) {
            if (hostInts != null) closeQuietly(hostInts, e);
            if (memory != null) closeQuietly(memory, e);
            closeQuietly(ctx, e);
            throw e;
        }
    }

    private static void closeQuietly(AutoCloseable resource, Throwable failure) {
        try {
            resource.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    /** The batch the activations were sized for; {@link dev.gemma4j.engine.Forward} runs longer inputs in chunks. */
    @Override
    public int maxBatchTokens() {
        return a.batch;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public GemmaConfig config() {
        return c;
    }

    /** The plan the backend was loaded with. */
    public MemoryPlan plan() {
        return plan;
    }

    public CudaContext.DeviceInfo device() {
        return ctx.info();
    }

    /** The device's free and total memory now. */
    public CudaContext.MemoryInfo memoryInfo() {
        requireOpen();
        ctx.makeCurrent();
        return ctx.memoryInfo();
    }

    /** The engine's device allocations: bytes held now and at peak, against the budget. */
    public DeviceMemory memory() {
        return memory;
    }

    /** Checkpoint tensors with values fp16 cannot hold (empty when all fit, and for synthetic weights). */
    public List<Fp16Overflow> fp16Overflows() {
        return overflows;
    }

    /**
     * A device KV cache of {@code capacity} tokens (fp16, every layer), from the space the plan left.
     *
     * @throws DeviceMemoryException when it does not fit what the plan left, or what other caches leave
     */
    @Override
    public KvCache newCache(int capacity) {
        requireOpen();
        if (capacity < 1) throw new IllegalArgumentException("a KV cache holds at least 1 token, found " + capacity);
        long bytes = capacity * plan.kvBytesPerToken();
        if (capacity > plan.kvTokens()) {
            throw new DeviceMemoryException(String.format(Locale.ROOT,
                    "a KV cache of %,d tokens needs %s (%,d bytes per token), but the device memory plan left room "
                            + "for %,d tokens; raise the device memory budget or shorten the context",
                    capacity, Bytes.format(bytes), plan.kvBytesPerToken(), plan.kvTokens()));
        }
        ctx.makeCurrent();
        DeviceBuffer buffer = memory.allocate(String.format(Locale.ROOT, "KV cache of %,d tokens", capacity), bytes);
        CudaKvCache cache = new CudaKvCache(this, buffer, capacity);
        caches.add(cache);
        return cache;
    }

    @Override
    public void embed(int[] tokens) {
        requireOpen();
        int count = tokens.length;
        if (count < 1) throw new IllegalArgumentException("no tokens to embed");
        if (count > a.batch) {
            throw new IllegalArgumentException("a batch of " + count + " tokens exceeds the " + a.batch
                    + " tokens the CUDA backend's activations were sized for (max batch tokens); run it in chunks");
        }
        for (int t = 0; t < count; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[t] + " at position " + t
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        ctx.makeCurrent();
        hostInts.begin();
        for (int t = 0; t < count; t++) hostInts.set(t, tokens[t]);
        hostInts.copy(0, count, act(a.tokens), "token ids");
        hostInts.end();
        ctx.launch(Kernels.embeddingGather(weight(w.embedding()), act(a.tokens), act(a.residual), count, hidden, vocab,
                embeddingScale));
        n = count;
        positionsFor = -1;
    }

    @Override
    public void attentionBlock(int layer, KvCache cache, int startPos) {
        requireBatch();
        CudaKvCache kv = ownCache(cache);
        if (startPos < 0 || startPos + n > kv.capacity) {
            throw new IllegalArgumentException("KV cache holds " + kv.capacity + " tokens; positions "
                    + startPos + ".." + (startPos + n - 1) + " do not fit");
        }
        checkLayer(layer);
        ctx.makeCurrent();
        uploadPositions(startPos);
        ctx.launch(Kernels.rmsnorm(act(a.residual), weight(w.inputNorm(layer)), act(a.normed), n, hidden, eps));
        gemm.project(act(a.normed), weight(w.qkv(layer)), act(a.qkv), n, hidden, qkvWidth, Gemm.Output.F16, false,
                "layer " + layer + " q/k/v projection");
        long q = act(a.qkv);
        long k = q + 2L * c.queryDim();
        long v = k + 2L * c.kvDim();
        long kCache = kv.keys(layer);
        long vCache = kv.values(layer);
        long slots = act(a.slots);
        ctx.launch(Kernels.ropeAndCache(q, qkvWidth, k, qkvWidth, v, qkvWidth, kCache, vCache, slots, act(a.positions),
                n, heads, kvHeads, headDim, 1, kv.capacity, ropeTheta));
        if (n == 1) {
            Kernels.DecodeSplit split = Kernels.decodeSplit(startPos + 1, heads, kvHeads, ctx.info().multiprocessors());
            ctx.launch(Kernels.attentionDecodePartial(split, 1, q, qkvWidth, kCache, vCache, slots, act(a.lengths),
                    act(a.partialMax), act(a.partialSum), act(a.partialOut), heads, kvHeads, headDim, 1, kv.capacity,
                    attentionScale));
            ctx.launch(Kernels.attentionDecodeCombine(split, 1, act(a.partialMax), act(a.partialSum), act(a.partialOut),
                    slots, act(a.lengths), act(a.attention), c.queryDim(), heads, headDim, 1, kv.capacity));
        } else {
            ctx.launch(Kernels.attentionPrefill(q, qkvWidth, kCache, vCache, act(a.attention), c.queryDim(), 0, startPos,
                    n, heads, kvHeads, headDim, 1, kv.capacity, attentionScale));
        }
        gemm.project(act(a.attention), weight(w.o(layer)), act(a.residual), n, c.queryDim(), hidden, Gemm.Output.F32,
                true, "layer " + layer + " o_proj");
    }

    @Override
    public void mlpBlock(int layer) {
        requireBatch();
        checkLayer(layer);
        ctx.makeCurrent();
        ctx.launch(Kernels.rmsnorm(act(a.residual), weight(w.postAttentionNorm(layer)), act(a.normed), n, hidden, eps));
        gemm.project(act(a.normed), weight(w.gateUp(layer)), act(a.gateUp), n, hidden, 2 * inter, Gemm.Output.F32,
                false, "layer " + layer + " gate/up projection");
        ctx.launch(Kernels.geglu(act(a.gateUp), act(a.gateUp) + 4L * inter, 2L * inter, act(a.geglu), n, inter));
        gemm.project(act(a.geglu), weight(w.down(layer)), act(a.residual), n, inter, hidden, Gemm.Output.F32, true,
                "layer " + layer + " down_proj");
    }

    @Override
    public float[] logits(int firstRow, int rows) {
        requireBatch();
        if (firstRow < 0 || rows < 0 || firstRow + rows > n) {
            throw new IllegalArgumentException("logits rows [" + firstRow + ", " + (firstRow + rows)
                    + ") outside the batch of " + n + " tokens");
        }
        if ((long) rows * vocab > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows + " rows of " + vocab + " logits exceed a Java array");
        }
        ctx.makeCurrent();
        float[] out = new float[rows * vocab];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, (long) Math.min(rows, a.logitRows) * vocab);
            for (int done = 0; done < rows; done += a.logitRows) {
                int r = Math.min(a.logitRows, rows - done);
                long x = act(a.residual) + 4L * (firstRow + done) * hidden;
                ctx.launch(Kernels.rmsnorm(x, weight(w.finalNorm()), act(a.normed), r, hidden, eps));
                gemm.project(act(a.normed), weight(w.embedding()), act(a.logits), r, hidden, vocab, Gemm.Output.F32,
                        false, "logits of rows " + (firstRow + done) + ".." + (firstRow + done + r - 1));
                ctx.copyToHost(host, act(a.logits), 4L * r * vocab, "logits");
                MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, out, done * vocab, r * vocab);
            }
        }
        return out;
    }

    @Override
    public float[] residual() {
        requireBatch();
        ctx.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, (long) n * hidden);
            ctx.copyToHost(host, act(a.residual), 4L * n * hidden, "the residual stream");
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Frees every device buffer (KV caches included), then releases the CUDA context; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        failure = CudaContext.attempt(failure, ctx::makeCurrent);
        // Queued kernels may still read the buffers about to be freed.
        failure = CudaContext.attempt(failure, () -> ctx.synchronize("closing the CUDA backend"));
        for (CudaKvCache cache : new ArrayList<>(caches)) failure = CudaContext.attempt(failure, cache::close);
        failure = CudaContext.attempt(failure, hostInts::close);
        failure = CudaContext.attempt(failure, memory::close);
        failure = CudaContext.attempt(failure, ctx::close);
        if (failure != null) throw failure;
    }

    /** Positions [startPos, startPos + n) and the decode length startPos + n, once per batch and start. */
    private void uploadPositions(int startPos) {
        if (positionsFor == startPos) return;
        int base = a.batch;
        hostInts.begin();
        for (int t = 0; t < n; t++) hostInts.set(base + t, startPos + t);
        hostInts.set(2 * base, startPos + n);
        hostInts.copy(base, n, act(a.positions), "positions");
        hostInts.copy(2 * base, 1, act(a.lengths), "the decode length");
        hostInts.end();
        positionsFor = startPos;
    }

    private long act(long offset) {
        return activations.address() + offset;
    }

    private long weight(long offset) {
        return weights.address() + offset;
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("the CUDA backend has been closed");
    }

    private void requireBatch() {
        requireOpen();
        if (n == 0) throw new IllegalStateException("no batch: call embed first");
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= c.numHiddenLayers()) {
            throw new IllegalArgumentException("layer " + layer + " outside [0, " + c.numHiddenLayers() + ")");
        }
    }

    private CudaKvCache ownCache(KvCache cache) {
        if (!(cache instanceof CudaKvCache kv) || kv.backend != this) {
            throw new IllegalArgumentException("the KV cache was not made by this CUDA backend: " + cache);
        }
        if (!kv.buffer.isOpen()) throw new IllegalStateException("the KV cache has been closed");
        return kv;
    }

    /**
     * Keys and values of every layer for one sequence, fp16, in one buffer: layer l's keys at
     * {@code 2l x layerBytes}, its values at {@code (2l + 1) x layerBytes}, each
     * [1 slot, kvHeads, capacity, headDim] as rope.cu lays a cache out.
     */
    private static final class CudaKvCache implements KvCache {
        final CudaBackend backend;
        final DeviceBuffer buffer;
        final int capacity;
        final long layerBytes;

        CudaKvCache(CudaBackend backend, DeviceBuffer buffer, int capacity) {
            this.backend = backend;
            this.buffer = buffer;
            this.capacity = capacity;
            this.layerBytes = 2L * backend.kvHeads * capacity * backend.headDim;
        }

        long keys(int layer) {
            return buffer.address(2 * layer * layerBytes, layerBytes);
        }

        long values(int layer) {
            return buffer.address((2L * layer + 1) * layerBytes, layerBytes);
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public void close() {
            if (!buffer.isOpen()) return;
            backend.caches.remove(this);
            if (!backend.closed) backend.ctx.makeCurrent();
            // Work queued on the cache must finish before its memory is freed.
            backend.ctx.synchronize("releasing " + buffer.name());
            buffer.close();
        }

        @Override
        public String toString() {
            return "CUDA KV cache of " + capacity + " tokens" + (buffer.isOpen() ? "" : " (closed)");
        }
    }
}
