package dev.gemma4j.cuda;

import dev.gemma4j.model.GemmaConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The activations of one batch of at most {@code batch} tokens (a prefill chunk, or one token of
 * each of at most {@code sequences} sequences in a decode step), as byte offsets in one device
 * buffer allocated once (no step allocates). Each region starts on a {@link WeightLayout#ALIGNMENT}-byte
 * boundary. Shapes, for batch B, S sequences, U = max(MAX_DECODE_SPLITS, S) partial rows, C sampling
 * chunks and K candidates per chunk:
 * <pre>
 *   residual      fp32  [B, hidden]                the residual stream h
 *   normed        fp16  [B, hidden]                RMSNorm output, the GEMMs' x
 *   qkv           fp16  [B, queryDim + 2 kvDim]    q | k | v per token (q rotated in place)
 *   attention     fp16  [B, queryDim]              attention output, o_proj's x
 *   gateUp        fp32  [B, 2 intermediate]        gate | up per token; also o_proj's and down_proj's fp32
 *                                                  [B, hidden] output before Gemma 2 and 3's norms (at
 *                                                  least hidden wide)
 *   geglu         fp16  [B, intermediate]          gelu_tanh(gate) * up, saturated; down_proj's x
 *   partialMax    fp32  [U, heads]                 flash-decoding partials: [sequence, head, split]
 *   partialSum    fp32  [U, heads]                 with sequences x splits <= U
 *   partialOut    fp32  [U, heads, headDim]
 *   logits        fp32  [logitRows, vocab]         final projection of at most logitRows rows at a time
 *   candValue     fp32  [S, C, K]                  sampling candidates per vocabulary chunk
 *   candToken     int32 [S, C, K]
 *   chunkSum      fp64  [S, C]                     per chunk, the sum of the sampler's weights
 *   slotRange     uint32 [S, 2]                    fp16 range flags (Fp16Range) of each KV slot's prefill
 *   inputs                                         one block the host fills and copies in one upload:
 *     tokens      int32 [B]
 *     slots       int32 [B]                        each row's KV slot
 *     positions   int32 [B]
 *     lengths     int32 [B]                        keys each decode row attends (position + 1)
 *     topK        int32 [S]                        sampling parameters per decode row
 *     sampled     int32 [S]                        the tokens sample_pick writes
 *     rangeFlags  uint32 [B, 2]                    fp16 range flags (Fp16Range) per row, uploaded as 0;
 *                                                  read back with sampled in one copy
 *     temperature fp32  [S]
 *     topP        fp32  [S]
 *     uniform     fp64  [S]
 * </pre>
 */
final class ActivationLayout {
    /** One named region, for the plan's table. */
    record Region(String name, long offset, long bytes) {}

    final int batch;
    final int sequences;
    final int logitRows;
    final int partialUnits;
    final int sampleChunks;
    final int sampleK;
    final long residual, normed, qkv, attention, gateUp, geglu;
    final long partialMax, partialSum, partialOut, logits;
    final long candValue, candToken, chunkSum, slotRange;
    /** The upload block and its parts (absolute offsets in the buffer). */
    final long inputs, inputBytes;
    final long tokens, slots, positions, lengths, topK, sampled, rangeFlags, temperature, topP, uniform;
    private final List<Region> regions = new ArrayList<>();
    private final long totalBytes;
    private long end;

    ActivationLayout(GemmaConfig c, int batch, int sequences, int logitRows, int partialUnits) {
        if (batch < 1) throw new IllegalArgumentException("batch tokens must be at least 1, found " + batch);
        if (sequences < 1 || sequences > batch) {
            throw new IllegalArgumentException("sequences must be in [1, batch tokens " + batch + "], found " + sequences);
        }
        if (logitRows < sequences || logitRows > batch) {
            throw new IllegalArgumentException("logit rows must be in [" + sequences + ", " + batch + "], found " + logitRows);
        }
        if (partialUnits < sequences) {
            throw new IllegalArgumentException("partial rows must be at least the " + sequences + " sequences, found " + partialUnits);
        }
        this.batch = batch;
        this.sequences = sequences;
        this.logitRows = logitRows;
        this.partialUnits = partialUnits;
        this.sampleChunks = Kernels.sampleChunks(c.vocabSize());
        this.sampleK = Kernels.sampleK(c.vocabSize());
        long b = batch;
        long s = sequences;
        long hidden = c.hiddenSize();
        long qkvWidth = (long) c.queryDim() + 2L * c.kvDim();
        long inter = c.intermediateSize();
        long heads = c.numAttentionHeads();
        residual = region("residual", 4 * b * hidden);
        normed = region("normed", 2 * b * hidden);
        qkv = region("qkv", 2 * b * qkvWidth);
        attention = region("attention", 2 * b * c.queryDim());
        gateUp = region("gateUp", 4 * b * Math.max(2 * inter, hidden));
        geglu = region("geglu", 2 * b * inter);
        partialMax = region("partialMax", 4 * heads * partialUnits);
        partialSum = region("partialSum", 4 * heads * partialUnits);
        partialOut = region("partialOut", 4 * heads * partialUnits * c.headDim());
        logits = region("logits", 4L * logitRows * c.vocabSize());
        candValue = region("candValue", 4 * s * sampleChunks * sampleK);
        candToken = region("candToken", 4 * s * sampleChunks * sampleK);
        chunkSum = region("chunkSum", 8 * s * sampleChunks);
        slotRange = region("slotRange", Fp16Range.ROW_BYTES * s);
        // The upload block: int32 parts first, the fp64 part 8-byte aligned at the end.
        long ints = 4 * (4 * b + 2 * s) + Fp16Range.ROW_BYTES * b;
        long floats = 4 * 2 * s;
        long head = Bytes.alignUp(ints + floats, 8);
        inputBytes = head + 8 * s;
        inputs = region("inputs", inputBytes);
        tokens = inputs;
        slots = tokens + 4 * b;
        positions = slots + 4 * b;
        lengths = positions + 4 * b;
        topK = lengths + 4 * b;
        sampled = topK + 4 * s;
        rangeFlags = sampled + 4 * s;
        temperature = rangeFlags + Fp16Range.ROW_BYTES * b;
        topP = temperature + 4 * s;
        uniform = inputs + head;
        totalBytes = Bytes.alignUp(end, WeightLayout.ALIGNMENT);
    }

    private long region(String name, long bytes) {
        long offset = Bytes.alignUp(end, WeightLayout.ALIGNMENT);
        regions.add(new Region(name, offset, bytes));
        end = offset + bytes;
        return offset;
    }

    long totalBytes() {
        return totalBytes;
    }

    List<Region> regions() {
        return Collections.unmodifiableList(regions);
    }
}
