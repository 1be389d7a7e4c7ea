package dev.gemma4j.engine;

import static dev.gemma4j.engine.BatcherTest.await;
import static dev.gemma4j.engine.BatcherTest.randomPrompt;
import static dev.gemma4j.engine.BatcherTest.sampled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationResult.StopReason;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.engine.BatcherTest.Reference;
import dev.gemma4j.engine.BatcherTest.Request;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chunked prefill in {@link Batcher} on the CPU backend: a prompt runs a chunk per engine turn, decode steps
 * of the other sequences run between its chunks, and the results equal the same requests run alone.
 */
class BatcherChunkedPrefillTest {
    private static final int CHUNK = 4;

    /** What the engine asked of the backend, in order. */
    sealed interface Event permits Opened, Closed, Chunk, Logits, Decode {}

    /** A KV cache was made. */
    record Opened(KvCache cache) implements Event {}

    /** A KV cache was closed. */
    record Closed(KvCache cache) implements Event {}

    /** One batch of a {@link Forward#run}: {@code tokens} tokens at positions from {@code startPos}. */
    record Chunk(KvCache cache, int startPos, int tokens) implements Event {}

    /** Logit rows were read after a batch. */
    record Logits(int rows) implements Event {}

    /** One {@link Backend#decodeStep} over these caches. */
    record Decode(List<KvCache> caches) implements Event {}

    /**
     * Records every cache made and closed, every prefill batch, logit read and decode step. Caches are
     * handed out wrapped (so their closing is seen) and unwrapped before they reach the CPU backend.
     */
    private static final class RecordingBackend extends DelegatingBackend {
        final List<Event> events = new CopyOnWriteArrayList<>();
        /** Runs on the engine thread when a prefill batch starts (its first attention block). */
        volatile Consumer<Chunk> onChunk = c -> {};
        private int embedded;

        private final class Tracked implements KvCache {
            final KvCache cache;

            Tracked(KvCache cache) {
                this.cache = cache;
            }

            @Override public int capacity() { return cache.capacity(); }

            @Override public void close() {
                events.add(new Closed(this));
                cache.close();
            }
        }

        RecordingBackend(Backend inner) {
            super(inner);
        }

        private static KvCache unwrap(KvCache c) {
            return ((Tracked) c).cache;
        }

        @Override public KvCache newCache(int capacity) {
            KvCache c = new Tracked(inner.newCache(capacity));
            events.add(new Opened(c));
            return c;
        }

        @Override public void embed(int[] tokens) {
            embedded = tokens.length;
            inner.embed(tokens);
        }

        @Override public void attentionBlock(int layer, KvCache cache, int startPos) {
            if (layer == 0) {
                Chunk c = new Chunk(cache, startPos, embedded);
                events.add(c);
                onChunk.accept(c);
            }
            inner.attentionBlock(layer, unwrap(cache), startPos);
        }

        @Override public float[] logits(int firstRow, int rows) {
            events.add(new Logits(rows));
            return inner.logits(firstRow, rows);
        }

        @Override public void decodeAttentionBlock(int layer, KvCache[] caches, int[] positions) {
            throw new AssertionError("the batcher runs decode steps through decodeStep only");
        }

        @Override public int[] decodeStep(int[] tokens, KvCache[] caches, int[] positions, Sampler[] samplers) {
            events.add(new Decode(List.of(caches)));
            KvCache[] inners = new KvCache[caches.length];
            for (int b = 0; b < caches.length; b++) inners[b] = unwrap(caches[b]);
            return inner.decodeStep(tokens, inners, positions, samplers);
        }

        /** Each cache's chunks, caches in the order of their first chunk. */
        Map<KvCache, List<Chunk>> chunksByCache() {
            Map<KvCache, List<Chunk>> m = new LinkedHashMap<>();
            for (Event e : events) {
                if (e instanceof Chunk c) m.computeIfAbsent(c.cache(), k -> new ArrayList<>()).add(c);
            }
            return m;
        }

