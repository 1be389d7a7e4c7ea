package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** serve-bench --json writes the figures its table prints, for both modes, and the overhead they give. */
class ServeBenchCommandTest {
    @Test
    void jsonHoldsTheTablesFigures(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("serve-bench.json");
        CliTest.Run r = CliTest.run("serve-bench", "-m", "tiny-mqa", "--device", "cpu", "--context", "64",
                "--max-sequences", "2", "--clients", "2", "--requests", "2", "--prompt-tokens", "4", "--new-tokens", "3",
                "--json", file.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode doc = new ObjectMapper().readTree(file.toFile());
        assertEquals("tiny-mqa", doc.get("model").asText());
        assertEquals(2, doc.get("clients").asInt());
        JsonNode runs = doc.get("runs");
        assertEquals(List.of("in-process", "http"), List.of(runs.get(0).get("mode").asText(), runs.get(1).get("mode").asText()));
        List<String> table = r.out().lines().toList();
        for (int i = 0; i < 2; i++) {
            JsonNode run = runs.get(i);
            assertEquals(4, run.get("requests").asInt());
            // Greedy, the same prompts: both modes generate the same tokens (at most 3 per request).
            assertEquals(runs.get(0).get("tokens").asLong(), run.get("tokens").asLong());
            assertTrue(run.get("tokens").asLong() >= 4 && run.get("tokens").asLong() <= 12, run.toString());
            for (String f : List.of("seconds", "tokens_per_second", "ttft_p50_ms", "ttft_p99_ms", "tpot_p50_ms", "tpot_p99_ms")) {
                double v = run.get(f).asDouble(Double.NaN);
                assertTrue(Double.isFinite(v) && v > 0, f + " = " + run.get(f));
            }
            assertTrue(run.get("ttft_p50_ms").asDouble() <= run.get("ttft_p99_ms").asDouble(), run.toString());
            assertTrue(run.get("tpot_p50_ms").asDouble() <= run.get("tpot_p99_ms").asDouble(), run.toString());
            String row = String.format(Locale.ROOT, "%-10s %8d %8d %9.2f %10.1f %9.1fms %9.1fms %9.2fms %9.2fms",
                    run.get("mode").asText(), run.get("requests").asInt(), run.get("tokens").asLong(),
                    run.get("seconds").asDouble(), run.get("tokens_per_second").asDouble(), run.get("ttft_p50_ms").asDouble(),
                    run.get("ttft_p99_ms").asDouble(), run.get("tpot_p50_ms").asDouble(), run.get("tpot_p99_ms").asDouble());
            assertTrue(table.contains(row), "the table lacks the JSON's row\n" + row + "\nin\n" + r.out());
        }
        double overhead = 100 * (1 - runs.get(1).get("tokens_per_second").asDouble()
                / runs.get(0).get("tokens_per_second").asDouble());
        assertEquals(overhead, doc.get("server_overhead_percent").asDouble(), 1e-9 * Math.max(1, Math.abs(overhead)));
        assertTrue(r.out().contains(String.format(Locale.ROOT, "server overhead: %.1f %%", overhead)), r.out());
    }
}
