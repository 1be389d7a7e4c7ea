package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * On the CPU backend a request's tokens do not depend on the batch it runs in: 64 concurrent requests of
 * every kind give the same tokens, and the same log-probabilities to the last bit, as each request run
 * alone ({@link BatchInvariance}).
 */
class BatchInvarianceTest {
    private static final int REQUESTS = 64;

    @Test
    void concurrentRequestsGiveTheirSoloTokens() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatchInvarianceTest.concurrentRequestsGiveTheirSoloTokens seed " + seed);
        LoadOptions load = LoadOptions.cpu().withContextLength(64).withMaxSequences(REQUESTS);
        try (Gemma gemma = Gemma.load("tiny-mqa", load, Gemma.LoadMonitor.SILENT)) {
            BatchInvariance.Outcome o = BatchInvariance.run(gemma, REQUESTS, seed);
            assertTrue(o.largestBatch() >= 8, "the requests never shared a decode step of 8 or more: " + o);
            assertEquals(0, o.differ(), "requests whose tokens or log-probabilities changed when run among the others");
        }
    }
}
