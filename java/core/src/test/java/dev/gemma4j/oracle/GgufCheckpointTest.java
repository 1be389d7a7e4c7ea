package dev.gemma4j.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Gemma;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GgufCheckpoint;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModelSpec;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF files as llama.cpp's converter writes them ({@link GgufWriter}) loaded by gemma4j: the same
 * configuration, tensors and tokenizer as the safetensors folder they were written from, logits
 * bit-identical on the CPU (the same bytes; the norms come back exactly, see {@link GgufCheckpoint}),
 * and every kind of bad file refused with an error naming the file and the key or tensor.
 */
class GgufCheckpointTest {
    private static final long SEED = Long.getLong("gemma4j.gguf.seed", System.nanoTime());
    @TempDir static Path work;
    /** A one-layer model with the first 300 pieces of Gemma's vocabulary: about 100 KB, for the bad-input cases. */
    private static Path tinyGguf;

    @BeforeAll
    static void writeTinyModel() throws IOException {
        System.out.println("GGUF test seed " + SEED + " (repeat with -Dgemma4j.gguf.seed=" + SEED + ")");
        TestModelSpec small = new TestModelSpec("tiny-300", 300, 64, 128, 2, 4, 1, 16, DType.F32, 0x5EEDL, false,
                false, "gemma");
        Path dir = TestModels.write(small, work.resolve("tiny-300"));
        tinyGguf = work.resolve("tiny-300.gguf");
        try (Checkpoint c = Checkpoint.open(dir)) {
            GgufWriter.write(c, "tiny-300", tinyGguf, GgufWriter.Matrices.AS_STORED);
        }
    }

    /** Gemma 3 in llama.cpp's fixed layer pattern (5 sliding, 1 full), as Gemma23LlamaCppTest writes it. */
    static TestModelSpec gemma3() {
        return new TestModelSpec("tiny-gemma3-6", 262145, 64, 256, 6, 4, 2, 32, DType.F32, 0x1F83D9ABFB41BD6BL, false,
                false, "gemma3");
    }

    /** Gemma 1 with BF16 matrices, kept as their bytes (the F32 case is LlamaCppParityTest's). */
    @Test
    void gemma1LogitsAreBitIdentical() throws IOException {
        compareWithSafetensors(TestModels.resolve("tiny-gqa-bf16"), GgufWriter.Matrices.AS_STORED);
    }

    @Test
    void gemma2LogitsAreBitIdentical() throws IOException {
        compareWithSafetensors(TestModels.resolve("tiny-gemma2"), GgufWriter.Matrices.AS_STORED);
    }

    @Test
    void gemma3LogitsAreBitIdentical() throws IOException {
        compareWithSafetensors(TestModels.write(gemma3(), work.resolve("tiny-gemma3-6")), GgufWriter.Matrices.AS_STORED);
    }

