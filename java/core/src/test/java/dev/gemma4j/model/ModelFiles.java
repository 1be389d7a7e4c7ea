package dev.gemma4j.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Builds small Gemma checkpoints, valid or deliberately broken, for the loader's tests. */
final class ModelFiles {
    private ModelFiles() {}

    /**
     * A 2-layer multi-query config small enough to write in milliseconds, with heads x head_dim
     * (2 x 6 = 12) wider than hidden (8) as in Gemma 7B.
     */
    static GemmaConfig smallConfig(String torchDtype) {
        return GemmaConfig.of(32, 8, 12, 2, 2, 1, 6, torchDtype);
    }

    /** Random tensors for every name the config implies, values drawn from N(0, 1) and rounded to dtype. */
    static List<Tensor> randomTensors(GemmaConfig c, DType dtype, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Tensor> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : GemmaTensorNames.expectedShapes(c).entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            out.add(Tensor.of(e.getKey(), dtype, e.getValue(), v));
        }
        return out;
    }

    /** Writes config.json and model.safetensors holding {@code tensors} into dir. */
    static void writeCheckpoint(Path dir, GemmaConfig c, List<Tensor> tensors) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Checkpoint.CONFIG), c.toJson());
        SafeTensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
    }

    /**
     * Writes config.json, {@code shards} safetensors shards named as Hugging Face names them and
     * model.safetensors.index.json; tensors are dealt to shards in order, in contiguous runs.
     */
    static void writeSharded(Path dir, GemmaConfig c, List<Tensor> tensors, int shards) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Checkpoint.CONFIG), c.toJson());
        Map<String, String> weightMap = new LinkedHashMap<>();
        int per = (tensors.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<Tensor> part = tensors.subList(s * per, Math.min(tensors.size(), (s + 1) * per));
            SafeTensorsWriter.write(dir.resolve(file), part, Map.of("format", "pt"));
            for (Tensor t : part) weightMap.put(t.name(), file);
        }
        writeIndex(dir, weightMap);
    }

    static void writeIndex(Path dir, Map<String, String> weightMap) throws IOException {
        StringBuilder sb = new StringBuilder("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
        String sep = "";
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            sb.append(sep).append('"').append(e.getKey()).append("\": \"").append(e.getValue()).append('"');
            sep = ", ";
        }
        Files.writeString(dir.resolve(Checkpoint.INDEX), sb.append("}}").toString());
    }

    /** A safetensors file from a literal header (written with its exact length) and data bytes. */
    static void writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        Files.write(file, buf.array());
    }

    /** One header entry as JSON text. */
    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape + ", \"data_offsets\": ["
                + begin + ", " + end + "]}";
    }
}
