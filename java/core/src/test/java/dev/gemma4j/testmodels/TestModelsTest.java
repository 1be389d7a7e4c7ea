package dev.gemma4j.testmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestModelsTest {
    private static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "test-model.json");

    @TempDir
    Path tmp;
    private Path tokenizer;

    /** Checkpoint.open does not read tokenizer.json, so any file stands in for Gemma's 17 MB one. */
    @BeforeEach
    void fakeTokenizer() throws IOException {
        tokenizer = Files.writeString(tmp.resolve("fake-tokenizer.json"), "{\"model\": {\"type\": \"BPE\"}}");
    }

    @Test
    void sameSpecGivesByteIdenticalFilesAndAnotherSeedDoesNot() throws IOException {
        TestModelSpec spec = TestModels.preset("tiny-mqa", DType.BF16);
        Path a = TestModels.write(spec, tmp.resolve("a"), tokenizer);
        Path b = TestModels.write(spec, tmp.resolve("b"), tokenizer);
        for (String f : FILES) assertEquals(-1L, Files.mismatch(a.resolve(f), b.resolve(f)), f);
        TestModelSpec reseeded = new TestModelSpec(spec.name(), spec.vocabSize(), spec.hiddenSize(),
                spec.intermediateSize(), spec.layers(), spec.heads(), spec.kvHeads(), spec.headDim(), spec.dtype(),
                spec.seed() + 1, false, false);
        Path c = TestModels.write(reseeded, tmp.resolve("c"), tokenizer);
        assertEquals(-1L, Files.mismatch(a.resolve("config.json"), c.resolve("config.json")));
        assertNotEquals(-1L, Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")));
    }

    @Test
    void everyPresetOpensWithTheShapesItsConfigImplies() throws IOException {
        assertTrue(TestModels.presetNames().containsAll(List.of("tiny-mqa", "tiny-mha")));
        for (String name : TestModels.presetNames()) {
            TestModelSpec spec = TestModels.preset(name, DType.F32);
            Path dir = TestModels.write(spec, tmp.resolve(name), tokenizer);
            try (Checkpoint cp = Checkpoint.open(dir)) {
                assertEquals(spec.config(), cp.config());
                assertEquals("float32", cp.config().torchDtype());
                assertEquals(spec.modelType().equals("gemma3") ? 262208 : 256000, cp.config().vocabSize());
                Map<String, long[]> expected = GemmaTensorNames.expectedShapes(spec.config());
                assertEquals(expected.keySet(), cp.tensors().keySet());
                for (Tensor t : cp.tensors().values()) {
                    assertArrayEquals(expected.get(t.name()), t.shape(), t.name());
                    assertEquals(DType.F32, t.dtype(), t.name());
                }
                assertEquals(spec.config().parameterCount(), cp.weightBytes() / 4);
                assertEquals(dir.resolve("tokenizer.json").toAbsolutePath(), cp.tokenizerJson());
            }
            System.out.printf("%s: heads %d, kv heads %d, head_dim %d, %,d parameters%n", name, spec.heads(),
                    spec.kvHeads(), spec.headDim(), spec.config().parameterCount());
        }
        TestModelSpec mqa = TestModels.preset("tiny-mqa", DType.F32);
        assertNotEquals(mqa.hiddenSize(), mqa.heads() * mqa.headDim(), "tiny-mqa: q_proj wider than hidden, as 7B");
        assertEquals(1, mqa.kvHeads());
        TestModelSpec mha = TestModels.preset("tiny-mha", DType.F32);
        assertEquals(mha.heads(), mha.kvHeads());
    }

    /** The BF16 and F16 models hold exactly the F32 model's values rounded to nearest even. */
    @Test
    void lowerPrecisionModelsAreTheF32ModelRounded() throws IOException {
        Path f32 = TestModels.write(TestModels.preset("tiny-gqa", DType.F32), tmp.resolve("f32"), tokenizer);
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            Path low = TestModels.write(TestModels.preset("tiny-gqa", dtype), tmp.resolve(dtype.shortName()), tokenizer);
            try (Checkpoint a = Checkpoint.open(f32); Checkpoint b = Checkpoint.open(low)) {
                assertEquals(dtype.torchName(), b.config().torchDtype());
                long differing = 0;
                for (Tensor ta : a.tensors().values()) {
                    Tensor tb = b.tensor(ta.name());
                    assertEquals(dtype, tb.dtype());
                    for (long i = 0; i < ta.elementCount(); i++) {
                        float want = dtype.round(ta.getFloat(i));
                        float got = tb.getFloat(i);
                        if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) {
                            differing++;
                        }
                    }
                }
                assertEquals(0, differing, dtype + " elements that are not the F32 value rounded");
            }
        }
    }

    /**
     * Each weight family follows the recipe of TestModelWeights. Tolerances are at least four
     * standard errors of the sample statistic (std error of a sample std is about std / sqrt(2n)).
     */
    @Test
    void weightStatisticsFollowTheRecipe() throws IOException {
        TestModelSpec spec = TestModels.preset("tiny-mqa", DType.F32);
        Path dir = TestModels.write(spec, tmp.resolve("m"), tokenizer);
        try (Checkpoint cp = Checkpoint.open(dir)) {
            // 16,384,000 samples: std error 0.02 %; allow 0.5 %.
            assertStats(cp.tensor(GemmaTensorNames.embed()), 0, 0.5 / 8, 0.005);
            for (int l = 0; l < spec.layers(); l++) {
                // 8,192 samples: std error 0.8 %; allow 5 %.
                assertStats(cp.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.Q_PROJ)), 0, 3 / 8.0, 0.05);
                assertStats(cp.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.O_PROJ)), 0, 4 / Math.sqrt(128), 0.05);
                // 2,048 samples: std error 1.6 %; allow 8 %.
                assertStats(cp.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.K_PROJ)), 0, 1 / 8.0, 0.08);
                // 16,384 samples: std error 0.6 %; allow 4 %.
                assertStats(cp.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.GATE_PROJ)), 0, 1 / 8.0, 0.04);
                assertStats(cp.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.DOWN_PROJ)), 0, 4 / 16.0, 0.04);
                // 64 samples: std error 9 %; allow 40 %.
                assertStats(cp.tensor(GemmaTensorNames.layer(l, GemmaTensorNames.INPUT_LAYERNORM)), 0, 0.1, 0.4);
            }
            assertStats(cp.tensor(GemmaTensorNames.finalNorm()), 2.0, 0.1, 0.4);
        }
    }

    /** tiny-mqa-attn is tiny-mqa with every down_proj zero and nothing else changed. */
    @Test
    void attentionOnlyPresetZeroesDownProjOnly() throws IOException {
        Path full = TestModels.write(TestModels.preset("tiny-mqa", DType.F32), tmp.resolve("full"), tokenizer);
        Path attn = TestModels.write(TestModels.preset("tiny-mqa-attn", DType.F32), tmp.resolve("attn"), tokenizer);
        try (Checkpoint a = Checkpoint.open(full); Checkpoint b = Checkpoint.open(attn)) {
            for (Tensor ta : a.tensors().values()) {
                Tensor tb = b.tensor(ta.name());
                if (ta.name().endsWith(GemmaTensorNames.DOWN_PROJ)) {
                    for (long i = 0; i < tb.elementCount(); i++) assertEquals(0f, tb.getFloat(i), ta.name());
                    assertTrue(sumSquares(ta) > 0, ta.name() + " is not zero in tiny-mqa");
                } else {
                    assertEquals(-1L, ta.data().mismatch(tb.data()), ta.name());
                }
            }
        }
    }

    @Test
    void splitMixMatchesTheJdkAndDrawsStandardNormals() {
        long seed = System.nanoTime();
        System.out.println("TestModelsTest.splitMix seed " + seed);
        // java.util.SplittableRandom(seed) runs the same SplitMix64 (gamma 0x9E3779B97F4A7C15, mix variant 13).
        SplitMix64 ours = new SplitMix64(seed);
        SplittableRandom jdk = new SplittableRandom(seed);
        for (int i = 0; i < 1000; i++) assertEquals(jdk.nextLong(), ours.nextLong());
        SplitMix64 g = new SplitMix64(seed);
        int n = 1_000_000;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double x = g.nextGaussian();
            sum += x;
            sumSq += x * x;
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        // Std errors: mean 0.001, variance 0.0014; allow five of each.
        assertEquals(0, mean, 0.005);
        assertEquals(1, var, 0.007);
        assertNotEquals(SplitMix64.derive(1, "a"), SplitMix64.derive(1, "b"));
        assertNotEquals(SplitMix64.derive(1, "a"), SplitMix64.derive(2, "a"));
    }

    // ---- names, resolve and the command line ----

    @Test
    void builtInNamesParseWithDtypeSuffixes() {
        assertEquals(DType.F32, TestModels.parse("tiny-mqa").dtype());
        assertEquals(DType.BF16, TestModels.parse("tiny-mha-bf16").dtype());
        TestModelSpec attn = TestModels.parse("tiny-mqa-attn-f16");
        assertEquals("tiny-mqa-attn", attn.name());
        assertEquals(DType.F16, attn.dtype());
        assertEquals("tiny-mqa-attn-f16", attn.folderName());
        for (String notBuiltIn : new String[] {"tiny-mqq", "tiny-mqa-f64", "TINY-MQA", "./tiny-mqa", "", "-f32"}) {
            assertFalse(TestModels.isBuiltIn(notBuiltIn), notBuiltIn);
        }
        assertNull(TestModels.parse(null));
        assertThrows(IllegalArgumentException.class, () -> TestModels.preset("tiny-mqq", DType.F32));
    }

    @Test
    void resolveTakesDirectoriesAndRejectsUnknownNames() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("some-model"));
        assertEquals(dir.toAbsolutePath(), TestModels.resolve(dir.toString()));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TestModels.resolve("tiny-mqq"));
        assertTrue(e.getMessage().contains("'tiny-mqq'") && e.getMessage().contains("tiny-mqa")
                && e.getMessage().contains("-bf16"), e.getMessage());
    }

    @Test
    void resolveGeneratesOnceAndRegeneratesStaleOrIncompleteFolders() throws IOException {
        Path root = tmp.resolve("generated");
        Path dir = TestModels.resolve("tiny-gqa-bf16", root, tokenizer);
        assertEquals(root.resolve("tiny-gqa-bf16").toAbsolutePath(), dir);
        Path fresh = TestModels.write(TestModels.preset("tiny-gqa", DType.BF16), tmp.resolve("fresh"), tokenizer);
        assertSameFiles(fresh, dir);

        FileTime stamp = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(dir.resolve("model.safetensors"), stamp);
        assertEquals(dir, TestModels.resolve("tiny-gqa-bf16", root, tokenizer));
        assertEquals(stamp, Files.getLastModifiedTime(dir.resolve("model.safetensors")), "reused, not rewritten");

        Files.writeString(dir.resolve("test-model.json"), "{\"generator_version\": 0}");
        TestModels.resolve("tiny-gqa-bf16", root, tokenizer);
        assertSameFiles(fresh, dir);

        Files.delete(dir.resolve("model.safetensors"));
        TestModels.resolve("tiny-gqa-bf16", root, tokenizer);
        assertSameFiles(fresh, dir);
        assertEquals(List.of("tiny-gqa-bf16"), listing(root), "no temporary or stale folders left");
    }

    /** Threads stand in for separate JVMs: generate() holds no lock, only the file-system protocol. */
    @Test
    void concurrentGenerationLeavesOneCompleteFolder() throws Exception {
        Path root = tmp.resolve("generated");
        TestModelSpec spec = TestModels.preset("tiny-mha", DType.F16);
        Path fresh = TestModels.write(spec, tmp.resolve("fresh"), tokenizer);
        Files.createDirectories(root.resolve(spec.folderName()));
        Files.writeString(root.resolve(spec.folderName()).resolve("test-model.json"), "stale");
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return TestModels.generate(spec, root, tokenizer);
                }));
            }
            for (Future<Path> f : results) assertEquals(root.resolve(spec.folderName()).toAbsolutePath(), f.get());
        } finally {
            pool.shutdown();
        }
        assertSameFiles(fresh, root.resolve(spec.folderName()));
        assertEquals(List.of(spec.folderName()), listing(root), "no temporary or stale folders left");
    }

    /**
     * A generation killed part-way (Ctrl-C on first use) leaves its scratch folder; the next
     * generation deletes it once the killed process's lock is gone, and leaves a live one alone.
     */
    @Test
    void scratchFoldersOfKilledGenerationsAreSwept() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("generated"));
        Process live = holdScratch(root, "tiny-mqa-f32");
        Process killed = holdScratch(root, "tiny-mha-f32");
        try {
            killed.destroyForcibly().waitFor();
            assertEquals(4, listing(root).size(), "two scratch folders and their lock files: " + listing(root));
            TestModelSpec spec = TestModels.preset("tiny-gqa", DType.BF16);
            TestModels.generate(spec, root, tokenizer);
            List<String> left = listing(root);
            assertEquals(3, left.size(), "the killed generation's folder and lock are gone: " + left);
            assertTrue(left.contains(spec.folderName()), left.toString());
            assertTrue(left.stream().filter(n -> n.startsWith(".tmp-tiny-mqa-f32-")).count() == 2,
                    "the live generation's folder and lock are kept: " + left);
        } finally {
            live.destroyForcibly().waitFor();
        }
        TestModels.sweepAbandoned(root);
        assertEquals(List.of("tiny-gqa-bf16"), listing(root), "swept once its process ended");
    }

    private static Process holdScratch(Path root, String name) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ScratchHolder.class.getName(), root.toString(), name).redirectErrorStream(true).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)).readLine();
        assertTrue(line != null && line.startsWith("ready "), "scratch holder said: " + line);
        return p;
    }

    @Test
    void commandLineWritesRequestedPresetsAndRejectsBadArguments() {
        Path out = tmp.resolve("out");
        Run ok = run(out.toString(), "tiny-gqa", "--dtype", "bf16,f16", "--tokenizer", tokenizer.toString());
        assertEquals(0, ok.rc, ok.err);
        assertTrue(Files.isRegularFile(out.resolve("tiny-gqa-bf16").resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("tiny-gqa-f16").resolve("model.safetensors")));
        assertEquals(2, ok.out.lines().count(), ok.out);
        assertTrue(ok.out.contains("16,507,200 parameters"), ok.out);

        Run badPreset = run(out.toString(), "tiny-xyz", "--tokenizer", tokenizer.toString());
        assertEquals(2, badPreset.rc);
        assertTrue(badPreset.err.contains("unknown test model 'tiny-xyz'"), badPreset.err);
        assertEquals(2, run().rc);
        assertEquals(2, run(out.toString(), "--dtype").rc);
        assertEquals(2, run(out.toString(), "--dtype", "f64").rc);
        assertEquals(2, run(out.toString(), "--bogus").rc);
        assertEquals(0, run("--help").rc);
    }

    // ---- building and checking files ----

    private record Run(int rc, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = TestModels.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertSameFiles(Path expected, Path actual) throws IOException {
        for (String f : FILES) assertEquals(-1L, Files.mismatch(expected.resolve(f), actual.resolve(f)), f);
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static double sumSquares(Tensor t) {
        double s = 0;
        for (long i = 0; i < t.elementCount(); i++) s += (double) t.getFloat(i) * t.getFloat(i);
        return s;
    }

    private static void assertStats(Tensor t, double mean, double std, double relTol) {
        long n = t.elementCount();
        double sum = 0;
        double sumSq = 0;
        for (long i = 0; i < n; i++) {
            double x = t.getFloat(i);
            sum += x;
            sumSq += x * x;
        }
        double m = sum / n;
        double s = Math.sqrt(sumSq / n - m * m);
        System.out.printf("  %s: mean %.5f (want %.5f), std %.5f (want %.5f)%n", t.name(), m, mean, s, std);
        assertEquals(std, s, relTol * std, t.name() + " std");
        // The mean's std error is std / sqrt(n); allow five.
        assertEquals(mean, m, 5 * std / Math.sqrt(n), t.name() + " mean");
    }
}
