package dev.gemma4j.engine;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Continuous batching with chunked prefill: one engine thread owns the {@link Forward} pass and its backend,
 * runs admitted prompts a chunk at a time, and advances every decoding sequence by one token per
 * {@link Backend#decodeStep} (the weights read once for all of them).
 *
 * <p>Each turn of the engine loop
 * <ol>
 *   <li>runs the tasks given to {@link #call} (in the order given);</li>
 *   <li>drops the active sequences whose futures were cancelled, closing their KV caches;</li>
 *   <li>admits waiting requests in the order submitted while fewer than
 *       {@code min(maxSequences, backend.maxDecodeBatch())} sequences are active (prefilling or decoding):
 *       each gets its KV cache and becomes active, prefilling;</li>
 *   <li>runs at most one prefill chunk: the next {@link #prefillChunk()} (or fewer) prompt tokens of the
 *       earliest admitted sequence that is still prefilling, through {@link Forward#run} with logits for the
 *       last prompt token when the chunk ends the prompt and none before. After its last chunk the
 *       sequence picks its first token from those logits and is decoding from then on;</li>
 *   <li>runs one decode step over all decoding sequences (one whose prefill ended in this turn included),
 *       if there are any.</li>
 * </ol>
 * A sequence that ends (end of sequence, {@code <end_of_turn>}, max tokens, stop string, full context), at
 * its first token or in a decode step, leaves at once, its cache closed and its future completed; its slot
 * goes to the next waiting request in the next turn. So a prompt of n tokens takes
 * {@code ceil(n / prefillChunk())} turns (more while earlier prompts are prefilling), and each decode step of
 * the other sequences waits for at most one chunk's forward pass, not for a whole prompt.
 *
 * <p>On the CPU backend a sequence's tokens do not depend on which others share its steps or on how its
 * prompt is chunked: causal attention makes chunks exact, and every row's arithmetic (matrix products,
 * norms, attention, GeGLU, sampling) is the same function of that row whatever the batch
 * (BatchInvarianceTest). On the CUDA backend the GEMMs' order of summation follows the batch's row count,
 * so a row's logits may differ in the last bits between batches, unless the backend runs each sequence of a
 * step on its own ({@code CudaBackend.Settings.withBatchInvariance}).
 *
 * <p>Threads: {@link #submit}, {@link #call}, {@link #stats} and {@link #close} may be called from any
 * thread. Each request's {@code onText} and every {@link #call} task run on the engine thread, so they
 * should return quickly: the decode steps of every active sequence wait for them. Dependent stages added
 * to the returned futures without an executor may run there too. Nothing that runs on the engine thread
 * may wait for another request's future (it would wait for itself).
 *
 * <p>Failures: what one request does fails that request alone, and the engine goes on with the others
 * and with later calls: an exception thrown by its {@code onText}, a KV cache the backend cannot give it
 * (too long, or no room left), a failure of its prefill or of its sampling (a NaN in its logits,
 * activations beyond the backend's number range: {@link DecodeRowFailure} in a decode step). A decode
 * step that fails as a whole fails the sequences in that step. Only a failure the backend calls a
 * device fault ({@link Backend#isDeviceFault}), or an {@link Error} other than an
 * {@link OutOfMemoryError}, stops the engine: it fails every active and waiting request and every
 * waiting task with that same exception, and later calls are refused with an
 * {@link IllegalStateException} that names it and says to load the model again.
 * An exception thrown by a {@link #call} task fails that task only.
 *
 * <p>{@link #close()} stops admitting work: waiting requests and tasks fail with an
 * {@link IllegalStateException}, active sequences are cancelled at the start of the next engine turn (their
 * futures fail with a {@link CancellationException}, their caches are closed), and the engine thread is
 * joined. The engine thread is a daemon thread, so a batcher left open does not keep the JVM
 * alive.
 */
public final class Batcher implements AutoCloseable {
    /**
     * What the engine has done so far.
     *
     * @param decodeSteps   decode steps run ({@link Backend#decodeStep} calls)
     * @param rowsDecoded   sequence rows over all decode steps (tokens decoded)
     * @param largestBatch  the most rows one decode step held
     * @param prefills      requests admitted (each took a KV cache and started its prompt)
     * @param prefillChunks prompt chunks run ({@link Forward#run} calls, one per engine turn at most)
     */
    public record Stats(long decodeSteps, long rowsDecoded, int largestBatch, long prefills, long prefillChunks) {}

    private record Request(Sequence sequence, CompletableFuture<GenerationResult> result) {}

    private record Task<T>(Function<Forward, T> body, CompletableFuture<T> result) {
        void run(Forward forward) {
            T value;
            try {
                forward.backend().checkWeights();
                value = body.apply(forward);
            } catch (Throwable t) {
                result.completeExceptionally(t);
                return;
            }
            result.complete(value);
        }
    }

    private final Forward forward;
    private final GemmaTokenizer tokenizer;
    private final int vocab, maxPositions;
    /** The most sequences one decode step holds: min(maxSequences, backend.maxDecodeBatch()). */
    private final int slots;
    /** The most prompt tokens one engine turn runs. */
    private final int prefillChunk;
    private final Thread engine;

    private final Object lock = new Object();
    /** Guarded by lock: requests not yet admitted, oldest first. */
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    /** Guarded by lock: tasks not yet run, oldest first. */
    private final ArrayDeque<Task<?>> tasks = new ArrayDeque<>();
    /** Guarded by lock: set by close(). */
    private boolean closing;
    /** Guarded by lock: why new work is refused (closed, or the backend failed); null while open. */
    private String refusal;
    /** Guarded by lock: the backend failure that stopped the engine, or null. */
    private Throwable failure;

    /** Engine thread only: the admitted sequences (prefilling or decoding), in the order admitted. */
    private final List<Request> active = new ArrayList<>();
    /** Written by the engine thread only: active.size() at the end of its last turn. */
    private volatile int running;
    /** Written by the engine thread only. */
    private volatile Stats stats = new Stats(0, 0, 0, 0, 0);

    /**
     * The upper bound of the default {@link #prefillChunk()}, in tokens. 512 rows keep a chunk's matrix
     * products wide (each weight read once for 512 tokens), while a decode step of the other sequences waits
     * for the forward pass of at most 512 prompt tokens instead of a whole prompt of up to
     * max_position_embeddings (8192 for Gemma).
     */
    public static final int DEFAULT_PREFILL_CHUNK_LIMIT = 512;

    /**
     * Starts the engine thread with a prefill chunk of {@code min(backend.maxBatchTokens(),
     * DEFAULT_PREFILL_CHUNK_LIMIT)} tokens: the backend takes each chunk in one batch.
     *
     * @see #Batcher(Forward, GemmaTokenizer, int, int)
     */
    public Batcher(Forward forward, GemmaTokenizer tokenizer, int maxSequences) {
        this(forward, tokenizer, maxSequences,
                Math.min(forward.backend().maxBatchTokens(), DEFAULT_PREFILL_CHUNK_LIMIT));
    }

    /**
     * Starts the engine thread. The batcher drives {@code forward}'s backend from then on; nothing else
     * may use it until {@link #close()} returns, except through {@link #call}.
     *
     * @param maxSequences the most sequences decoded together (at least 1); the backend's
     *                     {@link Backend#maxDecodeBatch()} caps it further
     * @param prefillChunk the most prompt tokens one engine turn runs (at least 1); a chunk longer than the
     *                     backend's {@link Backend#maxBatchTokens()} runs as several batches within the turn
     */
    public Batcher(Forward forward, GemmaTokenizer tokenizer, int maxSequences, int prefillChunk) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("max sequences must be >= 1, found " + maxSequences);
        }
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("the prefill chunk must be >= 1 token, found " + prefillChunk);
        }
        this.forward = forward;
        this.tokenizer = tokenizer;
        this.vocab = forward.config().vocabSize();
        this.maxPositions = forward.config().maxPositionEmbeddings();
        this.slots = Math.min(maxSequences, forward.backend().maxDecodeBatch());
        this.prefillChunk = prefillChunk;
        this.engine = Thread.ofPlatform().name("gemma4j-engine").daemon(true).unstarted(this::loop);
        engine.start();
    }

    /** The most sequences decoded together: min(maxSequences, backend's maximum decode batch). */
    public int maxSequences() {
        return slots;
    }

    /**
     * Queues a generation. The prompt is checked here, so bad input fails this call at once and changes
     * nothing; the prompt is copied.
     *
     * @param contextLength tokens the sequence may hold in all (prompt + new), at most the model's
     *                      max_position_embeddings
     * @param onText        receives text as it becomes final (never half a character, never part of a
     *                      stop string), on the engine thread; may be null. An exception it throws fails
     *                      this request only (see {@link #submitWithListener})
     * @return completes with the result when the sequence ends; cancelling it drops the request at the start
     *         of the next engine turn (between two prefill chunks or two decode steps), closing its cache
     * @throws IllegalArgumentException when the prompt is empty, holds an id outside the vocabulary or
     *                                  leaves no room in the context, the context is longer than the
     *                                  model's, or top-k exceeds the vocabulary
     * @throws IllegalStateException    after {@link #close()} or a backend failure
     */
    public CompletableFuture<GenerationResult> submit(int[] prompt, GenerationOptions options, int contextLength,
                                                      Consumer<String> onText) {
        return submitWithListener(prompt, options, contextLength, TokenListener.ofText(onText));
    }

    /**
     * Queues a generation whose listener hears every token (its text and, when asked for, its
     * log-probabilities) on the engine thread; it must return quickly, since every active sequence's next
     * decode step waits for it. An exception it throws fails this request only.
     *
     * @see #submit(int[], GenerationOptions, int, Consumer)
     */
    public CompletableFuture<GenerationResult> submitWithListener(int[] prompt, GenerationOptions options,
                                                                  int contextLength, TokenListener listener) {
        return submitWithListener(prompt, options, contextLength, listener, null);
    }

    /**
     * A KV cache of {@code contextLength} tokens to keep across generations ({@link #submitWithListener(int[],
     * GenerationOptions, int, TokenListener, KeptCache)}); it takes its memory at its first use and holds it
     * until {@link #release}.
     */
    public KeptCache keptCache(int contextLength) {
        if (contextLength < 2 || contextLength > maxPositions) {
            throw new IllegalArgumentException("a kept cache holds 2 to " + maxPositions + " tokens, found " + contextLength);
        }
        return new KeptCache(contextLength, LayerPlan.of(forward.config()));
    }

    /** Frees a kept cache on the engine thread; done when the future completes. */
    public CompletableFuture<Void> release(KeptCache kept) {
        return call(f -> {
            kept.close();
            return null;
        });
    }

    /**
     * As {@link #submitWithListener(int[], GenerationOptions, int, TokenListener)}, in {@code kept}'s cache: the
     * prompt's first tokens that are already there are not run again. The context is the kept cache's.
     *
     * @throws IllegalStateException when another generation is using {@code kept}, or it was released
     */
    public CompletableFuture<GenerationResult> submitWithListener(int[] prompt, GenerationOptions options,
                                                                  int contextLength, TokenListener listener,
                                                                  KeptCache kept) {
        Objects.requireNonNull(options, "no generation options given");
        if (contextLength > maxPositions) {
            throw new IllegalArgumentException("a context of " + contextLength + " tokens exceeds the model's "
                    + maxPositions + " (max_position_embeddings)");
        }
        GenerationOptions.checkTopK("top-k", options.topK(), vocab);
        int[] copy = prompt.clone();
        Sequence.checkPrompt(copy, vocab, contextLength);
        Sequence seq = new Sequence(tokenizer, forward.config(), copy, options, contextLength, listener, System.nanoTime());
        if (kept != null) {
            kept.take();
            seq.keeping(kept);
        }
        Request r = new Request(seq, new CompletableFuture<>());
        try {
            synchronized (lock) {
                refuseIfStopped();
                waiting.add(r);
                lock.notifyAll();
            }
        } catch (RuntimeException e) {
            if (kept != null) kept.untake();
            throw e;
        }
        return r.result();
    }

    /**
     * Runs {@code task} on the engine thread at the start of the next engine turn, with the backend to
     * itself. The task must close any KV cache it makes. An exception it throws fails the returned future
     * only.
     *
     * @throws IllegalStateException after {@link #close()} or a backend failure
     */
    public <T> CompletableFuture<T> call(Function<Forward, T> task) {
        Objects.requireNonNull(task, "no task given");
        Task<T> t = new Task<>(task, new CompletableFuture<>());
        synchronized (lock) {
            refuseIfStopped();
            tasks.add(t);
            lock.notifyAll();
        }
        return t.result();
    }

    /** The most prompt tokens one engine turn runs (see the class description). */
    public int prefillChunk() {
        return prefillChunk;
    }

    /** A snapshot of the engine's counters. */
    public Stats stats() {
        return stats;
    }

    /** Sequences admitted and not yet ended (prefilling or decoding), as of the end of the last engine turn. */
    public int running() {
        return running;
    }

    /** Requests submitted and not yet admitted. */
    public int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** True on the engine thread (inside {@code onText} or a {@link #call} task). */
    public boolean onEngineThread() {
        return Thread.currentThread() == engine;
    }

    /**
     * Stops admitting work: waiting requests and tasks fail with an {@link IllegalStateException}, active
     * sequences are cancelled at the start of the next engine turn (their futures fail with a
     * {@link CancellationException}), then the engine thread is joined.
     * Later calls to {@link #submit} and {@link #call} are refused. Calling it again does nothing.
     *
     * @throws IllegalStateException when called on the engine thread, which cannot wait for itself
     */
    @Override
    public void close() {
        if (onEngineThread()) {
            throw new IllegalStateException("close() was called on the engine thread (from onText or a task);"
                    + " call it from another thread");
        }
        List<Request> queued;
        List<Task<?>> due;
        synchronized (lock) {
            closing = true;
            if (refusal == null) refusal = "the model was closed";
            queued = new ArrayList<>(waiting);
            waiting.clear();
            due = new ArrayList<>(tasks);
            tasks.clear();
            lock.notifyAll();
        }
        for (Request r : queued) {
            r.result().completeExceptionally(new IllegalStateException(
                    "the model was closed before this request started"));
        }
        for (Task<?> t : due) {
            t.result().completeExceptionally(new IllegalStateException("the model was closed before this task ran"));
        }
        boolean interrupted = false;
        while (true) {
            try {
                engine.join();
                break;
            } catch (InterruptedException e) {
                // The backend may be closed only once the engine thread is done with it: keep waiting.
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void refuseIfStopped() {
        if (refusal != null) throw new IllegalStateException(refusal, failure);
    }

    private void loop() {
        try {
            while (true) {
                List<Task<?>> due;
                boolean stopping;
                synchronized (lock) {
                    while (waiting.isEmpty() && tasks.isEmpty() && active.isEmpty() && !closing) {
                        lock.wait();
                    }
                    stopping = closing;
                    due = new ArrayList<>(tasks);
                    tasks.clear();
                }
                if (stopping) {
                    cancelActive();
                    return;
                }
                for (Task<?> t : due) t.run(forward);
                dropCancelled();
                admitWaiting();
                runPrefillChunk();
                decodeStep();
                running = active.size();
            }
        } catch (EngineFault f) {
            stop(f.getCause());
        } catch (Throwable t) {
            stop(t);
        }
    }

    /** On close: every active sequence leaves, its cache closed and its future cancelled. */
    private void cancelActive() {
        for (Request r : active) {
            r.sequence().close();
            r.result().completeExceptionally(new CancellationException("the model was closed while this request ran"));
        }
        active.clear();
        running = 0;
    }

    /** Requests whose futures were cancelled leave, their caches closed. */
    private void dropCancelled() {
        for (Request r : List.copyOf(active)) {
            if (r.result().isDone()) {
                r.sequence().close();
                active.remove(r);
            }
        }
    }

    /**
     * Admits waiting requests, oldest first, into the free slots: each takes its KV cache. A request
     * whose cache the backend refuses fails alone.
     */
    private void admitWaiting() {
        while (active.size() < slots) {
            Request r;
            synchronized (lock) {
                r = waiting.poll();
            }
            if (r == null) return;
            if (r.result().isDone()) {                          // cancelled while waiting
                r.sequence().close();
                continue;
            }
            active.add(r);                                      // a device fault here fails it with the rest
            try {
                forward.backend().checkWeights();
                r.sequence().open(forward.backend());
            } catch (Throwable t) {
                rethrowIfFatal(t);
                fail(r, t);
                continue;
            }
            Stats s = stats;
            stats = new Stats(s.decodeSteps(), s.rowsDecoded(), s.largestBatch(), s.prefills() + 1, s.prefillChunks());
        }
    }

    /**
     * Rethrows a failure that stops the engine: a device fault of the backend, or an {@link Error}
     * other than running out of heap (a request's own allocation, which is dropped with it).
     */
    private void rethrowIfFatal(Throwable t) {
        if (forward.backend().isDeviceFault(t)) throw new EngineFault(t);
        if (t instanceof Error && !(t instanceof OutOfMemoryError)) throw new EngineFault(t);
    }

    /** Carries a fatal failure out of the engine loop to {@link #stop}, which reports the cause itself. */
    private static final class EngineFault extends RuntimeException {
        EngineFault(Throwable cause) {
            super(cause);
        }
    }

    /**
     * Runs the next chunk of the earliest admitted sequence still prefilling; after its last chunk the
     * sequence takes its first token, picked from that chunk's logits.
     */
    private void runPrefillChunk() {
        Request r = null;
        for (Request a : active) {
            if (a.sequence().prefilling()) {
                r = a;
                break;
            }
        }
        if (r == null) return;
        Sequence seq = r.sequence();
        int first;
        try {
            forward.backend().checkWeights();
            float[] logits = seq.prefillChunk(forward, prefillChunk);
            first = seq.prefilling() ? -1 : seq.sampler().sample(logits, 0, vocab);
        } catch (Throwable t) {
            // The prompt's activations or logits held a NaN or left the backend's range, or its
            // sampling failed: this request only, unless the backend itself is lost.
            rethrowIfFatal(t);
            fail(r, t);
            return;
        } finally {
            Stats s = stats;
            stats = new Stats(s.decodeSteps(), s.rowsDecoded(), s.largestBatch(), s.prefills(), s.prefillChunks() + 1);
        }
        if (first >= 0) accept(r, first);
    }

    /** One decode step over the sequences that have their first token; none when no sequence has. */
    private void decodeStep() {
        List<Request> batch = new ArrayList<>(active.size());
        for (Request r : active) {
            if (r.sequence().decoding()) batch.add(r);
        }
        int rows = batch.size();
        if (rows == 0) return;
        int[] tokens = new int[rows];
        KvCache[] caches = new KvCache[rows];
        int[] positions = new int[rows];
        Sampler[] samplers = new Sampler[rows];
        for (int b = 0; b < rows; b++) {
            Sequence seq = batch.get(b).sequence();
            tokens[b] = seq.token();
            caches[b] = seq.cache();
            positions[b] = seq.position();
            samplers[b] = seq.sampler();
        }
        int[] next;
        DecodeRowFailure failure = null;
        try {
            forward.backend().checkWeights();
            next = forward.backend().decodeStep(tokens, caches, positions, samplers);
        } catch (DecodeRowFailure e) {
            failure = e;
            next = null;
        } catch (Throwable t) {
            rethrowIfFatal(t);
            // The step failed as a whole: its sequences cannot continue, the waiting ones can.
            for (Request r : batch) fail(r, t);
            return;
        }
        Stats s = stats;
        stats = new Stats(s.decodeSteps() + 1, s.rowsDecoded() + rows, Math.max(s.largestBatch(), rows), s.prefills(),
                s.prefillChunks());
        for (int b = 0; b < rows; b++) {
            if (failure == null) {
                accept(batch.get(b), next[b]);
            } else if (failure.cause(b) != null) {
                fail(batch.get(b), failure.cause(b));
            } else {
                accept(batch.get(b), failure.token(b));
            }
        }
    }

    /** Ends a request whose own computation failed (a NaN or out-of-range row); the others go on. */
    private void fail(Request r, Throwable cause) {
        r.sequence().failed();
        r.sequence().close();
        active.remove(r);
        r.result().completeExceptionally(cause);
    }

    /**
     * Hands a token to its sequence; the caller's onText runs here, and its exceptions fail this request
     * only. An ended sequence leaves: its text is flushed, its cache closed, its future completed.
     */
    private void accept(Request r, int token) {
        Sequence seq = r.sequence();
        GenerationResult result = null;
        Throwable callerError = null;
        try {
            if (!seq.accept(token)) return;
            result = seq.finish();
        } catch (Throwable t) {
            callerError = t;
        }
        seq.close();                                            // a backend failure here still finds r active
        active.remove(r);
        if (callerError != null) {
            r.result().completeExceptionally(callerError);
        } else {
            r.result().complete(result);
        }
    }

    /** After a backend failure: fails every active and waiting request and every waiting task with it. */
    private void stop(Throwable cause) {
        List<Request> queued;
        List<Task<?>> due;
        synchronized (lock) {
            failure = cause;
            refusal = "the engine stopped after a failure in the " + forward.backend().name()
                    + " backend (close this model and load it again): " + cause;
            queued = new ArrayList<>(waiting);
            waiting.clear();
            due = new ArrayList<>(tasks);
            tasks.clear();
        }
        for (Request r : active) {
            try {
                r.sequence().failed();
                r.sequence().close();
            } catch (Throwable closing) {
                // The backend already failed; the request fails with the first failure.
            }
            r.result().completeExceptionally(cause);
        }
        active.clear();
        running = 0;
        for (Request r : queued) {
            r.sequence().close();
            r.result().completeExceptionally(cause);
        }
        for (Task<?> t : due) t.result().completeExceptionally(cause);
    }
}
