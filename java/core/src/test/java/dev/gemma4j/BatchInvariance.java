package dev.gemma4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Runs seeded requests of every kind (greedy, temperature, top-k, top-p, both, each with its own seed and
 * prompt length, some recording log-probabilities) first one by one, then all at once, and counts those
 * whose tokens or log-probabilities differ. Concurrently they join and leave the decode batch at
 * different steps and their prompts are prefilled between other sequences' steps, so each row meets
 * batches of many sizes and make-ups; any arithmetic of a row that depended on them would show as a
 * changed logit.
 */
public final class BatchInvariance {
    private BatchInvariance() {}

    private record Request(int[] prompt, GenerationOptions options) {}

    /** What {@link #run} found. */
    public record Outcome(int requests, int differ, int largestBatch) {}

    /** What runs the requests: an engine that batches concurrent submissions. */
    public interface Engine {
        CompletableFuture<GenerationResult> submit(int[] prompt, GenerationOptions options);

        /** The most sequences one decode step has held so far. */
        int largestBatch();
    }

    private static List<Request> requests(int count, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + r.nextInt(40)];
            prompt[0] = 2;
            for (int j = 1; j < prompt.length; j++) prompt[j] = 3 + r.nextInt(vocab - 3);
            // Half short, half long: the long ones decode in batches of 8 rows and more (MatMul's tiled path).
            int newTokens = r.nextBoolean() ? 2 + r.nextInt(4) : 10 + r.nextInt(8);
            GenerationOptions o = GenerationOptions.defaults().withMaxNewTokens(newTokens).withSeed(r.nextLong());
            o = switch (i % 5) {
                case 0 -> o;
                case 1 -> o.withTemperature(0.5f + (float) r.nextDouble(1.5));
                case 2 -> o.withTemperature(0.9f).withTopK(1 + r.nextInt(100));
                case 3 -> o.withTemperature(1.2f).withTopP(0.5f + (float) r.nextDouble(0.5));
                default -> o.withTemperature(0.8f).withTopK(40).withTopP(0.9f);
            };
            if (i % 4 == 3) o = o.withTopLogprobs(3);
            out.add(new Request(prompt, o));
        }
        return out;
    }

    /** {@link #run(Engine, int, int, long)} on a loaded model. */
    public static Outcome run(Gemma gemma, int count, long seed) throws Exception {
        Engine engine = new Engine() {
            @Override
            public CompletableFuture<GenerationResult> submit(int[] prompt, GenerationOptions options) {
                return gemma.generateAsync(prompt, options);
            }

            @Override
            public int largestBatch() {
                return gemma.batchStats().largestBatch();
            }
        };
        return run(engine, count, gemma.config().vocabSize(), seed);
    }

    /**
     * {@code count} requests of {@code seed}, prompts of ids below {@code vocab}, on {@code engine} (which
     * takes at least {@code count} sequences at once).
     */
    public static Outcome run(Engine engine, int count, int vocab, long seed) throws Exception {
        List<Request> requests = requests(count, vocab, seed);
        long t0 = System.nanoTime();
        List<GenerationResult> solo = new ArrayList<>();
        for (Request q : requests) solo.add(engine.submit(q.prompt, q.options).get());
        long t1 = System.nanoTime();
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        for (Request q : requests) futures.add(engine.submit(q.prompt, q.options));
        int differ = 0, tokens = 0;
        for (int i = 0; i < count; i++) {
            GenerationResult alone = solo.get(i), together = futures.get(i).get();
            tokens += alone.generatedTokens().length;
            boolean same = Arrays.equals(alone.generatedTokens(), together.generatedTokens())
                    && alone.logprobs().equals(together.logprobs());
            if (!same) {
                differ++;
                System.out.printf("  request %d (%s): alone %s, together %s%n", i, requests.get(i).options,
                        Arrays.toString(alone.generatedTokens()), Arrays.toString(together.generatedTokens()));
            }
        }
        long t2 = System.nanoTime();
        int largest = engine.largestBatch();
        System.out.printf("  %d requests, %d tokens; alone %.2f s, together %.2f s (largest decode batch %d); %d differ%n",
                count, tokens, (t1 - t0) / 1e9, (t2 - t1) / 1e9, largest, differ);
        return new Outcome(count, differ, largest);
    }
}
