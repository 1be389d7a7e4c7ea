package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationResult.StopReason;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Continuous batching on the CPU backend: concurrent requests give the results of the same requests alone. */
class BatcherTest {
    /**
     * The batched path's logits lie within this fraction of max |logit| of the solo path's, element by
     * element: both compute the same math, and only the grouping of rows into matmul blocks of 4 differs
     * (up to about 1e-6 relative, see BatchedDecodeTest); 1e-5 leaves a margin of 10.
     */
    private static final double LOGIT_TOLERANCE = 1e-5;
    static final long WAIT_SECONDS = 120;

    /** One generate request. */
    record Request(String name, int[] prompt, GenerationOptions options) {}

    /** A CPU model and the same request run alone through {@link Generation#run}, for reference. */
    static final class Reference implements AutoCloseable {
        final WeightSource weights;
        final CpuBackend backend;
        final Forward forward;
        final GemmaTokenizer tokenizer;
        final int contextLength;

        Reference(String model, int contextLength) {
            weights = Checkpoint.open(TestModels.resolve(model));
            backend = new CpuBackend(weights);
            forward = new Forward(backend);
            tokenizer = GemmaTokenizer.load(weights.tokenizerJson());
            this.contextLength = contextLength == 0 ? weights.config().maxPositionEmbeddings() : contextLength;
        }

        GenerationResult alone(Request r) {
            return Generation.run(forward, tokenizer, r.prompt(), r.options(), contextLength, null);
        }

        /** Logits [vocab] after {@code prompt ++ tokens[0, upTo)}, from one full pass. */
        float[] logitsAfter(int[] prompt, int[] tokens, int upTo) {
            int[] seq = Arrays.copyOf(prompt, prompt.length + upTo);
            System.arraycopy(tokens, 0, seq, prompt.length, upTo);
            try (KvCache cache = backend.newCache(seq.length)) {
                return forward.run(seq, cache, 0, 1);
            }
        }

        /**
         * Asserts a batched result equals the solo one token by token. The two may part only where the solo
         * logits make the two choices a near-tie: for greedy, the two tokens' logits within
         * 2 x LOGIT_TOLERANCE x max |logit| (the largest gap that logits within the tolerance can order
         * oppositely); for sampling, that gap too (top-k / top-p ranking), or the step's uniform draw within
         * {@code 2 x gap bound / T} of the boundary between the two tokens' intervals (logits moved by
         * half the bound move each cumulative probability by at most bound / T; 2x margin). Comparison
         * ends at such a split, as the continuations no longer share a prefix.
         *
         * @return how many tokens agree before a split, or -1 when the whole results agree
         */
        int assertSameAsAlone(Request r, GenerationResult got, GenerationResult want) {
            assertArrayEquals(want.promptTokens(), got.promptTokens(), r.name() + " prompt");
            int[] g = got.generatedTokens(), w = want.generatedTokens();
            int n = Math.min(g.length, w.length);
            int j = 0;
            while (j < n && g[j] == w[j]) j++;
            if (j == g.length && j == w.length) {
                assertEquals(want.stopReason(), got.stopReason(), r.name() + " stop reason");
                assertEquals(want.text(), got.text(), r.name() + " text");
                return -1;
            }
            int[] gotChoices = choicesAt(g, j, got.stopReason());
            int[] wantChoices = choicesAt(w, j, want.stopReason());
            if (gotChoices.length == 0 || wantChoices.length == 0) {
                fail(r.name() + ": batched " + Arrays.toString(g) + " (" + got.stopReason() + ") and alone "
                        + Arrays.toString(w) + " (" + want.stopReason() + ") part at token " + j + " without a choice");
            }
            float[] z = logitsAfter(r.prompt(), w, j);
            double maxAbs = 0;
            for (float v : z) maxAbs = Math.max(maxAbs, Math.abs(v));
            double bound = 2 * LOGIT_TOLERANCE * maxAbs;
            double u = r.options().isGreedy() ? 0 : uniformAt(r.options().seed(), j);
            Sampler sampler = new Sampler(r.options());
            for (int a : gotChoices) {
                for (int b : wantChoices) {
                    double gap = Math.abs((double) z[a] - z[b]);
                    boolean nearTie = gap <= bound;
                    if (!r.options().isGreedy()) {
                        double eta = 2 * bound / r.options().temperature();
                        nearTie |= sampler.sample(z, 0, z.length, Math.max(0, u - eta)) == a
                                || sampler.sample(z, 0, z.length, Math.min(Math.nextDown(1.0), u + eta)) == a;
                    }
                    if (nearTie) {
                        System.out.printf("  %s: %d tokens agree, then a near-tie (batched %d, alone %d, logit gap %.3e,"
                                + " bound %.3e); comparison ends%n", r.name(), j, a, b, gap, bound);
                        return j;
                    }
                }
            }
            fail(String.format("%s: batched %s (%s) and alone %s (%s) part at token %d beyond a near-tie (bound %.3e)",
                    r.name(), Arrays.toString(g), got.stopReason(), Arrays.toString(w), want.stopReason(), j, bound));
            return j;
        }

