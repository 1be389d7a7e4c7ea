package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.model.GemmaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerPlanTest {

    /** google/gemma-3-4b-it's config.json as published: the text_config states little, the rest is default. */
    static final String GEMMA3_4B = """
            {"architectures": ["Gemma3ForConditionalGeneration"], "boi_token_index": 255999,
             "eoi_token_index": 256000, "eos_token_id": [1, 106], "image_token_index": 262144,
             "initializer_range": 0.02, "mm_tokens_per_image": 256, "model_type": "gemma3",
             "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
               "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
               "sliding_window": 1024},
             "torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0",
             "vision_config": {"hidden_size": 1152, "image_size": 896, "intermediate_size": 4304,
               "model_type": "siglip_vision_model", "num_attention_heads": 16, "num_hidden_layers": 27,
               "patch_size": 14, "vision_use_head": false}}
            """;

    @Test
    void gemma3FourBillionPlanAndItsRingCaches(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), GEMMA3_4B);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, 106], \"top_k\": 64}");
        GemmaConfig c = GemmaConfig.read(dir.resolve("config.json"));
        assertEquals(262208, c.vocabSize());
        assertEquals(131072, c.maxPositionEmbeddings());
        assertEquals(List.of(1, 106), c.family().endTokenIds());
        LayerPlan plan = LayerPlan.of(c);
        List<Integer> full = IntStream.range(0, plan.size()).filter(l -> !plan.layer(l).sliding()).boxed().toList();
        assertEquals(List.of(5, 11, 17, 23, 29), full, "layer i is full when (i + 1) % 6 == 0");
        LayerPlan.Layer sliding = plan.layer(0), global = plan.layer(5);
        assertEquals(1024, sliding.window());
        assertEquals(10000.0, sliding.ropeTheta());
        assertEquals(1.0, sliding.ropeFactor());
        assertEquals(1_000_000.0, global.ropeTheta());
        assertEquals(8.0, global.ropeFactor());
        assertEquals((float) (1 / 16.0), global.queryScale(), "query_pre_attn_scalar 256");
        assertEquals(0f, plan.finalLogitSoftcap());

        // fp32 K and V per token and layer: 2 x 4 kv heads x 256 x 4 bytes.
        long perRow = 2L * c.kvDim() * Float.BYTES;
        int context = 131072;
        long unbounded = (long) plan.size() * context * perRow;
        long rings = plan.layers().stream().mapToLong(l -> l.cacheRows(context)).sum() * perRow;
        System.out.printf("Gemma 3 4B, %d tokens, fp32 KV: %,d bytes without rings, %,d with (%.1f%% saved)%n",
                context, unbounded, rings, 100.0 * (unbounded - rings) / unbounded);
        assertEquals(36_507_222_016L, unbounded);
        assertEquals(5_611_978_752L, rings);
    }

    /**
     * The CUDA backend runs Gemma 3 4B; a head its attention kernels cannot hold (head_dim above 256) is
     * refused naming the limit, and device auto then picks the CPU.
     */
    @Test
    void cudaRunsGemma3AndRefusesHeadsItsKernelsCannotHold(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), GEMMA3_4B);
        assertNull(CudaBackend.unsupported(GemmaConfig.read(dir.resolve("config.json"))));
        assertNull(CudaBackend.unsupported(GemmaConfig.gemma2B()));
        Files.writeString(dir.resolve("config.json"), GEMMA3_4B.replace("\"num_hidden_layers\": 34,",
                "\"num_hidden_layers\": 34, \"head_dim\": 512, \"query_pre_attn_scalar\": 512,"));
        GemmaConfig c = GemmaConfig.read(dir.resolve("config.json"));
        assertEquals(512, c.headDim());
        String why = CudaBackend.unsupported(c);
        assertTrue(why != null && why.contains("\"gemma3\"") && why.contains("head_dim a multiple of 8 in [8, 256]")
                && why.contains("found 512"), why);
        List<String> notices = new ArrayList<>();
        Gemma.LoadMonitor monitor = new Gemma.LoadMonitor() {
            @Override
            public void notice(String text) {
                notices.add(text);
            }
        };
        assertEquals(LoadOptions.Device.CPU, Gemma.chooseDevice(LoadOptions.Device.AUTO, c, monitor));
        assertEquals(List.of("device auto: running on the CPU: " + why), notices);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaBackend.openSynthetic(c, 0, null, null));
        assertEquals(why, e.getMessage());
    }

    @Test
    void gemma1PlanIsGemma1() {
        LayerPlan plan = LayerPlan.of(GemmaConfig.gemma2B());
        assertNull(plan.beyondGemma1());
        assertTrue(plan.layers().stream().noneMatch(LayerPlan.Layer::sliding));
        assertEquals((float) (1 / 16.0), plan.layer(0).queryScale(), "head_dim 256");
    }
}
