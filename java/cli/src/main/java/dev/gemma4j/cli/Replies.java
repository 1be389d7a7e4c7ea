package dev.gemma4j.cli;

import dev.gemma4j.GenerationChunk;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationStream;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/** Hands a started generation's text to the terminal as it comes and waits for its result. */
final class Replies {
    private Replies() {}

    /**
     * Delivers {@code stream}'s text to {@code onText} and returns its result.
     *
     * @throws CancellationException when the stream was cancelled ({@link GenerationStream#cancel()})
     */
    static GenerationResult deliver(GenerationStream stream, Consumer<String> onText) throws InterruptedException {
        CompletableFuture<Void> delivered = new CompletableFuture<>();
        stream.subscribe(new Flow.Subscriber<GenerationChunk>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(GenerationChunk chunk) {
                if (!chunk.text().isEmpty()) onText.accept(chunk.text());
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
            return stream.result().get();
        } catch (InterruptedException e) {
            stream.cancel();
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }
}
