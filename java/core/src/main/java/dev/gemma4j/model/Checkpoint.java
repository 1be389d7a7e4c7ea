package dev.gemma4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.gemma4j.io.WholeFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Hugging Face Gemma checkpoint folder: {@code config.json} and the weights in
 * {@code model.safetensors}, or in shards listed by {@code model.safetensors.index.json} (the single
 * file wins when both exist, as in Hugging Face). Each weight file is memory-mapped read-only into
 * one shared {@link Arena}; no weight is copied to the Java heap, so a 17 GB checkpoint opens with
 * a small heap. {@link #close()} unmaps everything.
 *
 * <p>{@link #open} validates every header, and the set of tensors against what config.json
 * implies, before mapping any file. The checkpoint must hold exactly the tensors of
 * {@link GemmaTensorNames#expectedShapes}: a missing tensor, a wrong shape and any other tensor
 * are errors. In particular {@code lm_head.weight} is rejected, since gemma4j ties the output
 * projection to the embedding as Gemma does and would otherwise ignore a separate head silently.
 */
public final class Checkpoint implements WeightSource {
    public static final String CONFIG = "config.json";
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String TOKENIZER = "tokenizer.json";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final int LISTED_NAMES = 5;

    private final Path dir;
    private final GemmaConfig config;
    private final List<Path> files;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final boolean mapped;
    /** Per weight file, the channel it was read through and its state then: how a change is noticed. */
    private final List<OpenFile> open;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int skippedVisionTensors;

    private Checkpoint(Path dir, GemmaConfig config, List<Path> files, Arena arena, Map<String, Tensor> tensors,
            int skippedVisionTensors, boolean mapped, List<OpenFile> open) {
        this.skippedVisionTensors = skippedVisionTensors;
        this.dir = dir;
        this.config = config;
        this.files = files;
        this.arena = arena;
        this.tensors = tensors;
        this.mapped = mapped;
        this.open = open;
    }

    /**
     * Opens the checkpoint in {@code dir}.
     *
     * @throws ModelFormatException when dir is not a Gemma model folder or any file in it is malformed;
     *     the message names the file, the tensor or field, what was expected and what was found
     */
    public static Checkpoint open(Path dir) {
        return open(dir, true);
    }

    /**
     * Opens the checkpoint in {@code dir}, its weights memory-mapped ({@code mapped}) or read into
     * memory of their own, which no later change to the files can reach (for files replaced or
     * rewritten in place while the model runs).
     *
     * @throws ModelFormatException as {@link #open(Path)}
     */
    public static Checkpoint open(Path dir, boolean mapped) {
        dir = dir.toAbsolutePath().normalize();
        if (!Files.exists(dir)) {
            throw new ModelFormatException(dir + ": no such directory (expected a Gemma model folder with "
                    + CONFIG + " and " + SINGLE_FILE + " or " + INDEX + ")");
        }
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": is a file, expected a Gemma model folder with "
                    + CONFIG + " and " + SINGLE_FILE + " or " + INDEX);
        }
        Path configJson = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configJson)) {
            throw new ModelFormatException(dir + ": not a model folder: " + CONFIG + " not found (expected "
                    + CONFIG + " and " + SINGLE_FILE + " or " + INDEX + "; found " + listing(dir) + ")");
        }
        GemmaConfig config = GemmaConfig.read(configJson);

        Path single = dir.resolve(SINGLE_FILE);
        Path index = dir.resolve(INDEX);
        Map<String, SafeTensorsHeader.Entry> entries = new LinkedHashMap<>();
        List<SafeTensorsHeader> headers = new ArrayList<>();
        for (Path p : List.of(single, index)) {
            if (Files.exists(p) && !Files.isRegularFile(p)) {
                throw new ModelFormatException(p + ": expected a regular file, found " + WholeFile.kindOf(p));
            }
        }
        if (Files.isRegularFile(single)) {
            SafeTensorsHeader h = SafeTensorsHeader.read(single);
            headers.add(h);
            for (SafeTensorsHeader.Entry e : h.entries()) entries.put(e.name(), e);
        } else if (Files.isRegularFile(index)) {
            readShards(dir, index, headers, entries);
        } else {
            throw new ModelFormatException(dir + ": no weights: expected " + SINGLE_FILE + " or " + INDEX
                    + " beside " + CONFIG + ", found " + listing(dir));
        }
        List<Path> files = headers.stream().map(SafeTensorsHeader::file).toList();
        boolean multimodal = config.family().multimodal();
        Map<String, SafeTensorsHeader.Entry> text = new LinkedHashMap<>();
        for (SafeTensorsHeader.Entry e : entries.values()) {
            String name = multimodal ? textName(e.name()) : e.name();
            if (name != null) text.put(name, e);
        }
        int skipped = entries.size() - text.size();
        checkAgainstConfig(dir, config, text, files);

        Arena arena = Arena.ofShared();
        List<OpenFile> open = new ArrayList<>();
        try {
            Map<String, Tensor> byName = new LinkedHashMap<>();
            for (SafeTensorsHeader h : headers) {
                OpenFile f = OpenFile.open(h.file());
                open.add(f);
                byName.putAll(h.load(f.channel(), arena, mapped));
            }
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            for (String name : GemmaTensorNames.expectedShapes(config).keySet()) {
                ordered.put(name, byName.get(text.get(name).name()));
            }
            if (!mapped) {
                for (OpenFile f : open) f.channel().close();   // the weights are copies: the files are done with
                open.clear();
            }
            return new Checkpoint(dir, config, files, arena, Collections.unmodifiableMap(ordered), skipped, mapped,
                    List.copyOf(open));
        } catch (IOException e) {
            closeAll(open, arena);
            throw new ModelFormatException(dir + ": cannot open a weight file: " + e, e);
        } catch (RuntimeException e) {
            closeAll(open, arena);
            throw e;
        }
    }

    private static void closeAll(List<OpenFile> open, Arena arena) {
        OpenFile.closeAll(open);
        arena.close();
    }

    /** True when the weights are memory-mapped from the files; false when they were read into memory. */
    public boolean mapped() {
        return mapped;
    }

    /**
     * Checks that no mapped weight file changed since it was opened: not truncated or grown (the size of
     * the mapped file itself), not rewritten in place (its modification time) and not replaced by another
     * file (the file key of its path). Reading a mapped page past a truncated file's end would crash
     * the JVM, so the engine calls this before each request and each step. Weights read into memory
     * ({@code mapped == false}) never change, and this checks nothing.
     *
     * @throws ModelFormatException naming the file and what changed
     */
    @Override
    public void checkUnchanged() {
        OpenFile.checkUnchanged(open);
    }

    /**
     * The text model's name of a tensor stored in a Gemma 3 multimodal checkpoint, or null for a
     * tensor of the vision tower or its projector, which gemma4j does not load. Text weights lie
     * under {@code language_model.model.} (transformers 4) or {@code model.language_model.}
     * (transformers 5); both become {@code model.}.
     */
    static String textName(String stored) {
        for (String vision : VISION_PREFIXES) if (stored.startsWith(vision)) return null;
        for (String prefix : TEXT_PREFIXES) {
            if (stored.startsWith(prefix)) return "model." + stored.substring(prefix.length());
        }
        if (stored.equals("language_model." + GemmaTensorNames.LM_HEAD)) return GemmaTensorNames.LM_HEAD;
        return stored;
    }

    private static final List<String> TEXT_PREFIXES = List.of("language_model.model.", "model.language_model.");
    private static final List<String> VISION_PREFIXES = List.of("vision_tower.", "multi_modal_projector.",
            "model.vision_tower.", "model.multi_modal_projector.");

    /** Tensors of a multimodal checkpoint's vision tower and projector, left unmapped; 0 for a text model. */
    public int skippedVisionTensors() {
        return skippedVisionTensors;
    }

    /** The model folder (absolute). */
    public Path dir() {
        return dir;
    }

    /** The safetensors files mapped, in the order they were read. */
    public List<Path> files() {
        return files;
    }

    /** Bytes of all tensors together (the mapped data sections). */
    public long weightBytes() {
        long sum = 0;
        for (Tensor t : tensors.values()) sum += t.data().byteSize();
        return sum;
    }

    @Override
    public GemmaConfig config() {
        return config;
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(dir + ": no tensor '" + name + "' in this checkpoint (it holds "
                    + tensors.size() + " tensors named as in GemmaTensorNames, e.g. '" + GemmaTensorNames.embed()
                    + "')");
        }
        return t;
    }

    @Override
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    @Override
    public Path tokenizerJson() {
        Path p = dir.resolve(TOKENIZER);
        if (!Files.isRegularFile(p)) {
            throw new ModelFormatException(dir + ": " + TOKENIZER + " not found (expected the Hugging Face "
                    + "tokenizer beside " + CONFIG + ")");
        }
        return p;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) closeAll(open, arena);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + dir + ", " + tensors.size() + " tensors, " + weightBytes() + " bytes]";
    }

    private static void readShards(Path dir, Path index, List<SafeTensorsHeader> headers,
            Map<String, SafeTensorsHeader.Entry> entries) {
        JsonNode root;
        try {
            root = JSON.readTree(WholeFile.readUtf8(index, WholeFile.INDEX_LIMIT, INDEX, ModelFormatException::new)
                    .toString());
        } catch (JacksonException e) {
            throw new ModelFormatException(index + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelFormatException(index + ": cannot be read: " + e, e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new ModelFormatException(index + ": expected a JSON object with a \"weight_map\" object "
                    + "(tensor name -> shard file), found " + (weightMap == null ? "none" : weightMap.toString()));
        }
        Map<String, String> shardOf = new LinkedHashMap<>();
        Map<String, Path> shardPaths = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            String tensor = e.getKey();
            JsonNode v = e.getValue();
            if (!v.isTextual()) {
                throw new ModelFormatException(index + ": weight_map entry '" + tensor
                        + "' expected a shard file name, found " + v);
            }
            String shard = v.asText();
            if (!shardPaths.containsKey(shard)) {
                Path p = dir.resolve(shard).normalize();
                if (shard.isEmpty() || !p.getParent().equals(dir)) {
                    throw new ModelFormatException(index + ": weight_map entry '" + tensor + "' names shard '" + shard
                            + "', expected a file name inside " + dir);
                }
                if (!Files.exists(p)) {
                    throw new ModelFormatException(index + ": weight_map entry '" + tensor + "' names shard '" + shard
                            + "', which does not exist in " + dir);
                }
                if (!Files.isRegularFile(p)) {
                    throw new ModelFormatException(index + ": weight_map entry '" + tensor + "' names shard '" + shard
                            + "', which is not a regular file (found " + WholeFile.kindOf(p) + ")");
                }
                shardPaths.put(shard, p);
            }
            shardOf.put(tensor, shard);
        }
        if (shardPaths.isEmpty()) throw new ModelFormatException(index + ": weight_map is empty, expected tensor entries");
        for (Map.Entry<String, Path> s : shardPaths.entrySet()) {
            SafeTensorsHeader h = SafeTensorsHeader.read(s.getValue());
            headers.add(h);
            for (SafeTensorsHeader.Entry e : h.entries()) {
                String listed = shardOf.get(e.name());
                if (listed == null) {
                    throw new ModelFormatException(s.getValue() + ": holds tensor '" + e.name() + "', which " + INDEX
                            + " does not list");
                }
                if (!listed.equals(s.getKey())) {
                    throw new ModelFormatException(s.getValue() + ": holds tensor '" + e.name() + "', which " + INDEX
                            + " places in shard '" + listed + "'");
                }
                if (entries.put(e.name(), e) != null) {
                    throw new ModelFormatException(s.getValue() + ": holds tensor '" + e.name()
                            + "' a second time (expected each tensor in one shard)");
                }
            }
        }
        for (Map.Entry<String, String> e : shardOf.entrySet()) {
            if (!entries.containsKey(e.getKey())) {
                throw new ModelFormatException(index + ": weight_map places tensor '" + e.getKey() + "' in shard '"
                        + e.getValue() + "', but " + shardPaths.get(e.getValue()) + " does not hold it");
            }
        }
    }

    private static void checkAgainstConfig(Path dir, GemmaConfig config,
            Map<String, SafeTensorsHeader.Entry> entries, List<Path> files) {
        Map<String, long[]> expected = GemmaTensorNames.expectedShapes(config);
        Path configJson = dir.resolve(CONFIG);
        SafeTensorsHeader.Entry lmHead = entries.get(GemmaTensorNames.LM_HEAD);
        if (lmHead != null) {
            throw new ModelFormatException(lmHead.file() + ": holds tensor '" + GemmaTensorNames.LM_HEAD
                    + "', expected none: gemma4j ties the output projection to '" + GemmaTensorNames.embed()
                    + "' as Gemma does, and does not support an untied head");
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : entries.keySet()) if (!expected.containsKey(name)) unexpected.add(name);
        if (!unexpected.isEmpty()) {
            throw new ModelFormatException(entries.get(unexpected.getFirst()).file() + ": holds " + unexpected.size() + " tensor(s) that " + configJson
                    + " does not imply: " + firstNames(unexpected) + " (expected only the Gemma tensors of "
                    + config.numHiddenLayers() + " layers)");
        }
        List<String> missing = new ArrayList<>();
        for (String name : expected.keySet()) if (!entries.containsKey(name)) missing.add(name);
        if (!missing.isEmpty()) {
            String first = missing.getFirst();
            throw new ModelFormatException(dir + ": weight files "
                    + files.stream().map(f -> f.getFileName().toString()).toList() + " lack " + missing.size() + " tensor(s) that " + configJson
                    + " implies: " + firstNames(missing) + " (e.g. '" + first + "' with shape "
                    + Arrays.toString(expected.get(first)) + ")");
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafeTensorsHeader.Entry found = entries.get(e.getKey());
            if (!Arrays.equals(found.shape(), e.getValue())) {
                throw new ModelFormatException(found.file() + ": tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(found.shape()) + ", expected " + Arrays.toString(e.getValue()) + " = "
                        + GemmaTensorNames.shapeReason(e.getKey()) + " from " + configJson);
            }
        }
    }

    private static String firstNames(List<String> names) {
        List<String> shown = names.subList(0, Math.min(LISTED_NAMES, names.size()));
        return shown + (names.size() > LISTED_NAMES ? " and " + (names.size() - LISTED_NAMES) + " more" : "");
    }

    private static String listing(Path dir) {
        try (var s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            return names.isEmpty() ? "an empty folder" : firstNames(names);
        } catch (IOException e) {
            return "an unreadable folder (" + e + ")";
        }
    }
}
