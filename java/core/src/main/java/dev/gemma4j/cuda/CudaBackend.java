package dev.gemma4j.cuda;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.DecodeBatch;
import dev.gemma4j.engine.DecodeRowFailure;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.LayerPlan;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
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
 * cuBLAS workspace, the activations of the largest batch and a pool of KV caches, one slot of
 * {@code contextTokens} per sequence ({@link Settings#maxSequences()} slots); {@link #newCache} hands
 * out a free slot. No step allocates. Work is queued on one stream; the host waits only where it
 * reads a result back ({@link #logits}, {@link #residual}, the sampled tokens of {@link #decodeStep}).
 * Not thread-safe (as {@link Backend} says); any thread may call it, one at a time.
 *
 * <p>{@link #decodeStep} runs a whole decode step of up to {@code maxSequences} sequences as one CUDA
 * graph: the step's inputs (tokens, slots, positions, sampling parameters and random numbers) go up
 * in one copy, the graph replays embedding, every layer, the logits GEMM and the sampling kernels,
 * and the sampled tokens come back in one copy. Graphs are captured on first use, one per
 * (batch bucket, decode split size), and kept until close. Setting the system property
 * {@code gemma4j.cuda.graphs=false} (or {@code gemma4j.cuda.checkLaunches=true}) queues the same
 * launches one by one instead.
 *
 * <p>Per layer: attention is {@code rmsnorm -> qkv GEMM (fp16) -> rope_and_cache -> attention (prefill
 * kernel for a batch, flash-decoding for one token) -> o_proj GEMM into the residual (beta = 1)}; the
 * MLP is {@code rmsnorm -> gate|up GEMM (fp32) -> geglu (fp32, times 2^-5, saturated to fp16) -> down_proj
 * GEMM (alpha = 2^5) into the residual (beta = 1)}.
 *
 * <p>Gemma 2 and 3 run the same steps with each layer's values from its {@link LayerPlan}: RoPE base and
 * linear factor, Gemma 3's q/k norms (in {@code rope_and_cache}), the window of a sliding layer, whose
 * cache is a ring ({@link MemoryPlan#cacheRows(int)}), the {@code query_pre_attn_scalar} scale and Gemma 2's
 * score soft-cap (in the attention kernels). Their sandwich norms send o_proj's and down_proj's fp32
 * output through the gate/up buffer to {@code rmsnorm_add_f32}, which adds the normed row to the
 * residual; the MLP's input norm is pre_feedforward_layernorm; Gemma 2's logits are soft-capped on the
 * device before they are sampled or read back.
 *
 * <p>fp16 range: the kernels that write fp16 activations flag values that saturated or were inf/NaN
 * ({@link Fp16Range}), per row in a decode step (read back with the sampled tokens in one copy; such a
 * row fails alone, see {@link DecodeRowFailure}) and per KV slot over a prompt's chunks (checked by
 * {@link #logits}, which then throws an {@link ArithmeticException}).
 *
 * <p>With {@code -Dgemma4j.cuda.decodeGemv=own} ({@link CudaSwitches#decodeGemv()}), a batch of at most 8
 * rows runs {@code gemv_rmsnorm_rope -> attention -> gemv_f16_accumulate (o_proj)} and
 * {@code gemv_rmsnorm_geglu -> gemv_f16_accumulate (down_proj)}, and its logits {@code gemv_rmsnorm_f32}: the
 * GEMV kernels of gemv.cu with the norms, RoPE with the KV write and GeGLU folded in, the same rounding
 * points. That path neither flags fp16 range nor scales the GeGLU output yet (see KERNELS.md).
 */
public final class CudaBackend implements Backend {
    /**
     * How to open a backend.
     *
     * @param device         CUDA device index
     * @param budget         device memory the engine may allocate for itself
     * @param maxBatchTokens the largest batch {@link #embed} takes; a longer prompt must be run in chunks
     * @param contextTokens  tokens of one sequence's KV cache (prompt + new)
     * @param maxSequences   KV caches of {@code contextTokens} allocated at load, as one pool of slots;
     *                       also the most sequences one decode step takes
     */
    /**
     * @param batchInvariant decode every sequence of a step on its own, as a batch of one, so that a
     *                       sequence's tokens do not depend on the others sharing its steps (see
     *                       {@link #decodeStep}); a step of B sequences then costs B single-sequence steps
     * @param compute        the 16-bit type of weights, KV cache and activations ({@link Compute}; fp16 by default)
     */
    public record Settings(int device, DeviceBudget budget, int maxBatchTokens, int contextTokens, int maxSequences,
                           boolean batchInvariant, Compute compute) {
        public Settings {
            if (compute == null) throw new IllegalArgumentException("no compute type given (fp16 or bf16)");
            if (device < 0) throw new IllegalArgumentException("device index must be >= 0, found " + device);
            if (budget == null) throw new IllegalArgumentException("no device memory budget given");
            if (maxBatchTokens < 1) throw new IllegalArgumentException("max batch tokens must be >= 1, found " + maxBatchTokens);
            if (contextTokens < 1) throw new IllegalArgumentException("context tokens must be >= 1, found " + contextTokens);
            if (maxSequences < 1) throw new IllegalArgumentException("max sequences must be >= 1, found " + maxSequences);
        }

        /** One sequence. */
        public Settings(int device, DeviceBudget budget, int maxBatchTokens, int contextTokens) {
            this(device, budget, maxBatchTokens, contextTokens, 1, false, Compute.FP16);
        }

        /** On device 0, one sequence. */
        public static Settings of(DeviceBudget budget, int maxBatchTokens, int contextTokens) {
            return new Settings(0, budget, maxBatchTokens, contextTokens, 1, false, Compute.FP16);
        }

        public Settings withMaxSequences(int sequences) {
            return new Settings(device, budget, maxBatchTokens, contextTokens, sequences, batchInvariant, compute);
        }

        public Settings withBatchInvariance(boolean invariant) {
            return new Settings(device, budget, maxBatchTokens, contextTokens, maxSequences, invariant, compute);
        }

        public Settings withCompute(Compute type) {
            return new Settings(device, budget, maxBatchTokens, contextTokens, maxSequences, batchInvariant, type);
        }

        /** On the CUDA device with driver ordinal {@code ordinal}. */
        public Settings withDevice(int ordinal) {
            return new Settings(ordinal, budget, maxBatchTokens, contextTokens, maxSequences, batchInvariant, compute);
        }
    }

    /** Values of one checkpoint tensor that fp16 cannot hold: saturated to ±65504 ({@code overflows}), or NaN. */
    public record Fp16Overflow(String tensor, long overflows, long nans) {}

    private final CudaContext ctx;
    private final DeviceMemory memory;
    private final MemoryPlan plan;
    private final GemmaConfig c;
    private final LayerPlan layerPlan;
    private final WeightLayout w;
    private final ActivationLayout a;
    private final DeviceBuffer weights;
    private final DeviceBuffer activations;
    private final PinnedBlock inputs;
    private final DeviceBuffer pool;
    private final boolean[] slotUsed;
    private final boolean useGraphs;
    /** {@link Settings#batchInvariant()}: every decode step runs its sequences one by one. */
    private final boolean batchInvariant;
    /** {@link Settings#compute()}: every kernel launch and GEMM is on this 16-bit type. */
    private final Compute compute;
    /** {@link CudaSwitches#decodeGemv()} is {@code own} and the model's widths suit the GEMV kernels. */
    private final boolean ownGemv;
    /** Which decode attention kernels run ({@link CudaSwitches#decodeAttention()}, read at open). */
    private final CudaSwitches.DecodeAttention decodeAttention = CudaSwitches.decodeAttention();
    private final java.util.Map<GraphKey, CudaGraph> graphs = new java.util.HashMap<>();
    private final Gemm gemm;
    private final List<Fp16Overflow> overflows;
    private final int hidden, heads, kvHeads, headDim, inter, vocab, qkvWidth;
    private final float eps, embeddingScale;
    /** Gemma 2 and 3's extra norms, used by every layer when set: post-attention and pre/post-feedforward. */
    private final boolean sandwichNorms;
    /** The sliding layers' window (Gemma 2 and 3), 0 when every layer is full. */
    private final int slidingWindow;
    private final CudaSwitches.PrefillAttention prefillAttention = CudaSwitches.prefillAttention();
    private final SequencedSet<CudaKvCache> caches = new LinkedHashSet<>();

    /** Tokens in the current batch; 0 before the first {@link #embed}. */
    private int n;
    /** The slots and positions the device holds for this batch, or null. */
    private int[] uploadedSlots, uploadedPositions;
    /**
     * The KV slot whose prefill the current batch is (its range flags accumulate in
     * {@code slotRange[slot]} over all of the prompt's chunks), or -1 for a batch of decode rows
     * (flags per row).
     */
    private int prefillSlot = -1;
    private boolean closed;

    private CudaBackend(CudaContext ctx, DeviceMemory memory, MemoryPlan plan, DeviceBuffer weights,
                        DeviceBuffer activations, DeviceBuffer pool, PinnedBlock inputs, List<Fp16Overflow> overflows,
                        boolean batchInvariant, Compute compute) {
        this.ctx = ctx;
        this.compute = compute;
        this.batchInvariant = batchInvariant;
        this.memory = memory;
        this.plan = plan;
        this.c = plan.config();
        this.layerPlan = LayerPlan.of(c);
        this.w = plan.weightLayout();
        this.a = plan.activationLayout();
        this.weights = weights;
        this.activations = activations;
        this.pool = pool;
        this.inputs = inputs;
        this.slotUsed = new boolean[plan.sequences()];
        this.useGraphs = !CudaContext.checksLaunches() && !"false".equals(System.getProperty(GRAPHS_PROPERTY));
        this.gemm = new Gemm(ctx, compute);
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
        sandwichNorms = layerPlan.layers().stream().anyMatch(LayerPlan.Layer::sandwichNorms);
        slidingWindow = layerPlan.layers().stream().mapToInt(LayerPlan.Layer::window).max().orElse(0);
        ownGemv = CudaSwitches.decodeGemv() == CudaSwitches.DecodeGemv.OWN
                && Kernels.gemvFits(1, hidden) && Kernels.gemvFits(1, c.queryDim()) && Kernels.gemvFits(1, inter);
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
        String unsupported = unsupported(source);
        if (unsupported != null) throw new IllegalArgumentException(unsupported);
        return load(source.config(), settings, listener, (ctx, memory, plan, weights, l) ->
                WeightUploader.upload(ctx, memory, source, plan.weightLayout(), weights.address(), settings.compute(), l));
    }

    /**
     * A model of {@code config}'s shape whose weights a kernel computes on the device:
     * element i of the k-th tensor is {@code SyntheticWeights.value(seed, k, i, amplitude, offset)}
     * rounded to fp16, exactly what {@code SyntheticWeights.create(name, layers, DType.F16, seed)}
     * holds on the host for the same config. Nothing is uploaded.
     */
    public static CudaBackend openSynthetic(GemmaConfig config, long seed, Settings settings, LoadListener listener) {
        // The model is refused before the settings: a model the backend cannot run at all says so first.
        String unsupported = unsupported(config);
        if (unsupported != null) throw new IllegalArgumentException(unsupported);
        if (settings.compute() != Compute.FP16) {
            throw new IllegalArgumentException("synthetic weights are computed on the device as fp16 only; compute "
                    + settings.compute().label() + " needs a checkpoint");
        }
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

    /**
     * Why this backend cannot run {@code config}, or null when it can: Gemma 1, 2 and 3 (text) run on
     * its kernels, whose attention holds one head of at most 256 dims, and whose q/k norms hold the
     * inverse RMS of at most 256 heads and kv heads.
     */
    public static String unsupported(GemmaConfig config) {
        String family = config.family().modelType();
        try {
            Kernels.checkAttentionShape(config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim());
        } catch (IllegalArgumentException e) {
            return "the CUDA backend cannot run this model_type \"" + family + "\": " + e.getMessage();
        }
        if (config.family().qkNorms()
                && config.numAttentionHeads() + config.numKeyValueHeads() > Kernels.ROPE_MAX_NORM_HEADS) {
            return "the CUDA backend's q/k norms take at most " + Kernels.ROPE_MAX_NORM_HEADS + " heads and kv heads"
                    + " together; model_type \"" + family + "\" has " + config.numAttentionHeads() + " + "
                    + config.numKeyValueHeads();
        }
        return null;
    }

    /**
     * As {@link #unsupported(GemmaConfig)} for {@code source}'s model, and also naming the first
     * tensor whose element type the backend's kernels do not read (the quantized types).
     */
    public static String unsupported(WeightSource source) {
        String why = unsupported(source.config());
        if (why != null) return why;
        for (var t : source.tensors().values()) {
            if (t.dtype().quantized()) {
                return "the CUDA backend reads F32, BF16 and F16 weights only; tensor '" + t.name() + "' is "
                        + t.dtype();
            }
        }
        return null;
    }

    /** System property: {@code false} queues decode steps launch by launch instead of replaying CUDA graphs. */
    public static final String GRAPHS_PROPERTY = "gemma4j.cuda.graphs";

    private static CudaBackend load(GemmaConfig config, Settings settings, LoadListener listener, WeightFill fill) {
        LoadListener l = listener == null ? LoadListener.NONE : listener;
        String unsupported = unsupported(config);
        if (unsupported != null) throw new IllegalArgumentException(unsupported);
        Kernels.checkAttentionShape(config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim());
        CudaSwitches.requireSupported(settings.compute());
        CudaSwitches.requireSupported(LayerPlan.of(config).beyondGemma1());
        CudaContext ctx = CudaContext.open(settings.device());
        DeviceMemory memory = null;
        PinnedBlock inputs = null;
        try {
            CudaContext.MemoryInfo free = ctx.memoryInfo();
            long budget = settings.budget().resolve(free.freeBytes());
            MemoryPlan plan = MemoryPlan.of(config, budget, settings.maxBatchTokens(), settings.contextTokens(),
                    settings.maxSequences());
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
            DeviceBuffer pool = memory.allocate(String.format(Locale.ROOT, "KV cache pool (%d x %,d tokens)",
                    plan.sequences(), plan.contextTokens()), plan.kvPoolBytes());
            ActivationLayout act = plan.activationLayout();
            ctx.zero(activations.address(act.inputs, act.inputBytes), act.inputBytes, "the step inputs");
            inputs = new PinnedBlock(ctx, act.inputBytes, "the step inputs");
            ctx.synchronize("finishing the load");
            return new CudaBackend(ctx, memory, plan, weights, activations, pool, inputs, overflows,
                    settings.batchInvariant(), settings.compute());
        } catch (RuntimeException | Error e) {
            if (inputs != null) closeQuietly(inputs, e);
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

    /**
     * A failed driver or cuBLAS call: a launch that faulted leaves the context's sticky error, and
     * every later call on it fails too. A full KV pool or an out-of-range row is not a fault.
     */
    @Override
    public boolean isDeviceFault(Throwable failure) {
        return failure instanceof CudaException e && e.kind() != CudaException.Kind.LIBRARY;
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

    /** The most sequences one decode step takes: the KV pool's slots. */
    @Override
    public int maxDecodeBatch() {
        return plan.sequences();
    }

    /**
     * A free slot of the KV pool for a sequence of at most {@code capacity} tokens (fp16, every layer).
     *
     * @throws IllegalArgumentException when {@code capacity} exceeds the context the pool was made for
     * @throws DeviceMemoryException    when every slot is taken
     */
    @Override
    public KvCache newCache(int capacity) {
        requireOpen();
        if (capacity < 1) throw new IllegalArgumentException("a KV cache holds at least 1 token, found " + capacity);
        if (capacity > plan.contextTokens()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "a KV cache of %,d tokens exceeds the context of %,d tokens the CUDA backend's KV pool was made "
                            + "for; load with a longer context", capacity, plan.contextTokens()));
        }
        for (int slot = 0; slot < slotUsed.length; slot++) {
            if (!slotUsed[slot]) {
                slotUsed[slot] = true;
                ctx.makeCurrent();
                ctx.zero(act(a.slotRange) + (long) Fp16Range.ROW_BYTES * slot, Fp16Range.ROW_BYTES,
                        "the range flags of KV slot " + slot);
                CudaKvCache cache = new CudaKvCache(this, slot, capacity);
                caches.add(cache);
                return cache;
            }
        }
        throw new DeviceMemoryException("all " + slotUsed.length + " KV cache slots are in use (the backend was loaded "
                + "for at most " + slotUsed.length + " sequences at once); close a sequence's cache or load with more "
                + "sequences");
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
        inputs.begin();
        for (int t = 0; t < count; t++) inputs.setInt(4L * t, tokens[t]);
        clearRangeFlags(count);
        inputs.copy(0, 4L * count, act(a.tokens), "token ids");
        inputs.copy(a.rangeFlags - a.inputs, (long) Fp16Range.ROW_BYTES * count, act(a.rangeFlags), "range flags");
        inputs.end();
        enqueueEmbedding(count);
        n = count;
        uploadedSlots = null;
        prefillSlot = -1;
    }

    /** Zeroes the host mirror's range flags of rows [0, rows). */
    private void clearRangeFlags(int rows) {
        for (int b = 0; b < 2 * rows; b++) inputs.setInt(a.rangeFlags - a.inputs + 4L * b, 0);
    }

    /** Where the current batch's kernels note the fp16 range of their outputs. */
    private Kernels.RangeFlags range() {
        return prefillSlot >= 0
                ? new Kernels.RangeFlags(act(a.slotRange) + (long) Fp16Range.ROW_BYTES * prefillSlot, Fp16Range.ONE_PAIR)
                : new Kernels.RangeFlags(act(a.rangeFlags), Fp16Range.PER_ROW);
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
        prefillSlot = kv.slot;
        int[] slots = new int[n];
        int[] positions = new int[n];
        Arrays.fill(slots, kv.slot);
        for (int t = 0; t < n; t++) positions[t] = startPos + t;
        // A single token attends like a decode row: keys [0, startPos + 1).
        uploadPositions(slots, positions, new int[] {startPos + n});
        if (n == 1) {
            enqueueAttention(layer, 1, decodeSplit(1, positions));
        } else {
            enqueueAttentionInput(layer, n);
            long q = act(a.qkv);
            LayerPlan.Layer p = layerPlan.layer(layer);
            launch(Kernels.attentionPrefill(prefillAttention, q, qkvWidth, keys(layer), values(layer),
                    act(a.attention), c.queryDim(), kv.slot, startPos, n, heads, kvHeads, headDim, slotUsed.length,
                    plan.cacheRows(layer), p.queryScale(), p.window(), p.attentionSoftcap()));
            enqueueOutputProjection(layer, n);
        }
    }

    @Override
    public void decodeAttentionBlock(int layer, KvCache[] caches, int[] positions) {
        requireBatch();
        checkLayer(layer);
        DecodeBatch.checkRows(caches, positions, n);
        int[] slots = slots(caches);
        int[] lengths = new int[n];
        for (int b = 0; b < n; b++) lengths[b] = positions[b] + 1;
        ctx.makeCurrent();
        uploadPositions(slots, positions, lengths);
        enqueueAttention(layer, n, decodeSplit(n, positions));
    }

    /** Each cache's slot in the pool. */
    private int[] slots(KvCache[] caches) {
        int[] slots = new int[caches.length];
        for (int b = 0; b < caches.length; b++) slots[b] = ownCache(caches[b]).slot;
        return slots;
    }

    /**
     * How a decode step cuts the keys of its full layers and of its sliding ones: a sliding layer's
     * rows attend at most its window, so it takes the split of {@code min(longest, window)} keys and
     * keeps the grid filled at long contexts, where the full layers' long splits would leave its
     * window to a block or two per kv head. Without sliding layers both are the same.
     */
    record DecodeSplits(Kernels.DecodeSplit full, Kernels.DecodeSplit sliding) {
        Kernels.DecodeSplit of(LayerPlan.Layer layer) {
            return layer.sliding() ? sliding : full;
        }
    }

    /** The decode splits of {@code rows} rows attending up to {@code positions[b] + 1} keys each. */
    private DecodeSplits decodeSplit(int rows, int[] positions) {
        int maxLength = Arrays.stream(positions).max().orElse(0) + 1;
        Kernels.DecodeSplit full = Kernels.decodeSplit(decodeAttention, rows, maxLength, heads, kvHeads,
                ctx.info().multiprocessors(), a.partialUnits);
        if (slidingWindow == 0 || maxLength <= slidingWindow) return new DecodeSplits(full, full);
        return new DecodeSplits(full, Kernels.decodeSplit(decodeAttention, rows, slidingWindow, heads, kvHeads,
                ctx.info().multiprocessors(), a.partialUnits));
    }

    /**
     * Decode steps captured as CUDA graphs so far, by (rows bucket, split sizes); for tests and
     * benchmarks.
     */
    public int capturedGraphs() {
        return graphs.size();
    }

    /** The graph a decode step of {@code bucket} rows replays: by its full and sliding layers' split sizes. */
    private record GraphKey(int bucket, int fullSplitTokens, int slidingSplitTokens) {
        GraphKey(int bucket, DecodeSplits split) {
            this(bucket, split.full().splitTokens(), split.sliding().splitTokens());
        }
    }

    /** Where the decode split size, and with it the graph a step replays, changes over the range. */
    @Override
    public int[] decodeWarmUpPositions(int rows, int first, int last) {
        DecodeBatch.checkPositionRange(rows, maxDecodeBatch(), first, last);
        int bucket = decodeBucket(rows, maxDecodeBatch());
        List<Integer> starts = new ArrayList<>();
        GraphKey previous = null;
        for (int p = first; p <= last; p++) {
            GraphKey key = new GraphKey(bucket, decodeSplit(bucket, new int[] {p}));
            if (!key.equals(previous)) starts.add(p);
            previous = key;
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * {@inheritDoc}
     *
     * <p>cuBLAS chooses its GEMM kernels, and so their order of summation, by the row count, and the
     * attention's split into key ranges follows the step's row count and its longest sequence: a row's
     * logits may differ in the last bits with the batch it is in. With {@link Settings#batchInvariant()}
     * every sequence runs as a step of its own (one row, split by its own length alone), so its tokens
     * are those it gets alone; the step then takes as long as that many single-sequence steps.
     */
    @Override
    public int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
        requireOpen();
        DecodeBatch.check(tokens, caches, positions, samplers, vocab, maxDecodeBatch());
        if (batchInvariant && tokens.length > 1) return decodeOneByOne(tokens, caches, positions, samplers);
        return decodeRows(tokens, caches, positions, samplers, 0);
    }

    /** {@link #decodeStep} as one single-row step per sequence; a row that fails fails alone. */
    private int[] decodeOneByOne(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
        int rows = tokens.length;
        int[] next = new int[rows];
        ArithmeticException[] failed = new ArithmeticException[rows];
        for (int b = 0; b < rows; b++) {
            try {
                next[b] = decodeRows(new int[] {tokens[b]}, new KvCache[] {caches[b]}, new int[] {positions[b]},
                        new Sampler[] {samplers[b]}, b)[0];
            } catch (DecodeRowFailure e) {
                failed[b] = e.cause(0);
            }
        }
        DecodeRowFailure.throwIfAny(next, failed);
        return next;
    }

    /** A decode step of these rows together; messages number them from {@code firstRow} on. */
    private int[] decodeRows(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers, int firstRow) {
        int rows = tokens.length;
        int bucket = decodeBucket(rows, maxDecodeBatch());
        int[] slots = slots(caches);
        // Sampling parameters; a row the kernels cannot sample (top_k above their k, or padding rows past
        // the tokenizer that must not be drawn) or whose log-probabilities are asked for is picked on the
        // host from its logits with the same random number.
        double[] uniforms = new double[rows];
        boolean[] onHost = new boolean[rows];
        for (int b = 0; b < rows; b++) {
            if (!samplers[b].options().isGreedy()) uniforms[b] = samplers[b].nextUniform();
            onHost[b] = samplers[b].options().topK() > a.sampleK || samplers[b].needsHostLogits()
                    || samplers[b].sampleable() < vocab;
        }
        DecodeSplits split = decodeSplit(bucket, positions);
        ctx.makeCurrent();
        inputs.begin();
        for (int b = 0; b < bucket; b++) {
            boolean real = b < rows;
            long i4 = 4L * b;
            inputs.setInt(a.tokens - a.inputs + i4, real ? tokens[b] : 0);
            // Padding rows name no slot: rope_and_cache leaves them out of every cache, and attention
            // writes NaN for them, which stays in their own rows; their sampled codes are ignored.
            inputs.setInt(a.slots - a.inputs + i4, real ? slots[b] : -1);
            inputs.setInt(a.positions - a.inputs + i4, real ? positions[b] : 0);
            inputs.setInt(a.lengths - a.inputs + i4, real ? positions[b] + 1 : 1);
            GenerationOptions o = real ? samplers[b].options() : null;
            boolean greedy = !real || o.isGreedy();
            inputs.setInt(a.topK - a.inputs + i4, greedy || onHost[b] ? 0 : o.topK());
            inputs.setFloat(a.temperature - a.inputs + i4, greedy ? 0f : o.temperature());
            inputs.setFloat(a.topP - a.inputs + i4, greedy || onHost[b] ? 1f : o.topP());
            inputs.setDouble(a.uniform - a.inputs + 8L * b, real ? uniforms[b] : 0.0);
        }
        clearRangeFlags(bucket);
        inputs.copy(0, a.inputBytes, act(a.inputs), "the decode step's inputs");
        inputs.end();
        if (useGraphs && !ctx.profiling()) {
            GraphKey key = new GraphKey(bucket, split);
            CudaGraph graph = graphs.get(key);
            if (graph == null) {
                String what = "a decode step of " + bucket + " rows, splits of " + split.full().splitTokens() + " keys"
                        + (split.sliding() == split.full() ? ""
                                : " (sliding layers: " + split.sliding().splitTokens() + ")");
                graph = CudaGraph.capture(ctx, what, () -> enqueueDecodeStep(bucket, split));
                graphs.put(key, graph);
            }
            graph.launch();
        } else {
            enqueueDecodeStep(bucket, split);
        }
        n = 0;   // the step's activations are not a batch the block methods may continue
        uploadedSlots = null;
        int[] next = new int[rows];
        ArithmeticException[] failed = new ArithmeticException[rows];
        // The sampled tokens [S] and the rows' range flags [rows, 2] that follow them, in one copy.
        inputs.copyFromDevice(act(a.sampled), a.sampled - a.inputs, 4L * a.sequences + (long) Fp16Range.ROW_BYTES * rows,
                "the sampled tokens and range flags");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = null;
            for (int b = 0; b < rows; b++) {
                int code = inputs.getInt(a.sampled - a.inputs + 4L * b);
                long flags = a.rangeFlags - a.inputs + (long) Fp16Range.ROW_BYTES * b;
                String range = Fp16Range.describe(inputs.getInt(flags), inputs.getInt(flags + 4), compute);
                if (range != null) {
                    failed[b] = new ArithmeticException("sequence " + (firstRow + b) + " of the decode step: " + range);
                } else if (code >= 0 && !onHost[b]) {
                    next[b] = code;
                } else if (code == -1) {
                    failed[b] = new ArithmeticException("the logits of sequence " + (firstRow + b) + " of the decode step hold a NaN");
                } else if (onHost[b] || code == -3) {
                    if (row == null) row = arena.allocate(ValueLayout.JAVA_FLOAT, vocab);
                    ctx.copyToHost(row, act(a.logits) + 4L * b * vocab, 4L * vocab, "the logits of sequence " + b);
                    try {
                        next[b] = samplers[b].sample(row.toArray(ValueLayout.JAVA_FLOAT), 0, vocab, uniforms[b]);
                    } catch (ArithmeticException e) {
                        failed[b] = new ArithmeticException("sequence " + (firstRow + b) + " of the decode step: " + e.getMessage());
                    }
                } else {
                    throw new IllegalStateException("sample_pick returned code " + code + " for sequence " + b
                            + " (invalid sampling parameters " + samplers[b].options() + ")");
                }
            }
        }
        DecodeRowFailure.throwIfAny(next, failed);
        return next;
    }

    /**
     * Times every kernel and GEMM queued from now until {@link #stopProfile()} with CUDA events.
     * Decode steps run launch by launch meanwhile (events cannot sit between a graph's nodes), so the
     * profile also shows the gaps that graphs remove.
     */
    public void startProfile() {
        requireOpen();
        ctx.makeCurrent();
        ctx.startProfile();
    }

    /** Ends the profile begun by {@link #startProfile()}, waiting for the work it timed. */
    public KernelProfile.Result stopProfile() {
        requireOpen();
        ctx.makeCurrent();
        return ctx.stopProfile();
    }

    /** The logits [rows, vocab] the last {@link #decodeStep} sampled from, for tests. */
    float[] decodeLogits(int rows) {
        requireOpen();
        if (rows < 1 || rows > a.logitRows) throw new IllegalArgumentException("rows must be in [1, " + a.logitRows + "]");
        ctx.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, (long) rows * vocab);
            ctx.copyToHost(host, act(a.logits), 4L * rows * vocab, "the decode step's logits");
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Rows a decode step of {@code rows} sequences runs as: 1, 2, 4, 8, then multiples of 8, at most {@code max}. */
    static int decodeBucket(int rows, int max) {
        int bucket = rows <= 8 ? Integer.highestOneBit(rows) << (Integer.bitCount(rows) > 1 ? 1 : 0) : Math.ceilDiv(rows, 8) * 8;
        return Math.min(bucket, max);
    }

    /**
     * Queues a whole decode step of {@code rows} rows whose inputs are on the device: {@link Forward#pass}
     * over the same launches as the backend's separate steps (embedding, every layer, the final norm
     * and the logits GEMM), then the sampling kernels, which write the tokens.
     */
    private void enqueueDecodeStep(int rows, DecodeSplits split) {
        prefillSlot = -1;
        Forward.pass(layerPlan, new Forward.Steps() {
            @Override
            public void embed() {
                enqueueEmbedding(rows);
            }

            @Override
            public void attention(LayerPlan.Layer layer) {
                enqueueAttention(layer.index(), rows, split);
            }

            @Override
            public void mlp(LayerPlan.Layer layer) {
                enqueueMlp(layer.index(), rows);
            }

            @Override
            public void logits() {
                enqueueLogits(act(a.residual), rows, range(), "logits of the decode step");
            }
        }, null);
        int k = a.sampleK;
        launch(Kernels.sampleCandidates(act(a.logits), vocab, vocab, k, act(a.candValue), act(a.candToken), rows));
        launch(Kernels.sampleSoftmaxSums(act(a.logits), vocab, vocab, act(a.candValue), k, act(a.temperature),
                act(a.chunkSum), rows));
        launch(Kernels.samplePick(act(a.logits), vocab, vocab, act(a.candValue), act(a.candToken), k,
                act(a.chunkSum), act(a.temperature), act(a.topK), act(a.topP), act(a.uniform), act(a.sampled), rows));
    }

    /** The residual of {@code rows} rows from the token ids on the device. */
    private void enqueueEmbedding(int rows) {
        launch(Kernels.embeddingGather(weight(w.embedding()), act(a.tokens), act(a.residual), rows, hidden, vocab,
                embeddingScale));
    }

    /** fp32 logits [rows, vocab] of the residual rows at {@code residual}: final norm and the tied projection. */
    private void enqueueLogits(long residual, int rows, Kernels.RangeFlags range, String what) {
        if (gemv(rows)) {
            launch(Kernels.gemvRmsnorm(residual, weight(w.finalNorm()), eps, weight(w.embedding()), act(a.logits), rows,
                    hidden, vocab));
            return;
        }
        launch(Kernels.rmsnorm(residual, weight(w.finalNorm()), act(a.normed), rows, hidden, eps, range,
                finalNormSite()));
        gemm.project(act(a.normed), weight(w.embedding()), act(a.logits), rows, hidden, vocab, Gemm.Output.F32, false,
                what);
        if (layerPlan.finalLogitSoftcap() > 0) {
            launch(Kernels.softcap(act(a.logits), (long) rows * vocab, layerPlan.finalLogitSoftcap()));
        }
    }

    /**
     * Whether a batch of {@code rows} rows runs its projections on the GEMV kernels (gemv.cu: RMSNorm,
     * RoPE with the KV write and GeGLU folded in) instead of cuBLAS: only with {@code decodeGemv=own}, and
     * only up to {@link Kernels#GEMV_MAX_ROWS} rows, where a GEMM is a pass over the weights.
     */
    private boolean gemv(int rows) {
        return ownGemv && rows <= Kernels.GEMV_MAX_ROWS;
    }

    /** rmsnorm and the q/k/v GEMM of {@code rows} rows, RoPE applied and k, v written to the caches. */
    private void enqueueAttentionInput(int layer, int rows) {
        LayerPlan.Layer p = layerPlan.layer(layer);
        if (gemv(rows)) {
            // Gemma 1 only (CudaSwitches.requireSupported): plain RoPE, no ring.
            launch(Kernels.gemvRmsnormRope(act(a.residual), weight(w.inputNorm(layer)), eps, weight(w.qkv(layer)), rows,
                    hidden, act(a.qkv), qkvWidth, keys(layer), values(layer), act(a.slots), act(a.positions), heads,
                    kvHeads, headDim, slotUsed.length, plan.cacheRows(layer), (float) p.ropeTheta()));
            return;
        }
        launch(Kernels.rmsnorm(act(a.residual), weight(w.inputNorm(layer)), act(a.normed), rows, hidden, eps, range(),
                Fp16Range.site(layer, Fp16Range.INPUT_NORM)));
        gemm.project(act(a.normed), weight(w.qkv(layer)), act(a.qkv), rows, hidden, qkvWidth, Gemm.Output.F16, false,
                "layer " + layer + " q/k/v projection");
        long q = act(a.qkv);
        long k = q + 2L * c.queryDim();
        long v = k + 2L * c.kvDim();
        // fp32 base and factor, as the CPU's ropeInverseFrequencies rounds them.
        launch(Kernels.ropeAndCache(q, qkvWidth, k, qkvWidth, v, qkvWidth, keys(layer), values(layer), act(a.slots),
                act(a.positions), rows, heads, kvHeads, headDim, slotUsed.length, plan.cacheRows(layer), p.sliding(),
                (float) p.ropeTheta(), (float) p.ropeFactor(), p.qkNorms() ? weight(w.qNorm(layer)) : 0,
                p.qkNorms() ? weight(w.kNorm(layer)) : 0, eps, range(), layer));
    }

    /** The attention block of {@code rows} decode rows (one token per sequence; inputs on the device). */
    private void enqueueAttention(int layer, int rows, DecodeSplits splits) {
        enqueueAttentionInput(layer, rows);
        long q = act(a.qkv);
        LayerPlan.Layer p = layerPlan.layer(layer);
        Kernels.DecodeSplit split = splits.of(p);
        launch(Kernels.attentionDecodePartial(split, rows, q, qkvWidth, keys(layer), values(layer), act(a.slots),
                act(a.lengths), act(a.partialMax), act(a.partialSum), act(a.partialOut), heads, kvHeads, headDim,
                slotUsed.length, plan.cacheRows(layer), p.queryScale(), p.window(), p.attentionSoftcap()));
        launch(Kernels.attentionDecodeCombine(split, rows, act(a.partialMax), act(a.partialSum), act(a.partialOut),
                act(a.slots), act(a.lengths), act(a.attention), c.queryDim(), heads, headDim, slotUsed.length,
                plan.cacheRows(layer), p.window()));
        enqueueOutputProjection(layer, rows);
    }

    /**
     * {@code h += o_proj(attention)} for {@code rows} rows; with Gemma 2 and 3's norms
     * {@code h += post_attention_layernorm(o_proj(attention))}, o_proj's fp32 output held in the gate/up
     * buffer (free between blocks, and at least hidden wide: {@link ActivationLayout}).
     */
    private void enqueueOutputProjection(int layer, int rows) {
        if (gemv(rows)) {
            launch(Kernels.gemvAccumulate(act(a.attention), c.queryDim(), weight(w.o(layer)), act(a.residual), rows,
                    c.queryDim(), hidden));
            return;
        }
        String what = "layer " + layer + " o_proj";
        if (sandwichNorms) {
            gemm.project(act(a.attention), weight(w.o(layer)), act(a.gateUp), rows, c.queryDim(), hidden,
                    Gemm.Output.F32, false, what);
            launch(Kernels.rmsnormAdd(act(a.gateUp), weight(w.postAttentionNorm(layer)), act(a.residual), rows, hidden,
                    eps));
            return;
        }
        gemm.project(act(a.attention), weight(w.o(layer)), act(a.residual), rows, c.queryDim(), hidden, Gemm.Output.F32,
                true, what);
    }

    /**
     * The MLP block of {@code rows} rows: h += down(gelu_tanh(gate) · up) over post_attention_layernorm(h);
     * with Gemma 2 and 3's norms h += post_feedforward_layernorm(down(...)) over pre_feedforward_layernorm(h),
     * down's fp32 output in the gate/up buffer, which GeGLU has read by then.
     */
    private void enqueueMlp(int layer, int rows) {
        if (gemv(rows)) {
            launch(Kernels.gemvRmsnormGeglu(act(a.residual), weight(w.postAttentionNorm(layer)), eps,
                    weight(w.gateUp(layer)), act(a.geglu), rows, hidden, inter));
            launch(Kernels.gemvAccumulate(act(a.geglu), inter, weight(w.down(layer)), act(a.residual), rows, inter,
                    hidden));
            return;
        }
        long inputNorm = sandwichNorms ? w.preFeedforwardNorm(layer) : w.postAttentionNorm(layer);
        launch(Kernels.rmsnorm(act(a.residual), weight(inputNorm), act(a.normed), rows, hidden, eps,
                range(), Fp16Range.site(layer, Fp16Range.POST_NORM)));
        gemm.project(act(a.normed), weight(w.gateUp(layer)), act(a.gateUp), rows, hidden, 2 * inter, Gemm.Output.F32,
                false, "layer " + layer + " gate/up projection");
        launch(Kernels.geglu(act(a.gateUp), act(a.gateUp) + 4L * inter, 2L * inter, act(a.geglu), rows, inter,
                range(), layer));
        // alpha = 2^s undoes geglu's 2^-s exactly.
        float alpha = Math.scalb(1f, Kernels.GEGLU_SCALE_SHIFT);
        if (sandwichNorms) {
            gemm.run(Gemm.projection(act(a.geglu), weight(w.down(layer)), act(a.gateUp), rows, inter, hidden,
                    Gemm.Output.F32, false, alpha), "layer " + layer + " down_proj");
            launch(Kernels.rmsnormAdd(act(a.gateUp), weight(w.postFeedforwardNorm(layer)), act(a.residual), rows,
                    hidden, eps));
            return;
        }
        gemm.run(Gemm.projection(act(a.geglu), weight(w.down(layer)), act(a.residual), rows, inter, hidden,
                Gemm.Output.F32, true, alpha), "layer " + layer + " down_proj");
    }

    @Override
    public void mlpBlock(int layer) {
        requireBatch();
        checkLayer(layer);
        ctx.makeCurrent();
        enqueueMlp(layer, n);
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
                enqueueLogits(act(a.residual) + 4L * (firstRow + done) * hidden, r, rowRange(firstRow + done),
                        "logits of rows " + (firstRow + done) + ".." + (firstRow + done + r - 1));
                ctx.copyToHost(host, act(a.logits), 4L * r * vocab, "logits");
                MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, out, done * vocab, r * vocab);
            }
            checkRange(arena, firstRow, rows);
        }
        return out;
    }

    /** The range flags of batch rows from {@code row} on: as {@link #range()}, offset to that row when per row. */
    private Kernels.RangeFlags rowRange(int row) {
        Kernels.RangeFlags all = range();
        return all.rowStride() == 0 ? all
                : new Kernels.RangeFlags(all.flags() + (long) Fp16Range.ROW_BYTES * row, all.rowStride());
    }

    private int finalNormSite() {
        return Fp16Range.site(c.numHiddenLayers(), Fp16Range.FINAL_NORM);
    }

    /**
     * Reads back the range flags of batch rows [firstRow, firstRow + rows) (the prompt's slot, for a
     * prefill) after the work that wrote them.
     *
     * @throws ArithmeticException naming what left fp16's range, where
     */
    private void checkRange(Arena arena, int firstRow, int rows) {
        boolean prefill = prefillSlot >= 0;
        int pairs = prefill ? 1 : rows;
        MemorySegment flags = arena.allocate(ValueLayout.JAVA_INT, 2L * pairs);
        long from = prefill ? act(a.slotRange) + (long) Fp16Range.ROW_BYTES * prefillSlot
                : act(a.rangeFlags) + (long) Fp16Range.ROW_BYTES * firstRow;
        ctx.copyToHost(flags, from, (long) Fp16Range.ROW_BYTES * pairs, "the range flags");
        for (int p = 0; p < pairs; p++) {
            String range = Fp16Range.describe(flags.getAtIndex(ValueLayout.JAVA_INT, 2L * p),
                    flags.getAtIndex(ValueLayout.JAVA_INT, 2L * p + 1), compute);
            if (range != null) {
                throw new ArithmeticException((prefill ? "the prompt in KV slot " + prefillSlot
                        : "row " + (firstRow + p) + " of the batch") + ": " + range);
            }
        }
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
        for (CudaGraph graph : graphs.values()) failure = CudaContext.attempt(failure, graph::close);
        graphs.clear();
        failure = CudaContext.attempt(failure, inputs::close);
        failure = CudaContext.attempt(failure, memory::close);
        failure = CudaContext.attempt(failure, ctx::close);
        if (failure != null) throw failure;
    }

    /** The batch's slots, positions and decode lengths, uploaded unless the device holds them already. */
    private void uploadPositions(int[] slots, int[] positions, int[] lengths) {
        if (Arrays.equals(slots, uploadedSlots) && Arrays.equals(positions, uploadedPositions)) return;
        inputs.begin();
        for (int t = 0; t < n; t++) {
            inputs.setInt(a.slots - a.inputs + 4L * t, slots[t]);
            inputs.setInt(a.positions - a.inputs + 4L * t, positions[t]);
        }
        for (int t = 0; t < lengths.length; t++) inputs.setInt(a.lengths - a.inputs + 4L * t, lengths[t]);
        inputs.copy(a.slots - a.inputs, 4L * n, act(a.slots), "KV slots");
        inputs.copy(a.positions - a.inputs, 4L * n, act(a.positions), "positions");
        inputs.copy(a.lengths - a.inputs, 4L * lengths.length, act(a.lengths), "decode lengths");
        inputs.end();
        uploadedSlots = slots;
        uploadedPositions = positions;
    }

    /**
     * Keys of every slot of {@code layer}: [slots, kvHeads, cacheRows(layer), headDim] fp16, where
     * cacheRows is the context on a full layer and a ring on a sliding one ({@link MemoryPlan#cacheRows(int)}).
     */
    private long keys(int layer) {
        return pool.address(plan.layerOffset(layer), plan.layerBytes(layer));
    }

    private long values(int layer) {
        return pool.address(plan.layerOffset(layer) + plan.layerBytes(layer), plan.layerBytes(layer));
    }

    /** Launches {@code launch}'s kernel for this backend's compute type. */
    private void launch(KernelLaunch launch) {
        ctx.launch(launch.in(compute));
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
        if (!kv.open) throw new IllegalStateException("the KV cache has been closed");
        return kv;
    }

    /**
     * One sequence's slot of the KV pool: keys and values of every layer at
     * {@code (slot, kv head, position, dim)} of the pool's per-layer [slots, kvHeads, contextTokens,
     * headDim] arrays, of which it uses the first {@code capacity} positions.
     */
    private static final class CudaKvCache implements KvCache {
        final CudaBackend backend;
        final int slot;
        final int capacity;
        boolean open = true;

        CudaKvCache(CudaBackend backend, int slot, int capacity) {
            this.backend = backend;
            this.slot = slot;
            this.capacity = capacity;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        /**
         * Returns the slot to the pool. Work queued on it stays ordered before any later use of the
         * slot (one stream), so nothing waits here.
         */
        @Override
        public void close() {
            if (!open) return;
            open = false;
            backend.caches.remove(this);
            backend.slotUsed[slot] = false;
        }

        @Override
        public String toString() {
            return "CUDA KV cache slot " + slot + " of " + capacity + " tokens" + (open ? "" : " (closed)");
        }
    }
}
