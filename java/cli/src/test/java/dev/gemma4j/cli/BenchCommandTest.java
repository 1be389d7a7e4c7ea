package dev.gemma4j.cli;

import static dev.gemma4j.cli.CliTest.assertFails;
import static dev.gemma4j.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BenchCommandTest {
    /** Keys every row of "batches" carries; the CPU leaves the device-memory ones null. */
    private static final List<String> BATCH_KEYS = List.of("batch", "time_to_first_token_s", "prefill_seconds",
            "prefill_tokens_per_s", "prefill_limit_tokens_per_s", "prefill_fraction_of_limit", "decode_steps",
            "decode_seconds", "decode_tokens_per_s_per_sequence", "decode_tokens_per_s_aggregate",
            "kv_tokens_read_per_step", "bytes_per_decode_step", "decode_limit_tokens_per_s_per_sequence",
            "decode_limit_tokens_per_s_aggregate", "decode_fraction_of_limit", "engine_peak_device_memory_bytes",
            "device_memory_used_bytes");
    private static final List<String> CPU_NULLS = List.of("engine_peak_device_memory_bytes", "device_memory_used_bytes");
    /** The JSON holds every figure unrounded; what is left is the rounding of one division in double. */
    private static final double REL = 1e-12;

    @ParameterizedTest
    @CsvSource({"tiny-mqa, '1,3', 8, 4", "tiny-mha, '2,1', 5, 3", "synthetic-2b, 2, 4, 3", "synthetic-gemma3-1b, 1, 4, 3"})
    void printsOneRowPerBatchAndJsonWhoseFractionsFollowFromItsOwnNumbers(String model, String batches, int prompt,
                                                                          int newTokens, @TempDir Path dir) throws IOException {
        Path json = dir.resolve("bench.json");
        // One layer keeps the synthetic 2B-shaped model (256000 x 2048 embedding) near a second per step here.
        String[] layers = model.startsWith("synthetic") ? new String[] {"--layers", "1"} : new String[0];
        String[] args = concat(new String[] {"bench", "--device", "cpu", "-m", model, "--batch", batches,
                "--prompt-tokens", Integer.toString(prompt), "--new-tokens", Integer.toString(newTokens),
                "--json", json.toString()}, layers);
        CliTest.Run r = run(args);
        assertEquals(0, r.exit(), r.err());
        int[] sizes = Arrays.stream(batches.split(",")).mapToInt(Integer::parseInt).toArray();

        List<String> lines = r.out().lines().map(String::strip).toList();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("batch ")).findFirst().orElseThrow());
        for (int i = 0; i < sizes.length; i++) {
            String[] cells = lines.get(header + 1 + i).split("\\s+");
            assertEquals(Integer.toString(sizes[i]), cells[0], r.out());
            assertEquals(lines.get(header).split("\\s+").length, cells.length, r.out());
        }
        assertTrue(header + 1 + sizes.length == lines.size() || lines.get(header + 1 + sizes.length).isEmpty(),
                "more table rows than batch sizes:\n" + r.out());
        assertTrue(r.err().contains("from seed 1234"), r.err());

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(model, root.get("model").asText());
        assertEquals(model.contains("gemma3") ? "gemma3_text" : "gemma", root.get("config").get("model_type").asText(),
                root.get("config").toString());
        assertEquals("cpu", root.get("device").asText());
        assertEquals(1234, root.get("settings").get("seed").asLong());
        assertEquals(prompt, root.get("settings").get("prompt_tokens").asInt());
        assertTrue(root.get("hardware").get("threads").asInt() >= 1, root.toString());
        assertTrue(root.get("gemma4j").asText().startsWith("gemma4j "), root.toString());
        double bandwidth = root.get("limits").get("bandwidth_bytes_per_s").asDouble();
        double flops = root.get("limits").get("flops_per_s").asDouble();
        assertTrue(flops > 0 && Double.isFinite(flops), root.get("limits").toString());
        assertTrue(root.get("limits").get("flops_source").asText().startsWith("fp32 FMA peak"), root.get("limits").toString());
        long matmulParameters = root.get("cost").get("matmul_parameters").asLong();
        long logitParameters = root.get("cost").get("logit_parameters").asLong();
        long weightBytes = root.get("cost").get("weight_bytes").asLong();
        long kvPerToken = root.get("cost").get("kv_bytes_per_token").asLong();
        JsonNode rows = root.get("batches");
        assertEquals(sizes.length, rows.size());
        for (int i = 0; i < sizes.length; i++) {
            JsonNode b = rows.get(i);
            for (String k : BATCH_KEYS) {
                assertTrue(b.has(k), "batch " + sizes[i] + " lacks " + k + ": " + b);
                if (CPU_NULLS.contains(k)) {
                    assertTrue(b.get(k).isNull(), k + " should be null on the CPU: " + b);
                } else {
                    double v = b.get(k).asDouble();
                    assertTrue(b.get(k).isNumber() && Double.isFinite(v) && v > 0, k + " = " + b.get(k));
                }
            }
            int batch = b.get("batch").asInt();
            assertEquals(sizes[i], batch);
            assertEquals(newTokens - 1, b.get("decode_steps").asInt());
            double kvTokens = batch * (prompt + newTokens / 2.0);
            assertClose(kvTokens, b.get("kv_tokens_read_per_step").asDouble(), "kv tokens per step");
            double bytes = weightBytes + kvPerToken * kvTokens;
            assertClose(bytes, b.get("bytes_per_decode_step").asDouble(), "bytes per step");
            double limit = bandwidth / bytes;
            assertClose(limit, b.get("decode_limit_tokens_per_s_per_sequence").asDouble(), "decode limit");
            assertClose(batch * limit, b.get("decode_limit_tokens_per_s_aggregate").asDouble(), "aggregate limit");
            double perSequence = b.get("decode_steps").asDouble() / b.get("decode_seconds").asDouble();
            assertClose(perSequence, b.get("decode_tokens_per_s_per_sequence").asDouble(), "decode tok/s");
            assertClose(batch * perSequence, b.get("decode_tokens_per_s_aggregate").asDouble(), "aggregate tok/s");
            assertClose(perSequence / limit, b.get("decode_fraction_of_limit").asDouble(), "decode fraction");
            double prefill = batch * prompt / b.get("prefill_seconds").asDouble();
            assertClose(prefill, b.get("prefill_tokens_per_s").asDouble(), "prefill tok/s");
            // The prefill limit: the FMA peak over the prompt's GEMM flops (projections of every token, logits of the last).
            double prefillLimit = flops * prompt / (2.0 * matmulParameters * prompt + 2.0 * logitParameters);
            assertClose(prefillLimit, b.get("prefill_limit_tokens_per_s").asDouble(), "prefill limit");
            assertClose(prefill / prefillLimit, b.get("prefill_fraction_of_limit").asDouble(), "prefill fraction");
            assertTrue(b.get("time_to_first_token_s").asDouble() <= b.get("prefill_seconds").asDouble(), b.toString());
        }
    }

    @Test
    void badInputNamesTheFlagAndTheValue() {
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--batch", "0"), "--batch", "'0'");
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--batch", "1,x"), "--batch", "'x' in '1,x'");
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--batch", "4,,8"), "--batch", "'' in '4,,8'");
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--new-tokens", "1"), "--new-tokens", "found 1");
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--prompt-tokens", "0"), "--prompt-tokens", "found 0");
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--max-batch", "0"), "--max-batch", "found 0");
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--profile", "2"), "--profile", "--device cuda");
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--profile", "-1"), "--profile", "found -1");
        // tiny-mqa's context is 8192 tokens (max_position_embeddings).
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--prompt-tokens", "8190", "--new-tokens", "4"),
                "--prompt-tokens 8190", "--new-tokens 4", "8194", "8192");
        // 10^8 sequences of 12 tokens at 512 fp32 KV bytes per token: 614 GB, far beyond any test heap.
        assertFails(run("bench", "--device", "cpu", "-m", "tiny-mqa", "--batch", "1,100000000", "--prompt-tokens", "8",
                "--new-tokens", "4"), "--batch 100000000", "-Xmx");
    }

    private static void assertClose(double want, double got, String what) {
        assertTrue(Math.abs(got - want) <= REL * Math.abs(want), what + ": JSON has " + got + ", its own numbers give " + want);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
