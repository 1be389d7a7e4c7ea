package dev.gemma4j.oracle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.bench.Benchmark;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.model.SafeTensorsWriter;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.synthetic.SyntheticWeights;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The inputs of {@code scripts/bench-vs-llamacpp.sh}: one 2B-shaped model per dtype, written once as a
 * Hugging Face folder for gemma4j and as a GGUF file of the same weights for llama.cpp, and the prompts of
 * {@code gemma4j bench} as token ids, so that both engines see the same tokens.
 *
 * <pre>
 * BenchCheckpoints checkpoint CACHE_DIR bf16|f16 [--layers N] [--shape SHAPE]
 *     ensures CACHE_DIR/&lt;dtype&gt; (CACHE_DIR/&lt;dtype&gt;-&lt;N&gt;layers with --layers) and prints its path:
 *       hf/config.json, hf/model.safetensors, hf/tokenizer.json   Gemma 2B's shape, or SHAPE's (a synthetic-*
 *                                                                 bench shape, e.g. synthetic-gemma3-1b; give
 *                                                                 each shape its own CACHE_DIR), or its first N layers,
 *                                                                 the weights of synthetic-2b at seed 1234
 *       model.gguf                                                the same matrices, byte for byte; norm
 *                                                                 weights F32 as 1 + w (GgufWriter)
 *       recipe.json                                               written last: what made the folder
 * BenchCheckpoints quantized CACHE_DIR q8_0|q4_k_m [--layers N] [--shape SHAPE]
 *     ensures the bf16 folder above, then CACHE_DIR/&lt;type&gt;[-&lt;N&gt;layers]/model.gguf: its model.gguf
 *     quantized by llama.cpp's own quantizer ({@code llama_model_quantize}, the file type's defaults,
 *     the embedding's type chosen by llama.cpp as llama-quantize does), and prints the folder's path
 * BenchCheckpoints prompt MODEL_DIR TOKENS SEED OUT.json
 *     writes the first prompt of gemma4j bench (Benchmark.prompts) for MODEL_DIR/config.json as a JSON array
 * </pre>
 * A folder whose recipe.json equals the current recipe is reused as it is; any other is replaced. A new
 * folder is written under a temporary name beside it and renamed into place when complete, so an
 * interrupted run leaves no folder that looks complete.
 */
public final class BenchCheckpoints {
    private BenchCheckpoints() {}

