package dev.gemma4j;

import dev.gemma4j.engine.TokenListener;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * A running generation whose output arrives as a {@link Flow.Publisher} of {@link GenerationChunk}s, one per
 * generated token, and whose {@link #result()} completes when the sequence ends.
 *
 * <p>The engine thread never waits for the consumer: it puts each chunk into this request's buffer of
 * {@link GenerationOptions#streamBuffer()} chunks and goes on with the next decode step; a virtual thread of
 * this stream hands buffered chunks to the subscriber as it requests them. When the buffer is full (the
 * subscriber requested too few or takes too long in {@code onNext}), the sequence is cancelled at once, the
 * chunks still buffered are dropped, and the subscriber's {@code onError} receives a
 * {@link StreamOverflowException}; {@link #result()} fails with the same exception. The other sequences of the
 * batch are never slowed by it.
 *
 * <p>One subscriber per stream; a second one gets {@code onError(IllegalStateException)}. Chunks made before
 * the subscriber arrives wait in the buffer. {@code Subscription.cancel()} and {@link #cancel()} cancel the
 * sequence: it leaves the batch at the start of the next engine turn, its KV cache freed. After the last chunk
 * the subscriber gets {@code onComplete}, or {@code onError} with the generation's failure (a
 * {@link CancellationException} when it was cancelled).
 */
public final class GenerationStream implements Flow.Publisher<GenerationChunk> {
    private final int capacity;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private final Object lock = new Object();
    /** Guarded by lock. */
    private final ArrayDeque<GenerationChunk> buffer = new ArrayDeque<>();
    private Flow.Subscriber<? super GenerationChunk> subscriber;
    private long demand;
    private boolean delivering;
    /** True once the engine is done with the request (or the subscriber broke a rule). */
    private boolean ended;
    /** Why the stream ends with onError; null for onComplete. */
    private Throwable failure;
    /** True once the subscriber got its last signal or cancelled. */
    private boolean terminated;
    private CompletableFuture<GenerationResult> engineFuture;

    GenerationStream(int capacity) {
        this.capacity = capacity;
    }

    /** The listener the engine thread feeds: never blocks; throws when the buffer is full. */
    TokenListener listener() {
        return (text, logprob) -> {
            synchronized (lock) {
                if (buffer.size() >= capacity) {
                    throw new StreamOverflowException("the stream's consumer fell " + capacity
                            + " chunks behind (GenerationOptions.streamBuffer); the generation was cancelled");
                }
                buffer.add(new GenerationChunk(text, logprob));
            }
            schedule();
        };
    }

    /** Ties the stream to the engine's future of its request: its end ends the stream. */
    void attach(CompletableFuture<GenerationResult> engine) {
        synchronized (lock) {
            engineFuture = engine;
        }
        engine.whenComplete((r, e) -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : e;
            synchronized (lock) {
                if (!ended) {
                    ended = true;
                    failure = cause;
                }
                // A consumer cut off for falling behind gets no more of the chunks it fell behind on.
                if (cause instanceof StreamOverflowException) buffer.clear();
            }
            // The result is completed off the engine thread, so stages a caller adds never run on it.
            Thread.ofVirtual().name("gemma4j-result").start(() -> {
                if (cause == null) {
                    result.complete(r);
                } else {
                    result.completeExceptionally(cause);
                }
            });
            schedule();
        });
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) engine.cancel(false);
        });
    }

    /**
     * Completes with the result when the sequence ends, independently of the chunks' delivery. Cancelling it
     * cancels the sequence.
     */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /**
     * Subscribes {@code onText} to the text (each non-empty chunk, off the engine thread) and returns the
     * result once all of it was handed over. An exception {@code onText} throws fails this call as itself
     * and cancels the sequence; so does an interrupt of the waiting thread (as a
     * {@link CancellationException}, the interrupt status kept).
     *
     * @throws CancellationException when the sequence was cancelled
     * @throws StreamOverflowException when {@code onText} fell {@link GenerationOptions#streamBuffer()} chunks behind
     */
    public GenerationResult deliver(Consumer<String> onText) {
        Objects.requireNonNull(onText, "no text consumer given");
        CompletableFuture<Void> delivered = new CompletableFuture<>();
        subscribe(new Flow.Subscriber<>() {
            private Flow.Subscription subscription;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(GenerationChunk chunk) {
                try {
                    if (!chunk.text().isEmpty()) onText.accept(chunk.text());
                } catch (RuntimeException | Error e) {
                    // The caller's exception fails this call only, as itself; the sequence is cancelled.
                    delivered.completeExceptionally(e);
                    subscription.cancel();
                }
            }

            @Override
            public void onError(Throwable t) {
                delivered.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                delivered.complete(null);
            }
        });
        try {
            delivered.get();
            return result.get();
        } catch (InterruptedException e) {
            cancel();
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the generation; its sequence was cancelled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new CompletionException(e.getCause());
        }
    }

    /** Cancels the sequence: it leaves the batch at the start of the next engine turn. */
    public void cancel() {
        CompletableFuture<GenerationResult> e;
        synchronized (lock) {
            e = engineFuture;
        }
        if (e != null) e.cancel(false);
        result.cancel(false);
    }

    @Override
    public void subscribe(Flow.Subscriber<? super GenerationChunk> s) {
        Objects.requireNonNull(s, "no subscriber given");
        boolean taken;
        synchronized (lock) {
            taken = subscriber != null;
            if (!taken) subscriber = s;
        }
        if (taken) {
            s.onSubscribe(new Flow.Subscription() {
                public void request(long n) {}

                public void cancel() {}
            });
            s.onError(new IllegalStateException("a GenerationStream takes one subscriber; it already has one"));
            return;
        }
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                if (n <= 0) {
                    synchronized (lock) {
                        ended = true;
                        failure = new IllegalArgumentException("Subscription.request needs n > 0 (rule 3.9), found " + n);
                        buffer.clear();
                    }
                    GenerationStream.this.cancel();
                } else {
                    synchronized (lock) {
                        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                    }
                }
                schedule();
            }

            @Override
            public void cancel() {
                synchronized (lock) {
                    terminated = true;
                    buffer.clear();
                }
                GenerationStream.this.cancel();
            }
        });
        schedule();
    }

    /** Starts the delivery thread unless it runs or there is nothing it could do. */
    private void schedule() {
        synchronized (lock) {
            if (delivering || subscriber == null || terminated) return;
            if ((buffer.isEmpty() || demand == 0) && !(buffer.isEmpty() && ended)) return;
            delivering = true;
        }
        Thread.ofVirtual().name("gemma4j-stream").start(this::deliver);
    }

    /** Hands chunks to the subscriber while it has demand, then the end once the buffer is empty. */
    private void deliver() {
        while (true) {
            GenerationChunk next = null;
            boolean finish = false;
            Throwable error = null;
            Flow.Subscriber<? super GenerationChunk> s;
            synchronized (lock) {
                s = subscriber;
                if (terminated) {
                    delivering = false;
                    return;
                }
                if (!buffer.isEmpty() && demand > 0) {
                    next = buffer.poll();
                    demand--;
                } else if (buffer.isEmpty() && ended) {
                    finish = true;
                    error = failure;
                    terminated = true;
                } else {
                    delivering = false;
                    return;
                }
            }
            if (finish) {
                if (error == null) {
                    s.onComplete();
                } else {
                    s.onError(error);
                }
                return;
            }
            try {
                s.onNext(next);
            } catch (Throwable t) {
                // Rule 2.13: a subscriber that throws is treated as cancelled.
                synchronized (lock) {
                    terminated = true;
                    buffer.clear();
                }
                cancel();
                return;
            }
        }
    }
}
