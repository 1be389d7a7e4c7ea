package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WeightLayoutTest {
    static List<GemmaConfig> configs() {
        return List.of(GemmaConfig.gemma2B(), GemmaConfig.gemma7B(),
                GemmaConfig.of(256000, 64, 256, 2, 4, 1, 32, "float32"),
                // hidden 72 and intermediate 200 make q/k/v and gate/up sizes that are not multiples of 256 bytes.
                GemmaConfig.of(1000, 72, 200, 3, 6, 2, 24, "bfloat16"),
                // Gemma 3: q_norm and k_norm sit between q_proj and k_proj in the checkpoint's order.
                dev.gemma4j.synthetic.SyntheticWeights.config("synthetic-gemma3-1b", 2, dev.gemma4j.model.DType.F16));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void tensorsFollowTheCheckpointOrderWithFusedGroupsAndNoOverlap(GemmaConfig c) {
        WeightLayout layout = new WeightLayout(c);
        Map<String, long[]> shapes = GemmaTensorNames.expectedShapes(c);
        List<WeightLayout.Placement> placements = new ArrayList<>(layout.placements());
        List<String> names = List.copyOf(shapes.keySet());
        // Buffer order is the checkpoint's, except that q_norm and k_norm follow v_proj.
        List<String> expected = new ArrayList<>(), norms = new ArrayList<>();
        for (String name : names) {
            if (name.endsWith(GemmaTensorNames.Q_NORM) || name.endsWith(GemmaTensorNames.K_NORM)) {
                norms.add(name);
                continue;
            }
            expected.add(name);
            if (name.endsWith(GemmaTensorNames.V_PROJ)) {
                expected.addAll(norms);
                norms.clear();
            }
        }
        assertEquals(expected, placements.stream().map(WeightLayout.Placement::name).toList());
        long previousEnd = 0;
        long payload = 0;
        for (int i = 0; i < placements.size(); i++) {
            WeightLayout.Placement p = placements.get(i);
            assertEquals(names.indexOf(p.name()), p.tensorIndex(), p.name() + ": the synthetic weights' tensor number");
            assertTrue(Arrays.equals(shapes.get(p.name()), p.shape()), p.name());
            assertEquals(Arrays.stream(p.shape()).reduce(1, Math::multiplyExact), p.elements(), p.name());
            assertTrue(p.offset() >= previousEnd, p.name() + " overlaps the tensor before it");
            boolean fused = p.name().endsWith(GemmaTensorNames.K_PROJ) || p.name().endsWith(GemmaTensorNames.V_PROJ)
                    || p.name().endsWith(GemmaTensorNames.UP_PROJ);
            if (fused) {
                assertEquals(previousEnd, p.offset(), p.name() + " must directly follow the tensor before it");
            } else {
                assertEquals(0, p.offset() % WeightLayout.ALIGNMENT, p.name() + " starts unaligned");
                assertTrue(p.offset() - previousEnd < WeightLayout.ALIGNMENT, p.name() + " leaves a gap");
            }
            previousEnd = p.offset() + p.bytes();
            payload += p.bytes();
        }
        assertEquals(2 * c.parameterCount(), payload, "every weight once at fp16, the embedding included once");
        assertTrue(layout.totalBytes() >= previousEnd && layout.totalBytes() - previousEnd < WeightLayout.ALIGNMENT);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            assertEquals(layout.offset(GemmaTensorNames.layer(l, GemmaTensorNames.Q_PROJ)), layout.qkv(l));
            assertEquals(layout.qkv(l) + 2L * c.queryDim() * c.hiddenSize(),
                    layout.offset(GemmaTensorNames.layer(l, GemmaTensorNames.K_PROJ)));
            assertEquals(layout.qkv(l) + 2L * (c.queryDim() + c.kvDim()) * c.hiddenSize(),
                    layout.offset(GemmaTensorNames.layer(l, GemmaTensorNames.V_PROJ)));
            assertEquals(layout.gateUp(l) + 2L * c.intermediateSize() * c.hiddenSize(),
                    layout.offset(GemmaTensorNames.layer(l, GemmaTensorNames.UP_PROJ)));
        }
        assertThrows(IllegalArgumentException.class, () -> layout.offset(GemmaTensorNames.LM_HEAD));
    }
}
