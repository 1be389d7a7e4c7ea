package dev.gemma4j.model;

import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a gemma4j model as a GGUF v3 file that llama.cpp loads as architecture "gemma" (or
 * "gemma2" / "gemma3" for those families, described after the list): the
 * matrices (embedding and projections) widened to F32, in the dtype the source stores them in byte
 * for byte (float or quantized blocks), or quantized to Q8_0 / Q4_0 by {@link BlockQuantizer} as
 * llama.cpp's quantizer would ({@link Matrices}); the RMSNorm weights always F32. The vocabulary is
 * the source's: a GGUF file's own {@code tokenizer.ggml.*} keys, else derived from its
 * tokenizer.json ({@link GgufVocabulary}).
 *
 * <p>What llama.cpp expects, from its Gemma loader ({@code src/models/gemma.cpp}), its metadata
 * reader ({@code src/llama-model.cpp}, {@code src/llama-vocab.cpp}, strict about value types) and
 * its GGUF reader ({@code ggml/src/gguf.cpp}), and as its own converter ({@code conversion/gemma.py})
 * writes Gemma:
 * <ul>
 *   <li>header: magic "GGUF", version 3 (u32), tensor count and metadata count (u64); strings are a
 *       u64 byte length then UTF-8 bytes; all little-endian;
 *   <li>shape keys {@code gemma.*} as UINT32, {@code layer_norm_rms_epsilon} and
 *       {@code rope.freq_base} as FLOAT32; key_length = value_length = head_dim (Gemma 7B has
 *       heads x head_dim != hidden, so they cannot be derived);
 *   <li>tokenizer: model "llama" (SentencePiece), tokens / scores / token_type arrays with exactly
 *       vocab_size entries (the embedding's row count must equal the token count), special ids as
 *       UINT32, {@code add_space_prefix} false (Gemma's tokenizer adds no dummy prefix);
 *   <li>tensors: token_embd (also the output projection: Gemma ties them), blk.N.attn_norm,
 *       attn_q/k/v/output, ffn_norm, ffn_gate/up/down, output_norm. ggml lists dimensions
 *       innermost first, so a row-major [out, in] weight is ne0 = in, ne1 = out with the same bytes.
 *       The RMSNorm weights are stored as 1 + w: llama.cpp multiplies by the stored weight, Hugging
 *       Face checkpoints store the offset w. Q and K are not permuted (Gemma's RoPE is the NeoX
 *       rotate-half form, which llama.cpp applies to unpermuted heads for this architecture);
 *   <li>alignment 32 (general.alignment): the data section starts at the next multiple of 32 after
 *       the tensor infos, and tensor i's offset is the sum of the sizes of tensors 0..i-1, each
 *       padded to 32 bytes;
 *   <li>tensor types as ggml numbers them (ggml.h {@code enum ggml_type}, {@link GgmlType}: F32 0,
 *       F16 1, Q4_0 2, Q8_0 8, BF16 30, ...) and {@code general.file_type} as llama.h's
 *       {@code enum llama_ftype} for the type most matrices have ("mostly": the 1-D norm weights stay
 *       F32), mapped as llama.cpp's loader maps a file's commonest tensor type when the key is absent
 *       ({@code llama-model-loader.cpp}: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7,
 *       MOSTLY_BF16 32, Q4_K as MOSTLY_Q4_K_M 15, ...; llama.cpp reads the key only to describe the
 *       file). ggml's F16 and BF16 elements are the same little-endian IEEE binary16 and bfloat16 bit
 *       patterns as safetensors' F16 and BF16, and gemma4j holds quantized tensors as ggml's blocks,
 *       so stored matrices are copied as they are.
 * </ul>
 *
 * <p>Gemma 2 and 3 ({@code src/models/gemma2-iswa.cpp}, {@code gemma3.cpp}; {@code conversion}
 * adds 1 to every norm weight): keys {@code {arch}.attention.sliding_window},
 * {@code gemma2.attn_logit_softcapping} and {@code gemma2.final_logit_softcapping},
 * {@code gemma3.rope.freq_base} (full layers) and {@code gemma3.rope.scaling.type} / {@code .factor};
 * tensors post_attention_norm, ffn_norm (the pre-feedforward norm), post_ffw_norm, attn_q_norm and
 * attn_k_norm. llama.cpp fixes what the GGUF does not state: sliding layers on even layers (Gemma 2)
 * or 5 of every 6 (Gemma 3), Gemma 3's sliding RoPE base at 10,000, and scores scaled by
 * head_dim^-0.5 (but for its 27B layer counts); a config that differs is refused, since llama.cpp
 * would compute another model.
 */
public final class GgufWriter {
    private GgufWriter() {}

    static final int VERSION = 3;
    static final int ALIGNMENT = 32;

    private static final int TYPE_UINT32 = 4;
    private static final int TYPE_INT32 = 5;
    private static final int TYPE_FLOAT32 = 6;
    private static final int TYPE_BOOL = 7;
    private static final int TYPE_STRING = 8;
    private static final int TYPE_ARRAY = 9;

    /** llama.h {@code enum llama_ftype} for a file whose matrices are mostly of the key's type. */
    private static final Map<DType, Integer> LLAMA_FTYPE = new EnumMap<>(Map.ofEntries(
            Map.entry(DType.F32, 0), Map.entry(DType.F16, 1), Map.entry(DType.Q4_0, 2), Map.entry(DType.Q4_1, 3),
            Map.entry(DType.Q8_0, 7), Map.entry(DType.Q5_0, 8), Map.entry(DType.Q5_1, 9), Map.entry(DType.Q4_K, 15),
            Map.entry(DType.Q5_K, 17), Map.entry(DType.Q6_K, 18), Map.entry(DType.BF16, 32)));

    /**
     * How the 2-D tensors (embedding and projections) are written.
     *
     * @param type F32 (widened), a {@link BlockQuantizer#TYPES} type (quantized), or null (as stored)
     */
    public record Matrices(DType type) {
        /** Widened exactly to F32, whatever the source stores: for comparisons that must not round activations. */
        public static final Matrices F32 = new Matrices(DType.F32);
        /**
         * In the source's dtype with the source's bytes (float elements or quantized blocks): the same
         * weights as the checkpoint, at its size.
         */
        public static final Matrices AS_STORED = new Matrices(null);

        public Matrices {
            if (type != null && type != DType.F32) BlockQuantizer.check(type);
        }

        /**
         * Quantized to {@code type} by {@link BlockQuantizer}, bit for bit as llama.cpp's quantizer, from a
         * float source.
         *
         * @throws IllegalArgumentException naming the type and the ones gemma4j quantizes to
         */
        public static Matrices quantized(DType type) {
            BlockQuantizer.check(type);
            return new Matrices(type);
        }
    }

    /**
     * Told once before the tensors' data (0 done) and after each tensor is written; the bytes are those
     * of the tensors' data.
     */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (tensorsDone, tensorsTotal, bytesDone, bytesTotal) -> {};

        void written(int tensorsDone, int tensorsTotal, long bytesDone, long bytesTotal);
    }

    /** One tensor as written: GGUF name, ggml dimensions (innermost first), source, whether 1 + w, type. */
    private record Entry(String name, long[] ne, Tensor source, boolean plusOne, DType type) {
        long bytes() {
            return type.byteSize(source.elementCount());
        }
    }

    /** As {@link #write(WeightSource, String, Path, Matrices)} with every tensor F32. */
    public static void write(WeightSource weights, String modelName, Path out) {
        write(weights, modelName, out, Matrices.F32);
    }

    /** As {@link #write(WeightSource, String, Path, Matrices, Progress)}, telling no one of the progress. */
    public static void write(WeightSource weights, String modelName, Path out, Matrices matrices) {
        write(weights, modelName, out, matrices, Progress.NONE);
    }

    /**
     * Writes {@code weights} (with the vocabulary of its GGUF metadata or tokenizer.json) to {@code out},
     * through a temporary file {@code out.part} in the same folder that is moved into place once
     * complete (replacing {@code out} if it exists) and deleted if writing fails. Every tensor and the
     * vocabulary are checked before the file is created.
     *
     * @throws IllegalArgumentException when llama.cpp would compute the model differently ({@link #architecture})
     * @throws ModelFormatException     naming the tensor when its shape is not the one the config implies or,
     *                                  with {@link Matrices#quantized}, it is already quantized or not whole blocks
     * @throws UncheckedIOException     naming the file when it cannot be written
     */
    public static void write(WeightSource weights, String modelName, Path out, Matrices matrices, Progress progress) {
        Objects.requireNonNull(progress, "no progress listener given");
        GemmaConfig c = weights.config();
        String arch = architecture(c);
        List<Entry> entries = entries(weights, c, matrices);
        GgufVocabulary vocab = weights instanceof GgufCheckpoint g ? g.vocabulary()
                : GgufVocabulary.read(weights.tokenizerJson(), c.vocabSize());

        Metadata meta = new Metadata();
        meta.string("general.architecture", arch);
        meta.string("general.name", modelName);
        meta.u32("general.alignment", ALIGNMENT);
        meta.u32("general.file_type", fileType(entries));
        meta.u32(arch + ".context_length", c.maxPositionEmbeddings());
        meta.u32(arch + ".embedding_length", c.hiddenSize());
        meta.u32(arch + ".block_count", c.numHiddenLayers());
        meta.u32(arch + ".feed_forward_length", c.intermediateSize());
        meta.u32(arch + ".attention.head_count", c.numAttentionHeads());
        meta.u32(arch + ".attention.head_count_kv", c.numKeyValueHeads());
        meta.u32(arch + ".attention.key_length", c.headDim());
        meta.u32(arch + ".attention.value_length", c.headDim());
        meta.f32(arch + ".attention.layer_norm_rms_epsilon", (float) c.rmsNormEps());
        meta.f32(arch + ".rope.freq_base", (float) c.ropeTheta());
        GemmaFamily f = c.family();
        if (!f.isGemma1()) meta.u32(arch + ".attention.sliding_window", f.slidingWindow());
        if (arch.equals("gemma2")) {
            meta.f32("gemma2.attn_logit_softcapping", (float) f.attnLogitSoftcapping());
            meta.f32("gemma2.final_logit_softcapping", (float) f.finalLogitSoftcapping());
        }
        if (arch.equals("gemma3") && f.fullRopeFactor() != 1) {
            meta.string("gemma3.rope.scaling.type", "linear");
            meta.f32("gemma3.rope.scaling.factor", (float) f.fullRopeFactor());
        }
        meta.string("tokenizer.ggml.model", "llama");
        meta.stringArray("tokenizer.ggml.tokens", vocab.tokens());
        meta.f32Array("tokenizer.ggml.scores", vocab.scores());
        meta.i32Array("tokenizer.ggml.token_type", vocab.types());
        meta.u32("tokenizer.ggml.bos_token_id", c.bosTokenId());
        meta.u32("tokenizer.ggml.eos_token_id", c.eosTokenId());
        meta.u32("tokenizer.ggml.padding_token_id", c.padTokenId());
        int unk = firstOfType(vocab, GemmaTokenizer.TYPE_UNKNOWN);
        if (unk >= 0) meta.u32("tokenizer.ggml.unknown_token_id", unk);
        meta.bool("tokenizer.ggml.add_bos_token", true);
        meta.bool("tokenizer.ggml.add_eos_token", false);
        meta.bool("tokenizer.ggml.add_space_prefix", false);

        Path tmp = out.resolveSibling(out.getFileName() + ".part");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(ch, meta, entries, progress);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("writing GGUF " + out + ": " + reason(e), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** The header, the metadata, the tensor infos and the tensors' data, each section padded to {@link #ALIGNMENT}. */
    private static void writeTo(FileChannel ch, Metadata meta, List<Entry> entries, Progress progress) throws IOException {
        Sink sink = new Sink(ch);
        sink.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        sink.u32(VERSION);
        sink.u64(entries.size());
        sink.u64(meta.count);
        sink.bytes(meta.buffer.toByteArray());

        long offset = 0;
        for (Entry e : entries) {
            sink.string(e.name());
            sink.u32(e.ne().length);
            for (long d : e.ne()) sink.u64(d);
            sink.u32(ggmlType(e.type()));
            sink.u64(offset);
            offset += pad(e.bytes());
        }
        sink.pad();
        long bytesTotal = 0, bytesDone = 0;
        for (Entry e : entries) bytesTotal += e.bytes();
        progress.written(0, entries.size(), 0, bytesTotal);
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            Tensor t = e.source();
            if (t.dtype() == e.type() && !e.plusOne()) {
                sink.segment(t.data());            // already little-endian in the file's type: copied as is
            } else if (e.type().quantized()) {
                // One matrix's blocks at a time: the quantized model is never all in memory.
                try (Arena arena = Arena.ofShared()) {
                    sink.segment(BlockQuantizer.quantize(t, e.type(), arena).data());
                }
            } else {
                long n = t.elementCount();
                for (long j = 0; j < n; j++) {
                    float v = t.getFloat(j);
                    sink.f32(e.plusOne() ? 1f + v : v);
                }
            }
            sink.pad();
            bytesDone += e.bytes();
            progress.written(i + 1, entries.size(), bytesDone, bytesTotal);
        }
        sink.flush();
        ch.force(false);
    }

    /** An I/O failure's cause in words: NIO's exceptions give only the path as their message. */
    private static String reason(IOException e) {
        return switch (e) {
            case AccessDeniedException a -> a.getMessage() + ": permission denied";
            case NoSuchFileException n -> n.getMessage() + ": no such file or folder";
            case FileSystemException f when f.getReason() == null -> f.getMessage() + ": " + f.getClass().getSimpleName();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // the write's own failure is the one to report; a leftover .part is overwritten by the next write
        }
    }

    /**
     * "gemma", "gemma2" or "gemma3" for {@code c}.
     *
     * @throws IllegalArgumentException when llama.cpp would compute the model differently (see the class comment)
     */
    static String architecture(GemmaConfig c) {
        GemmaFamily f = c.family();
        if (f.isGemma1()) return "gemma";
        String arch = f.qkNorms() ? "gemma3" : "gemma2";
        int pattern = arch.equals("gemma3") ? 6 : 2;
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            AttentionKind kind = l % pattern < pattern - 1 ? AttentionKind.SLIDING : AttentionKind.FULL;
            if (f.layerTypes().get(l) != kind) {
                throw new IllegalArgumentException("layer " + l + " is " + f.layerTypes().get(l) + "; llama.cpp's "
                        + arch + " makes it " + kind + " (sliding pattern " + pattern + ")");
            }
        }
        if (f.queryPreAttnScalar() != c.headDim()) {
            throw new IllegalArgumentException("query_pre_attn_scalar " + f.queryPreAttnScalar()
                    + ": llama.cpp scales by head_dim " + c.headDim() + "^-0.5 outside its 27B layer counts");
        }
        if (arch.equals("gemma3") && (f.slidingRopeTheta() != 10000 || f.slidingRopeFactor() != 1)) {
            throw new IllegalArgumentException("sliding RoPE base " + f.slidingRopeTheta() + ", factor "
                    + f.slidingRopeFactor() + ": llama.cpp's gemma3 fixes them at 10000 and 1");
        }
        if (arch.equals("gemma2") && (f.attnLogitSoftcapping() <= 0 || f.finalLogitSoftcapping() <= 0
                || f.fullRopeFactor() != 1)) {
            throw new IllegalArgumentException("llama.cpp's gemma2 needs both soft-caps and plain RoPE");
        }
        return arch;
    }

    private static int firstOfType(GgufVocabulary vocab, int type) {
        for (int i = 0; i < vocab.types().length; i++) {
            if (vocab.types()[i] == type) return i;
        }
        return -1;
    }

    /** ggml's number for a tensor type (ggml.h {@code enum ggml_type}). */
    public static int ggmlType(DType type) {
        return GgmlType.of(type).id();
    }

    /**
     * llama.cpp's file type: that of the type most matrices have (the first of equals, in file order),
     * as llama.cpp's loader guesses it for a file without the key.
     */
    private static int fileType(List<Entry> entries) {
        Map<DType, Integer> matrices = new LinkedHashMap<>();
        for (Entry e : entries) if (!e.plusOne()) matrices.merge(e.type(), 1, Integer::sum);
        DType most = null;
        for (Map.Entry<DType, Integer> m : matrices.entrySet()) {
            if (most == null || m.getValue() > matrices.get(most)) most = m.getKey();
        }
        Integer ftype = LLAMA_FTYPE.get(most);
        if (ftype == null) throw new IllegalArgumentException("no llama.cpp file type for matrices of " + most);
        return ftype;
    }

    /**
     * The tensors in llama.cpp's names and order (the embedding first), each checked against the shape
     * the config implies, the matrices typed as {@code matrices} says (each in its own dtype when as
     * stored: llama.cpp's K-quant files mix types).
     */
    private static List<Entry> entries(WeightSource weights, GemmaConfig c, Matrices matrices) {
        Map<String, long[]> expected = GemmaTensorNames.expectedShapes(c);
        List<Entry> out = new ArrayList<>();
        out.add(entry(weights, expected, GemmaTensorNames.embed(), "token_embd.weight", false));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String blk = "blk." + i + ".";
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.INPUT_LAYERNORM),
                    blk + "attn_norm.weight", true));
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.Q_PROJ), blk + "attn_q.weight", false));
            if (c.family().qkNorms()) {
                out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.Q_NORM),
                        blk + "attn_q_norm.weight", true));
                out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.K_NORM),
                        blk + "attn_k_norm.weight", true));
            }
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.K_PROJ), blk + "attn_k.weight", false));
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.V_PROJ), blk + "attn_v.weight", false));
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.O_PROJ),
                    blk + "attn_output.weight", false));
            if (c.family().sandwichNorms()) {
                out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.POST_ATTENTION_LAYERNORM),
                        blk + "post_attention_norm.weight", true));
                out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.PRE_FEEDFORWARD_LAYERNORM),
                        blk + "ffn_norm.weight", true));
                out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.POST_FEEDFORWARD_LAYERNORM),
                        blk + "post_ffw_norm.weight", true));
            } else {
                out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.POST_ATTENTION_LAYERNORM),
                        blk + "ffn_norm.weight", true));
            }
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.GATE_PROJ),
                    blk + "ffn_gate.weight", false));
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.UP_PROJ), blk + "ffn_up.weight", false));
            out.add(entry(weights, expected, GemmaTensorNames.layer(i, GemmaTensorNames.DOWN_PROJ),
                    blk + "ffn_down.weight", false));
        }
        out.add(entry(weights, expected, GemmaTensorNames.finalNorm(), "output_norm.weight", true));
        if (matrices.equals(Matrices.F32)) return out;
        List<Entry> typed = new ArrayList<>();
        for (Entry e : out) {
            if (e.plusOne()) {
                typed.add(e);
                continue;
            }
            DType type = matrices.type();
            if (type == null) {
                type = e.source().dtype();
            } else {
                BlockQuantizer.checkQuantizable(e.source(), type);
            }
            typed.add(new Entry(e.name(), e.ne(), e.source(), false, type));
        }
        return typed;
    }

    private static Entry entry(WeightSource weights, Map<String, long[]> expected, String hfName, String ggufName,
            boolean plusOne) {
        Tensor t = weights.tensor(hfName);
        if (!Arrays.equals(t.shape(), expected.get(hfName))) {
            throw new IllegalArgumentException("tensor '" + hfName + "' has shape " + Arrays.toString(t.shape())
                    + ", the config implies " + Arrays.toString(expected.get(hfName)));
        }
        long[] shape = t.shape();
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        return new Entry(ggufName, ne, t, plusOne, DType.F32);
    }

    static long pad(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Metadata key/value pairs, serialised as GGUF writes them: key, u32 type, value. */
    private static final class Metadata {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        long count;

        private ByteBuffer le(int size) {
            return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        }

        private void raw(ByteBuffer b) {
            buffer.write(b.array(), 0, b.position());
        }

        private void str(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            raw(le(8).putLong(utf8.length));
            buffer.write(utf8, 0, utf8.length);
        }

        private void key(String key, int type) {
            str(key);
            raw(le(4).putInt(type));
            count++;
        }

        void u32(String key, long value) {
            if (value < 0 || value > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("GGUF key " + key + ": " + value + " does not fit UINT32");
            }
            key(key, TYPE_UINT32);
            raw(le(4).putInt((int) value));
        }

        void f32(String key, float value) {
            key(key, TYPE_FLOAT32);
            raw(le(4).putFloat(value));
        }

        void bool(String key, boolean value) {
            key(key, TYPE_BOOL);
            buffer.write(value ? 1 : 0);
        }

        void string(String key, String value) {
            key(key, TYPE_STRING);
            str(value);
        }

        void stringArray(String key, String[] values) {
            key(key, TYPE_ARRAY);
            raw(le(12).putInt(TYPE_STRING).putLong(values.length));
            for (String v : values) str(v);
        }

        void f32Array(String key, float[] values) {
            key(key, TYPE_ARRAY);
            raw(le(12).putInt(TYPE_FLOAT32).putLong(values.length));
            ByteBuffer b = le(values.length * 4);
            for (float v : values) b.putFloat(v);
            raw(b);
        }

        void i32Array(String key, int[] values) {
            key(key, TYPE_ARRAY);
            raw(le(12).putInt(TYPE_INT32).putLong(values.length));
            ByteBuffer b = le(values.length * 4);
            for (int v : values) b.putInt(v);
            raw(b);
        }
    }

    /** Buffered little-endian output to a file channel that counts the bytes written. */
    private static final class Sink {
        private static final long SEGMENT_SLICE = 64L << 20;
        private final FileChannel channel;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        Sink(FileChannel channel) {
            this.channel = channel;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void u32(int v) throws IOException {
            room(4);
            buf.putInt(v);
            written += 4;
        }

        void u64(long v) throws IOException {
            room(8);
            buf.putLong(v);
            written += 8;
        }

        void f32(float v) throws IOException {
            room(4);
            buf.putFloat(v);
            written += 4;
        }

        void bytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
            written += b.length;
        }

        /** Writes {@code data} in slices: a ByteBuffer holds at most 2 GiB, a 2B-shaped F32 embedding more. */
        void segment(MemorySegment data) throws IOException {
            flush();
            for (long pos = 0; pos < data.byteSize(); pos += SEGMENT_SLICE) {
                ByteBuffer b = data.asSlice(pos, Math.min(SEGMENT_SLICE, data.byteSize() - pos)).asByteBuffer();
                while (b.hasRemaining()) channel.write(b);
            }
            written += data.byteSize();
        }

        void string(String s) throws IOException {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            u64(utf8.length);
            bytes(utf8);
        }

        /** Zero bytes up to the next multiple of {@link #ALIGNMENT} from the start of the file. */
        void pad() throws IOException {
            int n = (int) (GgufWriter.pad(written) - written);
            bytes(new byte[n]);
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) channel.write(buf);
            buf.clear();
        }
    }
}