    private static void compareWithSafetensors(Path dir, GgufWriter.Matrices matrices) throws IOException {
        Path gguf = work.resolve(dir.getFileName() + ".gguf");
        GemmaConfig expected;
        try (Checkpoint c = Checkpoint.open(dir)) {
            GgufWriter.write(c, dir.getFileName().toString(), gguf, matrices);
            expected = c.config();
            try (GgufCheckpoint g = GgufCheckpoint.open(gguf, true)) {
                GemmaConfig got = g.config();
                assertEquals(expected.withFamily(got.family()), new GemmaConfig(got.vocabSize(), got.hiddenSize(),
                        got.intermediateSize(), got.numHiddenLayers(), got.numAttentionHeads(), got.numKeyValueHeads(),
                        got.headDim(), got.rmsNormEps(), got.ropeTheta(),
                        got.maxPositionEmbeddings(), expected.torchDtype(), got.bosTokenId(), got.eosTokenId(),
                        got.padTokenId(), got.hiddenActivation(), got.family()), "config but for the family");
                assertEquals(expected.family().layerTypes(), got.family().layerTypes(), "layer kinds");
                assertEquals(expected.family().slidingWindow(), got.family().slidingWindow(), "sliding window");
                assertEquals(expected.family().attnLogitSoftcapping(), got.family().attnLogitSoftcapping());
                assertEquals(expected.family().finalLogitSoftcapping(), got.family().finalLogitSoftcapping());
                assertEquals(expected.family().fullRopeFactor(), got.family().fullRopeFactor());
                assertEquals(expected.family().slidingRopeTheta(), got.family().slidingRopeTheta());
                assertEquals(expected.family().qkNorms(), got.family().qkNorms());
                assertEquals(expected.family().sandwichNorms(), got.family().sandwichNorms());
                assertEquals(expected.family().queryPreAttnScalar(), got.family().queryPreAttnScalar());
                assertEquals(c.tensors().keySet(), g.tensors().keySet(), "tensor names");
                for (Tensor t : c.tensors().values()) {
                    Tensor u = g.tensor(t.name());
                    assertArrayEquals(t.shape(), u.shape(), t.name());
                    if (t.rank() == 1) {
                        float[] a = t.toFloatArray();
                        float[] b = u.toFloatArray();
                        for (int i = 0; i < a.length; i++) {
                            assertEquals(1f + a[i], 1f + b[i], t.name() + "[" + i + "]: 1 + w as the engine forms it");
                        }
                    } else {
                        assertEquals(t.dtype() == DType.F32 || matrices == GgufWriter.Matrices.AS_STORED ? t.dtype() : DType.F32,
                                u.dtype(), t.name());
                        assertEquals(-1L, t.data().mismatch(u.data()), t.name() + ": the same bytes");
                    }
                }
            }
        }
        int vocab = expected.vocabSize();
        SplittableRandom random = new SplittableRandom(SEED);
        int[] ids = new int[12];
        ids[0] = expected.bosTokenId();
        for (int i = 1; i < ids.length; i++) ids[i] = 3 + random.nextInt(Math.min(vocab, 262144) - 3);
        float[][] a;
        float[][] b;
        try (Gemma s = Gemma.load(dir); Gemma g = Gemma.load(gguf)) {
            a = s.logits(ids);
            b = g.logits(ids);
            GemmaTokenizer json = s.tokenizer();
            GemmaTokenizer fromFile = g.tokenizer();
            for (String text : List.of("Hello, world!", "  two  spaces\tand\ttabs\n\nx", "émoji 🎉 <bos> 123456",
                    "<start_of_turn>user\nHi<end_of_turn>")) {
                assertArrayEquals(json.encodeWithBos(text), fromFile.encodeWithBos(text), text);
                assertArrayEquals(json.encodeWithTurnMarkers(text), fromFile.encodeWithTurnMarkers(text), text);
            }
        }
        for (int t = 0; t < ids.length; t++) {
            assertTrue(Arrays.equals(a[t], b[t]), dir.getFileName() + " position " + t
                    + ": GGUF logits not bit-identical to safetensors; ids " + Arrays.toString(ids));
        }
        System.out.println(dir.getFileName() + ": " + ids.length + " positions x " + a[0].length
                + " logits bit-identical between the GGUF file and the safetensors folder");
    }

