package dev.gemma4j.testmodels;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.Home;
import dev.gemma4j.hub.HubCache;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GgufCheckpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.SafeTensorsWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Built-in tiny Gemma models with deterministic weights, generated on first use.
 *
 * <p>Presets (all with Gemma's 256000-entry vocabulary, so the real tokenizer applies, hidden 64,
 * GeGLU 256, 2 layers, 4 query heads):
 * <ul>
 *   <li>{@code tiny-mqa}: 1 key/value head, head_dim 32. Multi-query like Gemma 2B, and q_proj is
 *       128 x 64 (heads x head_dim wider than hidden) like Gemma 7B.</li>
 *   <li>{@code tiny-mha}: 4 key/value heads, head_dim 32: multi-head with q_proj 128 x 64, the shape
 *       of Gemma 7B.</li>
 *   <li>{@code tiny-gqa}: 2 key/value heads, head_dim 16: heads x head_dim equals hidden as in Gemma 2B,
 *       and groups of two query heads per key/value head, which tells apart kv-head indexing mistakes
 *       that multi-query and multi-head models both hide.</li>
 *   <li>{@code tiny-mqa-attn}: {@code tiny-mqa} with every down_proj zero, so the MLP adds nothing;
 *       its other weights equal tiny-mqa's. For comparisons with llama.cpp, whose fp16 GELU table
 *       is then out of the picture.</li>
 *   <li>{@code tiny-gemma2}: Gemma 2's layers (sandwich norms, soft-caps, a sliding layer then a full
 *       one, window 4), 2 key/value heads, head_dim 32.</li>
 *   <li>{@code tiny-gemma3}: Gemma 3's layers (q/k norms, a sliding layer then a full one, window 4,
 *       linear RoPE scaling), Gemma 3's vocabulary of 262208 rows and tokenizer
 *       ({@link Home#gemma3TokenizerJson()}), 2 key/value heads, head_dim 32.</li>
 * </ul>
 * A built-in name may end in {@code -f32} (the default), {@code -bf16} or {@code -f16}. Generated
 * folders live in {@link Home#generatedModels()} as {@code <preset>-<dtype>}.
 */
public final class TestModels {
    private TestModels() {}

    /** Changes whenever the weight recipe changes, so stale generated folders are regenerated. */
    static final int GENERATOR_VERSION = 2;
    /** The recipe file written beside the weights; a folder whose recipe differs is regenerated. */
    static final String RECIPE = "test-model.json";
    /** Names of a generation's temporary folder and its lock file ({@code <folder>.lock}), in the root. */
    static final String TMP_PREFIX = ".tmp-";
    static final String LOCK_SUFFIX = ".lock";
    /** Names of a stale model folder renamed aside to be deleted. */
    static final String STALE_PREFIX = ".stale-";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String GENERATION_CONFIG = "generation_config.json";

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Map<String, TestModelSpec> PRESETS = presets();

    private static Map<String, TestModelSpec> presets() {
        Map<String, TestModelSpec> m = new LinkedHashMap<>();
        m.put("tiny-mqa", new TestModelSpec("tiny-mqa", 256000, 64, 256, 2, 4, 1, 32, DType.F32,
                0x6A09E667F3BCC908L, false, false));
        m.put("tiny-mha", new TestModelSpec("tiny-mha", 256000, 64, 256, 2, 4, 4, 32, DType.F32,
                0xBB67AE8584CAA73BL, false, false));
        m.put("tiny-gqa", new TestModelSpec("tiny-gqa", 256000, 64, 256, 2, 4, 2, 16, DType.F32,
                0x3C6EF372FE94F82BL, false, false));
        m.put("tiny-mqa-attn", new TestModelSpec("tiny-mqa-attn", 256000, 64, 256, 2, 4, 1, 32, DType.F32,
                0x6A09E667F3BCC908L, true, false));
        m.put("tiny-gemma2", new TestModelSpec("tiny-gemma2", 256000, 64, 256, 2, 4, 2, 32, DType.F32,
                0x510E527FADE682D1L, false, false, "gemma2"));
        m.put("tiny-gemma3", new TestModelSpec("tiny-gemma3", 262208, 64, 256, 2, 4, 2, 32, DType.F32,
                0x9B05688C2B3E6C1FL, false, false, "gemma3"));
        return m;
    }

    /** The preset names, without dtype suffix. */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    /** @throws IllegalArgumentException naming the unknown preset and the known ones */
    public static TestModelSpec preset(String name, DType dtype) {
        TestModelSpec spec = PRESETS.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("unknown test model '" + name + "', expected one of " + presetNames());
        }
        return spec.withDtype(dtype);
    }

    /**
     * Writes the model folder for {@code spec} into {@code dir} (created if needed): config.json,
     * model.safetensors, Gemma's tokenizer.json from {@link Home#gemmaTokenizerJson()},
     * tokenizer_config.json and the recipe test-model.json.
     */
    public static Path write(TestModelSpec spec, Path dir) throws IOException {
        return write(spec, dir, tokenizerJson(spec));
    }

    /** The tokenizer a spec's model ships with: Gemma 3's for Gemma 3, else Gemma's (also Gemma 2's). */
    static Path tokenizerJson(TestModelSpec spec) {
        return spec.modelType().equals("gemma3") ? Home.gemma3TokenizerJson() : Home.gemmaTokenizerJson();
    }

    /** As {@link #write(TestModelSpec, Path)}, copying {@code tokenizerJson} as the model's tokenizer.json. */
    public static Path write(TestModelSpec spec, Path dir, Path tokenizerJson) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Checkpoint.CONFIG), spec.config().toJson());
        try (Arena arena = Arena.ofConfined()) {
            SafeTensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), TestModelWeights.generate(spec, arena),
                    Map.of("format", "pt"));
        }
        Files.copy(tokenizerJson, dir.resolve(Checkpoint.TOKENIZER), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve(TOKENIZER_CONFIG), tokenizerConfig());
        if (!spec.modelType().equals("gemma")) {
            ObjectNode generation = JSON.createObjectNode();
            generation.put("bos_token_id", 2);
            var ends = generation.putArray("eos_token_id");
            for (int id : spec.family().endTokenIds()) ends.add(id);
            Files.writeString(dir.resolve(GENERATION_CONFIG), pretty(generation));
        }
        Files.writeString(dir.resolve(RECIPE), recipe(spec));
        return dir;
    }

    /** Whether {@code nameOrDir} is a preset name, optionally with a -f32/-bf16/-f16 suffix. */
    public static boolean isBuiltIn(String nameOrDir) {
        return parse(nameOrDir) != null;
    }

    /**
     * The model folder for {@code nameOrDir}: a built-in name is generated into
     * {@link Home#generatedModels()} when its folder is missing or was made by another recipe;
     * anything else is taken as a directory path, and when no such directory exists, an
     * {@code owner/name} is looked up in the local Hugging Face cache ({@link HubCache}). Built-in
     * names win over same-named directories in the working directory (write {@code ./tiny-mqa} for those).
     *
     * @throws ModelFormatException when nameOrDir is neither a built-in name, a directory nor a model in
     *     the Hugging Face cache
     */
    public static Path resolve(String nameOrDir) {
        TestModelSpec spec = parse(nameOrDir);
        if (spec == null) return existingDirectory(nameOrDir);
        Path root = Home.generatedModels();
        Path target = root.resolve(spec.folderName()).toAbsolutePath();
        if (isCurrent(target, spec)) return target;             // no tokenizer needed for a folder already made
        return resolve(nameOrDir, root, tokenizerJson(spec));
    }

    /**
     * As {@link #resolve(String)} with an explicit generated-models root and tokenizer; one
     * generation at a time in this JVM ({@link #generate} coordinates separate processes).
     */
    static synchronized Path resolve(String nameOrDir, Path root, Path tokenizerJson) {
        TestModelSpec spec = parse(nameOrDir);
        if (spec == null) return existingDirectory(nameOrDir);
        return generate(spec, root, tokenizerJson);
    }

    /**
     * The folder {@code root/<spec.folderName()>}, generated unless it holds this spec's recipe and
     * every file. Safe to call from several processes at once: each writes a private temporary folder
     * and renames it into place; a process that loses the race uses the winner's folder, and a stale
     * folder is first renamed aside, then deleted.
     */
    static Path generate(TestModelSpec spec, Path root, Path tokenizerJson) {
        Path target = root.resolve(spec.folderName()).toAbsolutePath();
        if (isCurrent(target, spec)) return target;
        try {
            Files.createDirectories(root);
            sweepAbandoned(root);
            try (Scratch scratch = Scratch.open(root, spec.folderName())) {
                Path tmp = scratch.folder();
                try {
                    write(spec, tmp, tokenizerJson);
                    if (Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                        // The model folder is as readable as its files.
                        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                    for (int attempt = 0; ; attempt++) {
                        try {
                            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                            return target;
                        } catch (IOException e) {
                            if (!Files.exists(target) || attempt == 3) throw e;
                            if (isCurrent(target, spec)) return target;
                            moveAsideAndDelete(root, target);
                        }
                    }
                } finally {
                    if (Files.exists(tmp)) deleteTree(tmp);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("generating test model " + spec.folderName() + " in " + root + ": " + e, e);
        }
    }

    /**
     * Deletes what generations that did not finish left in {@code root}: each temporary folder whose
     * lock file no live process holds, and folders renamed aside for deletion. Folders of generations
     * still running (here or in another process) are left alone.
     */
    static void sweepAbandoned(Path root) throws IOException {
        List<Path> locks;
        try (Stream<Path> s = Files.list(root)) {
            locks = s.filter(p -> p.getFileName().toString().startsWith(TMP_PREFIX)
                    && p.getFileName().toString().endsWith(LOCK_SUFFIX)).toList();
        }
        for (Path lockFile : locks) {
            // Opening and closing a file this process has locked would drop its lock (POSIX locks
            // belong to the process): this process's own generations are skipped by name.
            if (Scratch.HELD.contains(lockFile.toAbsolutePath())) continue;
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE); FileLock free = ch.tryLock()) {
                if (free == null) continue;                      // another process is generating
                Path folder = Scratch.folderOf(lockFile);
                if (Files.exists(folder)) deleteTree(folder);
                Files.deleteIfExists(lockFile);
            } catch (NoSuchFileException e) {
                // swept by another process meanwhile
            }
        }
        List<Path> stale;
        try (Stream<Path> s = Files.list(root)) {
            stale = s.filter(p -> p.getFileName().toString().startsWith(STALE_PREFIX)).toList();
        }
        for (Path p : stale) {
            try {
                deleteTree(p);
            } catch (NoSuchFileException | UncheckedIOException e) {
                // being deleted by the process that renamed it aside
            }
        }
    }

    /**
     * A generation's temporary folder {@code root/.tmp-<name>-<random>} and its lock file beside it
     * ({@code <folder>.lock}), locked for as long as this process generates: the operating system
     * releases the lock when the process is killed (Ctrl-C on first use), and the next generation's
     * {@link #sweepAbandoned} then deletes what it left. Closing deletes the lock file; the folder is
     * the caller's to move or delete.
     */
    record Scratch(Path folder, Path lockFile, FileChannel channel, FileLock lock) implements AutoCloseable {
        static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

        static Scratch open(Path root, String name) throws IOException {
            Path lockFile = Files.createTempFile(root, TMP_PREFIX + name + "-", LOCK_SUFFIX).toAbsolutePath();
            HELD.add(lockFile);
            FileChannel channel = null;
            try {
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock();
                return new Scratch(Files.createDirectory(folderOf(lockFile)), lockFile, channel, lock);
            } catch (IOException | RuntimeException e) {
                if (channel != null) channel.close();
                Files.deleteIfExists(lockFile);
                HELD.remove(lockFile);
                throw e;
            }
        }

        static Path folderOf(Path lockFile) {
            String name = lockFile.getFileName().toString();
            return lockFile.resolveSibling(name.substring(0, name.length() - LOCK_SUFFIX.length()));
        }

        @Override
        public void close() throws IOException {
            try {
                Files.deleteIfExists(lockFile);
                lock.release();
                channel.close();
            } finally {
                HELD.remove(lockFile);
            }
        }
    }

    /**
     * Generates presets: {@code TestModels <out-dir> [preset...] [--dtype f32|bf16|f16[,...]|all]
     * [--tokenizer tokenizer.json]}. Without presets, all are written; each goes to
     * {@code <out-dir>/<preset>-<dtype>}.
     */
    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) System.exit(rc);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String usage = "usage: TestModels <out-dir> [preset...] [--dtype f32|bf16|f16[,...]|all] "
                + "[--tokenizer tokenizer.json]; presets: " + presetNames();
        Path outDir = null;
        List<String> names = new ArrayList<>();
        List<DType> dtypes = new ArrayList<>();
        Path tokenizer = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--dtype") || a.equals("--tokenizer")) {
                    if (i + 1 == args.length) throw new IllegalArgumentException(a + " needs a value");
                    String v = args[++i];
                    if (a.equals("--tokenizer")) {
                        tokenizer = Path.of(v);
                    } else if (v.equals("all")) {
                        for (DType d : DType.values()) if (!d.quantized()) dtypes.add(d);
                    } else {
                        for (String d : v.split(",")) dtypes.add(DType.parse(d));
                    }
                } else if (a.equals("-h") || a.equals("--help")) {
                    out.println(usage);
                    return 0;
                } else if (a.startsWith("-")) {
                    throw new IllegalArgumentException("unknown option " + a);
                } else if (outDir == null) {
                    outDir = Path.of(a);
                } else {
                    preset(a, DType.F32);
                    names.add(a);
                }
            }
            if (outDir == null) throw new IllegalArgumentException("missing <out-dir>");
            if (names.isEmpty()) names.addAll(presetNames());
            if (dtypes.isEmpty()) dtypes.add(DType.F32);
            for (String name : names) {
                for (DType dtype : dtypes.stream().distinct().toList()) {
                    TestModelSpec spec = preset(name, dtype);
                    long start = System.nanoTime();
                    Path dir = write(spec, outDir.resolve(spec.folderName()),
                            tokenizer != null ? tokenizer : tokenizerJson(spec));
                    out.printf("%s: %,d parameters, %,d bytes of weights, %.1f s%n", dir,
                            spec.config().parameterCount(), Files.size(dir.resolve(Checkpoint.SINGLE_FILE)),
                            (System.nanoTime() - start) / 1e9);
                }
            }
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("TestModels: " + e.getMessage());
            err.println(usage);
            return 2;
        } catch (IOException e) {
            err.println("TestModels: " + e);
            return 1;
        }
    }

    /** The spec a built-in name denotes, or null. */
    static TestModelSpec parse(String nameOrDir) {
        if (nameOrDir == null) return null;
        DType dtype = DType.F32;
        String base = nameOrDir;
        for (DType d : DType.values()) {
            if (d.quantized()) continue;
            String suffix = "-" + d.shortName();
            if (nameOrDir.endsWith(suffix)) {
                dtype = d;
                base = nameOrDir.substring(0, nameOrDir.length() - suffix.length());
            }
        }
        TestModelSpec spec = PRESETS.get(base);
        return spec == null ? null : spec.withDtype(dtype);
    }

    /** A folder, else a Hugging Face model id ({@code google/gemma-2b-it}) found in the local Hugging Face cache. */
    private static Path existingDirectory(String nameOrDir) {
        Path p = Path.of(nameOrDir).toAbsolutePath();
        if (Files.isDirectory(p) || GgufCheckpoint.isGguf(p)) return p;
        if (HubCache.isRepoId(nameOrDir)) return HubCache.resolve(nameOrDir);
        throw new ModelFormatException("'" + nameOrDir + "' is neither a built-in test model (" + presetNames()
                + ", optionally ending in -f32, -bf16 or -f16), a directory or a .gguf file (" + p + ") nor a Hugging Face model id"
                + " (owner/name, found in the local Hugging Face cache)");
    }

    private static boolean isCurrent(Path dir, TestModelSpec spec) {
        try {
            return Files.readString(dir.resolve(RECIPE)).equals(recipe(spec))
                    && Stream.of(Checkpoint.CONFIG, Checkpoint.SINGLE_FILE, Checkpoint.TOKENIZER, TOKENIZER_CONFIG)
                            .allMatch(f -> Files.isRegularFile(dir.resolve(f)));
        } catch (IOException e) {
            return false;
        }
    }

    /** Renames a stale folder out of the way atomically, then deletes it; a concurrent rename wins silently. */
    private static void moveAsideAndDelete(Path root, Path target) throws IOException {
        Path aside = Files.createTempDirectory(root, STALE_PREFIX + target.getFileName() + "-");
        Files.delete(aside);
        try {
            Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return;
        }
        deleteTree(aside);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** The recipe file's text: the spec and the generator version, as JSON. */
    static String recipe(TestModelSpec spec) {
        ObjectNode o = JSON.createObjectNode();
        o.put("generator_version", GENERATOR_VERSION);
        o.put("name", spec.name());
        o.put("vocab_size", spec.vocabSize());
        o.put("hidden_size", spec.hiddenSize());
        o.put("intermediate_size", spec.intermediateSize());
        o.put("layers", spec.layers());
        o.put("heads", spec.heads());
        o.put("kv_heads", spec.kvHeads());
        o.put("head_dim", spec.headDim());
        o.put("dtype", spec.dtype().safetensorsName());
        o.put("seed", Long.toUnsignedString(spec.seed(), 16));
        o.put("zero_down_proj", spec.zeroDownProj());
        o.put("zero_o_proj", spec.zeroOProj());
        if (!spec.modelType().equals("gemma")) {
            o.put("model_type", spec.modelType());
            o.put("family", spec.family().toString());
        }
        return pretty(o);
    }

    /** Gemma's special tokens as the tokenizer_config.json of google/gemma-2b states them. */
    private static String tokenizerConfig() {
        ObjectNode o = JSON.createObjectNode();
        o.put("add_bos_token", true);
        o.put("add_eos_token", false);
        o.put("bos_token", "<bos>");
        o.put("eos_token", "<eos>");
        o.put("pad_token", "<pad>");
        o.put("unk_token", "<unk>");
        o.put("tokenizer_class", "GemmaTokenizer");
        return pretty(o);
    }

    private static String pretty(ObjectNode o) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (JacksonException e) {
            throw new IllegalStateException("serialising a JSON tree of numbers and strings failed", e);
        }
    }
}
