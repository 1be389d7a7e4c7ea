package dev.gemma4j.cuda;

import dev.gemma4j.model.GemmaConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The activations of one batch of at most {@code batch} tokens, as byte offsets in one device buffer
 * allocated once (no step allocates). Each region starts on a {@link WeightLayout#ALIGNMENT}-byte
 * boundary. Shapes, for batch B:
 * <pre>
 *   residual      fp32  [B, hidden]                the residual stream h
 *   normed        fp16  [B, hidden]                RMSNorm output, the GEMMs' x
 *   qkv           fp16  [B, queryDim + 2 kvDim]    q | k | v per token (q rotated in place)
 *   attention     fp16  [B, queryDim]              attention output, o_proj's x
 *   gateUp        fp32  [B, 2 intermediate]        gate | up per token
 *   geglu         fp16  [B, intermediate]          gelu_tanh(gate) * up, saturated; down_proj's x
 *   partialMax    fp32  [heads, splits]            flash-decoding partials (one sequence)
 *   partialSum    fp32  [heads, splits]
 *   partialOut    fp32  [heads, splits, headDim]
 *   logits        fp32  [logitRows, vocab]         final projection of at most logitRows rows at a time
 *   tokens        int32 [B]
 *   slots         int32 [B]                        all 0: one sequence per cache
 *   positions     int32 [B]
 *   lengths       int32 [1]                        keys the decode step attends
 * </pre>
 */
final class ActivationLayout {
    /** One named region, for the plan's table. */
    record Region(String name, long offset, long bytes) {}

    final int batch;
    final int logitRows;
    final int decodeSplits;
    final long residual, normed, qkv, attention, gateUp, geglu;
    final long partialMax, partialSum, partialOut, logits;
    final long tokens, slots, positions, lengths;
    private final List<Region> regions = new ArrayList<>();
    private final long totalBytes;
    private long end;

    ActivationLayout(GemmaConfig c, int batch, int logitRows, int decodeSplits) {
        if (batch < 1) throw new IllegalArgumentException("batch tokens must be at least 1, found " + batch);
        if (logitRows < 1) throw new IllegalArgumentException("logit rows must be at least 1, found " + logitRows);
        if (decodeSplits < 1) throw new IllegalArgumentException("decode splits must be at least 1, found " + decodeSplits);
        this.batch = batch;
        this.logitRows = logitRows;
        this.decodeSplits = decodeSplits;
        long b = batch;
        long hidden = c.hiddenSize();
        long qkvWidth = (long) c.queryDim() + 2L * c.kvDim();
        long inter = c.intermediateSize();
        long heads = c.numAttentionHeads();
        residual = region("residual", 4 * b * hidden);
        normed = region("normed", 2 * b * hidden);
        qkv = region("qkv", 2 * b * qkvWidth);
        attention = region("attention", 2 * b * c.queryDim());
        gateUp = region("gateUp", 4 * b * 2 * inter);
        geglu = region("geglu", 2 * b * inter);
        partialMax = region("partialMax", 4 * heads * decodeSplits);
        partialSum = region("partialSum", 4 * heads * decodeSplits);
        partialOut = region("partialOut", 4 * heads * decodeSplits * c.headDim());
        logits = region("logits", 4L * logitRows * c.vocabSize());
        tokens = region("tokens", 4 * b);
        slots = region("slots", 4 * b);
        positions = region("positions", 4 * b);
        lengths = region("lengths", 4);
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
