package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class MemoryPlanTest {
    private static final long GIB = 1L << 30;

    /** Activation bytes before alignment, from the shapes ActivationLayout documents. */
    private static long unalignedActivations(GemmaConfig c, long b, long s, long logitRows, long splits) {
        long chunks = Math.ceilDiv(c.vocabSize(), 4096);
        long k = Math.min(64, 6144 / chunks);
        long sampling = 2 * 4 * s * chunks * k + 8 * s * chunks;
        long rangeFlags = 8 * s;   // per KV slot; the per-row flags are in the inputs
        long inputs = ((4 * (4 * b + 2 * s) + 8 * b + 4 * 2 * s + 7) / 8) * 8 + 8 * s;
        long hidden = c.hiddenSize();
        long q = c.queryDim();
        long kv = c.kvDim();
        long inter = c.intermediateSize();
        long heads = c.numAttentionHeads();
        return 4 * b * hidden + 2 * b * hidden + 2 * b * (q + 2 * kv) + 2 * b * q + 4 * b * 2 * inter
                + 2 * b * inter + 2 * 4 * heads * splits + 4 * heads * splits * c.headDim()
                + 4 * logitRows * c.vocabSize() + sampling + rangeFlags + inputs;
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    @Test
    void gemma7BIn18GiBLeavesAtLeast2048KvTokens() {
        GemmaConfig c = GemmaConfig.gemma7B();
        MemoryPlan plan = MemoryPlan.of(c, 18 * GIB, 512, 2048);
        System.out.print(plan.describe());
        // DESIGN.md: 7B keeps 2 x 28 layers x 16 kv heads x 256 dims x 2 bytes per token.
        assertEquals(458_752, plan.kvBytesPerToken());
        // Every weight once at fp16 (8.54 B parameters, embedding counted once), plus < 256 bytes of
        // alignment per tensor.
        long fp16 = 2 * c.parameterCount();
        int tensors = GemmaTensorNames.expectedShapes(c).size();
        assertTrue(plan.weightBytes() >= fp16 && plan.weightBytes() < fp16 + 256L * tensors,
                "weights " + plan.weightBytes() + " vs 2 x parameters " + fp16);
        assertEquals(17.08e9, plan.weightBytes(), 0.005e9, "DESIGN.md: 17.08 GB of fp16 weights");
        long unaligned = unalignedActivations(c, 512, 1, MemoryPlan.LOGIT_ROWS, Kernels.MAX_DECODE_SPLITS);
        assertTrue(plan.activationBytes() >= unaligned && plan.activationBytes() < unaligned + 256 * 15,
                "activations " + plan.activationBytes() + " vs regions " + unaligned);
        long left = 18 * GIB - plan.weightBytes() - MemoryPlan.WORKSPACE_BYTES - plan.activationBytes();
        assertEquals(left / 458_752, plan.kvTokens());
        assertTrue(plan.kvTokens() >= 2048, "KV tokens " + plan.kvTokens());
        // DESIGN.md: 2.25 GB after the weights, "about 4,500 tokens" before workspace and activations.
        assertTrue(plan.kvTokens() > 4_000 && plan.kvTokens() < 4_600, "KV tokens " + plan.kvTokens());
        assertTrue(plan.fits());
        assertEquals(0, plan.shortfallBytes());
        assertEquals(64L << 20, plan.loadScratchBytes() - 16L * tensors, "conversion scratch: the 64 MiB staging size");
        assertTrue(plan.describe().contains("1 x 2,048 tokens x 458,752 bytes"), plan.describe());
        assertThrows(IllegalStateException.class, plan::refusal);
    }

    /**
     * {@code bench --prompt-tokens P --new-tokens 32} on CUDA plans a prefill chunk of P tokens
     * (BenchCommand: the larger of 512 and P) and one KV cache of P + 32 tokens; decoding at 4,096 and
     * 8,192 tokens of context must fit an H200 (about 139 GiB) for both synthetic models, within
     * max_position_embeddings, with decode splits that reach the last key on either path.
     */
    @Test
    void benchDecodesAt4096And8192TokensOfContextOnAnH200() {
        for (String model : new String[] {"synthetic-2b", "synthetic-7b"}) {
            GemmaConfig c = dev.gemma4j.synthetic.SyntheticWeights.config(model, 0, dev.gemma4j.model.DType.F16);
            for (int prompt : new int[] {4096, 8192 - 32}) {
                int context = prompt + 32;
                assertTrue(context <= c.maxPositionEmbeddings(), model + ": " + context + " tokens");
                MemoryPlan plan = MemoryPlan.of(c, 139 * GIB, Math.max(512, prompt), context);
                System.out.printf(Locale.ROOT, "%s, prompt %,d + 32: needs %s%n", model, prompt,
                        Bytes.format(plan.requiredBytes()));
                assertTrue(plan.fits(), model + " at " + context + " tokens: " + plan.describe());
                for (CudaSwitches.DecodeAttention path : CudaSwitches.DecodeAttention.values()) {
                    Kernels.DecodeSplit split = Kernels.decodeSplit(path, 1, context, c.numAttentionHeads(),
                            c.numKeyValueHeads(), 132, plan.activationLayout().partialUnits);
                    assertTrue((long) split.splits() * split.splitTokens() >= context, model + " " + split);
                }
                Kernels.attentionPrefill(1, 2, 3, 4, 5, 6, 0, 0, prompt, c.numAttentionHeads(), c.numKeyValueHeads(),
                        c.headDim(), 1, context, 0.0625f);
            }
        }
    }

    @Test
    void gemma2BIn8GiBHoldsItsFullContext() {
        GemmaConfig c = GemmaConfig.gemma2B();
        MemoryPlan plan = MemoryPlan.of(c, 8 * GIB, 512, 8192);
        System.out.print(plan.describe());
        assertEquals(18_432, plan.kvBytesPerToken(), "DESIGN.md: 2 x 18 layers x 1 kv head x 256 dims x 2 bytes");
        assertEquals(5.01e9, plan.weightBytes(), 0.005e9, "DESIGN.md: 5.01 GB of fp16 weights");
        assertTrue(plan.fits());
        assertTrue(plan.kvTokens() >= 8192, "KV tokens " + plan.kvTokens());
        long left = 8 * GIB - plan.fixedBytes();
        assertEquals(left / 18_432, plan.kvTokens());
    }

    @Test
    void budgetBelowTheWeightsIsRefusedNamingBothNumbers() {
        GemmaConfig c = GemmaConfig.gemma7B();
        long budget = 16 * GIB;
        MemoryPlan plan = MemoryPlan.of(c, budget, 512, 1024);
        assertFalse(plan.fits());
        assertEquals(0, plan.kvTokens());
        String message = plan.refusal();
        System.out.println(message);
        assertTrue(message.contains(n(budget) + " bytes (16.00 GiB)"), message);
        assertTrue(message.contains("weights (fp16) need " + n(plan.weightBytes()) + " bytes"), message);
        assertEquals(plan.requiredBytes() - budget, plan.shortfallBytes());
        assertTrue(message.contains(n(plan.shortfallBytes()) + " bytes"), message);
        assertTrue(plan.describe().contains("does not fit"), plan.describe());
    }

    @Test
    void contextBeyondWhatIsLeftIsRefusedWithTheShortfall() {
        GemmaConfig c = GemmaConfig.gemma7B();
        MemoryPlan plan = MemoryPlan.of(c, 18 * GIB, 512, 8192);
        assertFalse(plan.fits());
        long expected = plan.fixedBytes() + 8192L * 458_752 - 18 * GIB;
        assertEquals(expected, plan.shortfallBytes());
        String message = plan.refusal();
        System.out.println(message);
        assertTrue(message.contains("KV caches for 1 sequence of 8,192 tokens " + n(8192L * 458_752) + " bytes"), message);
        assertTrue(message.contains(n(expected) + " bytes"), message);
        assertTrue(message.contains("(" + n(plan.kvTokens()) + " KV tokens fit: 0 sequences of 8,192 tokens)"), message);
    }

    /**
     * A pool of sequences: each holds a KV cache of the context, so 7B in 18 GiB takes one sequence
     * of 2,304 tokens (a 2,048-token prompt and 256 new) but not two; 2B in 40 GiB takes 64 of 1,024.
     * Decode activations are sized for every sequence at once.
     */
    @Test
    void aPoolOfSequencesTakesOneContextEach() {
        GemmaConfig c7 = GemmaConfig.gemma7B();
        assertTrue(MemoryPlan.of(c7, 18 * GIB, 512, 2304, 1).fits());
        MemoryPlan two = MemoryPlan.of(c7, 18 * GIB, 512, 2304, 2);
        assertFalse(two.fits());
        assertEquals(2L * 2304 * 458_752, two.kvPoolBytes());
        String message = two.refusal();
        System.out.println(message);
        assertTrue(message.contains("KV caches for 2 sequences of 2,304 tokens"), message);
        assertTrue(message.contains("KV tokens fit: 1 sequences of 2,304 tokens"), message);

        GemmaConfig c2 = GemmaConfig.gemma2B();
        MemoryPlan pool = MemoryPlan.of(c2, 40 * GIB, 512, 1024, 64);
        System.out.print(pool.describe());
        assertTrue(pool.fits());
        assertEquals(64, pool.sequences());
        assertEquals(64L * 1024 * 18_432, pool.kvPoolBytes());
        assertEquals(64, pool.logitRows(), "logits of every sequence of a decode step at once");
        assertEquals(pool.fixedBytes() + pool.kvPoolBytes(), pool.requiredBytes());
        long unaligned = unalignedActivations(c2, 512, 64, 64, Kernels.MAX_DECODE_SPLITS);
        assertTrue(pool.activationBytes() >= unaligned && pool.activationBytes() < unaligned + 256 * 18,
                "activations " + pool.activationBytes() + " vs regions " + unaligned);
        assertTrue(pool.describe().contains("64 x 1,024 tokens x 18,432 bytes"), pool.describe());
        // More sequences than batch tokens: the activations grow to one row per sequence.
        MemoryPlan wide = MemoryPlan.of(c2, 40 * GIB, 16, 128, 300);
        assertEquals(300, wide.maxBatchTokens());
        assertEquals(300, wide.logitRows());
    }

    /**
     * Gemma 3 4B (34 layers, 5 of them full, window 1,024, 4 kv heads of 256 dims) holds its whole
     * 131,072-token context in 12 GiB with fp16 weights and KV: the full layers keep every token
     * (5 x 131,072 x 4,096 bytes), the 29 sliding layers rings of window + chunk - 1 = 1,535 rows; 9 GiB
     * is refused. Without rings the cache alone would take 17 GiB.
     */
    @Test
    void gemma3FourBillionHoldsItsWholeContextIn12GiB() {
        GemmaConfig c = dev.gemma4j.synthetic.SyntheticWeights.config("synthetic-gemma3-4b", 0, dev.gemma4j.model.DType.BF16);
        int context = 131_072;
        MemoryPlan plan = MemoryPlan.of(c, 12 * GIB, 512, context);
        System.out.print(plan.describe());
        long row = 2L * 4 * 256 * 2;                     // keys and values of one position, fp16
        int full = 0;
        for (int l = 0; l < 34; l++) {
            boolean sliding = (l + 1) % 6 != 0;
            assertEquals(sliding ? 1535 : context, plan.cacheRows(l), "layer " + l);
            if (!sliding) full++;
        }
        assertEquals(5, full);
        assertTrue(plan.hasRings());
        assertEquals(5L * context * row + 29L * 1535 * row, plan.kvPoolBytes());
        assertEquals(34L * context * row, (long) context * plan.kvBytesPerToken(), "every layer holding every token");
        long fp16 = 2 * c.parameterCount();
        assertTrue(plan.weightBytes() >= fp16 && plan.weightBytes() < fp16 + 256L * GemmaTensorNames.expectedShapes(c).size());
        assertTrue(plan.fits(), plan.describe());
        assertTrue(plan.describe().contains("1 x 131,072 tokens, 29 rings of 1,535 rows"), plan.describe());
        // Layers follow each other in the pool, keys then values, each 16-byte aligned for the kernels.
        long offset = 0;
        for (int l = 0; l < 34; l++) {
            assertEquals(offset, plan.layerOffset(l));
            assertEquals(0, plan.layerOffset(l) % 16);
            offset += 2 * plan.layerBytes(l);
        }
        assertEquals(offset, plan.kvPoolBytes());

        MemoryPlan small = MemoryPlan.of(c, 9 * GIB, 512, context);
        assertFalse(small.fits());
        String refusal = small.refusal();
        System.out.println(refusal);
        assertTrue(refusal.contains("KV caches for 1 sequence of 131,072 tokens " + Bytes.format(plan.kvPoolBytes())
                + " (29 sliding layers in rings of 1,535 rows)"), refusal);
        // A context inside the window: every layer holds the whole context, no ring.
        MemoryPlan shortContext = MemoryPlan.of(c, 12 * GIB, 512, 1000);
        assertFalse(shortContext.hasRings());
        assertEquals(1000L * plan.kvBytesPerToken(), shortContext.kvPoolBytes());
    }

    @Test
    void loadScratchMustFitWhenTheContextIsSmall() {
        GemmaConfig c = GemmaConfig.of(256000, 64, 256, 2, 4, 1, 32, "float32");
        MemoryPlan probe = MemoryPlan.of(c, 1L << 30, 4, 4);
        assertEquals(2L * 2 * 1 * 32 * 2, probe.kvBytesPerToken());
        // The largest tensor, the 256000 x 64 embedding, is 65,536,000 bytes at fp32, under the 64 MiB
        // staging size: the scratch holds it whole, plus two uint64 counters per tensor.
        int tensors = GemmaTensorNames.expectedShapes(c).size();
        assertEquals(4L * 256000 * 64 + 16L * tensors, probe.loadScratchBytes());
        long needed = probe.fixedBytes() + probe.loadScratchBytes();
        assertEquals(needed, probe.requiredBytes(), "4 KV tokens take less than the scratch");
        MemoryPlan exact = MemoryPlan.of(c, needed, 4, 4);
        assertTrue(exact.fits(), exact.describe());
        MemoryPlan short1 = MemoryPlan.of(c, needed - 1, 4, 4);
        assertFalse(short1.fits());
        assertEquals(1, short1.shortfallBytes());
        assertTrue(short1.refusal().contains("the weight conversion scratch " + n(probe.loadScratchBytes())),
                short1.refusal());
    }

    @Test
    void logitRowsNeverExceedTheBatch() {
        assertEquals(1, MemoryPlan.of(GemmaConfig.gemma2B(), 8 * GIB, 1, 10).logitRows());
        assertEquals(MemoryPlan.LOGIT_ROWS, MemoryPlan.of(GemmaConfig.gemma2B(), 8 * GIB, 512, 10).logitRows());
    }

    @Test
    void invalidArgumentsAreRejected() {
        GemmaConfig c = GemmaConfig.gemma2B();
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.of(c, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.of(c, GIB, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.of(c, GIB, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.of(c, GIB, 1, 1, 0));
    }
}