        /** The cache whose chunks hold {@code promptLength} tokens in all (prompt lengths differ in each test). */
        KvCache cacheOfPrompt(int promptLength) {
            for (var e : chunksByCache().entrySet()) {
                if (e.getValue().stream().mapToInt(Chunk::tokens).sum() == promptLength) return e.getKey();
            }
            throw new AssertionError("no cache ran a prompt of " + promptLength + " tokens: " + trace(Map.of()));
        }

        /** The events in one line, caches named by {@code names}: "A0+4 A4+2 L1 d[A] B0+4 d[A] ...". */
        String trace(Map<KvCache, String> names) {
            StringBuilder sb = new StringBuilder();
            for (Event e : events) {
                if (!sb.isEmpty()) sb.append(' ');
                switch (e) {
                    case Opened o -> sb.append("open:").append(names.getOrDefault(o.cache(), "?"));
                    case Closed c -> sb.append("close:").append(names.getOrDefault(c.cache(), "?"));
                    case Chunk c -> sb.append(names.getOrDefault(c.cache(), "?"))
                            .append(c.startPos()).append('+').append(c.tokens());
                    case Logits l -> sb.append('L').append(l.rows());
                    case Decode d -> sb.append("d")
                            .append(d.caches().stream().map(k -> names.getOrDefault(k, "?")).toList());
                }
            }
            return sb.toString();
        }
    }

    /** The chunks a prompt of {@code length} tokens must run as: positions 0, CHUNK, 2 CHUNK, ... */
    private static List<String> expectedChunks(int length) {
        List<String> want = new ArrayList<>();
        for (int p = 0; p < length; p += CHUNK) want.add(p + "+" + Math.min(CHUNK, length - p));
        return want;
    }

    private static List<String> chunksOf(RecordingBackend rec, KvCache cache) {
        return rec.chunksByCache().get(cache).stream().map(c -> c.startPos() + "+" + c.tokens()).toList();
    }

    /** Asserts the only logit read of {@code cache}'s prompt is one row, right after its last chunk. */
    private static void assertLogitsAfterLastChunkOnly(RecordingBackend rec, KvCache cache, String name) {
        List<Event> ev = rec.events;
        int chunks = 0, last = rec.chunksByCache().get(cache).size();
        for (int i = 0; i < ev.size(); i++) {
            if (ev.get(i) instanceof Chunk c && c.cache() == cache) {
                chunks++;
                Event next = i + 1 < ev.size() ? ev.get(i + 1) : null;
                if (chunks < last) {
                    assertFalse(next instanceof Logits, name + ": chunk " + chunks + " of " + last + " read logits");
                } else {
                    assertEquals(new Logits(1), next, name + ": its last chunk must read one logit row");
                }
            }
        }
    }

