package dev.gemma4j.model;

import dev.gemma4j.io.WholeFile;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
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
 * A Gemma model in one GGUF file, as llama.cpp's converter writes it (architectures "gemma",
 * "gemma2" and "gemma3"): the configuration from the {@code {arch}.*} keys, the tokenizer from the
 * {@code tokenizer.ggml.*} keys, the weights memory-mapped (or read into memory) under their Hugging
 * Face names, so the model is the same {@link WeightSource} a safetensors {@link Checkpoint} gives.
 *
 * <p>llama.cpp's conventions, undone here: the RMSNorm weights are stored as 1 + w (they become
 * w = stored - 1 in float32, held in memory of their own: the engine then forms 1 + w, which gives
 * back the stored float exactly: stored - 1 is exact by Sterbenz's lemma for stored in [0.5, 2], and
 * for stored above 2 because 1 is a multiple of stored's ulp); {@code token_embd} is also the output
 * projection, so an {@code output.weight} is refused as {@code lm_head.weight} is; ggml lists
 * dimensions innermost first. What a GGUF does not state is taken as llama.cpp takes it: sliding
 * layers on even layers (gemma2) or on 5 of every 6 (gemma3), Gemma 3's sliding RoPE base 10,000,
 * scores scaled by head_dim^-0.5 except for the 27B layer counts (46 for gemma2, 62 for gemma3),
 * where llama.cpp uses (hidden / heads)^-0.5; and the embedding scaled by sqrt(hidden) unrounded
 * ({@code torch_dtype} null).
 *
 * <p>Everything is validated before a tensor byte is touched: the header ({@link GgufFile}), each
 * metadata value's type as llama.cpp requires it (shape keys UINT32, float keys FLOAT32), the set of
 * tensors against what the configuration implies (every one present with its shape, no other), the
 * vocabulary size against the embedding's rows.
 */
public final class GgufCheckpoint implements WeightSource {
    static final List<String> ARCHITECTURES = List.of("gemma", "gemma2", "gemma3");
    /** Layers of Gemma 2 27B and Gemma 3 27B, for which llama.cpp scales scores by (hidden / heads)^-0.5. */
    private static final int GEMMA2_27B_LAYERS = 46;
    private static final int GEMMA3_27B_LAYERS = 62;
    private static final int GEMMA3_SLIDING_PATTERN = 6;
    private static final double GEMMA3_SLIDING_ROPE_BASE = 10000.0;
    private static final double LLAMA_CPP_ROPE_BASE = 10000.0;
    private static final double LLAMA_CPP_ATTN_SOFTCAP = 50.0;
    private static final double LLAMA_CPP_FINAL_SOFTCAP = 30.0;

    private final Path file;
    private final GemmaConfig config;
    private final Map<String, Tensor> tensors;
    private final Arena arena;
    private final List<OpenFile> open;
    private final boolean mapped;
    private final Vocabulary vocabulary;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** The tokenizer keys, kept to build the tokenizer on request. */
    private record Vocabulary(GgufVocabulary pieces, int bos) {}

    private GgufCheckpoint(Path file, GemmaConfig config, Map<String, Tensor> tensors, Arena arena,
            List<OpenFile> open, boolean mapped, Vocabulary vocabulary) {
        this.file = file;
        this.config = config;
        this.tensors = tensors;
        this.arena = arena;
        this.open = open;
        this.mapped = mapped;
        this.vocabulary = vocabulary;
    }

    /**
     * Whether a model path is read as a GGUF file: a regular file, whatever its name (a model folder is a
     * directory); {@link #open} then refuses a file that is not GGUF by its magic.
     */
    public static boolean isGguf(Path path) {
        return Files.isRegularFile(path);
    }

