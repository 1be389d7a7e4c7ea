package dev.gemma4j.bench;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.GemmaConfig;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Times one batch size on a backend: B sequences, each prefilled with its own prompt through
 * {@link Forward#run}, then decode steps that advance all B sequences in one
 * {@link Backend#decodeStep} call each, with greedy samplers. A warm-up (a short prefill and decode
 * steps of the same batch size in every form the timed steps will run, see
 * {@link Backend#decodeWarmUpPositions}) runs before the timed part; KV caches are closed after each.
 */
public final class Benchmark {
    /**
     * Decode steps of a warm-up at the timed steps' first positions (fewer when the run decodes fewer),
     * besides one at each other position where the backend's decode step changes form.
     */
    static final int WARM_UP_STEPS = 3;
    /**
     * Prompt tokens of a warm-up prefill. The first warm-up of a benchmark prefills a whole prompt
     * instead, so the prefill's shapes (GEMM kernels, chunking) have run once before any timing.
     */
    static final int WARM_UP_PROMPT_TOKENS = 8;

    private final Backend backend;
    private final Forward forward;
    private final int newTokens;
    private boolean warmedUp;

    /**
     * @param newTokens new tokens per sequence, at least 2: the first comes from the prefill, the
     *                  other {@code newTokens - 1} from timed decode steps
     */
    public Benchmark(Backend backend, int newTokens) {
        if (newTokens < 2) {
            throw new IllegalArgumentException("a benchmark needs at least 2 new tokens per sequence (the first"
                    + " comes from the prefill, the rest from timed decode steps), found " + newTokens);
        }
        this.backend = backend;
        this.forward = new Forward(backend);
        this.newTokens = newTokens;
    }

    /**
     * {@code count} prompts of {@code promptTokens} ids: BOS, then ids drawn uniformly from the ordinary
     * vocabulary (above the first 1,000 ids, where Gemma keeps its control tokens). Prompt b depends
     * only on (seed, b), so a batch of B takes the first B prompts of any larger set.
     */
    public static int[][] prompts(GemmaConfig c, int count, int promptTokens, long seed) {
        if (count < 1 || promptTokens < 1) {
            throw new IllegalArgumentException("prompts need a count and a length of at least 1, found " + count
                    + " prompts of " + promptTokens + " tokens");
        }
        int low = Math.min(1000, c.vocabSize() / 4);
        int[][] prompts = new int[count][promptTokens];
        for (int b = 0; b < count; b++) {
            SplittableRandom rnd = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * b);
            prompts[b][0] = c.bosTokenId();
            for (int i = 1; i < promptTokens; i++) prompts[b][i] = low + rnd.nextInt(c.vocabSize() - low);
        }
        return prompts;
    }

    /** What a warm-up runs, for reports. */
    public static String warmUpDescription() {
        return "before each batch size: one prefill of the first sequence (a whole prompt the first time, then "
                + WARM_UP_PROMPT_TOKENS + " tokens, then as far as the furthest warm-up position) and decode steps of "
                + "the whole batch, the first sequence at up to " + WARM_UP_STEPS + " of the timed steps' first "
                + "positions and at each position where the backend's decode step changes form (on CUDA, another "
                + "graph), so that no timed step captures a graph";
    }

    /**
     * Progress steps {@link #run} reports for a batch of {@code batch} prompts of {@code promptTokens}:
     * the warm-up's prefill and decode steps, one per prefill, one per decode step.
     */
    public int steps(int batch, int promptTokens) {
        return 1 + warmUpPositions(batch, promptTokens).length + batch + (newTokens - 1);
    }

    /**
     * Warms up, then times a batch of {@code prompts.length} sequences, one prompt each (all of one
     * length). Each sequence's KV cache holds {@code prompt + newTokens} tokens.
     *
     * @param onStep after each prefill and each decode step, warm-up included (for a progress bar)
     * @param memory read after the last decode step, before the caches close; null for none
     */
    public BatchRun run(int[][] prompts, Runnable onStep, Supplier<BatchRun.MemoryUse> memory) {
        int batch = prompts.length;
        if (batch < 1) throw new IllegalArgumentException("a batch needs at least one prompt");
        int promptTokens = prompts[0].length;
        for (int b = 0; b < batch; b++) {
            if (prompts[b].length != promptTokens || promptTokens < 1) {
                throw new IllegalArgumentException("every prompt of a batch needs the same length of at least 1 token;"
                        + " prompt 0 has " + promptTokens + ", prompt " + b + " has " + prompts[b].length);
            }
        }
        int context = promptTokens + newTokens;
        int vocab = backend.config().vocabSize();
        Sampler[] samplers = new Sampler[batch];
        for (int b = 0; b < batch; b++) samplers[b] = new Sampler(GenerationOptions.greedy(newTokens));
        warmUp(prompts, context, samplers, onStep);

        int[][] tokens = new int[batch][newTokens];      // [batch][newTokens]
        try (Caches caches = Caches.open(backend, batch, context)) {
            int[] next = new int[batch];
            long t0 = System.nanoTime();
            long firstToken = t0;
            for (int b = 0; b < batch; b++) {
                float[] logits = forward.run(prompts[b], caches.all[b], 0, 1);
                next[b] = samplers[b].sample(logits, 0, vocab);
                tokens[b][0] = next[b];
                if (b == 0) firstToken = System.nanoTime();
                onStep.run();
            }
            long t1 = System.nanoTime();
            for (int s = 1; s < newTokens; s++) {
                int[] positions = new int[batch];
                Arrays.fill(positions, promptTokens + s - 1);
                next = backend.decodeStep(next, caches.all, positions, samplers);
                for (int b = 0; b < batch; b++) tokens[b][s] = next[b];
                onStep.run();
            }
            long t2 = System.nanoTime();
            BatchRun.MemoryUse used = memory == null ? null : memory.get();
            return new BatchRun(batch, promptTokens, newTokens, (firstToken - t0) / 1e9, (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9, tokens, used);
        }
    }

    /**
     * Prefills {@code prompts.length} sequences, then runs {@code steps} decode steps of all of them
     * between {@code start} and {@code stop}, and returns what {@code stop} returns: a profile of
     * those steps alone.
     */
    public <R> R profile(int[][] prompts, int steps, Runnable start, Supplier<R> stop) {
        if (steps < 1) throw new IllegalArgumentException("a profile needs at least 1 decode step, found " + steps);
        int batch = prompts.length;
        int promptTokens = prompts[0].length;
        int vocab = backend.config().vocabSize();
        Sampler[] samplers = new Sampler[batch];
        for (int b = 0; b < batch; b++) samplers[b] = new Sampler(GenerationOptions.greedy(steps + 1));
        try (Caches caches = Caches.open(backend, batch, promptTokens + steps + 1)) {
            int[] next = new int[batch];
            for (int b = 0; b < batch; b++) {
                next[b] = samplers[b].sample(forward.run(prompts[b], caches.all[b], 0, 1), 0, vocab);
            }
            start.run();
            for (int s = 0; s < steps; s++) {
                int[] positions = new int[batch];
                Arrays.fill(positions, promptTokens + s);
                next = backend.decodeStep(next, caches.all, positions, samplers);
            }
            return stop.get();
        }
    }

    /**
     * The first sequence's positions in the warm-up's decode steps, ascending: the timed steps' first
     * {@link #WARM_UP_STEPS}, and every position of the timed steps ({@code [prompt, prompt + newTokens
     * - 2]}) where the backend's decode step changes form.
     */
    private int[] warmUpPositions(int batch, int promptTokens) {
        int first = promptTokens, last = promptTokens + newTokens - 2;
        TreeSet<Integer> positions = new TreeSet<>();
        for (int p = first; p <= last && p < first + WARM_UP_STEPS; p++) positions.add(p);
        for (int p : backend.decodeWarmUpPositions(batch, first, last)) positions.add(p);
        return positions.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Prefills the first sequence (a whole prompt the first time, else a few tokens, then filler
     * tokens up to the furthest warm-up position, so that every key it attends is written), then runs
     * one decode step of the whole batch per warm-up position: the first sequence at that position,
     * the others from position 0 with their prompts' first token. Positions stay below
     * {@code prompt + newTokens - 1}, inside the caches.
     */
    private void warmUp(int[][] prompts, int context, Sampler[] samplers, Runnable onStep) {
        int batch = prompts.length;
        int promptTokens = prompts[0].length;
        int[] warmUpPositions = warmUpPositions(batch, promptTokens);
        int prefill = warmedUp ? Math.min(promptTokens, WARM_UP_PROMPT_TOKENS) : promptTokens;
        int furthest = warmUpPositions[warmUpPositions.length - 1];
        try (Caches caches = Caches.open(backend, batch, context)) {
            float[] logits = forward.run(Arrays.copyOf(prompts[0], prefill), caches.all[0], 0, 1);
            if (furthest > prefill) {
                int[] filler = new int[furthest - prefill];
                for (int i = 0; i < filler.length; i++) filler[i] = prompts[0][(prefill + i) % promptTokens];
                logits = forward.run(filler, caches.all[0], prefill, 1);
            }
            onStep.run();
            int[] tokens = new int[batch];
            tokens[0] = samplers[0].sample(logits, 0, backend.config().vocabSize());
            for (int b = 1; b < batch; b++) tokens[b] = prompts[b][0];
            for (int s = 0; s < warmUpPositions.length; s++) {
                int[] positions = new int[batch];
                Arrays.fill(positions, s);
                positions[0] = warmUpPositions[s];
                tokens = backend.decodeStep(tokens, caches.all, positions, samplers);
                onStep.run();
            }
        }
        warmedUp = true;
    }

    /** The KV caches of one batch, closed together. */
    private record Caches(KvCache[] all) implements AutoCloseable {
        static Caches open(Backend backend, int count, int capacity) {
            KvCache[] all = new KvCache[count];
            try {
                for (int b = 0; b < count; b++) all[b] = backend.newCache(capacity);
            } catch (RuntimeException | Error e) {
                new Caches(all).closeAfter(e);
                throw e;
            }
            return new Caches(all);
        }

        private void closeAfter(Throwable failure) {
            for (KvCache c : all) {
                if (c == null) continue;
                try {
                    c.close();
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
        }

        @Override
        public void close() {
            RuntimeException failure = null;
            for (KvCache c : all) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                    else failure.addSuppressed(e);
                }
            }
            if (failure != null) throw failure;
        }
    }
}