        /** The token picked at step j: the generated one, or eos / end_of_turn when the sequence ended there. */
        private int[] choicesAt(int[] tokens, int j, StopReason reason) {
            if (j < tokens.length) return new int[] {tokens[j]};
            if (reason == StopReason.END_OF_SEQUENCE) return new int[] {tokenizer.eosId(), tokenizer.endOfTurnId()};
            return new int[0];
        }

        /** The uniform number a sampler of this seed draws for token j (one draw per token). */
        private static double uniformAt(long seed, int j) {
            SplittableRandom random = new SplittableRandom(seed);
            double u = 0;
            for (int i = 0; i <= j; i++) u = random.nextDouble();
            return u;
        }

        @Override
        public void close() {
            backend.close();
            weights.close();
        }
    }

    static int[] randomPrompt(SplittableRandom rnd, int length) {
        return ForwardTest.randomTokens(rnd, length);
    }

    static GenerationOptions sampled(int maxNewTokens, float temperature, int topK, float topP, long seed) {
        return GenerationOptions.defaults().withMaxNewTokens(maxNewTokens).withTemperature(temperature).withTopK(topK).withTopP(topP).withSeed(seed);
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    static Throwable failureOf(CompletableFuture<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS));
        return e.getCause();
    }

    /**
     * Four threads generate at once (different prompts, lengths, max tokens, greedy and seeded sampling,
     * a stop string) on a model of maxSequences 4; each result equals the same request run alone, the
     * streamed text equals the result's text and arrives off the engine thread, and decode steps held
     * more than one sequence.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void concurrentGenerateCallsEqualEachCallAlone(String model) throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.concurrentGenerateCallsEqualEachCallAlone " + model + " seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Gemma gemma = Gemma.load(model, LoadOptions.cpu().withMaxSequences(4), Gemma.LoadMonitor.SILENT);
             Reference ref = new Reference(model, 0)) {
            List<Request> requests = List.of(
                    new Request("greedy-text", gemma.tokenizer().encodeWithBos("The quick brown fox"), GenerationOptions.greedy(24)),
                    new Request("top-k", randomPrompt(rnd, 5), sampled(30, 0.9f, 50, 1f, rnd.nextLong())),
                    new Request("greedy-stop", randomPrompt(rnd, 17),
                            GenerationOptions.greedy(12).withStopStrings(List.of("\n\n", "the"))),
                    new Request("top-p", randomPrompt(rnd, 9), sampled(20, 1.1f, 0, 0.9f, rnd.nextLong())));
            int threads = requests.size();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            Set<String> textThreads = ConcurrentHashMap.newKeySet();
            for (Request r : requests) {
                StringBuilder text = new StringBuilder();
                streamed.add(text);
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return gemma.generate(r.prompt(), r.options(), piece -> {
                        textThreads.add(Thread.currentThread().getName());
                        text.append(piece);
                    });
                }, Thread::startVirtualThread));
            }
            for (int i = 0; i < threads; i++) {
                Request r = requests.get(i);
                GenerationResult got = await(results.get(i));
                GenerationResult want = ref.alone(r);
                System.out.printf("  %-12s prompt %2d tokens: %2d new (%s), queue %.1f ms, prefill %.1f ms, decode %.1f ms%n",
                        r.name(), r.prompt().length, got.generatedTokens().length, got.stopReason(),
                        got.queueNanos() / 1e6, got.prefillNanos() / 1e6, got.decodeNanos() / 1e6);
                ref.assertSameAsAlone(r, got, want);
                assertEquals(got.text(), streamed.get(i).toString(), r.name() + ": streamed text");
                assertTrue(got.queueNanos() >= 0 && got.prefillNanos() > 0 && got.decodeNanos() >= 0, r.name() + " timings");
            }
            Batcher.Stats stats = gemma.batchStats();
            System.out.println("  stats " + stats);
            assertFalse(textThreads.contains("gemma4j-engine"), "onText ran on the engine thread: " + textThreads);
            assertEquals(threads, stats.prefills());
            assertTrue(stats.largestBatch() > 1 && stats.largestBatch() <= 4,
                    "the largest decode step held " + stats.largestBatch() + " sequences");
            assertTrue(stats.rowsDecoded() > stats.decodeSteps(), "no decode step held more than one sequence: " + stats);
        }
    }

    /**
     * Join and leave: A runs alone; B and C arrive after A has streamed three pieces (submitted from A's
     * onText, so the timing is exact); B joins A's decode steps while C waits for a free slot (maxSequences
     * 2) and runs after A or B leaves. All equal their runs alone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void sequencesJoinAndLeaveBetweenSteps(String model) throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.sequencesJoinAndLeaveBetweenSteps " + model + " seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Reference ref = new Reference(model, 0);
             CpuBackend backend = new CpuBackend(ref.weights);
             Batcher batcher = new Batcher(new Forward(backend), ref.tokenizer, 2)) {
            int context = ref.contextLength;
            Request a = new Request("A", randomPrompt(rnd, 6), GenerationOptions.greedy(40));
            Request b = new Request("B", randomPrompt(rnd, 11), sampled(16, 0.8f, 40, 0.95f, rnd.nextLong()));
            Request c = new Request("C", randomPrompt(rnd, 3), GenerationOptions.greedy(10));
            AtomicReference<CompletableFuture<GenerationResult>> futureB = new AtomicReference<>();
            AtomicReference<CompletableFuture<GenerationResult>> futureC = new AtomicReference<>();
            AtomicInteger pieces = new AtomicInteger();
            CompletableFuture<GenerationResult> futureA = batcher.submit(a.prompt(), a.options(), context, piece -> {
                if (pieces.incrementAndGet() == 3) {
                    futureB.set(batcher.submit(b.prompt(), b.options(), context, null));
                    futureC.set(batcher.submit(c.prompt(), c.options(), context, null));
                }
            });
            GenerationResult resultA = await(futureA);
            assertNotNull(futureB.get(), "A ended after " + pieces.get() + " text pieces, before B and C were submitted");
            GenerationResult resultB = await(futureB.get());
            GenerationResult resultC = await(futureC.get());
            for (var pair : List.of(List.of(a, resultA), List.of(b, resultB), List.of(c, resultC))) {
                Request r = (Request) pair.get(0);
                GenerationResult got = (GenerationResult) pair.get(1);
                System.out.printf("  %s: %d new (%s), queue %.1f ms%n", r.name(), got.generatedTokens().length,
                        got.stopReason(), got.queueNanos() / 1e6);
                ref.assertSameAsAlone(r, got, ref.alone(r));
            }
            Batcher.Stats stats = batcher.stats();
            System.out.println("  stats " + stats);
            assertEquals(3, stats.prefills());
            assertEquals(2, stats.largestBatch(), "B must join A's steps, and C must wait (max 2 sequences)");
            assertTrue(resultC.queueNanos() > resultB.queueNanos(),
                    "C waited " + resultC.queueNanos() + " ns for a slot, B " + resultB.queueNanos() + " ns");
        }
    }

    /**
     * Among concurrent calls, a bad prompt (an id outside the vocabulary, a prompt that fills the context)
     * fails that call at once, and an onText that throws fails only its own call; the others equal their
     * runs alone and the bad calls ran nothing.
     */
    @Test
    void badRequestsFailOnlyThemselves() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.badRequestsFailOnlyThemselves seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int context = 64;
        try (Gemma gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withMaxSequences(3).withContextLength(context),
                Gemma.LoadMonitor.SILENT);
             Reference ref = new Reference("tiny-mqa", context)) {
            int vocab = gemma.config().vocabSize();
            Request good1 = new Request("good-1", randomPrompt(rnd, 7), GenerationOptions.greedy(20));
            Request good2 = new Request("good-2", randomPrompt(rnd, 4), sampled(20, 1f, 0, 1f, rnd.nextLong()));
            int[] outside = randomPrompt(rnd, 5);
            outside[3] = vocab;
            Request badId = new Request("bad-id", outside, GenerationOptions.greedy(5));
            Request tooLong = new Request("too-long", randomPrompt(rnd, context), GenerationOptions.greedy(5));
            Request throwing = new Request("throwing", randomPrompt(rnd, 8), GenerationOptions.greedy(30));
            RuntimeException callerBug = new IllegalStateException("onText failed on purpose");
            AtomicInteger pieces = new AtomicInteger();

            CyclicBarrier start = new CyclicBarrier(5);
            List<CompletableFuture<GenerationResult>> calls = new ArrayList<>();
            for (Request r : List.of(good1, badId, throwing, tooLong, good2)) {
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return gemma.generate(r.prompt(), r.options(), r == throwing ? piece -> {
                        if (pieces.incrementAndGet() == 2) throw callerBug;
                    } : null);
                }, Thread::startVirtualThread));
            }
            Throwable id = failureOf(calls.get(1));
            assertInstanceOf(IllegalArgumentException.class, id);
            assertTrue(id.getMessage().contains("outside the vocabulary"), id.getMessage());
            Throwable length = failureOf(calls.get(3));
            assertInstanceOf(IllegalArgumentException.class, length);
            assertTrue(length.getMessage().contains("no room"), length.getMessage());
            assertSame(callerBug, failureOf(calls.get(2)));
            System.out.println("  rejected: " + id.getMessage() + "; " + length.getMessage());
            ref.assertSameAsAlone(good1, await(calls.get(0)), ref.alone(good1));
            ref.assertSameAsAlone(good2, await(calls.get(4)), ref.alone(good2));
            Batcher.Stats stats = gemma.batchStats();
            System.out.println("  stats " + stats);
            assertEquals(3, stats.prefills(), "only the three good prompts ran");
            // The model still serves calls after the failures.
            ref.assertSameAsAlone(good1, gemma.generate(good1.prompt(), good1.options()), ref.alone(good1));
        }
    }

    /**
     * close() with work queued: the waiting requests fail with a message saying the model was closed, the
     * running one is cancelled with its cache closed, and later calls are refused.
     */
    @Test
    void closeFailsQueuedRequestsAndCancelsRunningOnes() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.closeFailsQueuedRequestsAndCancelsRunningOnes seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Reference ref = new Reference("tiny-mqa", 0);
             CpuBackend backend = new CpuBackend(ref.weights)) {
            Batcher batcher = new Batcher(new Forward(backend), ref.tokenizer, 1);
            int context = ref.contextLength;
            Request a = new Request("A", randomPrompt(rnd, 5), GenerationOptions.greedy(20));
            List<CompletableFuture<GenerationResult>> queued = new ArrayList<>();
            CountDownLatch submitted = new CountDownLatch(1);
            CountDownLatch closing = new CountDownLatch(1);
            AtomicInteger pieces = new AtomicInteger();
            CompletableFuture<GenerationResult> running = batcher.submit(a.prompt(), a.options(), context, piece -> {
                if (pieces.incrementAndGet() == 1) {
                    queued.add(batcher.submit(randomPrompt(new SplittableRandom(seed), 4), GenerationOptions.greedy(5), context, null));
                    queued.add(batcher.submit(randomPrompt(new SplittableRandom(seed + 1), 9), GenerationOptions.greedy(5), context, null));
                    submitted.countDown();
                    try {
                        // Hold A's step until close() has failed the queue, so A is surely still running.
                        assertTrue(closing.await(WAIT_SECONDS, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            assertTrue(submitted.await(WAIT_SECONDS, TimeUnit.SECONDS), "A streamed no text");
            CompletableFuture<Void> close = CompletableFuture.runAsync(batcher::close, Thread::startVirtualThread);
            for (CompletableFuture<GenerationResult> q : queued) {
                Throwable e = failureOf(q);
                assertInstanceOf(IllegalStateException.class, e);
                assertTrue(e.getMessage().contains("the model was closed"), e.getMessage());
                System.out.println("  queued request: " + e.getMessage());
            }
            closing.countDown();
            await(close);
            CancellationException cancelled = assertThrows(CancellationException.class,
                    () -> running.get(WAIT_SECONDS, TimeUnit.SECONDS));
            // get() rethrows the future's CancellationException as the cause of a new one.
            Throwable why = cancelled.getCause() == null ? cancelled : cancelled.getCause();
            assertTrue(why.getMessage().contains("closed while this request ran"), why.getMessage());
            assertEquals(0, batcher.running());
            assertTrue(pieces.get() < 20, "A ran to its end: " + pieces.get() + " pieces");
            IllegalStateException after = assertThrows(IllegalStateException.class,
                    () -> batcher.submit(a.prompt(), a.options(), context, null));
            assertTrue(after.getMessage().contains("closed"), after.getMessage());
            assertThrows(IllegalStateException.class, () -> batcher.call(f -> 1));
            batcher.close();
        }
    }

    /**
     * A backend whose decode steps give the sequence of the {@code poisoned}-th cache (0-based) NaN
     * logits from its {@code atPosition}-th position on, as a row whose activations overflowed would.
     */
    private static final class NanRowBackend extends DelegatingBackend {
        final int poisoned;
        final int atPosition;
        final List<KvCache> opened = new ArrayList<>();

        NanRowBackend(Backend inner, int poisoned, int atPosition) {
            super(inner);
            this.poisoned = poisoned;
            this.atPosition = atPosition;
        }

        @Override public KvCache newCache(int capacity) {
            KvCache cache = inner.newCache(capacity);
            opened.add(cache);
            return cache;
        }

        @Override public int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
            int vocab = config().vocabSize();
            float[] logits = new Forward(inner).decode(tokens, caches, positions, null);
            for (int b = 0; b < caches.length; b++) {
                if (opened.size() > poisoned && caches[b] == opened.get(poisoned) && positions[b] >= atPosition) {
                    Arrays.fill(logits, b * vocab, (b + 1) * vocab, Float.NaN);
                }
            }
            return Sampler.sampleRows(logits, samplers, vocab);
        }
    }

    /**
     * A decode row whose logits hold a NaN fails only its own request (with the row named); the
     * other requests in the same steps finish as they do alone, and the engine goes on serving.
     */
    @Test
    void aNanRowFailsOnlyItsRequest() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.aNanRowFailsOnlyItsRequest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Reference ref = new Reference("tiny-mha", 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            Request a = new Request("A", randomPrompt(rnd, 5), GenerationOptions.greedy(12));
            Request b = new Request("B", randomPrompt(rnd, 4), GenerationOptions.greedy(12));
            Request c = new Request("C", randomPrompt(rnd, 6), sampled(12, 0.8f, 20, 0.9f, rnd.nextLong()));
            NanRowBackend nan = new NanRowBackend(cpu, 1, 4 + 3);
            try (Batcher batcher = new Batcher(new Forward(nan), ref.tokenizer, 3)) {
                List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
                for (Request r : List.of(a, b, c)) futures.add(batcher.submit(r.prompt(), r.options(), ref.contextLength, null));
                Throwable failed = failureOf(futures.get(1));
                System.out.println("  B: " + failed.getMessage());
                assertInstanceOf(ArithmeticException.class, failed);
                assertTrue(failed.getMessage().contains("of the decode batch") && failed.getMessage().contains("NaN"),
                        failed.getMessage());
                ref.assertSameAsAlone(a, await(futures.get(0)), ref.alone(a));
                ref.assertSameAsAlone(c, await(futures.get(2)), ref.alone(c));
                Batcher.Stats stats = batcher.stats();
                System.out.println("  stats " + stats);
                assertTrue(stats.largestBatch() == 3, "B failed in a step of three rows: " + stats);
                ref.assertSameAsAlone(a, await(batcher.submit(a.prompt(), a.options(), ref.contextLength, null)),
                        ref.alone(a));
            }
        }
    }

    /** A backend whose decode step fails once it holds {@code failAtRows} sequences. */
    /** A backend whose decode step of {@code failAtRows} rows throws {@code failure}, a device fault when {@code fatal}. */
    private static final class FailingBackend extends DelegatingBackend {
        final int failAtRows;
        final RuntimeException failure;
        final boolean fatal;

        FailingBackend(Backend inner, int failAtRows, RuntimeException failure, boolean fatal) {
            super(inner);
            this.failAtRows = failAtRows;
            this.failure = failure;
            this.fatal = fatal;
        }

        @Override public int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
            if (tokens.length == failAtRows) throw failure;
            return inner.decodeStep(tokens, caches, positions, samplers);
        }

        @Override public boolean isDeviceFault(Throwable t) {
            return fatal && t == failure;
        }
    }

    /**
     * A device fault inside a decode step fails every active and waiting request with that exception;
     * the batcher then refuses new work, naming the failure and saying to load the model again.
     */
    @Test
    void deviceFaultFailsEveryRequest() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.deviceFaultFailsEveryRequest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        RuntimeException failure = new IllegalStateException("decode step failed on purpose");
        try (Reference ref = new Reference("tiny-mha", 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            Batcher batcher = new Batcher(new Forward(new FailingBackend(cpu, 3, failure, true)), ref.tokenizer, 3);
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                futures.add(batcher.submit(randomPrompt(rnd, 3 + 2 * i), GenerationOptions.greedy(30), ref.contextLength, null));
            }
            for (CompletableFuture<GenerationResult> f : futures) assertSame(failure, failureOf(f));
            Batcher.Stats stats = batcher.stats();
            System.out.println("  stats " + stats);
            assertEquals(3, stats.prefills(), "three requests were active, the fourth waiting");
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> batcher.submit(new int[] {2, 5}, GenerationOptions.greedy(2), ref.contextLength, null));
            assertSame(failure, refused.getCause());
            assertTrue(refused.getMessage().contains("load it again"), refused.getMessage());
            System.out.println("  then: " + refused.getMessage());
            assertThrows(IllegalStateException.class, () -> batcher.call(f -> 1));
            batcher.close();
        }
    }

    /**
     * A decode step that fails without a device fault fails the requests in that step only: the one
     * waiting meanwhile and later ones run to their end, with the tokens they have alone.
     */
    @Test
    void aFailedStepFailsItsRequestsOnly() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.aFailedStepFailsItsRequestsOnly seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        RuntimeException failure = new IllegalStateException("decode step failed on purpose");
        try (Reference ref = new Reference("tiny-mha", 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            Batcher batcher = new Batcher(new Forward(new FailingBackend(cpu, 3, failure, false)), ref.tokenizer, 3);
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                futures.add(batcher.submit(randomPrompt(rnd, 3 + 2 * i), GenerationOptions.greedy(30), ref.contextLength, null));
            }
            for (int i = 0; i < 3; i++) assertSame(failure, failureOf(futures.get(i)));
            int[] later = randomPrompt(rnd, 6);
            GenerationResult alone = await(batcher.submit(later, GenerationOptions.greedy(8), ref.contextLength, null));
            assertTrue(await(futures.get(3)).generatedTokens().length > 0, "the waiting request ran");
            try (Batcher solo = new Batcher(new Forward(cpu), ref.tokenizer, 1)) {
                assertArrayEquals(await(solo.submit(later, GenerationOptions.greedy(8), ref.contextLength, null))
                        .generatedTokens(), alone.generatedTokens());
            }
            batcher.close();
        }
    }

    /**
     * A request whose KV cache the backend refuses (here: no room, and a cache the heap cannot hold)
     * fails alone with the backend's error; the requests admitted around it run to their end.
     */
    @Test
    void aRefusedCacheFailsItsRequestOnly() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherTest.aRefusedCacheFailsItsRequestOnly seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Reference ref = new Reference("tiny-mqa", 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            RuntimeException noRoom = new IllegalStateException("no room for this cache, on purpose");
            Backend refusing = new DelegatingBackend(cpu) {
                @Override public KvCache newCache(int capacity) {
                    if (capacity == 4 + 20) throw noRoom;                       // prompt + max new tokens
                    if (capacity == 4 + 21) throw new OutOfMemoryError("Java heap space, on purpose");
                    return inner.newCache(capacity);
                }
            };
            try (Batcher batcher = new Batcher(new Forward(refusing), ref.tokenizer, 2)) {
                var ok1 = batcher.submit(randomPrompt(rnd, 4), GenerationOptions.greedy(12), ref.contextLength, null);
                var refused = batcher.submit(randomPrompt(rnd, 4), GenerationOptions.greedy(20), ref.contextLength, null);
                var oom = batcher.submit(randomPrompt(rnd, 4), GenerationOptions.greedy(21), ref.contextLength, null);
                var ok2 = batcher.submit(randomPrompt(rnd, 5), GenerationOptions.greedy(12), ref.contextLength, null);
                assertSame(noRoom, failureOf(refused));
                assertInstanceOf(OutOfMemoryError.class, failureOf(oom));
                assertTrue(await(ok1).generatedTokens().length > 0);
                assertTrue(await(ok2).generatedTokens().length > 0);
                assertTrue(await(batcher.submit(randomPrompt(rnd, 3), GenerationOptions.greedy(12),
                        ref.contextLength, null)).generatedTokens().length > 0, "later requests run");
            }
        }
    }
}
