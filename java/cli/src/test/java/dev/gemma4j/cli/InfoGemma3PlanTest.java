package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code info --gpu-memory} on Gemma 3 4B as google/gemma-3-4b-it publishes it: a
 * Gemma3ForConditionalGeneration config.json whose text_config relies on the defaults, and two bf16
 * shards holding the text weights under {@code language_model.model.} beside vision tensors. The
 * shards are sparse files (only their headers occupy disk), so the plan is made from the real layout.
 */
class InfoGemma3PlanTest {
    /** google/gemma-3-4b-it's config.json as published. */
    private static final String CONFIG = """
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
    void gemma3FourBillionAsPublishedHoldsItsWholeContextIn12GiBAndIsRefusedIn9(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, 106], \"top_k\": 64}");
        GemmaConfig c = GemmaConfig.read(dir.resolve("config.json"));
        List<Map.Entry<String, long[]>> tensors = new ArrayList<>();
        for (Map.Entry<String, long[]> e : GemmaTensorNames.expectedShapes(c).entrySet()) {
            tensors.add(Map.entry("language_model." + e.getKey(), e.getValue()));
        }
        tensors.add(Map.entry("multi_modal_projector.mm_input_projection_weight", new long[] {1152, 2560}));
        tensors.add(Map.entry("vision_tower.vision_model.embeddings.patch_embedding.weight", new long[] {1152, 3, 14, 14}));
        int half = tensors.size() / 2;
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        for (int s = 0; s < 2; s++) {
            String shard = String.format("model-%05d-of-00002.safetensors", s + 1);
            List<Map.Entry<String, long[]>> part = s == 0 ? tensors.subList(0, half) : tensors.subList(half, tensors.size());
            writeSparseShard(dir.resolve(shard), part);
            for (Map.Entry<String, long[]> e : part) {
                index.append(index.charAt(index.length() - 1) == '{' ? "" : ", ")
                        .append('"').append(e.getKey()).append("\": \"").append(shard).append('"');
            }
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
        Files.copy(Path.of(dev.gemma4j.synthetic.SyntheticWeights.tokenizerJson(c).toString()), dir.resolve("tokenizer.json"));

        CliTest.Run fits = CliTest.run("info", "-m", dir.toString(), "--gpu-memory", "12GiB");
        System.out.println(fits.out());
        assertEquals(0, fits.exit(), fits.err());
        assertTrue(fits.out().contains("Gemma3ForConditionalGeneration"), fits.out());
        assertTrue(fits.out().contains("vision tensors        2 skipped"), fits.out());
        assertTrue(fits.out().contains("layer kinds           29 sliding (window 1024), 5 full"), fits.out());
        assertTrue(fits.out().contains("1 x 131,072 tokens, 29 rings of 1,535 rows"), fits.out());
        assertTrue(fits.out().contains("KV cache per token    139,264 bytes at fp16 (CUDA), 278,528 at fp32 (CPU) in every "
                + "layer; sliding layers keep rings"), fits.out());
        assertTrue(fits.out().contains("1 x context of 131,072 tokens: fits"), fits.out());

        CliTest.Run refused = CliTest.run("info", "-m", dir.toString(), "--gpu-memory", "9GiB");
        assertEquals(Main.EXIT_BAD_INPUT, refused.exit(), refused.err());
        assertTrue(refused.err().contains("does not fit the device memory budget of 9,663,676,416 bytes (9.00 GiB)"),
                refused.err());
        assertTrue(refused.err().contains("KV caches for 1 sequence of 131,072 tokens"), refused.err());
    }

    /** A safetensors file of bf16 tensors whose data is a hole: the header is all that is written. */
    private static void writeSparseShard(Path file, List<Map.Entry<String, long[]>> tensors) throws IOException {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, long[]> e : tensors) {
            long bytes = 2 * Arrays.stream(e.getValue()).reduce(1, Math::multiplyExact);
            header.append(header.length() > 1 ? ", " : "").append('"').append(e.getKey())
                    .append("\": {\"dtype\": \"BF16\", \"shape\": ").append(Arrays.toString(e.getValue()))
                    .append(", \"data_offsets\": [").append(offset).append(", ").append(offset + bytes).append("]}");
            offset += bytes;
        }
        byte[] h = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.setLength(8 + h.length + offset);                       // sparse: no disk is used
        }
    }
}
