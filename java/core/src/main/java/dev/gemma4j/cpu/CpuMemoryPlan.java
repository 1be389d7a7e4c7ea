package dev.gemma4j.cpu;

import dev.gemma4j.cuda.Bytes;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.model.GemmaConfig;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * How much memory the CPU backend's KV caches may take, fixed at load: the weights stay in the
 * mapped files (or their copy), the KV caches (fp32 keys and values of every layer, on the Java
 * heap) and one prefill chunk's activations take heap. A cache that the budget cannot hold next
 * to the others is refused before anything is allocated, with the numbers.
 *
 * @param budgetBytes      bytes all KV caches together may hold
 * @param kvBytesPerToken  one token's keys and values over every layer: layers x 2 x kv_heads x head_dim x 4
 *                         (sliding-window layers of Gemma 2 and 3 hold at most their window, so their
 *                         caches take less than this per token of a long context)
 * @param activationBytes  the heap one forward step of {@code maxBatchTokens} tokens takes, left out of the budget
 * @param source           where the budget comes from, for messages ("--memory 2GiB", "the Java heap")
 */
public record CpuMemoryPlan(long budgetBytes, long kvBytesPerToken, long activationBytes, String source) {
    /** Heap left to everything else (the tokenizer, the request's own arrays, the JIT's allocations). */
    static final long HEAP_MARGIN = 128L << 20;
    /** Rows of logits a decode step holds at once in the estimate: a batch of 64 sequences. */
    static final int DECODE_ROWS = 64;

    /**
     * The plan for {@code config}: {@code requested} bytes, or by default what the Java heap can still
     * give less one step's activations and a margin.
     *
     * @throws IllegalArgumentException when {@code requested} exceeds what the heap can give, naming
     *     the heap's figures and how to raise it
     */
    public static CpuMemoryPlan of(GemmaConfig config, OptionalLong requested, int maxBatchTokens) {
        long perToken = kvBytesPerToken(config);
        long activations = activationBytes(config, maxBatchTokens);
        Runtime rt = Runtime.getRuntime();
        long heapMax = rt.maxMemory();
        long heapUsed = rt.totalMemory() - rt.freeMemory();
        long available = Math.max(0, heapMax - heapUsed - activations - HEAP_MARGIN);
        if (requested.isEmpty()) return new CpuMemoryPlan(available, perToken, activations, "what the Java heap can give");
        long asked = requested.getAsLong();
        if (asked > available) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "a CPU memory budget of %s exceeds the %s the Java heap can give KV caches (maximum heap %s, in"
                            + " use %s, one step's activations %s, margin %s); start the JVM with a larger -Xmx"
                            + " (GEMMA4J_JAVA_OPTS=-Xmx…) or ask for less",
                    Bytes.format(asked), Bytes.binary(available), Bytes.binary(heapMax), Bytes.binary(heapUsed),
                    Bytes.binary(activations), Bytes.binary(HEAP_MARGIN)));
        }
        return new CpuMemoryPlan(asked, perToken, activations, "--memory " + Bytes.binary(asked));
    }

    /**
     * The plan for a budget written as {@code size}: "all" (what the Java heap can give) or a size
     * such as 8GiB ({@link DeviceBudget#parse}).
     */
    public static CpuMemoryPlan of(GemmaConfig config, String size, int maxBatchTokens) {
        DeviceBudget budget = DeviceBudget.parse(size);
        return of(config, budget.isAllFree() ? OptionalLong.empty() : OptionalLong.of(budget.bytes()), maxBatchTokens);
    }

    /** Keys and values of one token over every layer, in fp32. */
    public static long kvBytesPerToken(GemmaConfig c) {
        return (long) c.numHiddenLayers() * 2 * c.kvDim() * Float.BYTES;
    }

    /**
     * One forward step's fp32 arrays for {@code tokens} rows (residual, normed input, q, k, v, attention
     * output, gate and up), plus the logits of a decode batch of {@link #DECODE_ROWS} rows.
     */
    static long activationBytes(GemmaConfig c, int tokens) {
        long perRow = 3L * c.hiddenSize() + 2L * c.queryDim() + 2L * c.kvDim() + 2L * c.intermediateSize();
        return (perRow * tokens + (long) DECODE_ROWS * c.vocabSize()) * Float.BYTES;
    }

    /** Tokens of KV cache the budget holds, over all sequences together. */
    public long tokensThatFit() {
        return budgetBytes / kvBytesPerToken;
    }

    /** The plan as {@code info} prints it. */
    public String describe() {
        return String.format(Locale.ROOT, "CPU memory plan: KV caches %s (%s), %,d bytes per token (fp32) -> %,d tokens"
                        + " over all sequences; one step's activations %s",
                Bytes.binary(budgetBytes), source, kvBytesPerToken, tokensThatFit(), Bytes.binary(activationBytes));
    }
}
