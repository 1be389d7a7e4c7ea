package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.DType;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KernelsTest {
    @Test
    void decodeSplitsCoverTheContextInWholeKeyTiles() {
        long seed = System.nanoTime();
        System.out.println("KernelsTest.decodeSplitsCoverTheContextInWholeKeyTiles seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int[][] headShapes = {{8, 1}, {16, 16}, {4, 1}, {4, 4}, {4, 2}, {32, 4}, {64, 1}};
        for (int trial = 0; trial < 20_000; trial++) {
            int[] hs = headShapes[random.nextInt(headShapes.length)];
            int length = trial < 10 ? trial + 1 : 1 + random.nextInt(trial % 3 == 0 ? 1 << 20 : 9000);
            int sms = 1 + random.nextInt(200);
            int batch = trial % 2 == 0 ? 1 : 1 + random.nextInt(300);
            int units = Math.max(Kernels.MAX_DECODE_SPLITS, batch);
            CudaSwitches.DecodeAttention path = CudaSwitches.DecodeAttention.values()[trial % 4 / 2];
            int minSplit = Kernels.minSplitTokens(path);
            Kernels.DecodeSplit s = Kernels.decodeSplit(path, batch, length, hs[0], hs[1], sms, units);
            String where = "batch " + batch + ", length " + length + ", heads " + hs[0] + "/" + hs[1] + ", " + sms
                    + " SMs: " + s;
            assertEquals(path, s.path(), where);
            assertEquals(0, s.splitTokens() % minSplit, where);
            assertEquals(1, Integer.bitCount(s.splitTokens() / minSplit), where + ": not a power of two");
            assertTrue(s.splits() >= 1 && s.splits() <= Kernels.MAX_DECODE_SPLITS, where);
            assertTrue((long) s.splits() * batch <= units, where + ": partials overflow");
            // The kernel rejects a sequence needing more than gridDim.x splits.
            assertTrue((long) s.splits() * s.splitTokens() >= length, where);
            // The smallest such split size: half of it would not cover the longest sequence.
            assertTrue(s.splitTokens() == minSplit || (long) s.splits() * s.splitTokens() / 2 < length, where);
            int wanted = Math.min(Kernels.MAX_DECODE_SPLITS, Math.ceilDiv(2 * sms,
                    Kernels.decodeBlocksPerSplit(hs[0], hs[1]) * batch));
            assertTrue(s.splits() <= Math.max(1, wanted), where + " exceeds the " + wanted + " splits that fill the device");
        }
        assertThrows(IllegalArgumentException.class, () -> Kernels.decodeSplit(CudaSwitches.DecodeAttention.SCALAR, 0, 5, 8, 1, 132, 256));
        assertThrows(IllegalArgumentException.class, () -> Kernels.decodeSplit(CudaSwitches.DecodeAttention.VECTOR, 300, 5, 8, 1, 132, 256));
        assertThrows(IllegalArgumentException.class, () -> Kernels.decodeSplit(CudaSwitches.DecodeAttention.SCALAR, 1, 0, 8, 1, 132, 256));
    }

    @Test
    void decodeGridHasABlockPerKvHeadAndHeadGroup() {
        // 7B: 16 kv heads of 1 query head; 2B: 1 kv head of 8; 64 query heads on 1 kv head need 8 blocks.
        assertEquals(16, Kernels.decodeBlocksPerSplit(16, 16));
        assertEquals(1, Kernels.decodeBlocksPerSplit(8, 1));
        assertEquals(8, Kernels.decodeBlocksPerSplit(64, 1));
        assertEquals(4 * 2, Kernels.decodeBlocksPerSplit(36, 4));
        // Both paths launch the same grid and arguments; the split names the kernels.
        for (CudaSwitches.DecodeAttention path : CudaSwitches.DecodeAttention.values()) {
            Kernels.DecodeSplit split = Kernels.decodeSplit(path, 1, 5000, 16, 16, 132, Kernels.MAX_DECODE_SPLITS);
            KernelLaunch partial = Kernels.attentionDecodePartial(split, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 16, 256, 1,
                    8192, 0.0625f);
            assertEquals(path == CudaSwitches.DecodeAttention.VECTOR ? Kernel.ATTENTION_DECODE_VECTOR_PARTIAL
                    : Kernel.ATTENTION_DECODE_PARTIAL, partial.kernel());
            assertEquals(new Dim3(split.splits(), 16, 1), partial.grid());
            assertEquals(split.splitTokens(), partial.args().get(14));
            assertEquals(0.0625f, partial.args().get(15));
            KernelLaunch combine = Kernels.attentionDecodeCombine(split, 1, 7, 8, 9, 5, 6, 10, 4096, 16, 256, 1, 8192);
            assertEquals(path == CudaSwitches.DecodeAttention.VECTOR ? Kernel.ATTENTION_DECODE_VECTOR_COMBINE
                    : Kernel.ATTENTION_DECODE_COMBINE, combine.kernel());
            assertEquals(new Dim3(16, 1, 1), combine.grid());
            assertEquals(List.of(split.splits(), split.splitTokens()), combine.args().subList(11, 13));
        }
    }

    @Test
    void decodeSplitsOfGemmaOnAnH200FollowTheStatedRule() {
        CudaSwitches.DecodeAttention vector = CudaSwitches.DecodeAttention.VECTOR;
        CudaSwitches.DecodeAttention scalar = CudaSwitches.DecodeAttention.SCALAR;
        int sms = 132;
        int units = Kernels.MAX_DECODE_SPLITS;
        // 2B at batch 1: one block per split, 2 x 132 blocks wanted, capped at 256 splits.
        assertEquals(new Kernels.DecodeSplit(vector, 32, 256), Kernels.decodeSplit(vector, 1, 1, 8, 1, sms, units));
        assertEquals(new Kernels.DecodeSplit(vector, 32, 256), Kernels.decodeSplit(vector, 1, 4096, 8, 1, sms, units));
        assertEquals(new Kernels.DecodeSplit(vector, 32, 256), Kernels.decodeSplit(vector, 1, 8192, 8, 1, sms, units));
        assertEquals(new Kernels.DecodeSplit(vector, 64, 256), Kernels.decodeSplit(vector, 1, 8193, 8, 1, sms, units));
        assertEquals(new Kernels.DecodeSplit(scalar, 64, 256), Kernels.decodeSplit(scalar, 1, 8192, 8, 1, sms, units));
        // 7B at batch 1: 16 blocks per split, so 17 splits; they lengthen with the context.
        assertEquals(new Kernels.DecodeSplit(vector, 32, 17), Kernels.decodeSplit(vector, 1, 300, 16, 16, sms, units));
        assertEquals(new Kernels.DecodeSplit(vector, 256, 17), Kernels.decodeSplit(vector, 1, 4096, 16, 16, sms, units));
        assertEquals(new Kernels.DecodeSplit(vector, 512, 17), Kernels.decodeSplit(vector, 1, 8192, 16, 16, sms, units));
        // Batch 64 of 2B: 5 splits would fill the SMs, the 256 partial rows hold 4 per row; 7B: 1 split.
        assertEquals(new Kernels.DecodeSplit(vector, 1024, 4), Kernels.decodeSplit(vector, 64, 4096, 8, 1, sms, 256));
        assertEquals(new Kernels.DecodeSplit(vector, 8192, 1), Kernels.decodeSplit(vector, 64, 8192, 16, 16, sms, 256));
    }

    @Test
    void prefillGridCoversEveryQueryRowOfEveryKvHead() {
        // 2B: group 8, 37 tokens = 296 rows = 10 tiles of 32; 7B: group 1, 512 tokens = 16 tiles, 16 kv heads.
        assertEquals(new Dim3(10, 1, 1), Kernels.attentionPrefill(1, 2, 3, 4, 5, 6, 0, 0, 37, 8, 1, 256, 1, 64, 1f).grid());
        assertEquals(new Dim3(16, 16, 1), Kernels.attentionPrefill(1, 2, 3, 4, 5, 6, 0, 0, 512, 16, 16, 256, 1, 600, 1f).grid());
        assertEquals(new Dim3(1, 4, 1), Kernels.attentionPrefill(1, 2, 3, 4, 5, 6, 0, 9, 2, 4, 4, 32, 1, 64, 1f).grid());
    }

    @Test
    void tensorCorePrefillTakesTilesOf64RowsAndHeadDimsOf16() {
        CudaSwitches.PrefillAttention wmma = CudaSwitches.PrefillAttention.WMMA;
        // 2B: 37 tokens x group 8 = 296 rows = 5 tiles of 64; 7B: 512 tokens = 8 tiles, 16 kv heads.
        KernelLaunch mq = Kernels.attentionPrefill(wmma, 1, 2560, 3, 4, 5, 2048, 0, 0, 37, 8, 1, 256, 1, 64, 1f);
        assertEquals(Kernel.ATTENTION_PREFILL_MMA, mq.kernel());
        assertEquals(new Dim3(5, 1, 1), mq.grid());
        assertEquals(new Dim3(8, 16, 1),
                Kernels.attentionPrefill(wmma, 1, 12288, 3, 4, 5, 4096, 0, 0, 512, 16, 16, 256, 1, 600, 1f).grid());
        assertThrows(IllegalArgumentException.class,
                () -> Kernels.attentionPrefill(wmma, 1, 480, 3, 4, 5, 480, 0, 0, 5, 4, 4, 40, 1, 64, 1f));
        assertThrows(IllegalArgumentException.class,
                () -> Kernels.attentionPrefill(wmma, 1, 2564, 3, 4, 5, 2048, 0, 0, 5, 8, 1, 256, 1, 64, 1f));
    }

    @Test
    void rowKernelsTakeOneBlockPerRowAndGridStrideKernelsAreCapped() {
        assertEquals(Dim3.of(7), Kernels.rmsnorm(1, 2, 3, 7, 2048, 1e-6f, Kernels.RangeFlags.NONE, 0).grid());
        assertEquals(Dim3.of(3), Kernels.embeddingGather(1, 2, 3, 3, 64, 100, 8f).grid());
        assertEquals(Dim3.of(5), Kernels.ropeAndCache(1, 384, 2, 384, 3, 384, 4, 5, 6, 7, 5, 8, 1, 256, 1, 100, 1e4f,
                Kernels.RangeFlags.NONE, 0).grid());
        // 512 x 24576 GeGLU values at 256 per block: 49,152 blocks, one pass.
        assertEquals(Dim3.of(49_152), Kernels.geglu(1, 2, 2 * 24576, 3, 512, 24576, Kernels.RangeFlags.NONE, 0).grid());
        assertEquals(Dim3.of(1), Kernels.geglu(1, 2, 2, 3, 1, 1, Kernels.RangeFlags.NONE, 0).grid());
        assertEquals(Kernels.MAX_GRID_STRIDE_BLOCKS, Kernels.gridStrideBlocks(1L << 40, 256));
        assertEquals(3, Kernels.gridStrideBlocks(513, 256));
        assertEquals(Dim3.of(2), Kernels.convert(DType.BF16, DType.F16, 1, 2, 300, 3, 4).grid());
        assertEquals(Kernel.CONVERT_F32_TO_F16, Kernels.convert(DType.F32, DType.F16, 1, 2, 300, 3, 4).kernel());
        assertThrows(IllegalArgumentException.class, () -> Kernels.convert(DType.F16, DType.F16, 1, 2, 300, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> Kernels.convert(DType.F32, DType.F16, 1, 2, 1L << 32, 3, 4));
        assertEquals(Dim3.of(4), Kernels.syntheticFill(1, 1000, -5L, 3, 0.5f, 2f).grid());
    }

    @Test
    void argumentsArePassedInSignatureOrder() {
        KernelLaunch rope = Kernels.ropeAndCache(11, 384, 12, 385, 13, 386, 14, 15, 16, 17, 5, 8, 1, 256, 1, 100, 1e4f,
                new Kernels.RangeFlags(18, 2), 3);
        // Site of layer 3's q/k/v output: 3 * 8 + 1.
        assertEquals(List.<Object>of(11L, 384L, 12L, 385L, 13L, 386L, 14L, 15L, 16L, 17L, 5, 8, 1, 256, 1, 100, 0, 1e4f,
                1f, 0L, 0L, 0f, 0L, 18L, 2, 25), rope.args());
        // Gemma 3's sliding layer: a ring, q/k norms, its own base; a full layer's linear factor.
        KernelLaunch ring = Kernels.ropeAndCache(11, 384, 12, 385, 13, 386, 14, 15, 16, 17, 5, 8, 4, 256, 1, 1535, true,
                1e4f, 8f, 40, 41, 1e-6f, Kernels.RangeFlags.NONE, 0);
        assertEquals(List.<Object>of(11L, 384L, 12L, 385L, 13L, 386L, 14L, 15L, 16L, 17L, 5, 8, 4, 256, 1, 1535, 1, 1e4f,
                8f, 40L, 41L, 1e-6f, 0L, 0L, 0, 1), ring.args());
        assertThrows(IllegalArgumentException.class, () -> Kernels.ropeAndCache(11, 384, 12, 385, 13, 386, 14, 15, 16,
                17, 5, 8, 4, 256, 1, 1535, true, 1e4f, 8f, 40, 0, 1e-6f, Kernels.RangeFlags.NONE, 0), "q norm without k norm");
        KernelLaunch prefill = Kernels.attentionPrefill(CudaSwitches.PrefillAttention.SIMT, 1, 2, 3, 4, 5, 6, 0, 7, 20, 8,
                4, 256, 1, 1535, 0.0625f, 1024, 50f);
        assertEquals(List.<Object>of(1L, 2L, 3L, 4L, 5L, 6L, 0, 7, 20, 8, 4, 256, 1, 1535, 0.0625f, 1024, 50f),
                prefill.args());
        Kernels.DecodeSplit scalar = new Kernels.DecodeSplit(CudaSwitches.DecodeAttention.SCALAR, 64, 4);
        KernelLaunch partial = Kernels.attentionDecodePartial(scalar, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 4, 256, 1, 1535,
                0.0625f, 1024, 50f);
        assertEquals(List.<Object>of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 8, 4, 256, 1, 1535, 64, 0.0625f, 1024, 50f, 0L),
                partial.args());
        KernelLaunch combine = Kernels.attentionDecodeCombine(scalar, 2, 7, 8, 9, 5, 6, 10, 2048, 8, 256, 1, 1535, 1024);
        assertEquals(List.<Object>of(7L, 8L, 9L, 5L, 6L, 10L, 2048L, 8, 256, 1, 1535, 4, 64, 1024), combine.args());
        // The tensor-core prefill and the vector decode compute full, uncapped attention: a window is refused.
        assertThrows(IllegalArgumentException.class, () -> Kernels.attentionPrefill(CudaSwitches.PrefillAttention.WMMA,
                1, 2560, 3, 4, 5, 2048, 0, 0, 37, 8, 1, 256, 1, 64, 1f, 16, 0f));
        Kernels.DecodeSplit vector = new Kernels.DecodeSplit(CudaSwitches.DecodeAttention.VECTOR, 32, 4);
        assertThrows(IllegalArgumentException.class, () -> Kernels.attentionDecodePartial(vector, 2, 1, 2, 3, 4, 5, 6,
                7, 8, 9, 8, 4, 256, 1, 1535, 0.0625f, 0, 50f));
        KernelLaunch norm = Kernels.rmsnormAdd(1, 2, 3, 4, 2304, 1e-6f);
        assertEquals(List.<Object>of(1L, 2L, 3L, 4, 2304, 1e-6f), norm.args());
        KernelLaunch cap = Kernels.softcap(5, 2L * 256000, 30f);
        assertEquals(Dim3.of(2000), cap.grid());
        assertEquals(List.<Object>of(5L, 512000L, 30f), cap.args());
        KernelLaunch geglu = Kernels.geglu(1, 2, 3, 4, 5, 6, new Kernels.RangeFlags(7, 0), 2);
        assertEquals(List.<Object>of(1L, 2L, 3L, 4L, 5, 6, 1f / 32, 7L, 0, 21), geglu.args());
        KernelLaunch fill = Kernels.syntheticFill(21, 1000, -5L, 3, 0.5f, 2f);
        assertEquals(List.<Object>of(21L, 1000L, -5L, 3, 0.5f, 2f), fill.args());
        KernelLaunch embed = Kernels.embeddingGather(1, 2, 3, 4, 5, 6, 7f);
        assertEquals(List.<Object>of(1L, 2L, 3L, 4, 5, 6, 7f, 0L), embed.args());
    }

    @Test
    void launchesWithWrongArgumentsAreRejectedBeforeTheDriverSeesThem() {
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> KernelLaunch.of(Kernel.RMSNORM_F16, Dim3.of(1), 1L, 2L, 3L, 4, 5));
        assertTrue(count.getMessage().contains("rmsnorm_f16 takes 9 parameters"), count.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> KernelLaunch.of(Kernel.RMSNORM_F16, Dim3.of(1), 1L, 2L, 3L, 4L, 5, 1e-6f, 0L, 0, 0));
        assertTrue(type.getMessage().contains("rmsnorm_f16 parameter 3 (int): expected a Integer, found Long 4"),
                type.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dim3(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Dim3(1, 65536, 1));
    }

    @Test
    void attentionShapesOutsideTheKernelsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Kernels.checkAttentionShape(8, 1, 260));
        assertThrows(IllegalArgumentException.class, () -> Kernels.checkAttentionShape(8, 1, 12));
        assertThrows(IllegalArgumentException.class, () -> Kernels.checkAttentionShape(8, 3, 256));
        Kernels.checkAttentionShape(8, 1, 256);
        Kernels.checkAttentionShape(4, 2, 16);
    }
}
