package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.engine.Sampler;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.SafeTensorsWriter;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint whose embedding has rows past its tokenizer (padding, as fine-tunes ship): those ids
 * are never sampled, even where their logits are the largest, and the load says how many there are.
 */
class PaddedVocabularyTest {
    private static final int PADDING = 64;
    private static final int[] PROMPT = {2, 651, 4320, 8426};

    @TempDir
    Path tmp;

    @Test
    void paddingRowsAreNeverSampled() throws IOException {
        Path src = TestModels.resolve("tiny-mqa");
        int first;
        int vocab;
        float best;
        try (Gemma gemma = Gemma.load(src, LoadOptions.cpu())) {
            vocab = gemma.config().vocabSize();
            first = gemma.generate(PROMPT, GenerationOptions.greedy(1)).generatedTokens()[0];
            best = gemma.logits(PROMPT)[PROMPT.length - 1][first];
        }
        // 50 times the best logit, positive whatever its sign: above every real id's logit.
        Path dir = padded(src, first, vocab, best >= 0 ? 50f : -50f);
        List<String> notices = new ArrayList<>();
        Gemma.LoadMonitor monitor = new Gemma.LoadMonitor() {
            @Override public void notice(String text) {
                notices.add(text);
            }
        };
        try (Gemma gemma = Gemma.load(dir.toString(), LoadOptions.cpu(), monitor)) {
            assertEquals(vocab + PADDING, gemma.config().vocabSize());
            assertTrue(notices.stream().anyMatch(n -> n.contains("64 of the embedding's") && n.contains("never sampled")),
                    notices.toString());
            // The padding rows are the first token's row scaled up: their logits beat every real id's.
            float[] logits = gemma.logits(PROMPT)[PROMPT.length - 1];
            int argmax = Sampler.argmax(logits, 0, logits.length);
            assertTrue(argmax >= vocab, "a padding row has the largest logit: " + argmax);
            int[] greedy = gemma.generate(PROMPT, GenerationOptions.greedy(8)).generatedTokens();
            int[] sampled = gemma.generate(PROMPT, GenerationOptions.greedy(8).withTemperature(1.5f).withSeed(3))
                    .generatedTokens();
            for (int id : greedy) assertTrue(id < vocab, "greedy drew padding id " + id);
            for (int id : sampled) assertTrue(id < vocab, "sampling drew padding id " + id);
            assertEquals(first, greedy[0], "the best real id is drawn");
        }
    }

    /** tiny-mqa with PADDING more embedding rows, each the row of {@code hot} times {@code factor}. */
    private Path padded(Path src, int hot, int vocab, float factor) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("padded"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(src.resolve(Checkpoint.CONFIG).toFile());
        config.put("vocab_size", vocab + PADDING);
        Files.writeString(dir.resolve(Checkpoint.CONFIG), json.writeValueAsString(config));
        Files.copy(src.resolve(Checkpoint.TOKENIZER), dir.resolve(Checkpoint.TOKENIZER));
        try (WeightSource w = Checkpoint.open(src)) {
            Tensor embed = w.tensor(GemmaTensorNames.embed());
            int hidden = (int) embed.shape()[1];
            float[] rows = new float[(vocab + PADDING) * hidden];
            for (long i = 0; i < (long) vocab * hidden; i++) rows[(int) i] = embed.getFloat(i);
            for (int r = vocab; r < vocab + PADDING; r++) {
                for (int i = 0; i < hidden; i++) rows[r * hidden + i] = factor * embed.getFloat((long) hot * hidden + i);
            }
            List<Tensor> tensors = new ArrayList<>();
            for (Tensor t : w.tensors().values()) {
                tensors.add(t.name().equals(embed.name())
                        ? Tensor.of(embed.name(), embed.dtype(), new long[] {vocab + PADDING, hidden}, rows) : t);
            }
            SafeTensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
        }
        return dir;
    }
}
