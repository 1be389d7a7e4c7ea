package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * On the CPU backend a request's tokens do not depend on the batch it runs in: 64 concurrent requests of
 * every kind (greedy, temperature, top-k, top-p, both, each with its own seed and prompt length, some
 * recording log-probabilities) give the same tokens, and the same log-probabilities to the last bit, as
 * each request run alone. Concurrently they join and leave the decode batch at different steps and their
 * prompts are prefilled between other sequences' steps, so each row meets batches of many sizes and
 * make-ups; any arithmetic of a row that depended on them would show as a changed logit.
 */
class BatchInvarianceTest {
    private static final int REQUESTS = 64;

    private record Request(int[] prompt, GenerationOptions options) {}

    private static List<Request> requests(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            int[] prompt = new int[1 + r.nextInt(40)];
            prompt[0] = 2;
            for (int j = 1; j < prompt.length; j++) prompt[j] = 3 + r.nextInt(255_000);
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

    @Test
    void concurrentRequestsGiveTheirSoloTokens() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatchInvarianceTest.concurrentRequestsGiveTheirSoloTokens seed " + seed);
        List<Request> requests = requests(seed);
        LoadOptions load = LoadOptions.cpu().withContextLength(64).withMaxSequences(REQUESTS);
        try (Gemma gemma = Gemma.load("tiny-mqa", load, Gemma.LoadMonitor.SILENT)) {
            long t0 = System.nanoTime();
            List<GenerationResult> solo = new ArrayList<>();
            for (Request q : requests) solo.add(gemma.generate(q.prompt, q.options));
            long t1 = System.nanoTime();
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (Request q : requests) futures.add(gemma.generateAsync(q.prompt, q.options));
            int differ = 0, tokens = 0;
            for (int i = 0; i < REQUESTS; i++) {
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
            System.out.printf("  %d requests, %d tokens; alone %.1f s, together %.1f s (largest decode batch %d); %d differ%n",
                    REQUESTS, tokens, (t1 - t0) / 1e9, (t2 - t1) / 1e9, gemma.batchStats().largestBatch(), differ);
            assertEquals(0, differ, "requests whose tokens or log-probabilities changed when run among the others");
        }
    }
}