    /**
     * Opens a GGUF file, its weights memory-mapped ({@code mapped}) or read into memory of their own.
     *
     * @throws ModelFormatException naming the file, the key or tensor, what was expected and what was found
     */
    public static GgufCheckpoint open(Path file, boolean mapped) {
        file = file.toAbsolutePath().normalize();
        if (!Files.exists(file)) throw new ModelFormatException(file + ": no such file (expected a GGUF model file)");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": expected a GGUF model file, found " + WholeFile.kindOf(file));
        }
        OpenFile f;
        try {
            f = OpenFile.open(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot be opened: " + e, e);
        }
        Arena arena = Arena.ofShared();
        try {
            GgufFile gguf = GgufFile.read(file, f.channel());
            Keys keys = new Keys(file, gguf.metadata());
            architecture(keys);                        // first: a non-Gemma file is refused as such
            Vocabulary vocabulary = vocabulary(keys);
            GemmaConfig config = config(keys, vocabulary);
            Map<String, GgufFile.TensorInfo> byHfName = checkTensors(file, gguf, config);
            if (f.channel().size() != gguf.fileSize()) {
                throw new ModelFormatException(file + ": file size changed from " + gguf.fileSize() + " to "
                        + f.channel().size() + " bytes while it was opened");
            }
            MemorySegment whole = null;
            if (mapped) whole = f.channel().map(FileChannel.MapMode.READ_ONLY, 0, gguf.fileSize(), arena);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, GgufFile.TensorInfo> e : byHfName.entrySet()) {
                GgufFile.TensorInfo t = e.getValue();
                DType dtype = t.type().dtype();
                MemorySegment data;
                if (mapped) {
                    data = whole.asSlice(gguf.dataStart() + t.offset(), t.bytes());
                } else {
                    data = arena.allocate(Math.max(1, t.bytes()), 64).asSlice(0, t.bytes());
                    SafeTensorsHeader.readRange(f.channel(), gguf.dataStart() + t.offset(), data, t.bytes());
                    data = data.asReadOnly();
                }
                Tensor stored = new Tensor(e.getKey(), dtype, t.shape(), data);
                tensors.put(e.getKey(), t.ne().length == 1 ? offsetOf(stored, arena) : stored);
            }
            List<OpenFile> opened = List.of(f);
            if (!mapped) {
                OpenFile.closeAll(opened);                 // the weights are copies: the file is done with
                opened = List.of();
            }
            return new GgufCheckpoint(file, config, Collections.unmodifiableMap(tensors), arena, opened, mapped,
                    vocabulary);
        } catch (IOException e) {
            OpenFile.closeAll(List.of(f));
            arena.close();
            throw new ModelFormatException(file + ": cannot be read: " + e, e);
        } catch (RuntimeException e) {
            OpenFile.closeAll(List.of(f));
            arena.close();
            throw e;
        }
    }

    /** A norm stored as 1 + w, as w in float32 (see the class comment), in memory of the checkpoint's arena. */
    private static Tensor offsetOf(Tensor stored, Arena arena) {
        int n = Math.toIntExact(stored.elementCount());
        MemorySegment data = arena.allocate((long) n * Float.BYTES, 64);
        for (int i = 0; i < n; i++) DType.F32.write(data, i, stored.getFloat(i) - 1f);
        return new Tensor(stored.name(), DType.F32, stored.shape(), data.asReadOnly());
    }

    /** The GGUF name of a Hugging Face tensor name, as llama.cpp's converter names Gemma's tensors. */
    static String ggufName(String hfName, GemmaFamily family) {
        if (hfName.equals(GemmaTensorNames.embed())) return "token_embd.weight";
        if (hfName.equals(GemmaTensorNames.finalNorm())) return "output_norm.weight";
        String rest = hfName.substring("model.layers.".length());
        int dot = rest.indexOf('.');
        String blk = "blk." + rest.substring(0, dot) + ".";
        String suffix = rest.substring(dot + 1);
        String name = switch (suffix) {
            case GemmaTensorNames.INPUT_LAYERNORM -> "attn_norm";
            case GemmaTensorNames.Q_PROJ -> "attn_q";
            case GemmaTensorNames.K_PROJ -> "attn_k";
            case GemmaTensorNames.V_PROJ -> "attn_v";
            case GemmaTensorNames.O_PROJ -> "attn_output";
            case GemmaTensorNames.Q_NORM -> "attn_q_norm";
            case GemmaTensorNames.K_NORM -> "attn_k_norm";
            case GemmaTensorNames.POST_ATTENTION_LAYERNORM -> family.sandwichNorms() ? "post_attention_norm" : "ffn_norm";
            case GemmaTensorNames.PRE_FEEDFORWARD_LAYERNORM -> "ffn_norm";
            case GemmaTensorNames.POST_FEEDFORWARD_LAYERNORM -> "post_ffw_norm";
            case GemmaTensorNames.GATE_PROJ -> "ffn_gate";
            case GemmaTensorNames.UP_PROJ -> "ffn_up";
            case GemmaTensorNames.DOWN_PROJ -> "ffn_down";
            default -> throw new IllegalArgumentException("not a Gemma tensor name: " + hfName);
        };
        return blk + name + ".weight";
    }

    /** The file's tensors by Hugging Face name, in expectedShapes order; exactly those the config implies. */
    private static Map<String, GgufFile.TensorInfo> checkTensors(Path file, GgufFile gguf, GemmaConfig config) {
        Map<String, GgufFile.TensorInfo> inFile = new LinkedHashMap<>();
        for (GgufFile.TensorInfo t : gguf.tensors()) inFile.put(t.name(), t);
        if (inFile.containsKey("output.weight")) {
            throw new ModelFormatException(file + ": holds tensor 'output.weight', expected none: gemma4j ties the output"
                    + " projection to 'token_embd.weight' as Gemma does, and does not support an untied head");
        }
        Map<String, long[]> expected = GemmaTensorNames.expectedShapes(config);
        Map<String, GgufFile.TensorInfo> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            String name = ggufName(e.getKey(), config.family());
            GgufFile.TensorInfo t = inFile.remove(name);
            if (t == null) {
                missing.add(name);
                continue;
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelFormatException(file + ": tensor '" + name + "' has ggml shape " + Arrays.toString(t.ne())
                        + ", expected " + Arrays.toString(reversed(e.getValue())) + " (ggml order, innermost first; "
                        + "row-major " + GemmaTensorNames.shapeReason(e.getKey()) + " from the " + config.family().modelType()
                        + " keys)");
            }
            out.put(e.getKey(), t);
        }
        if (!missing.isEmpty()) {
            throw new ModelFormatException(file + ": lacks " + missing.size() + " tensor(s) that its metadata implies ("
                    + config.numHiddenLayers() + " layers): " + first(missing) + " (e.g. '" + missing.getFirst() + "')");
        }
        if (!inFile.isEmpty()) {
            throw new ModelFormatException(file + ": holds " + inFile.size() + " tensor(s) that its metadata does not "
                    + "imply: " + first(new ArrayList<>(inFile.keySet())) + " (expected only the Gemma tensors of "
                    + config.numHiddenLayers() + " layers)");
        }
        return out;
    }

    private static long[] reversed(long[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) r[i] = shape[shape.length - 1 - i];
        return r;
    }

    private static String first(List<String> names) {
        int shown = Math.min(5, names.size());
        return names.subList(0, shown) + (names.size() > shown ? " and " + (names.size() - shown) + " more" : "");
    }

    private static Vocabulary vocabulary(Keys k) {
        String model = k.string("tokenizer.ggml.model");
        if (!model.equals("llama")) {
            throw k.error("tokenizer.ggml.model", "\"llama\" (SentencePiece, Gemma's tokenizer)", '"' + model + '"');
        }
        String[] tokens = k.stringArray("tokenizer.ggml.tokens");
        if (tokens.length == 0) throw k.error("tokenizer.ggml.tokens", "at least one token", "none");
        double[] scoreValues = k.floatArray("tokenizer.ggml.scores");
        long[] typeValues = k.intArray("tokenizer.ggml.token_type", GgufFile.ValueType.INT32);
        for (String key : List.of("tokenizer.ggml.scores", "tokenizer.ggml.token_type")) {
            int n = key.endsWith("scores") ? scoreValues.length : typeValues.length;
            if (n != tokens.length) throw k.error(key, tokens.length + " entries (one per token)", n + " entries");
        }
        float[] scores = new float[tokens.length];
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            scores[i] = (float) scoreValues[i];
            if (typeValues[i] < GemmaTokenizer.TYPE_NORMAL || typeValues[i] > GemmaTokenizer.TYPE_BYTE) {
                throw k.error("tokenizer.ggml.token_type", "llama.cpp token types 1 to 6",
                        typeValues[i] + " for token " + i);
            }
            types[i] = (int) typeValues[i];
        }
        if (!k.optionalBool("tokenizer.ggml.add_bos_token", true)) {
            throw k.error("tokenizer.ggml.add_bos_token", "true (Gemma's tokenizer puts BOS first)", "false");
        }
        if (k.optionalBool("tokenizer.ggml.add_eos_token", false)) {
            throw k.error("tokenizer.ggml.add_eos_token", "false (Gemma's tokenizer adds no EOS)", "true");
        }
        if (!k.has("tokenizer.ggml.add_space_prefix") || k.optionalBool("tokenizer.ggml.add_space_prefix", true)) {
            throw k.error("tokenizer.ggml.add_space_prefix", "false (Gemma's tokenizer adds no dummy prefix)",
                    k.has("tokenizer.ggml.add_space_prefix") ? "true" : "none (llama.cpp then adds one)");
        }
        int bos = k.tokenId("tokenizer.ggml.bos_token_id", tokens.length);
        return new Vocabulary(new GgufVocabulary(tokens, scores, types), bos);
    }

    private static String architecture(Keys k) {
        String arch = k.string("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw k.error("general.architecture", "\"gemma\", \"gemma2\" or \"gemma3\"", '"' + arch + '"');
        }
        return arch;
    }

    private static GemmaConfig config(Keys k, Vocabulary vocabulary) {
        String arch = architecture(k);
        int context = k.u32(arch + ".context_length");
        int hidden = k.u32(arch + ".embedding_length");
        int layers = k.u32(arch + ".block_count");
        int ff = k.u32(arch + ".feed_forward_length");
        int heads = k.u32(arch + ".attention.head_count");
        if (heads == 0) throw k.error(arch + ".attention.head_count", "a positive integer", "0");
        int kvHeads = k.optionalU32(arch + ".attention.head_count_kv", heads);
        int keyLength = k.optionalU32(arch + ".attention.key_length", hidden / heads);
        int valueLength = k.optionalU32(arch + ".attention.value_length", hidden / heads);
        if (keyLength != valueLength) {
            throw k.error(arch + ".attention.value_length", "key_length " + keyLength
                    + " (Gemma's heads have one head_dim)", String.valueOf(valueLength));
        }
        double eps = k.f32(arch + ".attention.layer_norm_rms_epsilon");
        double theta = k.optionalF32(arch + ".rope.freq_base", LLAMA_CPP_ROPE_BASE);
        int vocab = vocabulary.pieces().tokens().length;
        int eos = k.tokenId("tokenizer.ggml.eos_token_id", vocab);
        int pad = k.has("tokenizer.ggml.padding_token_id") ? k.tokenId("tokenizer.ggml.padding_token_id", vocab)
                : GemmaConfig.DEFAULT_PAD;
        String ropeType = k.optionalString(arch + ".rope.scaling.type", "none");
        double factor = 1;
        if (ropeType.equals("linear")) {
            factor = k.optionalF32(arch + ".rope.scaling.factor", 1);
            if (!(factor > 0 && factor <= GemmaFamilyReader.MAX_ROPE_FACTOR)) {
                throw k.error(arch + ".rope.scaling.factor", "a number in (0, " + GemmaFamilyReader.MAX_ROPE_FACTOR + "]",
                        String.valueOf(factor));
            }
        } else if (!ropeType.equals("none")) {
            throw k.error(arch + ".rope.scaling.type", "\"none\" or \"linear\"", '"' + ropeType + '"');
        }
        if (arch.equals("gemma") && factor != 1) {
            throw k.error("gemma.rope.scaling.type", "\"none\" (Gemma 1 uses plain RoPE)", '"' + ropeType + '"');
        }
        List<Integer> ends = new ArrayList<>(List.of(eos));
        if (k.has("tokenizer.ggml.eot_token_id")) {
            int eot = k.tokenId("tokenizer.ggml.eot_token_id", vocab);
            if (eot != eos) ends.add(eot);
        }
        GemmaFamily family;
        int safeLayers = Math.max(0, layers);
        if (arch.equals("gemma")) {
            family = GemmaFamily.gemma1(safeLayers, keyLength, theta, eos);
        } else {
            boolean gemma3 = arch.equals("gemma3");
            int pattern = gemma3 ? GEMMA3_SLIDING_PATTERN : 2;
            List<AttentionKind> kinds = new ArrayList<>(safeLayers);
            for (int l = 0; l < safeLayers; l++) {
                kinds.add(l % pattern < pattern - 1 ? AttentionKind.SLIDING : AttentionKind.FULL);
            }
            int window = k.u32(arch + ".attention.sliding_window");
            if (window == 0 || window > GemmaFamilyReader.MAX_SLIDING_WINDOW) {
                throw k.error(arch + ".attention.sliding_window", "an integer in [1, "
                        + GemmaFamilyReader.MAX_SLIDING_WINDOW + "]", String.valueOf(window));
            }
            double attnCap = 0;
            double finalCap = 0;
            if (!gemma3) {
                attnCap = softcap(k, "gemma2.attn_logit_softcapping", LLAMA_CPP_ATTN_SOFTCAP);
                finalCap = softcap(k, "gemma2.final_logit_softcapping", LLAMA_CPP_FINAL_SOFTCAP);
            }
            int bigLayers = gemma3 ? GEMMA3_27B_LAYERS : GEMMA2_27B_LAYERS;
            double scalar = layers == bigLayers ? (double) hidden / heads : keyLength;
            family = new GemmaFamily(gemma3 ? "gemma3_text" : "gemma2", kinds, window, scalar, attnCap, finalCap, true,
                    gemma3, factor, gemma3 ? GEMMA3_SLIDING_ROPE_BASE : theta, gemma3 ? 1 : factor, ends, false);
        }
        try {
            return new GemmaConfig(vocab, hidden, ff, layers, heads, kvHeads, keyLength, eps, theta, context, null,
                    vocabulary.bos(), eos, pad, GemmaConfig.GELU_TANH, family);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String[][] names = {{"'vocab_size'", "'tokenizer.ggml.tokens' (its length)"},
                {"'hidden_size'", "'" + arch + ".embedding_length'"}, {"'intermediate_size'", "'" + arch + ".feed_forward_length'"},
                {"'num_hidden_layers'", "'" + arch + ".block_count'"}, {"'num_attention_heads'", "'" + arch + ".attention.head_count'"},
                {"'num_key_value_heads'", "'" + arch + ".attention.head_count_kv'"}, {"'head_dim'", "'" + arch + ".attention.key_length'"},
                {"'max_position_embeddings'", "'" + arch + ".context_length'"},
                {"'rms_norm_eps'", "'" + arch + ".attention.layer_norm_rms_epsilon'"}, {"'rope_theta'", "'" + arch + ".rope.freq_base'"}};
            for (String[] n : names) m = m.replace(n[0], n[1]);
            throw new ModelFormatException(k.file() + ": " + m.replace("field '", "key '"), e);
        }
    }

    private static double softcap(Keys k, String key, double fallback) {
        double v = k.optionalF32(key, fallback);
        if (!(v > 0 && v <= GemmaFamilyReader.MAX_SOFTCAP)) {
            throw k.error(key, "a number in (0, " + GemmaFamilyReader.MAX_SOFTCAP + "]", String.valueOf(v));
        }
        return v;
    }

    /** The GGUF file (absolute). */
    public Path file() {
        return file;
    }

    /** True when the weights are memory-mapped from the file; false when they were read into memory. */
    public boolean mapped() {
        return mapped;
    }

    @Override
    public GemmaConfig config() {
        return config;
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(file + ": no tensor '" + name + "' in this model (it holds " + tensors.size()
                    + " tensors, named as in GemmaTensorNames, e.g. '" + GemmaTensorNames.embed() + "')");
        }
        return t;
    }

    @Override
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** @throws ModelFormatException always: a GGUF file carries its tokenizer in its metadata ({@link #tokenizer()}) */
    @Override
    public Path tokenizerJson() {
        throw new ModelFormatException(file + ": a GGUF model has no tokenizer.json; its tokenizer is in its "
                + "tokenizer.ggml.* metadata");
    }

    /** The tokenizer of the file's {@code tokenizer.ggml.*} metadata. */
    @Override
    public GemmaTokenizer tokenizer() {
        try {
            GgufVocabulary v = vocabulary.pieces();
            return GemmaTokenizer.fromScores(file, v.tokens(), v.scores(), v.types(), vocabulary.bos());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": tokenizer.ggml.*: " + e.getMessage(), e);
        }
    }

    /** The file's {@code tokenizer.ggml.tokens}, {@code .scores} and {@code .token_type}, as read. */
    GgufVocabulary vocabulary() {
        return vocabulary.pieces();
    }

    @Override
    public void checkUnchanged() {
        OpenFile.checkUnchanged(open);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            OpenFile.closeAll(open);
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufCheckpoint[" + file + ", " + tensors.size() + " tensors]";
    }

    /** Typed access to the metadata, as llama.cpp types each key, with errors naming the file and the key. */
    private record Keys(Path file, Map<String, GgufFile.Value> metadata) {
        ModelFormatException error(String key, String expected, String found) {
            return new ModelFormatException(file + ": metadata key '" + key + "': expected " + expected + ", found " + found);
        }

        boolean has(String key) {
            return metadata.containsKey(key);
        }

        private GgufFile.Value get(String key, GgufFile.ValueType type, String what) {
            GgufFile.Value v = metadata.get(key);
            if (v == null) throw error(key, what + " (the key is required)", "none");
            if (v.type() != type) {
                throw error(key, what, v.type() == GgufFile.ValueType.ARRAY ? "an ARRAY of " + v.elementType() : "a " + v.type());
            }
            return v;
        }

        String string(String key) {
            return (String) get(key, GgufFile.ValueType.STRING, "a STRING").value();
        }

        String optionalString(String key, String fallback) {
            return has(key) ? string(key) : fallback;
        }

        int u32(String key) {
            long v = (Long) get(key, GgufFile.ValueType.UINT32, "a UINT32").value();
            if (v > Integer.MAX_VALUE) throw error(key, "at most " + Integer.MAX_VALUE, String.valueOf(v));
            return (int) v;
        }

        int optionalU32(String key, int fallback) {
            return has(key) ? u32(key) : fallback;
        }

        int tokenId(String key, int vocab) {
            int id = u32(key);
            if (id >= vocab) throw error(key, "a token id in [0, " + vocab + ")", String.valueOf(id));
            return id;
        }

        /**
         * A FLOAT32 value as the shortest decimal that rounds to it: what a converter wrote from a config's
         * decimal (1e-6 rather than 9.99999997e-7), so the configuration equals the safetensors one.
         */
        double f32(String key) {
            double v = (Double) get(key, GgufFile.ValueType.FLOAT32, "a FLOAT32").value();
            if (!Double.isFinite(v)) throw error(key, "a finite number", String.valueOf(v));
            return Double.parseDouble(Float.toString((float) v));
        }

        double optionalF32(String key, double fallback) {
            return has(key) ? f32(key) : fallback;
        }

        boolean optionalBool(String key, boolean fallback) {
            return has(key) ? (Boolean) get(key, GgufFile.ValueType.BOOL, "a BOOL").value() : fallback;
        }

        private GgufFile.Value array(String key, GgufFile.ValueType element) {
            GgufFile.Value v = get(key, GgufFile.ValueType.ARRAY, "an ARRAY of " + element);
            if (v.elementType() != element) throw error(key, "an ARRAY of " + element, "an ARRAY of " + v.elementType());
            return v;
        }

        String[] stringArray(String key) {
            return (String[]) array(key, GgufFile.ValueType.STRING).value();
        }

        double[] floatArray(String key) {
            return (double[]) array(key, GgufFile.ValueType.FLOAT32).value();
        }

        long[] intArray(String key, GgufFile.ValueType element) {
            return (long[]) array(key, element).value();
        }
    }
}