    /** Changes whenever what is written changes, so folders of an older recipe are rewritten. */
    static final int RECIPE_VERSION = 1;
    static final String RECIPE = "recipe.json";
    static final String HF_FOLDER = "hf";
    static final String GGUF = "model.gguf";
    /** synthetic-2b's weights at gemma4j bench's default seed: the checkpoint is what `bench -m synthetic-2b` builds. */
    static final long SEED = 1234;
    private static final String DEFAULT_SHAPE = "synthetic-2b";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) System.exit(rc);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String usage = "usage: BenchCheckpoints checkpoint CACHE_DIR bf16|f16 [--layers N] [--shape SHAPE]"
                + " | BenchCheckpoints quantized CACHE_DIR q8_0|q4_k_m [--layers N] [--shape SHAPE]"
                + " | BenchCheckpoints prompt MODEL_DIR TOKENS SEED OUT.json";
        try {
            if (args.length >= 3 && (args[0].equals("checkpoint") || args[0].equals("quantized"))) {
                int layers = 0;
                String shape = DEFAULT_SHAPE;
                for (int i = 3; i < args.length; i += 2) {
                    if (i + 1 >= args.length) throw new IllegalArgumentException(args[i] + " needs a value");
                    switch (args[i]) {
                        case "--layers" -> layers = parseInt("--layers", args[i + 1]);
                        case "--shape" -> {
                            shape = args[i + 1];
                            if (!SyntheticWeights.isSynthetic(shape)) {
                                throw new IllegalArgumentException("--shape takes one of " + SyntheticWeights.NAMES
                                        + ", found '" + shape + "'");
                            }
                        }
                        default -> throw new IllegalArgumentException(args[0] + " takes CACHE_DIR, a type and optionally"
                                + " --layers N and --shape SHAPE, found " + List.of(args).subList(1, args.length));
                    }
                }
                if (args[0].equals("quantized")) {
                    Quantized type = Quantized.parse(args[2]);
                    out.println(ensureQuantized(Path.of(args[1]), shape, type, layers, err));
                    return 0;
                }
                DType dtype = DType.parse(args[2]);
                if (dtype == DType.F32) {
                    throw new IllegalArgumentException("checkpoint dtype must be bf16 or f16 (the dtypes Gemma is published"
                            + " and benchmarked in), found " + args[2]);
                }
                out.println(ensure(Path.of(args[1]), shape, dtype, layers, err));
                return 0;
            }
            if (args.length == 5 && args[0].equals("prompt")) {
                GemmaConfig c = GemmaConfig.read(Path.of(args[1]).resolve(Checkpoint.CONFIG));
                int[] prompt = Benchmark.prompts(c, 1, parseInt("TOKENS", args[2]), Long.parseLong(args[3]))[0];
                ArrayNode ids = JSON.createArrayNode();
                for (int id : prompt) ids.add(id);
                JSON.writeValue(Path.of(args[4]).toFile(), ids);
                return 0;
            }
            throw new IllegalArgumentException("expected a checkpoint or prompt command, found " + List.of(args));
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("BenchCheckpoints: " + e.getMessage());
            err.println(usage);
            return 2;
        } catch (IOException | UncheckedIOException e) {
            err.println("BenchCheckpoints: " + e);
            return 1;
        }
    }

    private static int parseInt(String what, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " takes an integer, found '" + text + "'");
        }
    }

    /** The llama.cpp file types the benchmark quantizes to: the files users download most. */
    enum Quantized {
        Q8_0(LlamaCppQuantizer.FTYPE_MOSTLY_Q8_0), Q4_K_M(LlamaCppQuantizer.FTYPE_MOSTLY_Q4_K_M);

        final int ftype;

        Quantized(int ftype) {
            this.ftype = ftype;
        }

        String shortName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Quantized parse(String text) {
            for (Quantized q : values()) if (q.shortName().equalsIgnoreCase(text)) return q;
            throw new IllegalArgumentException("quantized takes q8_0 or q4_k_m, found '" + text + "'");
        }
    }

    /**
     * The folder of the bf16 model ({@code layers}; 0 = all) quantized to {@code type}, written unless
     * its recipe (the bf16 folder's, plus the file type) is current.
     */
    static Path ensureQuantized(Path cacheDir, String shape, Quantized type, int layers, PrintStream log)
            throws IOException {
        Path source = ensure(cacheDir, shape, DType.BF16, layers, log);
        Path target = cacheDir.resolve(type.shortName() + (layers == 0 ? "" : "-" + layers + "layers")).toAbsolutePath();
        ObjectNode r = (ObjectNode) JSON.readTree(source.resolve(RECIPE).toFile());
        r.put("quantized", type + " (llama_ftype " + type.ftype + ") from the bf16 GGUF by llama.cpp's llama_model_quantize");
        String recipe = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r) + "\n";
        if (isCurrent(target, recipe, GGUF)) return target;
        return replace(cacheDir, target, tmp -> {
            long t0 = System.nanoTime();
            LlamaCppQuantizer.quantize(source.resolve(GGUF), tmp.resolve(GGUF), type.ftype, LlamaCppQuantizer.LLAMA_CHOOSES);
            log.printf(Locale.ROOT, "  %s %s: %,d bytes (%.0f s)%n", type, GGUF, Files.size(tmp.resolve(GGUF)),
                    (System.nanoTime() - t0) / 1e9);
            Files.writeString(tmp.resolve(RECIPE), recipe);
        });
    }

    /** Writes a folder's files. */
    private interface FolderWriter {
        void write(Path dir) throws IOException;
    }

    /**
     * Replaces {@code target} by a folder {@code writer} fills: under a temporary name beside it,
     * renamed into place when complete. A stale folder goes first: two 2B-shaped copies of every
     * weight take 10 GB of disk.
     */
    private static Path replace(Path cacheDir, Path target, FolderWriter writer) throws IOException {
        Files.createDirectories(cacheDir);
        if (Files.exists(target)) deleteTree(target);
        Path tmp = Files.createTempDirectory(cacheDir, ".tmp-" + target.getFileName() + "-");
        try {
            writer.write(tmp);
            if (Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                // createTempDirectory makes the folder owner-only; the model folder is as readable as its files.
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    /** The folder of ({@code shape}, {@code dtype}, {@code layers}; 0 = all) under {@code cacheDir}, written unless current. */
    static Path ensure(Path cacheDir, String shape, DType dtype, int layers, PrintStream log) throws IOException {
        GemmaConfig config = SyntheticWeights.config(shape, layers, dtype);
        Path target = cacheDir.resolve(dtype.shortName() + (layers == 0 ? "" : "-" + layers + "layers")).toAbsolutePath();
        String recipe = recipe(config, shape, dtype);
        if (isCurrent(target, recipe, HF_FOLDER + "/" + Checkpoint.CONFIG, HF_FOLDER + "/" + Checkpoint.SINGLE_FILE,
                HF_FOLDER + "/" + Checkpoint.TOKENIZER, GGUF)) {
            return target;
        }
        return replace(cacheDir, target, tmp -> write(tmp, shape, config, dtype, layers, recipe, log));
    }

    /**
     * The Hugging Face folder from the synthetic weights (held once, off the Java heap, while the
     * safetensors file is streamed out), then the GGUF file from that folder as gemma4j reads it, memory-mapped.
     */
    private static void write(Path dir, String shape, GemmaConfig config, DType dtype, int layers, String recipe,
                              PrintStream log)
            throws IOException {
        Path hf = Files.createDirectories(dir.resolve(HF_FOLDER));
        long t0 = System.nanoTime();
        log.printf(Locale.ROOT, "writing %s: %s, %d layers, %,d parameters%n", dir, dtype, config.numHiddenLayers(),
                config.parameterCount());
        Files.writeString(hf.resolve(Checkpoint.CONFIG), config.toJson());
        try (SyntheticWeights weights = SyntheticWeights.create(shape, layers, dtype, SEED)) {
            Files.copy(weights.tokenizerJson(), hf.resolve(Checkpoint.TOKENIZER));
            List<Tensor> tensors = new ArrayList<>(weights.tensors().values());
            SafeTensorsWriter.write(hf.resolve(Checkpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
        }
        log.printf(Locale.ROOT, "  %s: %,d bytes (%.0f s)%n", Checkpoint.SINGLE_FILE,
                Files.size(hf.resolve(Checkpoint.SINGLE_FILE)), (System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        try (Checkpoint checkpoint = Checkpoint.open(hf)) {
            GgufWriter.write(checkpoint, "gemma4j " + shape + " " + dtype.shortName(), dir.resolve(GGUF),
                    GgufWriter.Matrices.AS_STORED);
        }
        log.printf(Locale.ROOT, "  %s: %,d bytes (%.0f s)%n", GGUF, Files.size(dir.resolve(GGUF)),
                (System.nanoTime() - t1) / 1e9);
        Files.writeString(dir.resolve(RECIPE), recipe);
    }

    /** Whether {@code dir} was written by {@code recipe} and holds every one of {@code files}. */
    private static boolean isCurrent(Path dir, String recipe, String... files) {
        try {
            return Files.readString(dir.resolve(RECIPE)).equals(recipe)
                    && Stream.of(files).allMatch(f -> Files.isRegularFile(dir.resolve(f)));
        } catch (IOException e) {
            return false;
        }
    }

    /** What makes a folder: the recipe version, the weights' generator, shape, dtype and seed. */
    static String recipe(GemmaConfig c, String shape, DType dtype) {
        ObjectNode o = JSON.createObjectNode();
        o.put("recipe_version", RECIPE_VERSION);
        o.put("weights", SyntheticWeights.class.getName() + " " + shape);
        o.put("seed", SEED);
        o.put("dtype", dtype.shortName());
        o.put("layers", c.numHiddenLayers());
        o.put("gguf", "GgufWriter, matrices as stored, norm weights F32 as 1 + w");
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException("serialising a JSON tree of numbers and strings failed", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
