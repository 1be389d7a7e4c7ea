package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CUDA backend has no kernels for quantized weights yet: it names the first quantized tensor. */
class CudaQuantizedWeightsTest {
    private static final String UP = "model.layers.0.mlp.up_proj.weight";

    @Test
    void quantizedWeightsAreRefusedNamingTheTensor() {
        try (Checkpoint c = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            assertNull(CudaBackend.unsupported(c), "float weights are supported");
            Tensor up = c.tensor(UP);
            Tensor q8 = new Tensor(UP, DType.Q8_0, up.shape(),
                    MemorySegment.ofArray(new byte[Math.toIntExact(DType.Q8_0.byteSize(up.elementCount()))]));
            Map<String, Tensor> tensors = new LinkedHashMap<>(c.tensors());
            tensors.put(UP, q8);
            WeightSource quantized = new WeightSource() {
                @Override public GemmaConfig config() { return c.config(); }
                @Override public Tensor tensor(String name) { return tensors.get(name); }
                @Override public Map<String, Tensor> tensors() { return tensors; }
                @Override public Path tokenizerJson() { return c.tokenizerJson(); }
                @Override public void close() {}
            };
            String why = CudaBackend.unsupported(quantized);
            assertTrue(why != null && why.contains("tensor '" + UP + "' is Q8_0"), String.valueOf(why));
            assertEquals(0f, q8.getFloat(up.elementCount() - 1), "a zero block dequantizes to zero");
        }
    }
}
