package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CheckpointTest {
    @TempDir
    Path tmp;

    private static long seed(String test) {
        long seed = System.nanoTime();
        System.out.println("CheckpointTest." + test + " seed " + seed);
        return seed;
    }

    /** Every tensor reads back bit-exactly as written (values were rounded to the dtype on write). */
    private static void assertSameValues(List<Tensor> written, WeightSource cp) {
        assertEquals(written.size(), cp.tensors().size());
        for (Tensor w : written) {
            Tensor r = cp.tensor(w.name());
            assertEquals(w.dtype(), r.dtype(), w.name());
            assertArrayEquals(w.shape(), r.shape(), w.name());
            for (long i = 0; i < w.elementCount(); i++) {
                assertEquals(Float.floatToRawIntBits(w.getFloat(i)), Float.floatToRawIntBits(r.getFloat(i)),
                        w.name() + "[" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void opensSingleFileCheckpoint(DType dtype) throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(dtype.torchName());
        List<Tensor> tensors = ModelFiles.randomTensors(c, dtype, seed("opensSingleFileCheckpoint " + dtype));
        ModelFiles.writeCheckpoint(tmp, c, tensors);
        Files.writeString(tmp.resolve("tokenizer.json"), "{}");
        try (Checkpoint cp = Checkpoint.open(tmp)) {
            assertEquals(c, cp.config());
            assertSameValues(tensors, cp);
            assertEquals(List.copyOf(GemmaTensorNames.expectedShapes(c).keySet()), List.copyOf(cp.tensors().keySet()));
            for (Tensor t : cp.tensors().values()) {
                assertTrue(t.data().isNative() && t.data().isReadOnly(), t.name() + " is a read-only mapped segment");
            }
            assertEquals(tmp.resolve("tokenizer.json").toAbsolutePath(), cp.tokenizerJson());
            assertEquals(Files.size(tmp.resolve(Checkpoint.SINGLE_FILE)) - cp.weightBytes() - 8,
                    headerLength(tmp.resolve(Checkpoint.SINGLE_FILE)));
        }
    }

    @Test
    void opensShardedCheckpoint() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig("bfloat16");
        List<Tensor> tensors = ModelFiles.randomTensors(c, DType.BF16, seed("opensShardedCheckpoint"));
        ModelFiles.writeSharded(tmp, c, tensors, 3);
        try (Checkpoint cp = Checkpoint.open(tmp)) {
            assertEquals(3, cp.files().size());
            assertSameValues(tensors, cp);
        }
    }

    /**
     * A 3.2 GB checkpoint (a sparse file: only the header and two written values occupy disk) opens
     * without reading its data into the heap, and byte offsets past 2^31 address the right element.
     */
    @Test
    void opensCheckpointLargerThan2GiBByMapping() throws IOException {
        GemmaConfig c = GemmaConfig.of(1_000_000, 800, 12, 1, 2, 1, 6, "float32");   // embed: 3.2e9 bytes
        Map<String, long[]> shapes = GemmaTensorNames.expectedShapes(c);
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        long embedBytes = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = 4;
            for (long d : e.getValue()) bytes *= d;
            if (e.getKey().equals(GemmaTensorNames.embed())) embedBytes = bytes;
            header.append(header.length() > 1 ? ", " : "").append(ModelFiles.entry(e.getKey(), "F32",
                    Arrays.toString(e.getValue()), offset, offset + bytes));
            offset += bytes;
        }
        byte[] h = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        Files.writeString(tmp.resolve("config.json"), c.toJson());
        Path file = tmp.resolve(Checkpoint.SINGLE_FILE);
        long dataStart = 8 + h.length;
        long lastEmbed = embedBytes / 4 - 1;                                 // element at byte offset ~3.2e9
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.setLength(dataStart + offset);
            raf.seek(dataStart + lastEmbed * 4);
            raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.25f).array());
            raf.seek(dataStart + (1L << 31));
            raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(-3.5f).array());
        }
        long heapBefore = usedHeap();
        try (Checkpoint cp = Checkpoint.open(tmp)) {
            long heapGrowth = usedHeap() - heapBefore;
            Tensor embed = cp.tensor(GemmaTensorNames.embed());
            assertEquals(3_200_000_000L, embed.data().byteSize());
            assertEquals(1.25f, embed.getFloat(lastEmbed));
            assertEquals(-3.5f, embed.getFloat((1L << 31) / 4));
            assertEquals(0f, embed.getFloat((1L << 31) / 4 + 1));
            // The header is a few kB; anything near the 3.2 GB data would mean a copy. Allow 64 MB of noise.
            assertTrue(heapGrowth < 64L << 20, "heap grew by " + heapGrowth + " bytes while opening");
            System.out.println("CheckpointTest.opensCheckpointLargerThan2GiB: heap growth " + heapGrowth + " bytes");
        }
    }

    private static long usedHeap() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void closeReleasesTheMappingWithoutCrashing() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        ModelFiles.writeCheckpoint(tmp, c, ModelFiles.randomTensors(c, DType.F32, seed("closeReleases")));
        Checkpoint cp = Checkpoint.open(tmp);
        Tensor embed = cp.tensor(GemmaTensorNames.embed());
        embed.getFloat(0);
        cp.close();
        cp.close();
        assertThrows(IllegalStateException.class, () -> embed.getFloat(0));
    }

    @Test
    void missingTokenizerAndUnknownTensorNameTheModel() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        ModelFiles.writeCheckpoint(tmp, c, ModelFiles.randomTensors(c, DType.F32, 1));
        try (Checkpoint cp = Checkpoint.open(tmp)) {
            assertMessage(assertThrows(ModelFormatException.class, cp::tokenizerJson), tmp.toString(), "tokenizer.json");
            assertMessage(assertThrows(ModelFormatException.class, () -> cp.tensor("model.layers.9.mlp.up_proj.weight")),
                    tmp.toString(), "model.layers.9.mlp.up_proj.weight");
        }
    }

    // ---- not a model folder ----

    @Test
    void rejectsFoldersThatAreNotModels() throws IOException {
        Path missing = tmp.resolve("nowhere");
        assertMessage(open(missing), missing.toString(), "no such directory");
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertMessage(open(file), file.toString(), "is a file");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertMessage(open(empty), empty.toString(), "config.json not found", "an empty folder");
        Path onlyConfig = Files.createDirectories(tmp.resolve("only-config"));
        Files.writeString(onlyConfig.resolve("config.json"), ModelFiles.smallConfig(null).toJson());
        assertMessage(open(onlyConfig), onlyConfig.toString(), "no weights", "model.safetensors", "[config.json]");
    }

    @Test
    void rejectsBrokenConfigBeforeReadingWeights() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        ModelFiles.writeCheckpoint(tmp, c, ModelFiles.randomTensors(c, DType.F32, 2));
        Files.writeString(tmp.resolve("config.json"), c.toJson().replaceFirst("\"head_dim\" : 6,", ""));
        assertMessage(open(tmp), "config.json", "'head_dim'", "required");
        Files.writeString(tmp.resolve("config.json"), c.toJson().replace("\"num_attention_heads\" : 2",
                "\"num_attention_heads\" : 3").replace("\"num_key_value_heads\" : 1", "\"num_key_value_heads\" : 2"));
        assertMessage(open(tmp), "config.json", "'num_key_value_heads'", "divisor of num_attention_heads 3", "found 2");
    }

    // ---- corrupt safetensors files ----

    @Test
    void rejectsFileShorterThanTheLengthPrefix() throws IOException {
        Path file = validCheckpoint();
        Files.write(file, new byte[] {1, 2, 3, 4, 5});
        assertMessage(open(tmp), file.toString(), "5 bytes", "at least 8");
    }

    @Test
    void rejectsFileTruncatedInsideTheData() throws IOException {
        Path file = validCheckpoint();
        long size = Files.size(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size - 100);
        }
        // Header order: the first tensor whose range now ends past the data is the last layer's down_proj.
        assertMessage(open(tmp), file.toString(), "model.layers.1.mlp.down_proj.weight", "data section", "past it");
    }

    @Test
    void rejectsCorruptHeaderJson() throws IOException {
        Path file = validCheckpoint();
        byte[] b = Files.readAllBytes(file);
        b[8 + 15] = '#';                                          // the ':' after "__metadata__"
        Files.write(file, b);
        assertMessage(open(tmp), file.toString(), "header (bytes 8 to", "not valid JSON", "header character");
    }

    @Test
    void rejectsHeaderLengthBeyondTheFile() throws IOException {
        Path file = validCheckpoint();
        byte[] b = Files.readAllBytes(file);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, b.length);
        Files.write(file, b);
        assertMessage(open(tmp), file.toString(), "header length " + b.length, "past the end",
                "at most " + (b.length - 8));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        Files.write(file, b);
        assertMessage(open(tmp), file.toString(), "header length 18446744073709551615", "past the end");
    }

    @Test
    void rejectsHeaderThatIsNotAnObjectOrHasDuplicateNames() throws IOException {
        Path file = validCheckpoint();
        ModelFiles.writeRaw(file, "[1, 2]", new byte[0]);
        assertMessage(open(tmp), file.toString(), "expected a JSON object", "array");
        String e = ModelFiles.entry("model.norm.weight", "F32", "[2]", 0, 8);
        ModelFiles.writeRaw(file, "{" + e + ", " + e + "}", new byte[8]);
        assertMessage(open(tmp), file.toString(), "not valid JSON", "Duplicate", "model.norm.weight");
    }

    @Test
    void rejectsOffsetsOutOfRange() throws IOException {
        Path file = validCheckpoint();
        ModelFiles.writeRaw(file, "{" + ModelFiles.entry("model.norm.weight", "F32", "[8]", 0, 32) + "}", new byte[24]);
        assertMessage(open(tmp), file.toString(), "'model.norm.weight'", "[0, 32]", "24 bytes", "8 bytes past it");
        ModelFiles.writeRaw(file, "{" + ModelFiles.entry("model.norm.weight", "F32", "[0]", 16, 8) + "}", new byte[24]);
        assertMessage(open(tmp), file.toString(), "'model.norm.weight'", "[16, 8]", "begin <= end");
        ModelFiles.writeRaw(file, "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [8], \"data_offsets\": [-4, 28]}}",
                new byte[32]);
        assertMessage(open(tmp), file.toString(), "'model.norm.weight'", "data_offsets", "non-negative integers");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        Path file = validCheckpoint();
        ModelFiles.writeRaw(file, "{" + ModelFiles.entry("model.norm.weight", "F32", "[8]", 0, 32) + ", "
                + ModelFiles.entry("model.embed_tokens.weight", "F32", "[8]", 16, 48) + "}", new byte[48]);
        assertMessage(open(tmp), file.toString(), "'model.embed_tokens.weight'", "[16, 48]", "overlap",
                "'model.norm.weight' [0, 32]");
    }

    @Test
    void rejectsHolesAndTrailingBytesInTheDataSection() throws IOException {
        Path file = validCheckpoint();
        ModelFiles.writeRaw(file, "{" + ModelFiles.entry("model.norm.weight", "F32", "[8]", 0, 32) + ", "
                + ModelFiles.entry("model.embed_tokens.weight", "F32", "[8]", 40, 72) + "}", new byte[72]);
        assertMessage(open(tmp), file.toString(), "bytes [32, 40)", "belong to no tensor", "'model.embed_tokens.weight'");
        ModelFiles.writeRaw(file, "{" + ModelFiles.entry("model.norm.weight", "F32", "[8]", 0, 32) + "}", new byte[40]);
        assertMessage(open(tmp), file.toString(), "fill the data section of 40 bytes", "end at 32");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        Path file = validCheckpoint();
        ModelFiles.writeRaw(file, "{" + ModelFiles.entry("model.norm.weight", "F64", "[8]", 0, 64) + "}", new byte[64]);
        assertMessage(open(tmp), file.toString(), "'model.norm.weight'", "'F64'", "[F32, BF16, F16]");
    }

    @Test
    void rejectsByteLengthThatDisagreesWithDtypeAndShape() throws IOException {
        Path file = validCheckpoint();
        ModelFiles.writeRaw(file, "{" + ModelFiles.entry("model.norm.weight", "BF16", "[8]", 0, 32) + "}", new byte[32]);
        assertMessage(open(tmp), file.toString(), "'model.norm.weight'", "BF16 [8]", "expected 16 bytes", "hold 32");
    }

    @Test
    void rejectsMissingEntryFields() throws IOException {
        Path file = validCheckpoint();
        ModelFiles.writeRaw(file, "{\"model.norm.weight\": {\"dtype\": \"F32\", \"data_offsets\": [0, 32]}}",
                new byte[32]);
        assertMessage(open(tmp), file.toString(), "'model.norm.weight'", "missing \"shape\"");
    }

    // ---- tensors that disagree with config.json ----

    @Test
    void rejectsShapeThatDisagreesWithConfig() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        List<Tensor> tensors = replace(ModelFiles.randomTensors(c, DType.F32, seed("rejectsShape")),
                GemmaTensorNames.layer(1, GemmaTensorNames.K_PROJ), new long[] {12, 8});
        ModelFiles.writeCheckpoint(tmp, c, tensors);
        assertMessage(open(tmp), "model.safetensors", "'model.layers.1.self_attn.k_proj.weight'", "has shape [12, 8]",
                "expected [6, 8]", "num_key_value_heads * head_dim", "config.json");
    }

    @Test
    void rejectsMissingTensor() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        List<Tensor> tensors = new ArrayList<>(ModelFiles.randomTensors(c, DType.F32, seed("rejectsMissing")));
        tensors.removeIf(t -> t.name().equals(GemmaTensorNames.finalNorm()));
        ModelFiles.writeCheckpoint(tmp, c, tensors);
        assertMessage(open(tmp), tmp.toString(), "[model.safetensors]", "lack 1 tensor", "'model.norm.weight'",
                "shape [8]");
    }

    @Test
    void rejectsExtraTensorsAndAnUntiedHead() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        List<Tensor> tensors = new ArrayList<>(ModelFiles.randomTensors(c, DType.F32, seed("rejectsExtra")));
        tensors.add(Tensor.of("model.layers.2.input_layernorm.weight", DType.F32, new long[] {8}, new float[8]));
        ModelFiles.writeCheckpoint(tmp, c, tensors);
        assertMessage(open(tmp), "model.safetensors", "model.layers.2.input_layernorm.weight", "does not imply");
        tensors.removeLast();
        tensors.add(Tensor.of("lm_head.weight", DType.F32, new long[] {32, 8}, new float[256]));
        ModelFiles.writeCheckpoint(tmp, c, tensors);
        assertMessage(open(tmp), "model.safetensors", "'lm_head.weight'", "untied head");
    }

    // ---- sharded checkpoints ----

    @Test
    void rejectsIndexNamingAMissingShard() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        ModelFiles.writeSharded(tmp, c, ModelFiles.randomTensors(c, DType.F32, seed("rejectsMissingShard")), 2);
        Files.delete(tmp.resolve("model-00002-of-00002.safetensors"));
        assertMessage(open(tmp), "model.safetensors.index.json", "'model-00002-of-00002.safetensors'",
                "does not exist");
    }

    /** A shard or weight file that exists but is not a regular file is named as what it is. */
    @Test
    void namesWeightFilesThatAreNotRegularFiles() throws IOException, InterruptedException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        ModelFiles.writeSharded(tmp, c, ModelFiles.randomTensors(c, DType.F32, seed("notRegularShard")), 2);
        Path second = tmp.resolve("model-00002-of-00002.safetensors");
        Files.delete(second);
        Files.createDirectory(second);
        assertMessage(open(tmp), "'model-00002-of-00002.safetensors'", "not a regular file (found a directory)");
        Files.delete(second);
        Files.createSymbolicLink(second, Path.of("/dev/zero"));
        assertMessage(open(tmp), "'model-00002-of-00002.safetensors'", "not a regular file (found a character device)");
        Files.delete(second);
        assertEquals(0, new ProcessBuilder("mkfifo", second.toString()).inheritIO().start().waitFor());
        assertMessage(open(tmp), "'model-00002-of-00002.safetensors'", "not a regular file (found a named pipe)");
        Files.delete(second);
        Files.delete(tmp.resolve(Checkpoint.INDEX));
        Files.createDirectory(tmp.resolve(Checkpoint.SINGLE_FILE));
        assertMessage(open(tmp), Checkpoint.SINGLE_FILE, "expected a regular file, found a directory");
    }

    @Test
    void refusesAnOversizedIndex() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        ModelFiles.writeSharded(tmp, c, ModelFiles.randomTensors(c, DType.F32, seed("oversizedIndex")), 2);
        try (RandomAccessFile raf = new RandomAccessFile(tmp.resolve(Checkpoint.INDEX).toFile(), "rw")) {
            raf.setLength(3_000_000_000L);                              // sparse
        }
        assertMessage(open(tmp), Checkpoint.INDEX, "is 3000000000 bytes, expected at most " + (64L << 20));
    }

    /**
     * The safetensors format allows a 100,000,000-byte header; one of 99 MB whose metadata holds a
     * single long string (beyond Jackson's default 20 MB string limit) opens.
     */
    @Test
    void opensAHeaderOf99MB() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        List<Tensor> tensors = ModelFiles.randomTensors(c, DType.F32, seed("opensAHeaderOf99MB"));
        ModelFiles.writeCheckpoint(tmp, c, tensors);
        Path file = tmp.resolve(Checkpoint.SINGLE_FILE);
        SafeTensorsWriter.write(file, tensors, Map.of("format", "pt", "notes", "x".repeat(99_000_000)));
        long header = headerLength(file);
        assertTrue(header > 99_000_000 && header <= SafeTensorsHeader.MAX_HEADER_BYTES, "header " + header);
        try (Checkpoint cp = Checkpoint.open(tmp)) {
            assertSameValues(tensors, cp);
        }
    }

    @Test
    void rejectsIndexThatDisagreesWithTheShards() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        List<Tensor> tensors = ModelFiles.randomTensors(c, DType.F32, seed("rejectsIndexDisagreement"));
        ModelFiles.writeSharded(tmp, c, tensors, 2);
        String first = "model-00001-of-00002.safetensors";
        String second = "model-00002-of-00002.safetensors";
        int perShard = (tensors.size() + 1) / 2;                  // as ModelFiles.writeSharded deals them
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < tensors.size(); i++) weightMap.put(tensors.get(i).name(), i < perShard ? first : second);

        Map<String, String> misplaced = new LinkedHashMap<>(weightMap);
        misplaced.put(GemmaTensorNames.embed(), second);
        ModelFiles.writeIndex(tmp, misplaced);
        assertMessage(open(tmp), first, "'model.embed_tokens.weight'", "places in shard '" + second + "'");

        Map<String, String> phantom = new LinkedHashMap<>(weightMap);
        phantom.put("model.layers.7.mlp.up_proj.weight", second);
        ModelFiles.writeIndex(tmp, phantom);
        assertMessage(open(tmp), "model.safetensors.index.json", "'model.layers.7.mlp.up_proj.weight'",
                "does not hold it");

        Map<String, String> unlisted = new LinkedHashMap<>(weightMap);
        unlisted.remove(GemmaTensorNames.finalNorm());
        ModelFiles.writeIndex(tmp, unlisted);
        assertMessage(open(tmp), second, "'model.norm.weight'", "does not list");

        Map<String, String> escaping = new LinkedHashMap<>(weightMap);
        escaping.put(GemmaTensorNames.finalNorm(), "../" + second);
        ModelFiles.writeIndex(tmp, escaping);
        assertMessage(open(tmp), "model.safetensors.index.json", "'../" + second + "'", "a file name inside");
    }

    // ---- building and checking files ----

    private Path validCheckpoint() throws IOException {
        GemmaConfig c = ModelFiles.smallConfig(null);
        ModelFiles.writeCheckpoint(tmp, c, ModelFiles.randomTensors(c, DType.F32, 3));
        return tmp.resolve(Checkpoint.SINGLE_FILE).toAbsolutePath();
    }

    private static List<Tensor> replace(List<Tensor> tensors, String name, long[] shape) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : tensors) {
            long n = shape[0] * shape[1];
            out.add(t.name().equals(name) ? Tensor.of(name, t.dtype(), shape, new float[(int) n]) : t);
        }
        return out;
    }

    private static ModelFormatException open(Path dir) {
        return assertThrows(ModelFormatException.class, () -> Checkpoint.open(dir).close());
    }

    private static void assertMessage(Exception e, String... fragments) {
        System.out.println("  " + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks '" + f + "': " + e.getMessage());
        }
    }

    private static long headerLength(Path file) throws IOException {
        byte[] b = new byte[8];
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.readFully(b);
        }
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
