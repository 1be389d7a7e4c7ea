package dev.gemma4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes one safetensors file: the u64 little-endian header length, the JSON header padded with
 * spaces so the data section starts at a multiple of 8 bytes (as the safetensors reference writer
 * pads it), then each tensor's bytes back to back in list order. Tensor data is streamed from its
 * segment in chunks, never gathered in one buffer.
 */
public final class SafeTensorsWriter {
    private SafeTensorsWriter() {}

    /** Bytes written per {@link FileChannel#write} call; a segment larger than 2 GiB needs several. */
    private static final long CHUNK = 64L << 20;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /**
     * Writes {@code tensors} and {@code metadata} (the {@code __metadata__} map, omitted when empty)
     * to {@code file}, replacing it.
     *
     * @throws IllegalArgumentException when two tensors share a name or a name is "__metadata__"
     */
    public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Tensor t : tensors) {
                MemorySegment data = t.data();
                for (long pos = 0; pos < data.byteSize(); pos += CHUNK) {
                    writeFully(ch, data.asSlice(pos, Math.min(CHUNK, data.byteSize() - pos)).asByteBuffer());
                }
            }
        }
    }

    /** The UTF-8 JSON header, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(List<Tensor> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafeTensorsHeader.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (Tensor t : tensors) {
            if (t.name().equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name '" + t.name() + "' is reserved for metadata");
            }
            if (!names.add(t.name())) throw new IllegalArgumentException("tensor name '" + t.name() + "' is used twice");
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            long end = offset + t.data().byteSize();
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JacksonException e) {
            throw new IllegalStateException("serialising a JSON tree of numbers and strings failed", e);
        }
        int padded = (json.length + 7) & ~7;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }
}
