package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationChunk;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationStream;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.Score;
import dev.gemma4j.StreamOverflowException;
import dev.gemma4j.TokenLogprob;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The public Java API: options, async calls, cancel, interrupts, timeouts, streams, logprobs, score, cleanup. */
class GemmaApiTest {
    private static final int[] PROMPT = {2, 651, 4320, 8426};
    /** Enough new tokens that a generation on tiny-mqa runs for seconds, unless it is cancelled. */
    private static final int LONG = 3000;
    private static Gemma gemma;

    @BeforeAll
    static void load() {
        gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withMaxSequences(2), Gemma.LoadMonitor.SILENT);
    }

    @AfterAll
    static void close() {
        gemma.close();
    }

    /** top-k is checked against the model's vocabulary when a generation starts, before anything is queued. */
    @Test
    void topKBeyondTheVocabularyIsRefusedAtTheStart() {
        GenerationOptions beyond = GenerationOptions.defaults().withMaxNewTokens(2).withTemperature(1f).withTopK(256_001);
        var e = assertThrows(IllegalArgumentException.class, () -> gemma.generateAsync(PROMPT, beyond));
        assertEquals("top-k must be in [0, 256000] (0 keeps all tokens; at most the model's vocabulary), found 256001",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gemma.stream(PROMPT, beyond));
        assertEquals(2, gemma.generate(PROMPT, beyond.withTopK(256_000)).generatedTokens().length);
    }

    /** Waits until no sequence runs, or fails after 30 s. */
    private static void awaitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gemma.runningSequences() + gemma.waitingRequests() > 0) {
            assertTrue(System.nanoTime() < deadline, "still running: " + gemma.runningSequences());
            Thread.sleep(5);
        }
    }

    @Test
    void optionsHaveNamedDefaultsAndCheckEachSetting() {
        GenerationOptions d = GenerationOptions.defaults();
        assertEquals(256, d.maxNewTokens());
        assertTrue(d.isGreedy());
        assertFalse(d.logprobs());
        GenerationOptions o = d.withMaxNewTokens(64).withTemperature(0.7f).withTopK(40).withTopP(0.95f).withSeed(1);
        assertEquals(0.7f, o.temperature());
        assertEquals(40, o.topK());
        assertEquals(d, GenerationOptions.greedy(256));
        var bad = assertThrows(IllegalArgumentException.class, () -> d.withTopP(1.5f));
        assertTrue(bad.getMessage().contains("top-p must be in (0, 1], found 1.5"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.withTopLogprobs(21));
        LoadOptions l = LoadOptions.defaults();
        assertEquals(LoadOptions.Device.AUTO, l.device());
        assertTrue(l.contextLength().isEmpty() && l.gpuMemory().isEmpty());
        assertEquals(4096, l.withContextLength(4096).contextLength().getAsInt());
        assertThrows(IllegalArgumentException.class, () -> l.withMaxSequences(0));
    }

    /** A cancelled future's sequence leaves at the next step and frees its slot for the next call. */
    @Test
    void cancelStopsTheSequenceAndFreesItsSlot() throws Exception {
        awaitIdle();
        long before = gemma.batchStats().rowsDecoded();
        CompletableFuture<GenerationResult> a = gemma.generateAsync(PROMPT, GenerationOptions.greedy(LONG));
        CompletableFuture<GenerationResult> b = gemma.generateAsync(PROMPT, GenerationOptions.greedy(LONG));
        while (gemma.batchStats().rowsDecoded() - before < 10) Thread.sleep(1);
        assertTrue(a.cancel(true));
        assertTrue(b.cancel(true));
        awaitIdle();
        long rows = gemma.batchStats().rowsDecoded() - before;
        System.out.println("GemmaApiTest.cancel: rows decoded before both left: " + rows);
        assertTrue(rows < LONG, "the cancelled sequences ran on: " + rows + " rows");
        // Both slots are free: two new calls run at once.
        GenerationResult r = gemma.generate(PROMPT, GenerationOptions.greedy(4));
        assertEquals(4, r.generatedTokens().length);
    }

    /** An interrupted blocking call cancels its sequence, throws CancellationException and keeps the flag. */
    @Test
    void blockingCallsHonourInterruptsAndTimeouts() throws Exception {
        awaitIdle();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                gemma.generate(PROMPT, GenerationOptions.greedy(LONG));
            } catch (Throwable t) {
                thrown.set(t);
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        while (gemma.runningSequences() == 0) Thread.sleep(1);
        long before = gemma.batchStats().rowsDecoded();
        caller.interrupt();
        caller.join(30_000);
        assertInstanceOf(CancellationException.class, thrown.get());
        assertTrue(flag.get(), "the interrupt flag was cleared");
        awaitIdle();
        long after = gemma.batchStats().rowsDecoded() - before;
        System.out.println("GemmaApiTest.interrupt: rows decoded after the interrupt: " + after);
        assertTrue(after < LONG / 2, after + " rows after the interrupt");

        long t0 = System.nanoTime();
        assertThrows(TimeoutException.class, () -> gemma.generate("Hello", GenerationOptions.greedy(LONG), Duration.ofMillis(200)));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        awaitIdle();
    }

    /**
     * A stream whose subscriber takes nothing overflows its small buffer and is cut off, while another stream
     * running beside it completes with the tokens of the same request alone.
     */
    @Test
    void aStalledSubscriberIsCutOffWithoutSlowingTheOther() throws Exception {
        awaitIdle();
        GenerationResult alone = gemma.generate(PROMPT, GenerationOptions.greedy(40));
        GenerationStream stalled = gemma.stream(PROMPT, GenerationOptions.greedy(LONG).withStreamBuffer(8));
        AtomicReference<Throwable> error = new AtomicReference<>();
        CountDownLatch ended = new CountDownLatch(1);
        stalled.subscribe(new Flow.Subscriber<>() {
            public void onSubscribe(Flow.Subscription s) {
                s.request(1);
            }

            public void onNext(GenerationChunk item) {}

            public void onError(Throwable t) {
                error.set(t);
                ended.countDown();
            }

            public void onComplete() {
                ended.countDown();
            }
        });
        GenerationStream other = gemma.stream(PROMPT, GenerationOptions.greedy(40));
        StringBuilder text = new StringBuilder();
        List<String> threads = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        other.subscribe(new Flow.Subscriber<>() {
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            public void onNext(GenerationChunk item) {
                text.append(item.text());
                threads.add(Thread.currentThread().getName());
            }

            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            public void onComplete() {
                done.complete(null);
            }
        });
        assertTrue(ended.await(30, TimeUnit.SECONDS));
        assertInstanceOf(StreamOverflowException.class, error.get());
        System.out.println("GemmaApiTest.overflow: " + error.get().getMessage());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> stalled.result().get(30, TimeUnit.SECONDS));
        assertInstanceOf(StreamOverflowException.class, failed.getCause());
        done.get(60, TimeUnit.SECONDS);
        GenerationResult r = other.result().get();
        assertArrayEquals(alone.generatedTokens(), r.generatedTokens());
        assertEquals(r.text(), text.toString());
        assertTrue(threads.stream().noneMatch("gemma4j-engine"::equals), "onNext ran on " + threads);
        awaitIdle();
    }

    /**
     * Logprobs of every generated token and its top 5, and score(context, continuation), equal the float64
     * reference's log-softmax within 1e-4 absolute: the engine's fp32 logits agree with the float64 pass to
     * about 1e-6 of max |logit| (a few units here), and log-softmax moves an error of e by at most 2e.
     */
    @Test
    void logprobsAndScoreMatchTheFloat64Reference() {
        GenerationResult r = gemma.generate(PROMPT, GenerationOptions.greedy(6).withTopLogprobs(5));
        assertEquals(r.generatedTokens().length, r.logprobs().size());
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            ReferenceGemma ref = new ReferenceGemma(w);
            int[] all = new int[PROMPT.length + r.generatedTokens().length];
            System.arraycopy(PROMPT, 0, all, 0, PROMPT.length);
            System.arraycopy(r.generatedTokens(), 0, all, PROMPT.length, r.generatedTokens().length);
            double[][] logits = ref.logits(all);
            double worst = 0;
            for (int j = 0; j < r.generatedTokens().length; j++) {
                double[] lp = logSoftmax(logits[PROMPT.length - 1 + j]);
                TokenLogprob t = r.logprobs().get(j);
                assertEquals(r.generatedTokens()[j], t.token());
                worst = Math.max(worst, Math.abs(lp[t.token()] - t.logprob()));
                assertEquals(5, t.top().size());
                assertEquals(t.token(), t.top().get(0).token(), "greedy picks the most likely token");
                for (TokenLogprob.Alternative a : t.top()) worst = Math.max(worst, Math.abs(lp[a.token()] - a.logprob()));
            }
            int[] context = {2, 651, 4320};
            int[] continuation = {8426, 603, 1105};
            Score s = gemma.score(context, continuation);
            double[][] full = ref.logits(new int[] {2, 651, 4320, 8426, 603, 1105});
            double sum = 0;
            for (int j = 0; j < 3; j++) {
                double lp = logSoftmax(full[2 + j])[continuation[j]];
                worst = Math.max(worst, Math.abs(lp - s.tokenLogprobs()[j]));
                sum += lp;
            }
            System.out.printf("GemmaApiTest.logprobs: worst |engine - float64| %.3g; score %.6f vs %.6f%n", worst,
                    s.logLikelihood(), sum);
            assertTrue(worst < 1e-4, "worst " + worst);
            assertEquals(sum, s.logLikelihood(), 1e-4);
            Score greedy = gemma.score(PROMPT, r.generatedTokens());
            assertTrue(greedy.greedy(), "a greedy continuation scores as greedy");
        }
        var tooLong = assertThrows(IllegalArgumentException.class, () -> gemma.score(new int[] {2}, new int[0]));
        assertTrue(tooLong.getMessage().contains("continuation"), tooLong.getMessage());
    }

    private static double[] logSoftmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double sum = 0;
        for (double v : x) sum += Math.exp(v - max);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - max - Math.log(sum);
        return out;
    }

    /** close() cancels a running call; an unreachable model's engine thread ends without close(). */
    @Test
    void closeCancelsAndTheCleanerReleasesAnUnreachableModel() throws Exception {
        Gemma other = Gemma.load("tiny-mqa", LoadOptions.cpu(), Gemma.LoadMonitor.SILENT);
        CompletableFuture<GenerationResult> running = other.generateAsync(PROMPT, GenerationOptions.greedy(LONG));
        while (other.runningSequences() == 0) Thread.sleep(1);
        other.close();
        assertThrows(CancellationException.class, () -> running.get(30, TimeUnit.SECONDS));
        assertThrows(IllegalStateException.class, () -> other.generate(PROMPT, GenerationOptions.greedy(2)));

        long engines = engineThreads();
        WeakReference<Gemma> dropped = dropOne();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((dropped.get() != null || engineThreads() > engines) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(dropped.get() == null, "the dropped model was not collected");
        assertTrue(engineThreads() <= engines, "its engine thread still runs: " + engineThreads() + " engine threads, "
                + engines + " before it was loaded");
    }

    private static WeakReference<Gemma> dropOne() {
        Gemma g = Gemma.load("tiny-mqa", LoadOptions.cpu(), Gemma.LoadMonitor.SILENT);
        assertNotNull(g.generate(PROMPT, GenerationOptions.greedy(2)));
        return new WeakReference<>(g);
    }

    private static long engineThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("gemma4j-engine")).count();
    }
}
