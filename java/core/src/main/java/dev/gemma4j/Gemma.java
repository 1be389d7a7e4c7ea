package dev.gemma4j;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cpu.CpuMemoryPlan;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.cuda.CudaContext;
import dev.gemma4j.cuda.CudaProbe;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.cuda.LoadListener;
import dev.gemma4j.cuda.MemoryPlan;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.Batcher;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.BlockQuantizer;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.ChatMessage;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A loaded Gemma model: load once, then generate, stream, chat and score from any number of threads.
 *
 * <pre>{@code
 * try (Gemma gemma = Gemma.load(Path.of("/models/gemma-2b-it"))) {
 *     GenerationResult r = gemma.chat(List.of(ChatMessage.user("Hi")), GenerationOptions.greedy(64), System.out::print);
 * }
 * }</pre>
 *
 * <p>Threads: one engine thread runs the model ({@link Batcher}): concurrent calls, up to
 * {@link LoadOptions#maxSequences()} of them, advance together, one token each per decode step that reads the
 * weights once for all; further calls wait for a free slot, first come first served. Each call has its own KV
 * cache and sampler and never sees another's state. On the CPU backend its tokens are those of the same call
 * made alone, bit for bit (every row is summed in the same order whatever the batch); on CUDA, batched GEMMs
 * may round differently, which can swap two near-tied tokens. No caller code runs on the engine thread: streamed text and chunks reach
 * {@code onText} and {@link GenerationStream} subscribers on virtual threads, through a bounded buffer per
 * request (see {@link GenerationStream}), and futures complete off it, so a slow consumer never slows the
 * batch and may call back into this model.
 *
 * <p>Cancelling: cancelling a future of {@link #generateAsync} (or {@link GenerationStream#cancel()}) drops the
 * sequence at the start of the next engine turn and frees its KV slot. The blocking calls honour interrupts:
 * an interrupted caller's sequence is cancelled, the call throws {@link CancellationException} and the
 * thread's interrupt flag stays set; {@link #generate(String, GenerationOptions, Duration)} also takes a
 * timeout.
 *
 * <p>Lifetime: {@link #close()} fails calls still waiting for a slot, cancels the running ones, then frees the
 * model; calls after close fail with {@link IllegalStateException}. A model that becomes unreachable without
 * {@code close()} is closed the same way by a {@link Cleaner}, which ends its engine thread and unmaps its
 * weights.
 */
public final class Gemma implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofVirtual().name("gemma4j-cleaner").factory());

    private final WeightSource weights;
    private final GemmaTokenizer tokenizer;
    private final String backendName;
    private final Batcher batcher;
    private final int contextLength;
    private final Cleaner.Cleanable cleanable;

    /**
     * What the Cleaner closes: references the engine's parts, never the Gemma, so an unreachable Gemma can be
     * collected while its engine thread still runs.
     */
    private record Resources(Batcher batcher, Backend backend, WeightSource weights) implements Runnable {
        @Override
        public void run() {
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

    private Gemma(WeightSource weights, GemmaTokenizer tokenizer, Backend backend, int contextLength, int maxSequences) {
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.backendName = backend.name();
        this.contextLength = contextLength;
        this.batcher = new Batcher(new Forward(backend), tokenizer, maxSequences);
        this.cleanable = CLEANER.register(this, new Resources(batcher, backend, weights));
    }

    /**
     * Loads a Hugging Face Gemma folder ({@code config.json}, {@code model.safetensors} or a sharded index,
     * {@code tokenizer.json}), a GGUF file (architecture gemma, gemma2 or gemma3; F32, F16 or BF16 tensors;
     * its tokenizer from its metadata) or a built-in test model by name ({@code tiny-mqa}, {@code tiny-mha}) with
     * {@link LoadOptions#defaults()}: CUDA when a driver and a GPU are found, else the CPU, with the model's
     * full context, one sequence at a time.
     */
    public static Gemma load(Path modelDir) {
        return load(modelDir.toString(), LoadOptions.defaults(), LoadMonitor.SILENT);
    }

    /** Loads a model folder, GGUF file or built-in test model with the options given. */
    public static Gemma load(Path modelDir, LoadOptions options) {
        return load(modelDir.toString(), options, LoadMonitor.SILENT);
    }

    /** Hears about a load: one-line notices (backend choice, memory plan) and upload progress. */
    public interface LoadMonitor {
        LoadMonitor SILENT = new LoadMonitor() {};

        default void notice(String text) {}

        /** Weight bytes uploaded to the device so far. */
        default void uploaded(long bytesDone, long bytesTotal) {}
    }

    /**
     * @param model a model folder, a GGUF file or the name of a built-in test model
     * @throws IllegalStateException when the CPU backend is chosen and the JVM runs without
     *                               {@code --add-modules jdk.incubator.vector}
     */
    public static Gemma load(String model, LoadOptions options, LoadMonitor monitor) {
        Objects.requireNonNull(options, "no load options given");
        Path dir = TestModels.resolve(model);
        WeightSource weights = WeightSource.open(dir, options.mappedWeights());
        Backend backend = null;
        try {
            if (options.quantize().isPresent()) weights = quantize(weights, options.quantize().get(), monitor);
            GemmaTokenizer tokenizer = weights.tokenizer();
            int padding = weights.config().vocabSize() - tokenizer.vocabSize();
            if (padding > 0) {
                monitor.notice(String.format(Locale.ROOT, "vocabulary: %,d of the embedding's %,d rows are"
                        + " padding past the tokenizer's %,d pieces; they are never sampled", padding,
                        weights.config().vocabSize(), tokenizer.vocabSize()));
            }
            int max = weights.config().maxPositionEmbeddings();
            int context = options.contextLength().orElse(max);
            if (context > max) {
                throw new IllegalArgumentException("context length must be at most " + max
                        + " (max_position_embeddings of " + dir + "), found " + context);
            }
            backend = switch (chooseDevice(options.device(), weights, monitor)) {
                case CPU -> new CpuBackend(weights,
                        CpuMemoryPlan.of(weights.config(), options.memory().orElse("all"), options.maxBatchTokens(),
                                options.mappedWeights() ? CpuBackend.residentBytes(weights) : 0));
                case CUDA -> openCuda(weights, options, context, monitor);
                case AUTO -> throw new IllegalStateException("device choice left AUTO");
            };
            return open(weights, tokenizer, backend, context, options.maxSequences());
        } catch (RuntimeException | Error e) {
            if (backend != null) backend.close();
            weights.close();
            throw e;
        }
    }

    /**
     * {@code weights} with their matrices quantized to {@code type} in memory ({@link BlockQuantizer}), a
     * notice saying how many, in what time and at what size; the result owns and closes {@code weights}.
     *
     * @throws dev.gemma4j.model.ModelFormatException naming the tensor when a matrix is already quantized
     *     or not whole blocks; {@code weights} are then left open
     */
    public static WeightSource quantize(WeightSource weights, DType type, LoadMonitor monitor) {
        long t0 = System.nanoTime();
        long before = 0, after = 0;
        int matrices = 0;
        WeightSource q = BlockQuantizer.quantized(weights, type);
        for (Map.Entry<String, Tensor> e : q.tensors().entrySet()) {
            if (e.getValue().rank() != 2) continue;
            matrices++;
            before += weights.tensor(e.getKey()).data().byteSize();
            after += e.getValue().data().byteSize();
        }
        monitor.notice(String.format(Locale.ROOT, "quantize: %d matrices to %s in %.1f s: %,d MB -> %,d MB", matrices, type,
                (System.nanoTime() - t0) / 1e9, before >> 20, after >> 20));
        return q;
    }

    /** AUTO becomes CUDA when a driver and a GPU are found, else CPU with a notice saying why. */
    public static LoadOptions.Device chooseDevice(LoadOptions.Device requested, LoadMonitor monitor) {
        if (requested != LoadOptions.Device.AUTO) return requested;
        Optional<String> why = CudaProbe.unavailableReason();
        if (why.isEmpty()) return LoadOptions.Device.CUDA;
        monitor.notice("device auto: running on the CPU: " + why.get());
        return LoadOptions.Device.CPU;
    }

    /**
     * As {@link #chooseDevice(LoadOptions.Device, LoadMonitor)} for a model of {@code config}: AUTO
     * becomes CPU, with a notice naming what is missing, when the CUDA backend cannot run the model.
     */
    public static LoadOptions.Device chooseDevice(LoadOptions.Device requested, GemmaConfig config,
            LoadMonitor monitor) {
        String unsupported = CudaBackend.unsupported(config);
        if (requested == LoadOptions.Device.AUTO && unsupported != null) {
            monitor.notice("device auto: running on the CPU: " + unsupported);
            return LoadOptions.Device.CPU;
        }
        return chooseDevice(requested, monitor);
    }

    /** As {@link #chooseDevice(LoadOptions.Device, GemmaConfig, LoadMonitor)}, also for weight types CUDA lacks. */
    static LoadOptions.Device chooseDevice(LoadOptions.Device requested, WeightSource weights, LoadMonitor monitor) {
        String unsupported = CudaBackend.unsupported(weights);
        if (requested == LoadOptions.Device.AUTO && unsupported != null) {
            monitor.notice("device auto: running on the CPU: " + unsupported);
            return LoadOptions.Device.CPU;
        }
        return chooseDevice(requested, monitor);
    }

    private static Backend openCuda(WeightSource weights, LoadOptions options, int context, LoadMonitor monitor) {
        CudaBackend.Settings settings = CudaBackend.Settings.of(DeviceBudget.parse(options.gpuMemory().orElse("all")),
                Math.min(options.maxBatchTokens(), context), context).withDevice(options.cudaDevice())
                .withMaxSequences(options.maxSequences()).withBatchInvariance(options.batchInvariant())
                .withCompute(options.compute());
        return CudaBackend.open(weights, settings, new LoadListener() {
            @Override
            public void planned(MemoryPlan plan, CudaContext.DeviceInfo device, CudaContext.MemoryInfo memory) {
                monitor.notice("device: " + device + "; " + memory + "; compute " + options.compute().label() + "\n"
                        + plan.describe());
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
        return backendName;
    }

    /** The most generate calls decoded together. */
    public int maxSequences() {
        return batcher.maxSequences();
    }

    /** What the engine has done so far: decode steps, rows decoded, the largest batch, prompts run. */
    public Batcher.Stats batchStats() {
        return batcher.stats();
    }

    /** Sequences running now (prefilling or decoding). */
    public int runningSequences() {
        return batcher.running();
    }

    /** Calls waiting for a free sequence slot. */
    public int waitingRequests() {
        return batcher.waiting();
    }

    /** Generates from a text prompt (BOS is added first). */
    public GenerationResult generate(String prompt, GenerationOptions options) {
        return await(generateAsync(prompt, options));
    }

    /**
     * Generates from a text prompt, waiting at most {@code timeout}; on timeout the sequence is cancelled.
     *
     * @throws TimeoutException     when the generation did not end within the timeout
     * @throws InterruptedException when the calling thread was interrupted (the sequence is cancelled)
     */
    public GenerationResult generate(String prompt, GenerationOptions options, Duration timeout)
            throws InterruptedException, TimeoutException {
        CompletableFuture<GenerationResult> f = generateAsync(prompt, options);
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException | TimeoutException e) {
            f.cancel(false);
            throw e;
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    /** Generates from a text prompt, handing text to {@code onText} (off the engine thread) as it is produced. */
    public GenerationResult generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        return generate(tokenizer.encodeWithBos(prompt), options, onText);
    }

    /** Generates from token ids, used as given (no BOS is added). */
    public GenerationResult generate(int[] promptTokens, GenerationOptions options) {
        return await(generateAsync(promptTokens, options));
    }

    /**
     * Generates from token ids, used as given (no BOS is added), handing text to {@code onText} as it is
     * produced, on a virtual thread of the request, and returning once all of it was handed over. An
     * {@code onText} that falls {@link GenerationOptions#streamBuffer()} chunks behind ends the call with
     * {@link StreamOverflowException}. Waits for a free sequence slot when {@link #maxSequences()} calls are
     * already running.
     */
    public GenerationResult generate(int[] promptTokens, GenerationOptions options, Consumer<String> onText) {
        if (onText == null) return generate(promptTokens, options);
        return stream(promptTokens, options).deliver(onText);
    }

    /**
     * Starts a generation from a text prompt (BOS is added first). Cancelling the future cancels the sequence.
     *
     * @throws IllegalArgumentException at once for a bad prompt (see {@link #generateAsync(int[], GenerationOptions)})
     */
    public CompletableFuture<GenerationResult> generateAsync(String prompt, GenerationOptions options) {
        return generateAsync(tokenizer.encodeWithBos(prompt), options);
    }

    /**
     * Starts a generation from token ids, used as given. The future completes off the engine thread, so
     * dependent stages may call this model; cancelling it drops the sequence at the next engine turn and
     * frees its KV slot.
     *
     * @throws IllegalArgumentException at once when the prompt is empty, holds an id outside the vocabulary
     *                                  or leaves no room in the context, or the options' top-k exceeds the
     *                                  vocabulary
     * @throws IllegalStateException    after {@link #close()}
     */
    public CompletableFuture<GenerationResult> generateAsync(int[] promptTokens, GenerationOptions options) {
        CompletableFuture<GenerationResult> engine =
                batcher.submitWithListener(promptTokens, options, contextLength, null);
        CompletableFuture<GenerationResult> out = new CompletableFuture<>();
        engine.whenComplete((r, e) -> Thread.ofVirtual().name("gemma4j-result").start(() -> {
            if (e == null) {
                out.complete(r);
            } else {
                out.completeExceptionally(e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e);
            }
        }));
        out.whenComplete((r, e) -> {
            if (out.isCancelled()) engine.cancel(false);
        });
        return out;
    }

    /** Starts a generation from a text prompt (BOS first) whose chunks stream as {@link GenerationStream} describes. */
    public GenerationStream stream(String prompt, GenerationOptions options) {
        return stream(tokenizer.encodeWithBos(prompt), options);
    }

    /**
     * Starts a generation from token ids, used as given, whose chunks stream as {@link GenerationStream}
     * describes.
     *
     * @throws IllegalArgumentException at once for a bad prompt
     */
    public GenerationStream stream(int[] promptTokens, GenerationOptions options) {
        Objects.requireNonNull(options, "no generation options given");
        GenerationStream stream = new GenerationStream(options.streamBuffer());
        stream.attach(batcher.submitWithListener(promptTokens, options, contextLength, stream.listener()));
        return stream;
    }

    /**
     * Continues a conversation in Gemma's instruction-tuned chat form; the reply ends at {@code <end_of_turn>}.
     * Roles: an optional {@code system} message first, then user, model, user, …, ending with user. Gemma has
     * no system role: the system text is folded into the first user turn, followed by a blank line, as
     * llama.cpp does. Text in messages is never read as control tokens ({@link ChatTemplate}).
     */
    public GenerationResult chat(List<ChatMessage> messages, GenerationOptions options) {
        return generate(ChatTemplate.encode(tokenizer, messages, true), options);
    }

    /** {@link #chat(List, GenerationOptions)}, handing text to {@code onText} as it is produced. */
    public GenerationResult chat(List<ChatMessage> messages, GenerationOptions options, Consumer<String> onText) {
        return generate(ChatTemplate.encode(tokenizer, messages, true), options, onText);
    }

    /** {@link #chat(List, GenerationOptions)} without waiting; cancelling the future cancels the sequence. */
    public CompletableFuture<GenerationResult> chatAsync(List<ChatMessage> messages, GenerationOptions options) {
        return generateAsync(ChatTemplate.encode(tokenizer, messages, true), options);
    }

    /**
     * A conversation whose KV cache is kept across turns, so each message prefills only its own tokens
     * ({@link Conversation}).
     *
     * @param system text folded into the first user turn, or null
     */
    public Conversation conversation(String system) {
        return new Conversation(tokenizer, batcher, contextLength, system);
    }

    /** {@link #chat(List, GenerationOptions)} as a {@link GenerationStream}. */
    public GenerationStream streamChat(List<ChatMessage> messages, GenerationOptions options) {
        return stream(ChatTemplate.encode(tokenizer, messages, true), options);
    }

    /**
     * The log-likelihood of {@code continuation} after {@code context}: the context is encoded with BOS first,
     * the continuation without BOS, each on its own (so a word split across the two is tokenized as two parts;
     * pass ids to {@link #score(int[], int[])} to choose the split).
     */
    public Score score(String context, String continuation) {
        return score(tokenizer.encodeWithBos(context), tokenizer.encode(continuation));
    }

    /**
     * The log-likelihood of the {@code continuation} ids after the {@code context} ids, from one forward pass
     * over both (logits computed only at the positions that predict continuation tokens).
     *
     * @throws IllegalArgumentException when either is empty, an id is outside the vocabulary, or both together
     *                                  exceed the context length
     */
    public Score score(int[] context, int[] continuation) {
        int vocab = config().vocabSize();
        if (context.length == 0 || continuation.length == 0) {
            throw new IllegalArgumentException("score needs a context and a continuation of at least one token each,"
                    + " found " + context.length + " and " + continuation.length);
        }
        int n = context.length + continuation.length;
        if (n > contextLength) {
            throw new IllegalArgumentException("context and continuation hold " + n + " tokens; the context length is "
                    + contextLength);
        }
        int[] all = Arrays.copyOf(context, n);
        System.arraycopy(continuation, 0, all, context.length, continuation.length);
        for (int i = 0; i < n; i++) {
            if (all[i] < 0 || all[i] >= vocab) {
                throw new IllegalArgumentException("token id " + all[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        // Position context.length - 1 + j predicts continuation[j]; the last token is never run.
        int[] run = Arrays.copyOf(all, n - 1);
        int rows = continuation.length;
        float[] logits = await(batcher.call(forward -> {
            try (KvCache cache = forward.backend().newCache(run.length)) {
                return forward.run(run, cache, 0, rows);
            }
        }));
        double[] lp = new double[rows];
        double sum = 0;
        boolean greedy = true;
        for (int j = 0; j < rows; j++) {
            lp[j] = Sampler.logSoftmax(logits, j * vocab, vocab)[continuation[j]];
            sum += lp[j];
            greedy &= Sampler.argmax(logits, j * vocab, vocab) == continuation[j];
        }
        return new Score(sum, greedy, lp);
    }

    /**
     * The logits at every position of a token sequence, as one full forward pass computes them.
     *
     * @return [tokens.length][vocab] fp32
     */
    public float[][] logits(int[] tokens) {
        return logits(tokens, false);
    }

    /**
     * The logits at every position of a token sequence: as one forward pass, or with
     * {@code incremental} fed one token at a time through the decode path, each step reading the KV
     * cache the earlier ones wrote (the path generation takes, sliding-window rings included).
     *
     * @return [tokens.length][vocab] fp32
     */
    public float[][] logits(int[] tokens, boolean incremental) {
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
        float[] flat = await(batcher.call(forward -> {
            try (KvCache cache = forward.backend().newCache(copy.length)) {
                if (!incremental) return forward.run(copy, cache, 0, copy.length);
                float[] rows = new float[copy.length * vocab];
                for (int t = 0; t < copy.length; t++) {
                    float[] row = forward.decode(new int[] {copy[t]}, new KvCache[] {cache}, new int[] {t}, null);
                    System.arraycopy(row, 0, rows, t * vocab, vocab);
                }
                return rows;
            }
        }));
        float[][] out = new float[copy.length][];
        for (int t = 0; t < copy.length; t++) {
            out[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
        }
        return out;
    }

    /**
     * The future's value, or its failure rethrown as it was thrown on the engine thread. An interrupt cancels
     * the future (and so the sequence), keeps the interrupt flag set and throws {@link CancellationException}.
     */
    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the model; the request was cancelled");
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException r) throw r;
        if (cause instanceof Error err) throw err;
        throw new CompletionException(cause);
    }

    /**
     * Fails calls still waiting for a sequence slot, cancels running ones (their calls throw
     * {@link CancellationException}), then frees the backend and the weights. Calling it again does nothing.
     */
    @Override
    public void close() {
        cleanable.clean();
    }
}
