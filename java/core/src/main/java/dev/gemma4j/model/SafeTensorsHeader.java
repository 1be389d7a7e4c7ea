package dev.gemma4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The validated header of one safetensors file: an unsigned 64-bit little-endian length N, then N
 * bytes of UTF-8 JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}}
 * (offsets relative to the data section at byte 8 + N) and an optional {@code "__metadata__"} map of
 * strings. Reading it touches only the first 8 + N bytes of the file.
 *
 * <p>Checks follow the safetensors reference implementation: the header fits in the file and in
 * the format's 100,000,000-byte limit; every entry is well formed with a supported dtype; its
 * byte range lies inside the data section and holds exactly dtype x shape bytes; and the ranges,
 * sorted, tile the data section exactly (no overlap, no hole, nothing after the last tensor).
 */
final class SafeTensorsHeader {
    /** The safetensors format's upper bound on the header length. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    // Jackson's default 20 MB string limit would refuse a valid header whose metadata holds one long
    // string: allow the format's whole header.
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) MAX_HEADER_BYTES).build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One tensor's header entry; {@code begin}/{@code end} are relative to the data section of {@code file}. */
    record Entry(Path file, String name, DType dtype, long[] shape, long begin, long end) {}

    private final Path file;
    private final long fileSize;
    private final long dataStart;
    private final List<Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsHeader(Path file, long fileSize, long dataStart, List<Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.fileSize = fileSize;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    Path file() {
        return file;
    }

    /** Tensor entries in header order. */
    List<Entry> entries() {
        return entries;
    }

    Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads and validates the header of {@code file}.
     *
     * @throws ModelFormatException naming the file, the tensor, the byte offsets, expected and found
     */
    static SafeTensorsHeader read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file + ": file is " + size
                        + " bytes, expected at least 8 (a safetensors file starts with a u64 header length)");
            }
            ByteBuffer lenBuf = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
            long headerLen = lenBuf.getLong(0);
            if (Long.compareUnsigned(headerLen, size - 8) > 0) {
                throw new ModelFormatException(file + ": header length " + Long.toUnsignedString(headerLen)
                        + " (u64 little-endian at byte 0) runs past the end of the file: expected at most "
                        + (size - 8) + " bytes for a file of " + size + " bytes");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new ModelFormatException(file + ": header length " + headerLen
                        + " (u64 little-endian at byte 0) exceeds the safetensors limit of " + MAX_HEADER_BYTES
                        + " bytes");
            }
            if (headerLen < 2) {
                throw new ModelFormatException(file + ": header length " + headerLen
                        + " (u64 little-endian at byte 0) is too small for a JSON object, expected at least 2");
            }
            ByteBuffer headerBytes = readFully(ch, 8, (int) headerLen);
            long dataStart = 8 + headerLen;
            return parse(file, size, dataStart, decodeUtf8(file, headerBytes, headerLen));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot be read: " + e, e);
        }
    }

    /**
     * Slices one tensor per entry, keyed by name in header order, from the file mapped read-only into
     * {@code arena} ({@code mapped}), or from a copy of its data section read into memory allocated
     * in {@code arena}, which no later change to the file can reach.
     *
     * @param channel the file, open for reading; its size must still be the size the header was read at
     * @throws ModelFormatException when the file's size changed since the header was read
     */
    Map<String, Tensor> load(FileChannel channel, Arena arena, boolean mapped) {
        MemorySegment whole;
        long base;
        try {
            long size = channel.size();
            if (size != fileSize) {
                throw new ModelFormatException(file + ": file size changed from " + fileSize + " to " + size
                        + " bytes while opening the checkpoint");
            }
            if (mapped) {
                whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                base = dataStart;
            } else {
                whole = arena.allocate(Math.max(1, size - dataStart), 64);
                readRange(channel, dataStart, whole, size - dataStart);
                whole = whole.asReadOnly();
                base = 0;
            }
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot be " + (mapped ? "memory-mapped" : "read") + ": " + e, e);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            MemorySegment slice = whole.asSlice(base + e.begin(), e.end() - e.begin());
            tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), slice));
        }
        return tensors;
    }

    /** Reads {@code length} bytes of {@code ch} from byte {@code position} into {@code into}, 1 GiB at a time. */
    static void readRange(FileChannel ch, long position, MemorySegment into, long length) throws IOException {
        long chunk = 1L << 30;
        for (long done = 0; done < length; ) {
            ByteBuffer buf = into.asSlice(done, Math.min(chunk, length - done)).asByteBuffer();
            while (buf.hasRemaining()) {
                int n = ch.read(buf, position + done + buf.position());
                if (n < 0) {
                    throw new IOException("the file ended at byte " + (position + done + buf.position())
                            + " while reading it, expected " + (position + length) + " bytes");
                }
            }
            done += buf.capacity();
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) throw new IOException("unexpected end of file at byte " + (position + buf.position()));
        }
        return buf.flip();
    }

    private static String decodeUtf8(Path file, ByteBuffer bytes, long headerLen) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file + ": header (bytes 8 to " + (8 + headerLen)
                    + ") is not valid UTF-8: " + e.getMessage(), e);
        }
    }

    private static SafeTensorsHeader parse(Path file, long fileSize, long dataStart, String text) {
        String where = file + ": header (bytes 8 to " + dataStart + ")";
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new ModelFormatException(where + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at header character " + e.getLocation().getCharOffset()), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(where + ": expected a JSON object mapping tensor names to "
                    + "{dtype, shape, data_offsets}, found " + (root == null || root.isMissingNode() ? "nothing"
                            : "a JSON " + root.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        long dataLen = fileSize - dataStart;
        Map<String, String> metadata = Map.of();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(where, node);
                continue;
            }
            entries.add(entry(file, name, node, dataLen));
        }
        checkTiling(file, entries, dataStart, dataLen);
        return new SafeTensorsHeader(file, fileSize, dataStart, Collections.unmodifiableList(entries), metadata);
    }

    private static Map<String, String> metadata(String where, JsonNode node) {
        if (!node.isObject()) {
            throw new ModelFormatException(where + ": \"" + METADATA_KEY + "\" expected a JSON object of strings, found "
                    + node);
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(where + ": \"" + METADATA_KEY + "\" entry '" + e.getKey()
                        + "' expected a string, found " + e.getValue());
            }
            m.put(e.getKey(), e.getValue().asText());
        }
        return Collections.unmodifiableMap(m);
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataLen) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new ModelFormatException(where + ": expected a JSON object {dtype, shape, data_offsets}, found " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        for (String key : new String[] {"dtype", "shape", "data_offsets"}) {
            if (node.get(key) == null) {
                throw new ModelFormatException(where + ": missing \"" + key + "\", found keys "
                        + fieldNames(node));
            }
        }
        if (!dtypeNode.isTextual()) throw new ModelFormatException(where + ": \"dtype\" expected a string, found " + dtypeNode);
        DType dtype = DType.fromSafetensors(dtypeNode.asText(), file, name);
        long[] shape = nonNegativeLongs(where, "shape", shapeNode, -1);
        long[] offsets = nonNegativeLongs(where, "data_offsets", offsetsNode, 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end
                    + "] expected begin <= end");
        }
        if (end > dataLen) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end
                    + "] expected to end within the data section of " + dataLen + " bytes, ends " + (end - dataLen)
                    + " bytes past it");
        }
        long expected;
        try {
            expected = Tensor.byteSize(name, dtype, shape);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        if (end - begin != expected) {
            throw new ModelFormatException(where + ": " + dtype.safetensorsName() + " " + Arrays.toString(shape)
                    + " expected " + expected + " bytes, data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin));
        }
        return new Entry(file, name, dtype, shape, begin, end);
    }

    private static long[] nonNegativeLongs(String where, String key, JsonNode node, int requiredLength) {
        String expected = requiredLength < 0 ? "an array of non-negative integers"
                : "an array of " + requiredLength + " non-negative integers";
        if (!node.isArray() || (requiredLength >= 0 && node.size() != requiredLength)) {
            throw new ModelFormatException(where + ": \"" + key + "\" expected " + expected + ", found " + node);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new ModelFormatException(where + ": \"" + key + "\" expected " + expected + ", found " + node);
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private static String fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names.toString();
    }

    /** The byte ranges, sorted, must cover [0, dataLen) exactly once. */
    private static void checkTiling(Path file, List<Entry> entries, long dataStart, long dataLen) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw new ModelFormatException(file + ": tensor '" + e.name() + "' data_offsets [" + e.begin() + ", "
                        + e.end() + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "]: expected disjoint byte ranges");
            }
            if (e.begin() > covered) {
                throw new ModelFormatException(file + ": data section bytes [" + covered + ", " + e.begin()
                        + ") (file bytes " + (dataStart + covered) + " to " + (dataStart + e.begin())
                        + ") belong to no tensor" + (previous == null ? "" : " (after '" + previous.name() + "')")
                        + "; tensor '" + e.name() + "' starts there: expected contiguous tensors, as the safetensors format requires");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataLen) {
            throw new ModelFormatException(file + ": expected the tensors to fill the data section of " + dataLen
                    + " bytes, they end at " + covered + " (file byte " + (dataStart + covered) + ")");
        }
    }
}
