package dev.gemma4j.oracle;

import dev.gemma4j.model.AttentionKind;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaFamily;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaTensorNames;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes a gemma4j model as a GGUF v3 file that llama.cpp loads as architecture "gemma" (or
 * "gemma2" / "gemma3" for those families, described after the list): the
 * matrices (embedding and projections) either widened to F32 or in the dtype the source stores
 * them in, byte for byte ({@link Matrices}); the RMSNorm weights always F32.
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
 *   <li>tensor types as ggml numbers them (ggml.h {@code enum ggml_type}: F32 0, F16 1, BF16 30) and
 *       {@code general.file_type} as llama.h's {@code enum llama_ftype} (ALL_F32 0, MOSTLY_F16 1,
 *       MOSTLY_BF16 32; "mostly": the 1-D norm weights stay F32). ggml's F16 and BF16 elements are
 *       the same little-endian IEEE binary16 and bfloat16 bit patterns as safetensors' F16 and BF16,
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
final class GgufWriter {
    private GgufWriter() {}

    static final int VERSION = 3;
    static final int ALIGNMENT = 32;

    private static final int TYPE_UINT32 = 4;
    private static final int TYPE_INT32 = 5;
    private static final int TYPE_FLOAT32 = 6;
    private static final int TYPE_BOOL = 7;
    private static final int TYPE_STRING = 8;
    private static final int TYPE_ARRAY = 9;
    static final int GGML_TYPE_F32 = 0;
    static final int GGML_TYPE_F16 = 1;
    static final int GGML_TYPE_BF16 = 30;
    private static final int LLAMA_FTYPE_ALL_F32 = 0;
    private static final int LLAMA_FTYPE_MOSTLY_F16 = 1;
    private static final int LLAMA_FTYPE_MOSTLY_BF16 = 32;

    /** How the 2-D tensors (embedding and projections) are written. */
    enum Matrices {
        /** Widened exactly to F32, whatever the source stores: for comparisons that must not round activations. */
        F32,
        /** In the source's dtype with the source's bytes: the same weights as the checkpoint, at its size. */
        AS_STORED
    }

    /** One tensor as written: GGUF name, ggml dimensions (innermost first), source, whether 1 + w, type. */
    private record Entry(String name, long[] ne, Tensor source, boolean plusOne, DType type) {
        long bytes() {
            return source.elementCount() * type.bytes();
        }
    }

    /** As {@link #write(WeightSource, String, Path, Matrices)} with every tensor F32. */
    static void write(WeightSource weights, String modelName, Path out) {
        write(weights, modelName, out, Matrices.F32);
    }

    /**
     * Writes {@code weights} (with the vocabulary of its tokenizer.json) to {@code out}, through a
     * temporary file in the same folder that is moved into place once complete.
     *
     * @throws IllegalArgumentException with {@link Matrices#AS_STORED}, when the source's matrices do not
     *                                  share one dtype (a GGUF file states one file type)
     */
    static void write(WeightSource weights, String modelName, Path out, Matrices matrices) {
        GemmaConfig c = weights.config();
        GgufVocabulary vocab = GgufVocabulary.read(weights.tokenizerJson(), c.vocabSize());
        String arch = architecture(c);
        List<Entry> entries = entries(weights, c, matrices);

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
        int unk = firstOfType(vocab, GgufVocabulary.UNKNOWN);
        if (unk >= 0) meta.u32("tokenizer.ggml.unknown_token_id", unk);
        meta.bool("tokenizer.ggml.add_bos_token", true);
        meta.bool("tokenizer.ggml.add_eos_token", false);
        meta.bool("tokenizer.ggml.add_space_prefix", false);

        Path tmp = out.resolveSibling(out.getFileName() + ".part");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
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
            for (Entry e : entries) {
                Tensor t = e.source();
                if (t.dtype() == e.type() && !e.plusOne()) {
                    sink.segment(t.data());            // already little-endian in the file's type: copied as is
                } else {
                    long n = t.elementCount();
                    for (long i = 0; i < n; i++) {
                        float v = t.getFloat(i);
                        sink.f32(e.plusOne() ? 1f + v : v);
                    }
                }
                sink.pad();
            }
            sink.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing GGUF " + tmp, e);
        }
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("moving " + tmp + " to " + out, e);
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
    static int ggmlType(DType type) {
        return switch (type) {
            case F32 -> GGML_TYPE_F32;
            case F16 -> GGML_TYPE_F16;
            case BF16 -> GGML_TYPE_BF16;
            default -> throw new IllegalArgumentException("the GGUF writer writes float tensors, found " + type);
        };
    }

    /** llama.cpp's file type: that of the matrices, which {@link #entries} made all of one type. */
    private static int fileType(List<Entry> entries) {
        return switch (entries.getFirst().type()) {
            case F32 -> LLAMA_FTYPE_ALL_F32;
            case F16 -> LLAMA_FTYPE_MOSTLY_F16;
            case BF16 -> LLAMA_FTYPE_MOSTLY_BF16;
            default -> throw new IllegalArgumentException("the GGUF writer writes float tensors, found "
                    + entries.getFirst().type());
        };
    }

    /**
     * The tensors in llama.cpp's names and order (the embedding first), each checked against the shape
     * the config implies, the matrices typed as {@code matrices} says.
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
        if (matrices == Matrices.F32) return out;
        DType stored = out.getFirst().source().dtype();
        List<Entry> typed = new ArrayList<>();
        for (Entry e : out) {
            if (e.plusOne()) {
                typed.add(e);
                continue;
            }
            if (e.source().dtype() != stored) {
                throw new IllegalArgumentException("tensor '" + e.source().name() + "' is " + e.source().dtype()
                        + ", the embedding is " + stored + ": a GGUF file of stored matrices needs them all of one dtype");
            }
            typed.add(new Entry(e.name(), e.ne(), e.source(), false, stored));
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
