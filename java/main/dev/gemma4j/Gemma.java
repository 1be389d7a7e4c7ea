package dev.gemma4j;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.Batcher;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.ChatMessage;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.cuda.CudaContext;
import dev.gemma4j.cuda.CudaProbe;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.cuda.LoadListener;
import dev.gemma4j.cuda.MemoryPlan;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * A loaded Gemma model: load once, then generate, stream, chat and score.
 *
 * <pre>{@code
 * try (Gemma gemma = Gemma.load(Path.of("/models/gemma-2b-it"))) {
 *     GenerationResult r = gemma.chat(List.of(new ChatMessage("user", "Hi")), GenerationOptions.greedy(64), System.out::print);
 * }
 * }</pre>
 *
 * <p>Threads: every method may be called from several threads at once. One engine thread runs the
 * model ({@link Batcher}): concurrent {@link #generate} and {@link #chat} calls, up to
 * {@link LoadOptions#maxSequences()} of them, advance together, one token each per decode step that
 * reads the weights once for all; further calls wait for a free slot, first come first served. Each
 * call has its own KV cache and sampler and never sees another's state. On the CPU backend its tokens
 * are those of the same call made alone, bit for bit (every row is summed in the same order whatever
 * the batch); on CUDA, batched GEMMs may round differently, which can swap two near-tied tokens. A call's {@code onText} runs on the
 * engine thread, so it should be quick, and must not call back into this model (such calls are refused).
 * {@link #logits} runs between decode steps. {@link #close()} fails calls still waiting for a
 * slot, lets running ones finish, and then frees the model; calls after close fail with
 * {@link IllegalStateException}.
 */
public final class Gemma implements AutoCloseable {
    private final WeightSource weights;
    private final GemmaTokenizer tokenizer;
    private final Backend backend;
    private final Batcher batcher;
    private final int contextLength;
    private boolean closed;

    private Gemma(WeightSource weights, GemmaTokenizer tokenizer, Backend backend, int contextLength, int maxSequences) {
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.backend = backend;
        this.contextLength = contextLength;
        this.batcher = new Batcher(new Forward(backend), tokenizer, maxSequences);
    }

    /**
     * Loads a Hugging Face Gemma folder ({@code config.json}, {@code model.safetensors} or a sharded
     * index, {@code tokenizer.json}) or a built-in test model by name ({@code tiny-mqa}, {@code tiny-mha})
     * on the CPU backend with the model's full context.
     */
    public static Gemma load(Path modelDir) {
        return load(modelDir.toString(), LoadOptions.cpu(), LoadMonitor.SILENT);
    }

    /** Hears about a load: one-line notices (backend choice, memory plan) and upload progress. */
    public interface LoadMonitor {
        LoadMonitor SILENT = new LoadMonitor() {};

        default void notice(String text) {}

        /** Weight bytes uploaded to the device so far. */
        default void uploaded(long bytesDone, long bytesTotal) {}
    }

    /**
     * @param model a model folder or the name of a built-in test model
     */
    public static Gemma load(String model, LoadOptions options, LoadMonitor monitor) {
        Path dir = TestModels.resolve(model);
        WeightSource weights = Checkpoint.open(dir);
        Backend backend = null;
        try {
            GemmaTokenizer tokenizer = GemmaTokenizer.load(weights.tokenizerJson());
            int max = weights.config().maxPositionEmbeddings();
            int context = options.contextLength() == 0 ? max : options.contextLength();
            backend = switch (chooseDevice(options.device(), monitor)) {
                case CPU -> new CpuBackend(weights);
                case CUDA -> openCuda(weights, options, context, monitor);
                case AUTO -> throw new IllegalStateException("device choice left AUTO");
            };
            return open(weights, tokenizer, backend, options.contextLength(), options.maxSequences());
        } catch (RuntimeException | Error e) {
            if (backend != null) backend.close();
            weights.close();
            throw e;
        }
    }

    /** AUTO becomes CUDA when a driver and a GPU are found, else CPU with a notice saying why. */
    public static LoadOptions.Device chooseDevice(LoadOptions.Device requested, LoadMonitor monitor) {
        if (requested != LoadOptions.Device.AUTO) return requested;
        Optional<String> why = CudaProbe.unavailableReason();
        if (why.isEmpty()) return LoadOptions.Device.CUDA;
        monitor.notice("device auto: running on the CPU: " + why.get());
        return LoadOptions.Device.CPU;
    }

    private static Backend openCuda(WeightSource weights, LoadOptions options, int context, LoadMonitor monitor) {
        CudaBackend.Settings settings = CudaBackend.Settings.of(DeviceBudget.parse(options.gpuMemory()),
                Math.min(options.maxBatchTokens(), context), context).withMaxSequences(options.maxSequences());
        return CudaBackend.open(weights, settings, new LoadListener() {
            @Override
            public void planned(MemoryPlan plan, CudaContext.DeviceInfo device, CudaContext.MemoryInfo memory) {
                monitor.notice("device: " + device + "; " + memory + "\n" + plan.describe());
            }

            @Override
            public void uploaded(long bytesDone, long bytesTotal) {
                monitor.uploaded(bytesDone, bytesTotal);
            }
        });
    }

    /**
     * Wraps weights and a backend made from them, one sequence at a time; the model owns and closes both.
     */
    public static Gemma open(WeightSource weights, GemmaTokenizer tokenizer, Backend backend, int contextLength) {
        return open(weights, tokenizer, backend, contextLength, 1);
    }

    /**
     * Wraps weights and a backend made from them; the model owns and closes both.
     *
     * @param contextLength tokens per sequence (prompt + new); 0 for the model's max_position_embeddings
     * @param maxSequences  the most generate calls decoded together (at least 1; the backend's
     *                      {@link Backend#maxDecodeBatch()} caps it further); more wait for a free slot
     */
    public static Gemma open(WeightSource weights, GemmaTokenizer tokenizer, Backend backend, int contextLength,
                             int maxSequences) {
        int max = weights.config().maxPositionEmbeddings();
        if (contextLength < 0 || contextLength > max) {
            throw new IllegalArgumentException("context length must be in [0, " + max
                    + "] (0 = max_position_embeddings), found " + contextLength);
        }
        if (tokenizer.vocabSize() > weights.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's vocab_size is " + weights.config().vocabSize());
        }
        if (maxSequences < 1) {
            throw new IllegalArgumentException("max sequences must be >= 1, found " + maxSequences);
        }
        return new Gemma(weights, tokenizer, backend, contextLength == 0 ? max : contextLength, maxSequences);
    }

    public GemmaConfig config() {
        return weights.config();
    }

    public GemmaTokenizer tokenizer() {
        return tokenizer;
    }

    /** Tokens one sequence may hold (prompt + new). */
    public int contextLength() {
        return contextLength;
    }

    /** Name of the backend computing this model ("cpu" or "cuda"). */
    public String backendName() {
        return backend.name();
    }

    /** The most generate calls decoded together. */
    public int maxSequences() {
        return batcher.maxSequences();
    }

    /** What the engine has done so far: decode steps, rows decoded, the largest batch, prompts run. */
    public Batcher.Stats batchStats() {
        return batcher.stats();
    }

    /** Generates from a text prompt (BOS is added first). */
    public GenerationResult generate(String prompt, GenerationOptions options) {
        return generate(tokenizer.encodeWithBos(prompt), options, null);
    }

    /** Generates from a text prompt, handing text to {@code onText} as it is produced. */
    public GenerationResult generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        return generate(tokenizer.encodeWithBos(prompt), options, onText);
    }

    /** Generates from token ids, used as given (no BOS is added). */
    public GenerationResult generate(int[] promptTokens, GenerationOptions options) {
        return generate(promptTokens, options, null);
    }

    /**
     * Generates from token ids, used as given (no BOS is added), handing text to {@code onText} (on the
     * engine thread) as it is produced. Waits for a free sequence slot when {@link #maxSequences()} calls
     * are already running.
     */
    public GenerationResult generate(int[] promptTokens, GenerationOptions options, Consumer<String> onText) {
        requireOffEngineThread();
        return await(batcher.submit(promptTokens, options, contextLength, onText));
    }

    /**
     * Continues a conversation in Gemma's instruction-tuned chat form; the reply ends at
     * {@code <end_of_turn>}. Roles alternate user, model, user, …, ending with user.
     */
    public GenerationResult chat(List<ChatMessage> messages, GenerationOptions options, Consumer<String> onText) {
        return generate(ChatTemplate.encode(tokenizer, messages, true), options, onText);
    }

    /**
     * The logits at every position of a token sequence, as one full forward pass computes them.
     *
     * @return [tokens.length][vocab] fp32
     */
    public float[][] logits(int[] tokens) {
        int vocab = config().vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (tokens.length == 0 || tokens.length > contextLength) {
            throw new IllegalArgumentException("logits need 1 to " + contextLength + " tokens, found " + tokens.length);
        }
        int[] copy = tokens.clone();
        requireOffEngineThread();
        float[] flat = await(batcher.call(forward -> {
            try (KvCache cache = forward.backend().newCache(copy.length)) {
                return forward.run(copy, cache, 0, copy.length);
            }
        }));
        float[][] out = new float[copy.length][];
        for (int t = 0; t < copy.length; t++) {
            out[t] = java.util.Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
        }
        return out;
    }

    /** A call that waits for the engine cannot run on the engine thread (inside onText). */
    private void requireOffEngineThread() {
        if (batcher.onEngineThread()) {
            throw new IllegalStateException("this model was called from inside an onText callback, which runs on"
                    + " the engine thread and would wait for itself; call it from another thread");
        }
    }

    /** The future's value, or its failure rethrown as it was thrown on the engine thread. */
    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    /**
     * Fails calls still waiting for a sequence slot, lets running ones finish, then frees the backend and
     * the weights. Calling it again does nothing.
     *
     * @throws IllegalStateException when called from inside an onText callback
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        requireOffEngineThread();
        closed = true;
        try {
            batcher.close();
        } finally {
            try {
                backend.close();
            } finally {
                weights.close();
            }
        }
    }
}