    @Test
    void readsIntoMemoryAndNoticesAChangedFile() throws IOException {
        Path copy = work.resolve("changed.gguf");
        Files.copy(tinyGguf, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (WeightSource w = WeightSource.open(copy, true)) {
            w.checkUnchanged();
            try (var ch = java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(copy) - 64);
            }
            ModelFormatException e = assertThrows(ModelFormatException.class, w::checkUnchanged);
            assertTrue(e.getMessage().contains(copy.toString()) && e.getMessage().contains("size changed"), e.getMessage());
        }
        Files.copy(tinyGguf, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (GgufCheckpoint inMemory = GgufCheckpoint.open(copy, false)) {
            Files.write(copy, new byte[0]);
            inMemory.checkUnchanged();                    // copies: the file no longer matters
            assertTrue(inMemory.tensor("model.embed_tokens.weight").getFloat(7) == inMemory.tensor("model.embed_tokens.weight").getFloat(7));
        }
    }

    // ---- bad input: each refused naming the file and the key or tensor ----

    private static byte[] tiny() throws IOException {
        return Files.readAllBytes(tinyGguf);
    }

    private static ModelFormatException refused(byte[] bytes, String name) throws IOException {
        Path p = work.resolve(name + ".gguf");
        Files.write(p, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufCheckpoint.open(p, true).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        System.out.println(name + ": " + e.getMessage());
        return e;
    }

    private static void assertMentions(ModelFormatException e, String... parts) {
        for (String part : parts) assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }

    @Test
    void truncatedFilesAreRefused() throws IOException {
        byte[] b = tiny();
        for (int len : new int[] {0, 3, 7, 23, 100, 3000, b.length / 2, b.length - 1}) {
            assertMentions(refused(Arrays.copyOf(b, len), "truncated-" + len), "truncated");
        }
    }

    @Test
    void badMagicAndVersionAreRefused() throws IOException {
        byte[] b = tiny();
        b[0] = 'X';
        assertMentions(refused(b, "magic"), "GGUF");
        b = tiny();
        b[4] = 4;
        assertMentions(refused(b, "version"), "version 4", "expected 2 or 3");
        b = tiny();
        b[4] = 2;                                      // version 2 has the same layout (64-bit counts)
        Path v2 = work.resolve("v2.gguf");
        Files.write(v2, b);
        try (GgufCheckpoint g = GgufCheckpoint.open(v2, true)) {
            assertEquals(2, g.config().numHiddenLayers());
        }
    }

    /** One of the small test models of another family: the first 300 pieces of Gemma 3's or Gemma's vocabulary. */
    private static byte[] small(String family) throws IOException {
        Path gguf = work.resolve("small-" + family + ".gguf");
        if (!Files.exists(gguf)) {
            boolean gemma3 = family.equals("gemma3");
            TestModelSpec spec = new TestModelSpec("small-" + family, 300, 64, 128, gemma3 ? 6 : 2, 4, 1, 16, DType.F32,
                    0x5EEDL, false, false, family);
            Path dir = TestModels.write(spec, work.resolve("small-" + family));
            try (Checkpoint c = Checkpoint.open(dir)) {
                GgufWriter.write(c, spec.name(), gguf, GgufWriter.Matrices.AS_STORED);
            }
        }
        return Files.readAllBytes(gguf);
    }

    @Test
    void gemma2AndGemma3KeysAreCheckedNamingTheKey() throws IOException {
        byte[] b = small("gemma3");
        int key = indexOf(b, "gemma3.attention.sliding_window") + "gemma3.attention.sliding_window".length();
        le(b).putInt(key, 6);
        assertMentions(refused(b, "window-type"), "'gemma3.attention.sliding_window'", "expected a UINT32, found a FLOAT32");
        b = small("gemma3");
        le(b).putInt(key + 4, 0);
        assertMentions(refused(b, "window-zero"), "'gemma3.attention.sliding_window'", "expected an integer in [1,");
        b = small("gemma3");
        int type = indexOf(b, "gemma3.rope.scaling.type") + "gemma3.rope.scaling.type".length() + 4 + 8;
        System.arraycopy("yarn\0\0".getBytes(StandardCharsets.US_ASCII), 0, b, type, 6);
        assertMentions(refused(b, "rope-type"), "'gemma3.rope.scaling.type'", "\"none\" or \"linear\"");
        b = small("gemma3");
        int factor = indexOf(b, "gemma3.rope.scaling.factor") + "gemma3.rope.scaling.factor".length() + 4;
        le(b).putFloat(factor, -8f);
        assertMentions(refused(b, "rope-factor"), "'gemma3.rope.scaling.factor'", "-8.0");
        b = small("gemma3");
        rename(b, "blk.3.attn_q_norm.weight", "blk.3.attn_q_nrm.weight\0");
        assertMentions(refused(b, "q-norm"), "lacks 1 tensor", "blk.3.attn_q_norm.weight");

        b = small("gemma2");
        int cap = indexOf(b, "gemma2.attn_logit_softcapping") + "gemma2.attn_logit_softcapping".length() + 4;
        le(b).putFloat(cap, 0f);
        assertMentions(refused(b, "softcap"), "'gemma2.attn_logit_softcapping'", "expected a number in (0,");
        b = small("gemma2");
        rename(b, "blk.1.post_ffw_norm.weight", "blk.1.post_ffx_norm.weight");
        assertMentions(refused(b, "post-ffw"), "blk.1.post_ffw_norm.weight");
        try (GgufCheckpoint g = GgufCheckpoint.open(work.resolve("small-gemma2.gguf"), true)) {
            assertEquals(List.of(dev.gemma4j.model.AttentionKind.SLIDING, dev.gemma4j.model.AttentionKind.FULL),
                    g.config().family().layerTypes(), "llama.cpp's gemma2: sliding on even layers");
            assertEquals(50.0, g.config().family().attnLogitSoftcapping());
        }
    }

    @Test
    void countsAndLengthsLargerThanTheFileAreRefused() throws IOException {
        byte[] b = tiny();
        le(b).putLong(8, Long.MAX_VALUE / 3);
        assertMentions(refused(b, "tensor-count"), "tensor count");
        b = tiny();
        le(b).putLong(16, -1L);
        assertMentions(refused(b, "kv-count"), "metadata count", "18446744073709551615");
        b = tiny();
        le(b).putLong(24, 1L << 40);                       // the first key's length
        assertMentions(refused(b, "key-length"), "metadata key 0", "string length");
        b = tiny();
        int tokens = indexOf(b, "tokenizer.ggml.tokens") + "tokenizer.ggml.tokens".length();
        le(b).putLong(tokens + 8, 1L << 33);                 // after the ARRAY type and element type
        assertMentions(refused(b, "array-length"), "tokenizer.ggml.tokens");
    }

    @Test
    void unknownAndQuantizedTypesAreRefusedNamingTheTensor() throws IOException {
        byte[] b = tiny();
        int at = typeOf(b, "blk.0.attn_q.weight");
        le(b).putInt(at, 10);
        assertMentions(refused(b, "q2_k"), "tensor 'blk.0.attn_q.weight'", "ggml type 10 (Q2_K) is not supported yet",
                "supported: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, BF16");
        le(b).putInt(at, 77);
        assertMentions(refused(b, "type-77"), "tensor 'blk.0.attn_q.weight'", "ggml type 77 (unknown)");
        b = tiny();
        int key = indexOf(b, "gemma.block_count") + "gemma.block_count".length();
        le(b).putInt(key, 42);
        assertMentions(refused(b, "value-type"), "gemma.block_count", "value type 42");
    }

    /**
     * A quantized tensor's rows must be whole blocks: ne[0] of 48 is one and a half Q8_0 or Q4_0
     * blocks, and less than one Q4_K or Q6_K super-block.
     */
    @Test
    void quantizedRowsThatAreNotWholeBlocksAreRefusedNamingTheTensor() throws IOException {
        Map<Integer, String> blocks = Map.of(2, "Q4_0's block of 32", 8, "Q8_0's block of 32", 12, "Q4_K's block of 256",
                14, "Q6_K's block of 256");
        for (int type : new int[] {2, 8, 12, 14}) {
            byte[] b = tiny();
            int at = typeOf(b, "blk.0.ffn_up.weight");
            le(b).putInt(at, type);
            le(b).putLong(at - 16, 48);                      // ne[0], before ne[1] and the type
            assertMentions(refused(b, "partial-block-" + type), "tensor 'blk.0.ffn_up.weight'", "rows of 48 elements",
                    "expected a multiple of " + blocks.get(type));
        }
    }

    @Test
    void misalignedAndOverlappingOffsetsAreRefused() throws IOException {
        byte[] b = tiny();
        int offset = typeOf(b, "blk.0.attn_k.weight") + 4;
        long k = le(b).getLong(offset);
        le(b).putLong(offset, k + 4);
        assertMentions(refused(b, "misaligned"), "tensor 'blk.0.attn_k.weight'", "not a multiple of general.alignment 32");
        le(b).putLong(offset, le(b).getLong(typeOf(b, "blk.0.attn_q.weight") + 4));
        assertMentions(refused(b, "overlap"), "overlaps", "blk.0.attn_");
        le(b).putLong(offset, 1L << 40);
        assertMentions(refused(b, "outside"), "tensor 'blk.0.attn_k.weight'", "the file ends");
    }

    @Test
    void missingExtraAndMisshapenTensorsAreRefused() throws IOException {
        byte[] b = tiny();
        rename(b, "blk.1.ffn_up.weight", "blk.1.ffn_xx.weight");
        assertMentions(refused(b, "missing"), "lacks 1 tensor", "blk.1.ffn_up.weight");
        b = tiny();
        rename(b, "output_norm.weight", "output_xxxx.weight");
        assertMentions(refused(b, "missing-norm"), "output_norm.weight");
        b = tiny();
        int dims = indexOf(b, "blk.0.ffn_gate.weight") + "blk.0.ffn_gate.weight".length();
        long ne0 = le(b).getLong(dims + 4);
        le(b).putLong(dims + 4, ne0 / 2);
        le(b).putLong(dims + 12, le(b).getLong(dims + 12) * 2);
        assertMentions(refused(b, "shape"), "tensor 'blk.0.ffn_gate.weight' has ggml shape");
    }

    @Test
    void metadataOfTheWrongTypeIsRefusedNamingTheKey() throws IOException {
        byte[] b = tiny();
        int key = indexOf(b, "gemma.embedding_length") + "gemma.embedding_length".length();
        le(b).putInt(key, 5);                                  // INT32 instead of UINT32: llama.cpp refuses it too
        assertMentions(refused(b, "int32"), "'gemma.embedding_length'", "expected a UINT32", "found a INT32");
        b = tiny();
        key = indexOf(b, "gemma.attention.layer_norm_rms_epsilon") + "gemma.attention.layer_norm_rms_epsilon".length();
        le(b).putInt(key, 4);
        assertMentions(refused(b, "eps"), "'gemma.attention.layer_norm_rms_epsilon'", "expected a FLOAT32");
        b = tiny();
        rename(b, "gemma.block_count", "gemma.block_cnt\0\0");
        refused(b, "no-block-count");
        b = tiny();
        key = indexOf(b, "tokenizer.ggml.add_space_prefix") + "tokenizer.ggml.add_space_prefix".length();
        b[key + 4] = 1;
        assertMentions(refused(b, "space-prefix"), "tokenizer.ggml.add_space_prefix", "expected false");
        b = tiny();
        key = indexOf(b, "tokenizer.ggml.add_space_prefix") + "tokenizer.ggml.add_space_prefix".length();
        b[key + 4] = 2;
        assertMentions(refused(b, "bool"), "tokenizer.ggml.add_space_prefix", "BOOL byte 2");
    }

    @Test
    void otherArchitecturesAreRefusedNamingGeneralArchitecture() throws IOException {
        byte[] b = tiny();
        int at = indexOf(b, "general.architecture") + "general.architecture".length() + 4 + 8;
        System.arraycopy("llama".getBytes(StandardCharsets.US_ASCII), 0, b, at, 5);
        assertMentions(refused(b, "llama"), "general.architecture", "\"llama\"", "\"gemma\", \"gemma2\" or \"gemma3\"");
    }

    @Test
    void vocabularyMustMatchTheEmbedding() throws IOException {
        byte[] b = tiny();
        int dims = indexOf(b, "token_embd.weight") + "token_embd.weight".length();
        le(b).putLong(dims + 12, le(b).getLong(dims + 12) - 1);
        assertMentions(refused(b, "vocab"), "token_embd.weight", "has ggml shape");
    }

    @Test
    void seededMutationsNeverEscapeAsAnythingButModelFormatException() throws IOException {
        byte[] original = tiny();
        int header = headerEnd(original);
        SplittableRandom random = new SplittableRandom(SEED);
        int refusedCount = 0;
        int loaded = 0;
        long start = System.nanoTime();
        for (int i = 0; i < 300; i++) {
            byte[] b = original.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(header);
                switch (random.nextInt(3)) {
                    case 0 -> b[at] = (byte) random.nextInt(256);
                    case 1 -> b[at] ^= (byte) (1 << random.nextInt(8));
                    default -> b[at] = (byte) (random.nextBoolean() ? 0xFF : 0);
                }
            }
            if (random.nextInt(8) == 0) b = Arrays.copyOf(b, random.nextInt(b.length));
            Path p = work.resolve("fuzz.gguf");
            Files.write(p, b);
            try (GgufCheckpoint g = GgufCheckpoint.open(p, true)) {
                g.tokenizer().encode("fuzz");
                loaded++;
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(p.toString()), "case " + i + ": names the file: " + e.getMessage());
                refusedCount++;
            }
        }
        System.out.printf("GGUF fuzz: 300 mutated headers (seed %d): %d refused, %d loaded (mutations that keep the file"
                + " valid, e.g. in a token's text), %.1f s%n", SEED, refusedCount, loaded, (System.nanoTime() - start) / 1e9);
        assertTrue(refusedCount > 100, "most mutations must be refused, " + refusedCount + " were");
    }

    /** The byte after the tensor infos: mutations go there, not into the weights. */
    private static int headerEnd(byte[] b) {
        int last = indexOf(b, "output_norm.weight") + "output_norm.weight".length();
        return last + 4 + 8 + 4 + 8;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The start of {@code text} in the header, preceded by its u64 length, as GGUF strings are written. */
    private static int indexOf(byte[] b, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 8; i + t.length <= b.length; i++) {
            for (int j = 0; j < t.length; j++) if (b[i + j] != t[j]) continue outer;
            if (le(b).getLong(i - 8) == t.length) return i;
        }
        throw new AssertionError("'" + text + "' not in the file");
    }

    /** Byte offset of a tensor info's u32 type (after its name, dimension count and dimensions). */
    private static int typeOf(byte[] b, String tensor) {
        int at = indexOf(b, tensor) + tensor.length();
        int dims = le(b).getInt(at);
        return at + 4 + 8 * dims;
    }

    private static void rename(byte[] b, String from, String to) {
        assertEquals(from.length(), to.length());
        int at = indexOf(b, from);
        System.arraycopy(to.getBytes(StandardCharsets.UTF_8), 0, b, at, to.length());
    }
}
