package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.BatchInvariance;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.engine.Batcher;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * With {@link CudaBackend.Settings#batchInvariant()}, concurrent seeded requests of every kind give the
 * tokens and log-probabilities they get alone ({@link BatchInvariance}), although the Batcher puts them in
 * the same decode steps: the backend runs each sequence of a step as a step of its own. The same requests
 * on the default backend run first and their differences are printed, not asserted: whether a last-bit
 * difference changes a token depends on the card and on cuBLAS's choices.
 */
@Tag("gpu")
class BatchInvarianceGpuTest {
    private static final int REQUESTS = 12;
    private static CudaContext probe;

    @BeforeAll
    static void open() {
        probe = GpuFixture.openContextOrSkip();
    }

    @AfterAll
    static void close() {
        if (probe != null) probe.close();
    }

    @Test
    void batchInvarianceGivesEveryRequestItsSoloTokens() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BatchInvarianceGpuTest seed " + seed);
        // Vocabulary 5,000 (see CudaDecodeStepGpuTest), hidden 64, GeGLU 128, 2 layers, 4 heads of 16, MQA.
        GemmaConfig c = GemmaConfig.of(5000, 64, 128, 2, 4, 1, 16, "float16");
        CudaBackend.Settings settings = CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 64, 64)
                .withMaxSequences(REQUESTS);
        try (WeightSource w = SyntheticWeights.of(c, DType.F16, seed)) {
            GemmaTokenizer tokenizer = GemmaTokenizer.load(w.tokenizerJson());
            System.out.println(" batched steps (the default):");
            run(w, tokenizer, settings, seed);
            System.out.println(" batch-invariant:");
            BatchInvariance.Outcome o = run(w, tokenizer, settings.withBatchInvariance(true), seed);
            assertTrue(o.largestBatch() >= 4, "the requests never shared a decode step of 4 or more: " + o);
            assertEquals(0, o.differ(), "requests whose tokens or log-probabilities changed when run among the others");
        }
    }

    private static BatchInvariance.Outcome run(WeightSource w, GemmaTokenizer tokenizer, CudaBackend.Settings settings,
                                               long seed) throws Exception {
        try (CudaBackend gpu = CudaBackend.open(w, settings, LoadListener.NONE);
             Batcher batcher = new Batcher(new Forward(gpu), tokenizer, REQUESTS)) {
            BatchInvariance.Engine engine = new BatchInvariance.Engine() {
                @Override
                public CompletableFuture<GenerationResult> submit(int[] prompt, GenerationOptions options) {
                    return batcher.submit(prompt, options, 64, null);
                }

                @Override
                public int largestBatch() {
                    return batcher.stats().largestBatch();
                }
            };
            return BatchInvariance.run(engine, REQUESTS, w.config().vocabSize(), seed);
        }
    }
}
