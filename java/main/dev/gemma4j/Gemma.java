package dev.gemma4j;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.Generation;
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
import java.util.concurrent.locks.ReentrantLock;
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
 * <p>Threads: every method may be called from several threads at once. Each call gets its own KV
 * cache; calls that run the model are serialised on one lock (a single call already uses every core
 * on the CPU backend), so concurrent calls wait their turn and never see each other's state.
 * {@link #close()} waits for a running call to end; calls after close fail with
 * {@link IllegalStateException}.
 */
public final class Gemma implements AutoCloseable {
    private final WeightSource weights;
    private final GemmaTokenizer tokenizer;
    private final Forward forward;
    private final int contextLength;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;

    private Gemma(WeightSource weights, GemmaTokenizer tokenizer, Backend backend, int contextLength) {
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.forward = new Forward(backend);
        this.contextLength = contextLength;
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
            return open(weights, tokenizer, backend, options.contextLength());
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
                Math.min(options.maxBatchTokens(), context), context);
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

    /** Wraps weights and a backend made from them; the model owns and closes both. */
    public static Gemma open(WeightSource weights, GemmaTokenizer tokenizer, Backend backend, int contextLength) {
        int max = weights.config().maxPositionEmbeddings();
        if (contextLength < 0 || contextLength > max) {
            throw new IllegalArgumentException("context length must be in [0, " + max
                    + "] (0 = max_position_embeddings), found " + contextLength);
        }
        if (tokenizer.vocabSize() > weights.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's vocab_size is " + weights.config().vocabSize());
        }
        return new Gemma(weights, tokenizer, backend, contextLength == 0 ? max : contextLength);
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
        return forward.backend().name();
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

    public GenerationResult generate(int[] promptTokens, GenerationOptions options, Consumer<String> onText) {
        return locked(() -> Generation.run(forward, tokenizer, promptTokens.clone(), options, contextLength, onText));
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
        float[] flat = locked(() -> {
            try (KvCache cache = forward.backend().newCache(copy.length)) {
                return forward.run(copy, cache, 0, copy.length);
            }
        });
        float[][] out = new float[copy.length][];
        for (int t = 0; t < copy.length; t++) {
            out[t] = java.util.Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
        }
        return out;
    }

    private <T> T locked(java.util.function.Supplier<T> body) {
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("this Gemma model is closed");
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            forward.backend().close();
            weights.close();
        } finally {
            lock.unlock();
        }
    }
}
