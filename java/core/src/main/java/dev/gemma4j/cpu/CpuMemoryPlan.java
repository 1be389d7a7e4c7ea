package dev.gemma4j.cpu;

import dev.gemma4j.cuda.Bytes;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.model.GemmaConfig;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * How much memory the CPU backend's KV caches may take, fixed at load. The caches (fp32 keys and
 * values of every layer) live off the Java heap; the weights stay in the mapped files (or their copy)
 * and one step's activations on the heap. A cache that the budget cannot hold next to the others is
 * refused before anything is allocated, with the numbers.
 *
 * @param budgetBytes      bytes all KV caches together may hold
 * @param kvBytesPerToken  one token's keys and values over every layer: layers x 2 x kv_heads x head_dim x 4
 *                         (sliding-window layers of Gemma 2 and 3 hold at most their window, so their
 *                         caches take less than this per token of a long context)
 * @param activationBytes  the heap one forward step of {@code maxBatchTokens} tokens takes
 * @param source           where the budget comes from, for messages ("--memory 2.00 GiB", "what the
 *                         machine can give without swapping")
 */
public record CpuMemoryPlan(long budgetBytes, long kvBytesPerToken, long activationBytes, String source) {
    /** Memory left to everything else: the JVM's own, the tokenizer, other processes' growth. */
    static final long MARGIN = 512L << 20;
    /** Rows of logits a decode step holds at once in the estimate: a batch of 64 sequences. */
    static final int DECODE_ROWS = 64;

    /**
     * The plan for a budget written as {@code size}: "all" (what the machine can give without swapping)
     * or a size such as 8GiB ({@link DeviceBudget#parse}).
     *
     * @param residentWeightBytes bytes of mapped weights that must stay in memory beside the caches
     *                            (0 when the weights were read into memory, which the machine's
     *                            available memory already excludes)
     */
    public static CpuMemoryPlan of(GemmaConfig config, String size, int maxBatchTokens, long residentWeightBytes) {
        DeviceBudget budget = DeviceBudget.parse(size);
        return of(config, budget.isAllFree() ? OptionalLong.empty() : OptionalLong.of(budget.bytes()), maxBatchTokens,
                residentWeightBytes, SystemMemory.availableBytes());
    }

    /**
     * The plan for {@code requested} bytes, or by default what the machine can give: its available
     * memory (Linux's MemAvailable: free and reclaimable pages) less the Java heap's room to grow, the
     * resident weights and a margin.
     *
     * @throws IllegalArgumentException when {@code requested} exceeds that, naming the figures
     */
    static CpuMemoryPlan of(GemmaConfig config, OptionalLong requested, int maxBatchTokens, long residentWeightBytes,
            long machineAvailable) {
        long perToken = kvBytesPerToken(config);
        long activations = activationBytes(config, maxBatchTokens);
        Runtime rt = Runtime.getRuntime();
        // Without MemAvailable (not Linux), the Java heap's maximum stands in: a figure the JVM was
        // already allowed to take.
        boolean known = machineAvailable >= 0;
        long heapGrowth = known ? Math.max(0, rt.maxMemory() - rt.totalMemory()) : 0;
        long available = Math.max(0, (known ? machineAvailable : rt.maxMemory()) - heapGrowth - residentWeightBytes
                - MARGIN);
        if (requested.isEmpty()) {
            return new CpuMemoryPlan(available, perToken, activations, known
                    ? "what the machine can give without swapping" : "the Java heap's maximum, no MemAvailable here");
        }
        long asked = requested.getAsLong();
        if (asked > available) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "a CPU memory budget of %s exceeds the %s this machine can give KV caches without swapping"
                            + " (available %s, less the Java heap's room to grow %s, mapped weights %s, margin %s);"
                            + " ask for less, or free memory",
                    Bytes.format(asked), Bytes.binary(available), Bytes.binary(known ? machineAvailable : rt.maxMemory()),
                    Bytes.binary(heapGrowth),
                    Bytes.binary(residentWeightBytes), Bytes.binary(MARGIN)));
        }
        return new CpuMemoryPlan(asked, perToken, activations, "--memory " + Bytes.binary(asked));
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
