package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Generation stops at any of the model's end ids (generation_config.json), not only eos and end_of_turn. */
class EndTokenIdsTest {

    /** The checkpoint's weights under another config. */
    private record Reconfigured(WeightSource source, GemmaConfig config) implements WeightSource {
        @Override public Tensor tensor(String name) { return source.tensor(name); }
        @Override public Map<String, Tensor> tensors() { return source.tensors(); }
        @Override public Path tokenizerJson() { return source.tokenizerJson(); }
        @Override public void close() {}
    }

    @Test
    void gemma3EndIdsComeFromGenerationConfig() {
        try (Checkpoint ckpt = Checkpoint.open(TestModels.resolve("tiny-gemma3"))) {
            GemmaTokenizer tokenizer = GemmaTokenizer.load(ckpt.tokenizerJson());
            assertEquals(List.of(1, 106), ckpt.config().family().endTokenIds());
            assertArrayEquals(new int[] {1, 106}, Sequence.endIds(tokenizer, ckpt.config()));
        }
    }

    @Test
    void generationStopsAtAnEndIdOfTheConfig() {
        try (Checkpoint ckpt = Checkpoint.open(TestModels.resolve("tiny-gemma2"))) {
            GemmaTokenizer tokenizer = GemmaTokenizer.load(ckpt.tokenizerJson());
            int[] prompt = tokenizer.encodeWithBos("The weather today");
            GenerationResult free;
            try (CpuBackend backend = new CpuBackend(ckpt)) {
                free = Generation.run(new Forward(backend), tokenizer, prompt, GenerationOptions.greedy(6), 64, null);
            }
            int[] tokens = free.generatedTokens();
            assertEquals(6, tokens.length, "greedy run: " + free);
            int end = tokens[2];
            for (int i = 0; i < 2; i++) assertNotEquals(end, tokens[i], "token 2 must first appear there: " + Arrays.toString(tokens));
            GemmaFamily f = ckpt.config().family();
            GemmaConfig withEnd = ckpt.config().withFamily(new GemmaFamily(f.modelType(), f.layerTypes(),
                    f.slidingWindow(), f.queryPreAttnScalar(), f.attnLogitSoftcapping(), f.finalLogitSoftcapping(),
                    f.sandwichNorms(), f.qkNorms(), f.fullRopeFactor(), f.slidingRopeTheta(), f.slidingRopeFactor(),
                    List.of(1, 107, end), f.multimodal()));
            try (CpuBackend backend = new CpuBackend(new Reconfigured(ckpt, withEnd))) {
                GenerationResult stopped = Generation.run(new Forward(backend), tokenizer, prompt,
                        GenerationOptions.greedy(6), 64, null);
                assertArrayEquals(Arrays.copyOf(tokens, 2), stopped.generatedTokens());
                assertEquals(GenerationResult.StopReason.END_OF_SEQUENCE, stopped.stopReason());
            }
        }
    }
}
