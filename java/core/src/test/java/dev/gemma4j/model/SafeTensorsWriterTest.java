package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the written bytes by hand, not through SafeTensorsHeader, so writer and reader are checked separately. */
class SafeTensorsWriterTest {
    @TempDir
    Path tmp;

    @Test
    void writesAlignedHeaderAndContiguousData() throws IOException {
        List<Tensor> tensors = List.of(
                Tensor.of("a", DType.F32, new long[] {3}, new float[] {1f, 2f, 3f}),
                Tensor.of("b", DType.BF16, new long[] {1, 3}, new float[] {-1f, 0.5f, 4f}),
                Tensor.of("c", DType.F16, new long[] {2}, new float[] {0.25f, 8f}));
        Path file = tmp.resolve("t.safetensors");
        SafeTensorsWriter.write(file, tensors, Map.of("format", "pt"));
        byte[] b = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data section starts 8-byte aligned");
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertEquals(" ".repeat(header.length() - json.length()), header.substring(json.length()), "space padding");
        assertTrue(header.length() - json.length() < 8, "at most 7 bytes of padding");
        JsonNode root = new ObjectMapper().readTree(header);
        assertEquals("pt", root.get("__metadata__").get("format").asText());
        long offset = 0;
        for (Tensor t : tensors) {
            JsonNode e = root.get(t.name());
            assertEquals(t.dtype().safetensorsName(), e.get("dtype").asText());
            assertEquals(Arrays.toString(t.shape()), e.get("shape").toString().replace(",", ", "));
            assertEquals(offset, e.get("data_offsets").get(0).asLong());
            long end = offset + t.data().byteSize();
            assertEquals(end, e.get("data_offsets").get(1).asLong());
            byte[] expected = t.data().toArray(ValueLayout.JAVA_BYTE);
            byte[] actual = Arrays.copyOfRange(b, (int) (8 + n + offset), (int) (8 + n + end));
            assertEquals(Arrays.toString(expected), Arrays.toString(actual), t.name());
            offset = end;
        }
        assertEquals(8 + n + offset, b.length, "nothing after the last tensor");
    }

    @Test
    void omitsEmptyMetadataAndRejectsBadNames() throws IOException {
        Tensor a = Tensor.of("a", DType.F32, new long[] {1}, new float[] {1f});
        Path file = tmp.resolve("t.safetensors");
        SafeTensorsWriter.write(file, List.of(a), Map.of());
        byte[] b = Files.readAllBytes(file);
        assertFalse(new String(b, StandardCharsets.UTF_8).contains("__metadata__"));
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(file, List.of(a, a), Map.of()));
        Tensor meta = Tensor.of("__metadata__", DType.F32, new long[] {1}, new float[] {1f});
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(file, List.of(meta), Map.of()));
    }
}
