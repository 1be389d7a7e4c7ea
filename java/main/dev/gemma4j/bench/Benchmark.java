package dev.gemma4j.bench;

import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.KvCache;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Prefill and batch-1 decode speed of a forward pass, with the bytes a decode step must read so the
 * caller can state it against a bandwidth limit.
 */
public final class Benchmark {
    private Benchmark() {}

    /**
     * @param weightBytes    bytes of weights one decode step reads (every tensor once; the embedding
     *                       once, as the output projection)
     * @param kvBytesPerStep average KV-cache bytes one decode step reads
     */
    public record Result(int promptTokens, int newTokens, double prefillSeconds, double timeToFirstTokenSeconds,
                         double decodeSeconds, long weightBytes, long kvBytesPerStep) {
        public double prefillTokensPerSecond() { return promptTokens / prefillSeconds; }
        public double decodeTokensPerSecond() { return (newTokens - 1) / decodeSeconds; }
        public long bytesPerDecodeStep() { return weightBytes + kvBytesPerStep; }
    }

    /** Bytes of every tensor (the embedding once: it is both the lookup table and the output projection). */
    public static long weightBytes(WeightSource w) {
        long b = 0;
        for (Tensor t : w.tensors().values()) b += t.elementCount() * t.dtype().bytes();
        return b;
    }

    /**
     * Runs a prompt of random token ids (seeded), then greedy decode of {@code newTokens} tokens.
     *
     * @param kvBytesPerToken bytes of K and V one cached token occupies on the backend (all layers)
     * @param onToken         called after each decoded token with its count, for a progress bar
     */
    public static Result run(Forward forward, long weightBytes, long kvBytesPerToken, int promptTokens,
                             int newTokens, long seed, IntConsumer onToken) {
        if (promptTokens < 1 || newTokens < 2) {
            throw new IllegalArgumentException("bench needs at least 1 prompt token and 2 new tokens, found "
                    + promptTokens + " and " + newTokens);
        }
        GemmaConfig c = forward.config();
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] prompt = new int[promptTokens];
        prompt[0] = c.bosTokenId();
        // Ordinary vocabulary ids, away from the control tokens at the start.
        for (int i = 1; i < promptTokens; i++) prompt[i] = 1000 + rnd.nextInt(c.vocabSize() - 1000);
        try (KvCache cache = forward.backend().newCache(promptTokens + newTokens)) {
            long t0 = System.nanoTime();
            float[] logits = forward.run(prompt, cache, 0, 1);
            long t1 = System.nanoTime();
            int next = Sampler.argmax(logits, 0, c.vocabSize());
            long t2 = System.nanoTime();
            if (onToken != null) onToken.accept(1);
            for (int i = 1; i < newTokens; i++) {
                logits = forward.run(new int[] {next}, cache, promptTokens + i - 1, 1);
                next = Sampler.argmax(logits, 0, c.vocabSize());
                if (onToken != null) onToken.accept(i + 1);
            }
            long t3 = System.nanoTime();
            // Mean context during decode: promptTokens + newTokens / 2 cached tokens read per step.
            long kv = kvBytesPerToken * (promptTokens + newTokens / 2);
            return new Result(promptTokens, newTokens, (t1 - t0) / 1e9, (t2 - t0) / 1e9, (t3 - t2) / 1e9,
                    weightBytes, kv);
        }
    }
}
