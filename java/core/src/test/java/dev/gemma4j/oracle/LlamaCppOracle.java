package dev.gemma4j.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gemma4j.Home;
import dev.gemma4j.model.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp as an independent reference: runs {@code scripts/oracle/logits.mjs} under node on a
 * GGUF file (see {@link GgufWriter}) and reads back the logits of every position and the greedy
 * continuation of each token sequence. The npm packages come from
 * {@code <gemma4j home>/.cache/oracle}, where {@code scripts/install-oracle.sh} puts them.
 */
final class LlamaCppOracle {
    private LlamaCppOracle() {}

    static final String VERSION = "3.22.1";

    /**
     * What llama.cpp read from the GGUF metadata.
     *
     * @param description      llama.cpp's model type line, e.g. "gemma ?B all F32"
     * @param trainContextSize gemma.context_length
     * @param embeddingLength  gemma.embedding_length
     * @param bos              tokenizer.ggml.bos_token_id
     * @param eos              tokenizer.ggml.eos_token_id
     * @param tensorTypes      each tensor's ggml type number (F32 0, F16 1, BF16 30), by GGUF name
     */
    record ModelInfo(String description, int trainContextSize, int embeddingLength, int bos, int eos,
                     Map<String, Integer> tensorTypes) {}

    /**
     * One token sequence as llama.cpp computed it.
     *
     * @param prompt       the ids given
     * @param continuation greedy ids that follow the prompt (argmax of raw logits, ties to the lowest
     *                     id), each after a one-token decode step
     * @param logits       [prompt.length][vocab]: row r holds the raw logits after prompt token r,
     *                     from one batched evaluation of the prompt
     */
    record Sequence(int[] prompt, int[] continuation, float[][] logits) {}

    /** @param llamaCpp the llama.cpp repository and release inside the binary */
    record Result(int vocab, String llamaCpp, ModelInfo model, List<Sequence> sequences) {}

    static Path installDir() {
        return Home.cache().resolve("oracle");
    }

    static Path script() {
        return Home.root().resolve("scripts").resolve("oracle").resolve("logits.mjs");
    }

    /**
     * Throws unless node-llama-cpp and @node-llama-cpp/linux-x64 {@value #VERSION} are installed;
     * the message says how to install them.
     */
    static void requireInstalled() {
        for (String pkg : List.of("node-llama-cpp", "@node-llama-cpp/linux-x64")) {
            Path pj = installDir().resolve("node_modules").resolve(pkg).resolve("package.json");
            String found;
            try {
                found = Files.isRegularFile(pj) ? new ObjectMapper().readTree(pj.toFile()).path("version").asText() : null;
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + pj, e);
            }
            if (!VERSION.equals(found)) {
                throw new IllegalStateException("llama.cpp oracle not installed: expected " + pkg + " " + VERSION + " at " + pj
                        + (found == null ? " (missing)" : " (found version " + found + ")")
                        + "; run scripts/install-oracle.sh (it installs into <gemma4j home>/.cache/oracle)");
            }
        }
        if (!Files.isRegularFile(script())) {
            throw new IllegalStateException("oracle script not found: expected " + script()
                    + " (set gemma4j.home / GEMMA4J_HOME to the gemma4j checkout)");
        }
    }

    /**
     * Runs llama.cpp on {@code gguf} for each sequence, generating {@code generate} greedy tokens
     * after each; {@code workDir} receives the request, the node log and the logits files.
     *
     * @throws IllegalStateException when node fails or runs past {@code timeout}, with the log's tail
     */
    static Result run(Path gguf, List<int[]> sequences, int generate, Path workDir, Duration timeout) {
        requireInstalled();
        ObjectMapper json = new ObjectMapper();
        Path request = workDir.resolve("request.json");
        Path out = workDir.resolve("out");
        Path log = workDir.resolve("node.log");
        try {
            Files.createDirectories(workDir);
            ObjectNode req = json.createObjectNode();
            ArrayNode seqs = req.putArray("sequences");
            for (int[] s : sequences) {
                ArrayNode a = seqs.addArray();
                for (int t : s) a.add(t);
            }
            req.put("generate", generate);
            json.writeValue(request.toFile(), req);

            ProcessBuilder pb = new ProcessBuilder("node", script().toString(), "--model", gguf.toString(),
                    "--input", request.toString(), "--out", out.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("GEMMA4J_HOME", Home.root().toString());
            pb.environment().put("GEMMA4J_ORACLE_DIR", installDir().toString());
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start node (needed for the llama.cpp oracle; node 20 or newer on PATH): "
                        + e.getMessage(), e);
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("llama.cpp oracle ran past " + timeout.toSeconds() + " s on " + gguf
                        + "; log " + log + ":\n" + tail(log));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("llama.cpp oracle exited with " + p.exitValue() + " on " + gguf
                        + "; log " + log + ":\n" + tail(log));
            }
            return read(json.readTree(out.resolve("result.json").toFile()), out);
        } catch (IOException e) {
            throw new UncheckedIOException("llama.cpp oracle in " + workDir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the llama.cpp oracle", e);
        }
    }

    private static Result read(JsonNode root, Path out) throws IOException {
        int vocab = root.path("vocab").asInt();
        JsonNode m = root.path("model");
        Map<String, Integer> types = new LinkedHashMap<>();
        m.path("tensorTypes").properties().forEach(e -> types.put(e.getKey(), e.getValue().asInt(-1)));
        ModelInfo info = new ModelInfo(m.path("description").asText(), m.path("trainContextSize").asInt(-1),
                m.path("embeddingLength").asInt(-1), m.path("bos").asInt(-1), m.path("eos").asInt(-1), Map.copyOf(types));
        List<Sequence> seqs = new ArrayList<>();
        for (JsonNode s : root.path("sequences")) {
            int[] prompt = ints(s.path("prompt"));
            int[] continuation = ints(s.path("continuation"));
            int rows = s.path("rows").asInt();
            Path file = out.resolve(s.path("logits").asText());
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != (long) rows * vocab * Float.BYTES) {
                throw new IllegalStateException(file + ": expected " + rows + " x " + vocab + " float32 = "
                        + (long) rows * vocab * Float.BYTES + " bytes, found " + bytes.length);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            float[][] logits = new float[rows][vocab];
            for (int r = 0; r < rows; r++) {
                b.position(r * vocab * Float.BYTES);
                b.asFloatBuffer().get(logits[r]);
            }
            seqs.add(new Sequence(prompt, continuation, logits));
        }
        return new Result(vocab, root.path("llamaCpp").asText(), info, List.copyOf(seqs));
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
