package dev.gemma4j.engine;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Continuous batching: one engine thread owns the {@link Forward} pass and its backend and advances every
 * active sequence by one token per {@link Backend#decodeStep} (the weights read once for all of them).
 *
 * <p>Between two decode steps the engine thread
 * <ol>
 *   <li>runs the tasks given to {@link #call} (in the order given);</li>
 *   <li>admits waiting requests in the order submitted while fewer than
 *       {@code min(maxSequences, backend.maxDecodeBatch())} sequences are active: each gets its KV cache,
 *       its prompt's forward pass ({@link Forward#run}, in chunks of the backend's batch limit) and its
 *       first token, picked from the prefill logits;</li>
 *   <li>runs one decode step over all active sequences; a sequence that ends (end of sequence,
 *       {@code <end_of_turn>}, max tokens, stop string, full context) leaves at once, its cache closed
 *       and its future completed, and its slot goes to the next waiting request.</li>
 * </ol>
 * A sequence's tokens do not depend on which others share its steps, up to the rounding of batched
 * matrix products (up to about 1e-6 relative in the logits on the CPU backend).
 *
 * <p>Threads: {@link #submit}, {@link #call}, {@link #stats} and {@link #close} may be called from any
 * thread. Each request's {@code onText} and every {@link #call} task run on the engine thread, so they
 * should return quickly: the decode steps of every active sequence wait for them. Dependent stages added
 * to the returned futures without an executor may run there too. Nothing that runs on the engine thread
 * may wait for another request's future (it would wait for itself).
 *
 * <p>Failures: an exception thrown by a request's {@code onText} fails that request only. An exception
 * from the backend (or a NaN in the logits) fails every active and waiting request and every waiting task
 * with that same exception; later calls are refused with an {@link IllegalStateException} that names it.
 * An exception thrown by a {@link #call} task fails that task only.
 *
 * <p>{@link #close()} stops admitting work: waiting requests and tasks fail with an
 * {@link IllegalStateException}, active sequences run to their end and complete normally, and the engine
 * thread is joined. The engine thread is a daemon thread, so a batcher left open does not keep the JVM
 * alive.
 */
public final class Batcher implements AutoCloseable {
    /**
     * What the engine has done so far.
     *
     * @param decodeSteps  decode steps run ({@link Backend#decodeStep} calls)
     * @param rowsDecoded  sequence rows over all decode steps (tokens decoded)
     * @param largestBatch the most rows one decode step held
     * @param prefills     prompts run (requests admitted)
     */
    public record Stats(long decodeSteps, long rowsDecoded, int largestBatch, long prefills) {}

    private record Request(Sequence sequence, CompletableFuture<GenerationResult> result) {}

    private record Task<T>(Function<Forward, T> body, CompletableFuture<T> result) {
        void run(Forward forward) {
            T value;
            try {
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

    /** Engine thread only: the sequences that take part in the next decode step. */
    private final List<Request> active = new ArrayList<>();
    /** Written by the engine thread only. */
    private volatile Stats stats = new Stats(0, 0, 0, 0);

    /**
     * Starts the engine thread. The batcher drives {@code forward}'s backend from then on; nothing else
     * may use it until {@link #close()} returns, except through {@link #call}.
     *
     * @param maxSequences the most sequences decoded together (at least 1); the backend's
     *                     {@link Backend#maxDecodeBatch()} caps it further
     */
    public Batcher(Forward forward, GemmaTokenizer tokenizer, int maxSequences) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("max sequences must be >= 1, found " + maxSequences);
        }
        this.forward = forward;
        this.tokenizer = tokenizer;
        this.vocab = forward.config().vocabSize();
        this.maxPositions = forward.config().maxPositionEmbeddings();
        this.slots = Math.min(maxSequences, forward.backend().maxDecodeBatch());
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
     *                      this request only
     * @return completes with the result when the sequence ends; cancelling it drops the request (between
     *         decode steps)
     * @throws IllegalArgumentException when the prompt is empty, holds an id outside the vocabulary or
     *                                  leaves no room in the context, or the context is longer than the
     *                                  model's
     * @throws IllegalStateException    after {@link #close()} or a backend failure
     */
    public CompletableFuture<GenerationResult> submit(int[] prompt, GenerationOptions options, int contextLength,
                                                      Consumer<String> onText) {
        Objects.requireNonNull(options, "no generation options given");
        if (contextLength > maxPositions) {
            throw new IllegalArgumentException("a context of " + contextLength + " tokens exceeds the model's "
                    + maxPositions + " (max_position_embeddings)");
        }
        int[] copy = prompt.clone();
        Sequence.checkPrompt(copy, vocab, contextLength);
        Request r = new Request(new Sequence(tokenizer, copy, options, contextLength, onText, System.nanoTime()),
                new CompletableFuture<>());
        synchronized (lock) {
            refuseIfStopped();
            waiting.add(r);
            lock.notifyAll();
        }
        return r.result();
    }

    /**
     * Runs {@code task} on the engine thread between two decode steps, with the backend to itself. The
     * task must close any KV cache it makes. An exception it throws fails the returned future only.
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

    /** A snapshot of the engine's counters. */
    public Stats stats() {
        return stats;
    }

    /** True on the engine thread (inside {@code onText} or a {@link #call} task). */
    public boolean onEngineThread() {
        return Thread.currentThread() == engine;
    }

    /**
     * Stops admitting work: waiting requests and tasks fail with an {@link IllegalStateException}, active
     * sequences run to their end (their futures complete normally), then the engine thread is joined.
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
                List<Request> admitted = new ArrayList<>();
                synchronized (lock) {
                    while (waiting.isEmpty() && tasks.isEmpty() && active.isEmpty() && !closing) {
                        lock.wait();
                    }
                    if (closing && active.isEmpty() && waiting.isEmpty() && tasks.isEmpty()) return;
                    due = new ArrayList<>(tasks);
                    tasks.clear();
                    while (active.size() + admitted.size() < slots && !waiting.isEmpty()) {
                        Request r = waiting.poll();
                        if (!r.result().isDone()) admitted.add(r);     // done here = cancelled while waiting
                    }
                }
                for (Task<?> t : due) t.run(forward);
                for (Request r : admitted) admit(r);
                dropCancelled();
                if (!active.isEmpty()) decodeStep();
            }
        } catch (Throwable t) {
            stop(t);
        }
    }

    /** Prefills a new request and takes its first token; it joins the next decode step unless it ended. */
    private void admit(Request r) {
        Sequence seq = r.sequence();
        active.add(r);                                          // a backend failure from here on fails it too
        float[] logits = seq.prefill(forward);
        int first = seq.sampler().sample(logits, 0, vocab);
        Stats s = stats;
        stats = new Stats(s.decodeSteps(), s.rowsDecoded(), s.largestBatch(), s.prefills() + 1);
        accept(r, first);
    }

    /** Requests whose futures were cancelled leave before the next step. */
    private void dropCancelled() {
        for (Request r : List.copyOf(active)) {
            if (r.result().isDone()) {
                r.sequence().close();
                active.remove(r);
            }
        }
    }

    private void decodeStep() {
        int rows = active.size();
        int[] tokens = new int[rows];
        KvCache[] caches = new KvCache[rows];
        int[] positions = new int[rows];
        Sampler[] samplers = new Sampler[rows];
        List<Request> batch = List.copyOf(active);
        for (int b = 0; b < rows; b++) {
            Sequence seq = batch.get(b).sequence();
            tokens[b] = seq.token();
            caches[b] = seq.cache();
            positions[b] = seq.position();
            samplers[b] = seq.sampler();
        }
        int[] next = forward.backend().decodeStep(tokens, caches, positions, samplers);
        Stats s = stats;
        stats = new Stats(s.decodeSteps() + 1, s.rowsDecoded() + rows, Math.max(s.largestBatch(), rows), s.prefills());
        for (int b = 0; b < rows; b++) accept(batch.get(b), next[b]);
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
            refusal = "the engine stopped after a failure in the backend: " + cause;
            queued = new ArrayList<>(waiting);
            waiting.clear();
            due = new ArrayList<>(tasks);
            tasks.clear();
        }
        for (Request r : active) {
            try {
                r.sequence().close();
            } catch (Throwable closing) {
                // The backend already failed; the request fails with the first failure.
            }
            r.result().completeExceptionally(cause);
        }
        active.clear();
        for (Request r : queued) r.result().completeExceptionally(cause);
        for (Task<?> t : due) t.result().completeExceptionally(cause);
    }
}
