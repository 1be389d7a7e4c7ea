package dev.gemma4j.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a GGUF file (versions 2 and 3, as ggml's {@code gguf.cpp} reads them): metadata
 * key/value pairs and tensor infos, read through a channel and validated before any tensor byte is
 * touched. Every count and string length is bounded by the bytes left in the file before anything
 * is allocated for it; each tensor's type must be one gemma4j reads, its byte size (type x shape,
 * overflow-checked) must lie inside the file, its offset must be a multiple of
 * {@code general.alignment} (default 32, a power of two), and no two tensors may overlap.
 *
 * @param file      the file read
 * @param version   2 or 3
 * @param metadata  key to value, in file order
 * @param tensors   tensor infos in file order
 * @param dataStart file offset of the data section (the end of the infos, aligned)
 * @param fileSize  bytes of the file when it was read
 */
record GgufFile(Path file, int version, Map<String, Value> metadata, List<TensorInfo> tensors, long dataStart,
        long fileSize) {

    static final int MAGIC = 0x46554747;                 // "GGUF" read as a little-endian u32
    static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** ggml's GGML_MAX_NAME: tensor names are shorter than 64 bytes. */
    static final int MAX_NAME_BYTES = 63;
    /**
     * The longest string and array gemma4j reads: far above any real file's (a chat template of some
     * KB, 262,208 tokens, about 500,000 merges), low enough that a corrupt length is refused before it
     * is allocated.
     */
    static final long MAX_STRING_BYTES = 16L << 20;
    static final long MAX_ARRAY_LENGTH = 1L << 24;
    /** Arrays nested in arrays: none of the keys gemma4j reads has one; deeper nesting is refused. */
    private static final int MAX_ARRAY_DEPTH = 2;

    /** GGUF metadata value types, by their number in the format ({@code enum gguf_type}). */
    enum ValueType {
        UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(8), ARRAY(12),
        UINT64(8), INT64(8), FLOAT64(8);

        /** The fewest bytes a value of this type occupies: what bounds a count of them by the file size. */
        final int minBytes;

        ValueType(int minBytes) {
            this.minBytes = minBytes;
        }

        static ValueType of(int id) {
            return id >= 0 && id < values().length ? values()[id] : null;
        }
    }

    /**
     * One metadata value. Integers of every width are held as long (UINT64 above 2^63 - 1 as its
     * bits), floats as double; an array holds {@code long[]}, {@code double[]}, {@code boolean[]},
     * {@code String[]} or, nested, {@code Value[]}, with its element type.
     */
    record Value(ValueType type, ValueType elementType, Object value) {}

    /**
     * One tensor info as the file states it.
     *
     * @param ne     ggml dimensions, innermost first
     * @param type   the ggml type
     * @param offset from the start of the data section
     * @param bytes  type x shape
     */
    record TensorInfo(String name, long[] ne, GgmlType type, long offset, long bytes) {
        /** The row-major shape, outermost first (ne reversed), as {@link Tensor} and safetensors state it. */
        long[] shape() {
            long[] s = new long[ne.length];
            for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
            return s;
        }
    }

    /**
     * Reads and validates the header of {@code file} through {@code channel}.
     *
     * @throws ModelFormatException naming the file, the key or tensor, what was expected and what was found
     */
    static GgufFile read(Path file, FileChannel channel) throws IOException {
        Cursor in = new Cursor(file, channel, channel.size());
        int magic = in.u32("the magic");
        if (magic != MAGIC) {
            throw new ModelFormatException(file + ": not a GGUF file (a model is a GGUF file or a Hugging Face model"
                    + " folder): expected the magic \"GGUF\" at byte 0, found "
                    + String.format("0x%08x", Integer.reverseBytes(magic)));
        }
        int version = in.u32("the version");
        if (version != 2 && version != 3) {
            throw new ModelFormatException(file + ": GGUF version " + Integer.toUnsignedString(version)
                    + ", expected 2 or 3");
        }
        long tensorCount = in.count("the tensor count", 8 + 4 + 4 + 8);   // name length, dims, type, offset
        long kvCount = in.count("the metadata count", 8 + 4);             // key length, value type
        Map<String, Value> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("metadata key " + i);
            int typeId = in.u32("the type of metadata key '" + key + "'");
            ValueType type = ValueType.of(typeId);
            if (type == null) {
                throw new ModelFormatException(file + ": metadata key '" + key + "': value type "
                        + Integer.toUnsignedString(typeId) + ", expected a GGUF type 0 to " + (ValueType.values().length - 1));
            }
            Value v = in.value(key, type, 0);
            if (metadata.put(key, v) != null) {
                throw new ModelFormatException(file + ": metadata key '" + key + "' appears twice, expected each key once");
            }
        }
        long alignment = DEFAULT_ALIGNMENT;
        Value a = metadata.get("general.alignment");
        if (a != null) {
            if (a.type() != ValueType.UINT32) {
                throw new ModelFormatException(file + ": metadata key 'general.alignment': expected a UINT32, found "
                        + a.type());
            }
            alignment = (Long) a.value();
            if (alignment == 0 || Long.bitCount(alignment) != 1) {
                throw new ModelFormatException(file + ": metadata key 'general.alignment': expected a power of two, found "
                        + alignment);
            }
        }

        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string("the name of tensor " + i);
            String where = file + ": tensor '" + name + "'";
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw new ModelFormatException(where + ": name of " + name.getBytes(StandardCharsets.UTF_8).length
                        + " bytes, expected at most " + MAX_NAME_BYTES + " (ggml's GGML_MAX_NAME)");
            }
            int dims = in.u32("the dimension count of tensor '" + name + "'");
            if (dims < 1 || dims > MAX_DIMS) {
                throw new ModelFormatException(where + ": " + Integer.toUnsignedString(dims) + " dimensions, expected 1 to "
                        + MAX_DIMS);
            }
            long[] ne = new long[dims];
            for (int d = 0; d < dims; d++) {
                ne[d] = in.u64("dimension " + d + " of tensor '" + name + "'");
                if (ne[d] < 0) {
                    throw new ModelFormatException(where + ": dimension " + d + " is " + Long.toUnsignedString(ne[d])
                            + ", expected at most " + Long.MAX_VALUE);
                }
            }
            int typeId = in.u32("the type of tensor '" + name + "'");
            GgmlType type = GgmlType.of(typeId);
            if (type == null || type.dtype() == null) {
                throw new ModelFormatException(where + ": ggml type " + Integer.toUnsignedString(typeId) + " ("
                        + GgmlType.describe(typeId) + ") is not supported yet; supported: " + GgmlType.supported());
            }
            if (ne[0] % type.blockSize() != 0) {
                throw new ModelFormatException(where + ": rows of " + ne[0] + " elements, expected a multiple of "
                        + type + "'s block of " + type.blockSize());
            }
            long offset = in.u64("the offset of tensor '" + name + "'");
            if (offset < 0 || offset % alignment != 0) {
                throw new ModelFormatException(where + ": offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of general.alignment " + alignment);
            }
            long bytes;
            try {
                long elements = 1;
                for (long d : ne) elements = Math.multiplyExact(elements, d);
                bytes = type.byteSize(elements);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(where + ": shape " + Arrays.toString(ne)
                        + " (ggml order) overflows a 64-bit byte count");
            }
            TensorInfo t = new TensorInfo(name, ne, type, offset, bytes);
            if (byName.put(name, t) != null) {
                throw new ModelFormatException(where + " appears twice, expected each tensor once");
            }
            tensors.add(t);
        }
        long infoEnd = in.position();
        long dataStart = Math.ceilDiv(infoEnd, alignment) * alignment;
        long size = in.size();
        if (!tensors.isEmpty() && dataStart > size) {
            throw new ModelFormatException(file + ": truncated: the data section would start at byte " + dataStart
                    + ", the file has " + size + " bytes");
        }
        long dataBytes = Math.max(0, size - dataStart);
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::offset));
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.offset() > dataBytes || t.bytes() > dataBytes - t.offset()) {
                throw new ModelFormatException(file + ": tensor '" + t.name() + "': " + t.type() + " "
                        + Arrays.toString(t.ne()) + " (ggml order) needs " + t.bytes() + " bytes at data offset "
                        + t.offset() + " (file byte " + (dataStart + t.offset()) + "), the file ends at byte " + size
                        + ": truncated or a wrong offset");
            }
            if (previous != null && t.offset() < previous.offset() + previous.bytes()) {
                throw new ModelFormatException(file + ": tensor '" + t.name() + "' at data offset " + t.offset()
                        + " overlaps tensor '" + previous.name() + "' [" + previous.offset() + ", "
                        + (previous.offset() + previous.bytes()) + "): expected disjoint byte ranges");
            }
            previous = t;
        }
        return new GgufFile(file, version, Collections.unmodifiableMap(metadata), List.copyOf(tensors), dataStart, size);
    }

    /** Buffered little-endian reads through a channel, each checked against the file size first. */
    private static final class Cursor {
        private final Path file;
        private final FileChannel channel;
        private final long size;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long bufStart;                 // file offset of buf's first byte

        Cursor(Path file, FileChannel channel, long size) {
            this.file = file;
            this.channel = channel;
            this.size = size;
            buf.limit(0);
        }

        long size() {
            return size;
        }

        long position() {
            return bufStart + buf.position();
        }

        /** Makes {@code n} bytes readable from buf, or reports what was being read when the file ends first. */
        private void need(long n, String what) throws IOException {
            long pos = position();
            if (n > size - pos) {
                throw new ModelFormatException(file + ": truncated: " + what + " needs " + n + " bytes at byte " + pos
                        + ", the file has " + size + " bytes");
            }
            if (buf.remaining() >= n) return;
            buf.compact();                     // the unread bytes move to the front; fill the rest
            bufStart = pos;
            while (buf.position() < n) {
                int r = channel.read(buf, bufStart + buf.position());
                if (r < 0) {
                    throw new ModelFormatException(file + ": truncated while it was read: " + what + " at byte " + pos);
                }
            }
            buf.flip();
        }

        int u32(String what) throws IOException {
            need(4, what);
            return buf.getInt();
        }

        long u64(String what) throws IOException {
            need(8, what);
            return buf.getLong();
        }

        /** A u64 count of items of at least {@code minBytes} each, bounded by the bytes left in the file. */
        long count(String what, long minBytes) throws IOException {
            long n = u64(what);
            long left = size - position();
            if (n < 0 || n > left / minBytes) {
                throw new ModelFormatException(file + ": " + what + " is " + Long.toUnsignedString(n)
                        + ", more than the " + left + " bytes left in the file can hold (at least " + minBytes
                        + " bytes each)");
            }
            return n;
        }

        String string(String what) throws IOException {
            long n = u64("the length of " + what);
            long left = size - position();
            if (n < 0 || n > left) {
                throw new ModelFormatException(file + ": " + what + ": string length " + Long.toUnsignedString(n)
                        + " at byte " + (position() - 8) + ", more than the " + left + " bytes left in the file");
            }
            if (n > MAX_STRING_BYTES) {
                throw new ModelFormatException(file + ": " + what + ": string length " + n + ", expected at most "
                        + MAX_STRING_BYTES);
            }
            byte[] bytes = new byte[(int) n];
            int done = 0;
            while (done < bytes.length) {
                need(1, what);
                int k = Math.min(buf.remaining(), bytes.length - done);
                buf.get(bytes, done, k);
                done += k;
            }
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new ModelFormatException(file + ": " + what + ": expected UTF-8 text, found malformed bytes ("
                        + e.getMessage() + ")");
            }
        }

        Value value(String key, ValueType type, int depth) throws IOException {
            String what = "the value of metadata key '" + key + "'";
            return switch (type) {
                case UINT8 -> { need(1, what); yield new Value(type, null, (long) (buf.get() & 0xFF)); }
                case INT8 -> { need(1, what); yield new Value(type, null, (long) buf.get()); }
                case UINT16 -> { need(2, what); yield new Value(type, null, (long) (buf.getShort() & 0xFFFF)); }
                case INT16 -> { need(2, what); yield new Value(type, null, (long) buf.getShort()); }
                case UINT32 -> new Value(type, null, Integer.toUnsignedLong(u32(what)));
                case INT32 -> new Value(type, null, (long) u32(what));
                case UINT64, INT64 -> new Value(type, null, u64(what));
                case FLOAT32 -> { need(4, what); yield new Value(type, null, (double) buf.getFloat()); }
                case FLOAT64 -> { need(8, what); yield new Value(type, null, buf.getDouble()); }
                case BOOL -> {
                    need(1, what);
                    byte b = buf.get();
                    if (b != 0 && b != 1) {
                        throw new ModelFormatException(file + ": metadata key '" + key + "': BOOL byte " + b
                                + ", expected 0 or 1");
                    }
                    yield new Value(type, null, b == 1);
                }
                case STRING -> new Value(type, null, string(what));
                case ARRAY -> array(key, depth);
            };
        }

        private Value array(String key, int depth) throws IOException {
            int elementId = u32("the element type of metadata key '" + key + "'");
            ValueType element = ValueType.of(elementId);
            if (element == null) {
                throw new ModelFormatException(file + ": metadata key '" + key + "': array element type "
                        + Integer.toUnsignedString(elementId) + ", expected a GGUF type 0 to " + (ValueType.values().length - 1));
            }
            if (element == ValueType.ARRAY && depth + 1 >= MAX_ARRAY_DEPTH) {
                throw new ModelFormatException(file + ": metadata key '" + key + "': arrays nested " + (depth + 2)
                        + " deep, expected at most " + MAX_ARRAY_DEPTH);
            }
            long n = count("the length of array '" + key + "'", element.minBytes);
            if (n > MAX_ARRAY_LENGTH) {
                throw new ModelFormatException(file + ": metadata key '" + key + "': array of " + n
                        + " elements, expected at most " + MAX_ARRAY_LENGTH);
            }
            int len = (int) n;
            Object values = switch (element) {
                case STRING -> {
                    String[] s = new String[len];
                    for (int i = 0; i < len; i++) s[i] = string("element " + i + " of '" + key + "'");
                    yield s;
                }
                case FLOAT32, FLOAT64 -> {
                    double[] d = new double[len];
                    for (int i = 0; i < len; i++) d[i] = (Double) value(key, element, depth + 1).value();
                    yield d;
                }
                case BOOL -> {
                    boolean[] b = new boolean[len];
                    for (int i = 0; i < len; i++) b[i] = (Boolean) value(key, element, depth + 1).value();
                    yield b;
                }
                case ARRAY -> {
                    Value[] v = new Value[len];
                    for (int i = 0; i < len; i++) v[i] = array(key, depth + 1);
                    yield v;
                }
                default -> {
                    long[] l = new long[len];
                    for (int i = 0; i < len; i++) l[i] = (Long) value(key, element, depth + 1).value();
                    yield l;
                }
            };
            return new Value(ValueType.ARRAY, element, values);
        }
    }
}