    /** Indexes in the event list of {@code cache}'s chunks. */
    private static List<Integer> chunkIndexes(RecordingBackend rec, KvCache cache) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < rec.events.size(); i++) {
            if (rec.events.get(i) instanceof Chunk c && c.cache() == cache) at.add(i);
        }
        return at;
    }

    /** The decode steps among events [from, to). */
    private static List<Decode> decodesBetween(RecordingBackend rec, int from, int to) {
        List<Decode> d = new ArrayList<>();
        for (int i = from; i < to; i++) {
            if (rec.events.get(i) instanceof Decode x) d.add(x);
        }
        return d;
    }

    /**
     * A request whose run alone makes all {@code maxNewTokens} tokens, so it is still decoding while later
     * requests prefill: random prompts of {@code length} tokens, the first that does.
     */
    private static Request longRunner(Reference ref, SplittableRandom rnd, String name, int length, int maxNewTokens) {
        for (int attempt = 0; attempt < 10; attempt++) {
            Request r = new Request(name, randomPrompt(rnd, length), GenerationOptions.greedy(maxNewTokens));
            if (ref.alone(r).stopReason() == StopReason.MAX_TOKENS) return r;
        }
        throw new AssertionError("10 random prompts ended before " + maxNewTokens + " tokens");
    }

    /**
     * A (6 tokens) decodes while B (30 tokens) and C (10 tokens), submitted together from A's onText, prefill
     * in chunks of 4: B's 8 chunks run first (the earliest admitted), then C's 3; exactly one decode step
     * holding A runs between every two of them; no sequence decodes before its last chunk, B joins the decode
     * step right after its last chunk, and all three results equal their runs alone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void decodeStepsRunBetweenTheChunksOfALongPrompt(String model) throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherChunkedPrefillTest.decodeStepsRunBetweenTheChunksOfALongPrompt " + model + " seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Reference ref = new Reference(model, 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            RecordingBackend rec = new RecordingBackend(cpu);
            Request a = longRunner(ref, rnd, "A", 6, 48);
            Request b = new Request("B", randomPrompt(rnd, 30), sampled(12, 0.9f, 40, 0.95f, rnd.nextLong()));
            Request c = new Request("C", randomPrompt(rnd, 10), GenerationOptions.greedy(8));
            GenerationResult resultA, resultB, resultC;
            Batcher.Stats stats;
            try (Batcher batcher = new Batcher(new Forward(rec), ref.tokenizer, 3, CHUNK)) {
                assertEquals(CHUNK, batcher.prefillChunk());
                int context = ref.contextLength;
                AtomicReference<CompletableFuture<GenerationResult>> futureB = new AtomicReference<>();
                AtomicReference<CompletableFuture<GenerationResult>> futureC = new AtomicReference<>();
                CompletableFuture<GenerationResult> futureA = batcher.submit(a.prompt(), a.options(), context, piece -> {
                    if (futureB.get() == null) {
                        futureB.set(batcher.submit(b.prompt(), b.options(), context, null));
                        futureC.set(batcher.submit(c.prompt(), c.options(), context, null));
                    }
                });
                resultA = await(futureA);
                assertNotNull(futureB.get(), "A streamed no text");
                resultB = await(futureB.get());
                resultC = await(futureC.get());
                stats = batcher.stats();
            }
            KvCache cacheA = rec.cacheOfPrompt(6), cacheB = rec.cacheOfPrompt(30), cacheC = rec.cacheOfPrompt(10);
            Map<KvCache, String> names = Map.of(cacheA, "A", cacheB, "B", cacheC, "C");
            System.out.println("  engine: " + rec.trace(names));
            System.out.println("  stats " + stats);
            for (var r : List.of(List.of(a, resultA), List.of(b, resultB), List.of(c, resultC))) {
                Request req = (Request) r.get(0);
                GenerationResult got = (GenerationResult) r.get(1);
                System.out.printf("  %s: prompt %d, %d new (%s), queue %.1f ms, prefill %.1f ms, decode %.1f ms%n",
                        req.name(), req.prompt().length, got.generatedTokens().length, got.stopReason(),
                        got.queueNanos() / 1e6, got.prefillNanos() / 1e6, got.decodeNanos() / 1e6);
                ref.assertSameAsAlone(req, got, ref.alone(req));
            }
            for (var e : names.entrySet()) {
                int length = e.getValue().equals("A") ? 6 : e.getValue().equals("B") ? 30 : 10;
                assertEquals(expectedChunks(length), chunksOf(rec, e.getKey()), e.getValue() + "'s chunks");
                assertLogitsAfterLastChunkOnly(rec, e.getKey(), e.getValue());
            }
            List<Integer> bc = new ArrayList<>(chunkIndexes(rec, cacheB));
            List<Integer> cAt = chunkIndexes(rec, cacheC);
            assertTrue(bc.getLast() < cAt.getFirst(), "C's chunks must wait for B's (B was admitted first)");
            bc.addAll(cAt);
            for (int i = 0; i + 1 < bc.size(); i++) {
                List<Decode> between = decodesBetween(rec, bc.get(i), bc.get(i + 1));
                assertEquals(1, between.size(), "decode steps between prompt chunks " + i + " and " + (i + 1));
                assertTrue(between.getFirst().caches().contains(cacheA),
                        "A must decode between prompt chunks " + i + " and " + (i + 1));
            }
            for (KvCache cache : List.of(cacheA, cacheB, cacheC)) {
                int lastChunk = chunkIndexes(rec, cache).getLast();
                for (Decode d : decodesBetween(rec, 0, lastChunk)) {
                    assertFalse(d.caches().contains(cache), names.get(cache) + " decoded before its prompt ended");
                }
            }
            if (resultB.generatedTokens().length > 0) {
                assertTrue(decodesBetween(rec, bc.get(7), rec.events.size()).getFirst().caches().contains(cacheB),
                        "B must join the decode step right after its last chunk");
            }
            assertEquals(3, stats.prefills());
            assertEquals(2 + 8 + 3, stats.prefillChunks(), "chunks of 4: 6, 30 and 10 tokens");
            long opened = rec.events.stream().filter(e -> e instanceof Opened).count();
            long closed = rec.events.stream().filter(e -> e instanceof Closed).count();
            assertEquals(3, opened);
            assertEquals(3, closed, "every cache is closed when its sequence ends");
        }
    }

    /**
     * Prompts of 8 tokens (two whole chunks), 4 (one whole chunk) and 1 token, submitted together: each runs
     * as its whole chunks (the last one short or not), reads one logit row after its last chunk only, and
     * gives the result of its run alone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-mha"})
    void promptsOfWholeChunksAndOfOneToken(String model) throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherChunkedPrefillTest.promptsOfWholeChunksAndOfOneToken " + model + " seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Reference ref = new Reference(model, 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            RecordingBackend rec = new RecordingBackend(cpu);
            List<Request> requests = List.of(
                    new Request("eight", randomPrompt(rnd, 8), GenerationOptions.greedy(10)),
                    new Request("four", randomPrompt(rnd, 4), sampled(10, 0.8f, 0, 0.9f, rnd.nextLong())),
                    new Request("one", randomPrompt(rnd, 1), sampled(10, 1f, 30, 1f, rnd.nextLong())));
            List<GenerationResult> results = new ArrayList<>();
            Batcher.Stats stats;
            try (Batcher batcher = new Batcher(new Forward(rec), ref.tokenizer, 3, CHUNK)) {
                List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
                for (Request r : requests) futures.add(batcher.submit(r.prompt(), r.options(), ref.contextLength, null));
                for (CompletableFuture<GenerationResult> f : futures) results.add(await(f));
                stats = batcher.stats();
            }
            Map<KvCache, String> names = new LinkedHashMap<>();
            for (Request r : requests) names.put(rec.cacheOfPrompt(r.prompt().length), r.name());
            System.out.println("  engine: " + rec.trace(names));
            System.out.println("  stats " + stats);
            for (int i = 0; i < requests.size(); i++) {
                Request r = requests.get(i);
                KvCache cache = rec.cacheOfPrompt(r.prompt().length);
                assertEquals(expectedChunks(r.prompt().length), chunksOf(rec, cache), r.name() + "'s chunks");
                assertLogitsAfterLastChunkOnly(rec, cache, r.name());
                GenerationResult got = results.get(i);
                System.out.printf("  %s: %d new (%s)%n", r.name(), got.generatedTokens().length, got.stopReason());
                ref.assertSameAsAlone(r, got, ref.alone(r));
            }
            assertEquals(2 + 1 + 1, stats.prefillChunks());
            assertEquals(3, stats.prefills());
        }
    }

    /**
     * B (30 tokens) is cancelled while its third chunk runs: at the start of the next turn it leaves, its
     * cache closed, and C, which waited for a slot (maxSequences 2), is admitted at once. B never decodes;
     * A and C equal their runs alone, and every cache made is closed.
     */
    @Test
    void cancellingAPrefillingRequestFreesItsCache() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatcherChunkedPrefillTest.cancellingAPrefillingRequestFreesItsCache seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Reference ref = new Reference("tiny-mqa", 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            RecordingBackend rec = new RecordingBackend(cpu);
            Request a = longRunner(ref, rnd, "A", 6, 40);
            Request b = new Request("B", randomPrompt(rnd, 30), GenerationOptions.greedy(10));
            Request c = new Request("C", randomPrompt(rnd, 5), sampled(10, 0.9f, 0, 0.95f, rnd.nextLong()));
            GenerationResult resultA, resultC;
            Batcher.Stats stats;
            AtomicReference<CompletableFuture<GenerationResult>> futureB = new AtomicReference<>();
            AtomicReference<CompletableFuture<GenerationResult>> futureC = new AtomicReference<>();
            // Only B's chunks start at position 8 (A has 6 prompt tokens, C 5).
            rec.onChunk = chunk -> {
                if (chunk.startPos() == 8) assertTrue(futureB.get().cancel(false));
            };
            try (Batcher batcher = new Batcher(new Forward(rec), ref.tokenizer, 2, CHUNK)) {
                int context = ref.contextLength;
                CompletableFuture<GenerationResult> futureA = batcher.submit(a.prompt(), a.options(), context, piece -> {
                    if (futureB.get() == null) {
                        futureB.set(batcher.submit(b.prompt(), b.options(), context, null));
                        futureC.set(batcher.submit(c.prompt(), c.options(), context, null));
                    }
                });
                resultA = await(futureA);
                assertNotNull(futureB.get(), "A streamed no text");
                resultC = await(futureC.get());
                stats = batcher.stats();
            }
            assertThrows(CancellationException.class, () -> await(futureB.get()));
            KvCache cacheA = rec.cacheOfPrompt(6), cacheC = rec.cacheOfPrompt(5);
            KvCache cacheB = null;
            for (KvCache k : rec.chunksByCache().keySet()) if (k != cacheA && k != cacheC) cacheB = k;
            assertNotNull(cacheB, "B ran no chunk");
            Map<KvCache, String> names = Map.of(cacheA, "A", cacheB, "B", cacheC, "C");
            System.out.println("  engine: " + rec.trace(names));
            System.out.println("  stats " + stats);
            assertEquals(List.of("0+4", "4+4", "8+4"), chunksOf(rec, cacheB), "B's chunks up to its cancellation");
            int lastB = chunkIndexes(rec, cacheB).getLast();
            int closedB = rec.events.indexOf(new Closed(cacheB));
            int openedC = rec.events.indexOf(new Opened(cacheC));
            assertTrue(closedB > lastB, "B's cache must be closed after its third chunk");
            assertEquals(List.of(new Decode(List.of(cacheA))), rec.events.subList(lastB + 1, closedB),
                    "the rest of B's last turn: one decode step of A; B leaves at the start of the next");
            assertEquals(closedB + 1, openedC, "C takes the freed slot in the turn B leaves");
            for (Decode d : decodesBetween(rec, 0, rec.events.size())) {
                assertFalse(d.caches().contains(cacheB), "B decoded");
            }
            ref.assertSameAsAlone(a, resultA, ref.alone(a));
            ref.assertSameAsAlone(c, resultC, ref.alone(c));
            assertEquals(3, stats.prefills());
            assertEquals(2 + 3 + 2, stats.prefillChunks(), "A's 2 chunks, B's 3, C's 2");
            for (Event e : rec.events) {
                if (e instanceof Opened o) {
                    assertTrue(rec.events.contains(new Closed(o.cache())), "a cache was never closed");
                }
            }
        }
    }

    /** A prefill chunk below one token is refused. */
    @Test
    void prefillChunkBelowOneIsRefused() {
        try (Reference ref = new Reference("tiny-mqa", 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Batcher(new Forward(cpu), ref.tokenizer, 2, 0));
            assertTrue(e.getMessage().contains("found 0"), e.getMessage());
        }
    }

    /** The default chunk is the backend's batch limit, capped at 512. */
    @Test
    void defaultPrefillChunkIsTheBatchLimitCappedAt512() {
        try (Reference ref = new Reference("tiny-mqa", 0);
             CpuBackend cpu = new CpuBackend(ref.weights)) {
            try (Batcher unlimited = new Batcher(new Forward(cpu), ref.tokenizer, 1)) {
                assertEquals(Integer.MAX_VALUE, cpu.maxBatchTokens(), "the CPU backend has no batch limit");
                assertEquals(512, unlimited.prefillChunk());
            }
            Backend limited = new DelegatingBackend(cpu) {
                @Override public int maxBatchTokens() { return 96; }
            };
            try (Batcher batcher = new Batcher(new Forward(limited), ref.tokenizer, 1)) {
                assertEquals(96, batcher.prefillChunk());
            }
        }
    }
}
