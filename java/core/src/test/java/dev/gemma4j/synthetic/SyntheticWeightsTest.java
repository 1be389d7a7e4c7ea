package dev.gemma4j.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Home;
import dev.gemma4j.model.AttentionKind;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The synthetic shapes are the published models' config.json values. */
class SyntheticWeightsTest {
    private static List<Integer> fullLayers(GemmaConfig c) {
        List<Integer> full = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) if (c.family().layerTypes().get(l) == AttentionKind.FULL) full.add(l);
        return full;
    }

    @Test
    void gemma2TwoBSlidesOnEvenLayersAndSoftCaps() {
        GemmaConfig c = SyntheticWeights.config("synthetic-gemma2-2b", 0, DType.BF16);
        assertEquals(List.of(256000, 2304, 9216, 26, 8, 4, 256, 8192), List.of(c.vocabSize(), c.hiddenSize(),
                c.intermediateSize(), c.numHiddenLayers(), c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(),
                c.maxPositionEmbeddings()));
        GemmaFamily f = c.family();
        assertEquals("gemma2", f.modelType());
        for (int l = 0; l < 26; l++) {
            assertEquals(l % 2 == 0 ? AttentionKind.SLIDING : AttentionKind.FULL, f.layerTypes().get(l), "layer " + l);
        }
        assertEquals(4096, f.slidingWindow());
        assertEquals(256.0, f.queryPreAttnScalar());
        assertEquals(50.0, f.attnLogitSoftcapping());
        assertEquals(30.0, f.finalLogitSoftcapping());
        assertTrue(f.sandwichNorms() && !f.qkNorms());
        assertEquals(List.of(1, 107), f.endTokenIds());
        assertEquals(Home.gemmaTokenizerJson(), SyntheticWeights.tokenizerJson(c));
    }

    @Test
    void gemma3ModelsHaveAFullLayerEverySixthAndTheirRope() {
        GemmaConfig one = SyntheticWeights.config("synthetic-gemma3-1b", 0, DType.BF16);
        assertEquals(List.of(262144, 1152, 6912, 26, 4, 1, 256, 32768), List.of(one.vocabSize(), one.hiddenSize(),
                one.intermediateSize(), one.numHiddenLayers(), one.numAttentionHeads(), one.numKeyValueHeads(),
                one.headDim(), one.maxPositionEmbeddings()));
        assertEquals(List.of(5, 11, 17, 23), fullLayers(one));
        assertEquals(512, one.family().slidingWindow());
        assertEquals(1.0, one.family().fullRopeFactor());

        GemmaConfig four = SyntheticWeights.config("synthetic-gemma3-4b", 0, DType.BF16);
        assertEquals(List.of(262208, 2560, 10240, 34, 8, 4, 256, 131072), List.of(four.vocabSize(), four.hiddenSize(),
                four.intermediateSize(), four.numHiddenLayers(), four.numAttentionHeads(), four.numKeyValueHeads(),
                four.headDim(), four.maxPositionEmbeddings()));
        assertEquals(List.of(5, 11, 17, 23, 29), fullLayers(four));
        assertEquals(1024, four.family().slidingWindow());
        assertEquals(8.0, four.family().fullRopeFactor());
        for (GemmaConfig c : List.of(one, four)) {
            GemmaFamily f = c.family();
            assertEquals("gemma3_text", f.modelType());
            assertEquals(1_000_000.0, c.ropeTheta());
            assertEquals(10000.0, f.slidingRopeTheta());
            assertEquals(1.0, f.slidingRopeFactor());
            assertEquals(0.0, f.attnLogitSoftcapping());
            assertEquals(0.0, f.finalLogitSoftcapping());
            assertTrue(f.sandwichNorms() && f.qkNorms());
            assertEquals(List.of(1, 106), f.endTokenIds());
            assertEquals(Home.gemma3TokenizerJson(), SyntheticWeights.tokenizerJson(c));
        }
    }

    @Test
    void fewerLayersKeepTheFirstLayersKinds() {
        GemmaConfig c = SyntheticWeights.config("synthetic-gemma3-4b", 7, DType.F16);
        assertEquals(7, c.numHiddenLayers());
        assertEquals(List.of(5), fullLayers(c));
        assertEquals("float16", c.torchDtype());
        assertEquals(8.0, c.family().fullRopeFactor());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticWeights.config("synthetic-gemma2-2b", 27, DType.BF16));
        assertTrue(e.getMessage().contains("[0, 26]"), e.getMessage());
    }

    @Test
    void weightsHoldEveryTensorTheFamilyImplies() {
        GemmaConfig small = SyntheticWeights.config("synthetic-gemma3-1b", 1, DType.BF16);
        // A small vocabulary keeps the tensors of one Gemma 3 layer cheap to build.
        GemmaConfig c = new GemmaConfig(512, small.hiddenSize(), small.intermediateSize(), 1,
                small.numAttentionHeads(), small.numKeyValueHeads(), small.headDim(), small.rmsNormEps(),
                small.ropeTheta(), small.maxPositionEmbeddings(), small.torchDtype(), small.bosTokenId(),
                small.eosTokenId(), small.padTokenId(), small.hiddenActivation(), small.family());
        try (SyntheticWeights w = SyntheticWeights.of(c, DType.BF16, 7)) {
            assertEquals(dev.gemma4j.model.GemmaTensorNames.expectedShapes(c).keySet(), w.tensors().keySet());
            assertTrue(w.tensors().keySet().stream().anyMatch(n -> n.endsWith("q_norm.weight")), w.tensors().keySet().toString());
        }
    }
}
