package dev.gemma4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A benchmark's figures as a text table (one row per batch size) and as JSON with the same numbers,
 * the limits they are stated against, the cost model, and what the caller says about the run
 * (machine, versions, settings, seed).
 */
public final class Report {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final Map<String, Object> about;
    private final Cost cost;
    private final Limits limits;
    private final List<BatchFigures> batches;

    /** @param about entries written first in the JSON (strings, numbers, lists and maps of them) */
    public Report(Map<String, Object> about, Cost cost, Limits limits, List<BatchFigures> batches) {
        this.about = about;
        this.cost = cost;
        this.limits = limits;
        this.batches = List.copyOf(batches);
    }

    public List<BatchFigures> batches() {
        return batches;
    }

    /** A table column: header (no spaces, so the table splits on whitespace) and its cells. */
    private record Column(String header, Function<BatchFigures, String> cell) {}

    private static final List<Column> COLUMNS = List.of(
            new Column("batch", f -> Integer.toString(f.batch())),
            new Column("ttft_s", f -> fixed(f.timeToFirstTokenSeconds(), 3)),
            new Column("prefill_tok/s", f -> number(f.prefillTokensPerSecond())),
            new Column("prefill_limit", f -> number(f.prefillLimitTokensPerSecond())),
            new Column("prefill_frac", f -> percent(f.prefillFractionOfLimit())),
            new Column("decode_tok/s/seq", f -> number(f.decodeTokensPerSecondPerSequence())),
            new Column("decode_tok/s_all", f -> number(f.decodeTokensPerSecondAggregate())),
            new Column("bytes/step", f -> String.format(Locale.ROOT, "%.4g", f.bytesPerDecodeStep())),
            new Column("limit_tok/s/seq", f -> number(f.decodeLimitTokensPerSecondPerSequence())),
            new Column("decode_frac", f -> percent(f.decodeFractionOfLimit())),
            new Column("peak_GiB", f -> f.enginePeakBytes() == null ? "-" : fixed(f.enginePeakBytes() / (double) (1L << 30), 2)),
            new Column("device_used_GiB", f -> f.deviceUsedBytes() == null ? "-" : fixed(f.deviceUsedBytes() / (double) (1L << 30), 2)));

    /**
     * The limits, then one row per batch size. Fractions are percentages of the limit on the same
     * row; "-" marks a figure this backend does not have (device memory on the CPU).
     */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "decode limit: %s %.2f GB/s; bytes per step = weights %,d + KV %,d per cached token%n",
                limits.bandwidthSource(), limits.bandwidthBytesPerSecond() / 1e9, cost.weightBytes(), cost.kvBytesPerToken()));
        sb.append(String.format(Locale.ROOT, "prefill limit: %s %s; flops per prompt = 2 x %,d projection weights x tokens"
                + " + 2 x %,d output weights%n", limits.flopsSource(), flopRate(limits.flopsPerSecond()),
                cost.matmulParameters(), cost.logitParameters()));
        String[][] cells = new String[batches.size() + 1][COLUMNS.size()];
        int[] width = new int[COLUMNS.size()];
        for (int c = 0; c < COLUMNS.size(); c++) {
            cells[0][c] = COLUMNS.get(c).header();
            for (int r = 0; r < batches.size(); r++) cells[r + 1][c] = COLUMNS.get(c).cell().apply(batches.get(r));
            for (String[] row : cells) width[c] = Math.max(width[c], row[c].length());
        }
        for (String[] row : cells) {
            for (int c = 0; c < row.length; c++) {
                sb.append(c == 0 ? "" : "  ").append(" ".repeat(width[c] - row[c].length())).append(row[c]);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The same numbers as {@link #table()}, unrounded, with the limits, the cost model and {@code about}. */
    public ObjectNode json() {
        ObjectNode root = JSON.createObjectNode();
        about.forEach((k, v) -> root.set(k, JSON.valueToTree(v)));
        ObjectNode l = root.putObject("limits");
        l.put("bandwidth_bytes_per_s", limits.bandwidthBytesPerSecond());
        l.put("bandwidth_source", limits.bandwidthSource());
        l.put("flops_per_s", limits.flopsPerSecond());
        l.put("flops_source", limits.flopsSource());
        ObjectNode c = root.putObject("cost");
        c.put("weight_bytes", cost.weightBytes());
        c.put("kv_bytes_per_token", cost.kvBytesPerToken());
        c.put("matmul_parameters", cost.matmulParameters());
        c.put("logit_parameters", cost.logitParameters());
        ArrayNode rows = root.putArray("batches");
        Long peak = null;
        for (BatchFigures f : batches) {
            ObjectNode o = rows.addObject();
            o.put("batch", f.batch());
            o.put("time_to_first_token_s", f.timeToFirstTokenSeconds());
            o.put("prefill_seconds", f.prefillSeconds());
            o.put("prefill_tokens_per_s", f.prefillTokensPerSecond());
            o.put("prefill_limit_tokens_per_s", f.prefillLimitTokensPerSecond());
            o.put("prefill_fraction_of_limit", f.prefillFractionOfLimit());
            o.put("decode_steps", f.decodeSteps());
            o.put("decode_seconds", f.decodeSeconds());
            o.put("decode_tokens_per_s_per_sequence", f.decodeTokensPerSecondPerSequence());
            o.put("decode_tokens_per_s_aggregate", f.decodeTokensPerSecondAggregate());
            o.put("kv_tokens_read_per_step", f.kvTokensPerDecodeStep());
            o.put("bytes_per_decode_step", f.bytesPerDecodeStep());
            o.put("decode_limit_tokens_per_s_per_sequence", f.decodeLimitTokensPerSecondPerSequence());
            o.put("decode_limit_tokens_per_s_aggregate", f.decodeLimitTokensPerSecondAggregate());
            o.put("decode_fraction_of_limit", f.decodeFractionOfLimit());
            o.put("engine_peak_device_memory_bytes", f.enginePeakBytes());
            o.put("device_memory_used_bytes", f.deviceUsedBytes());
            if (f.enginePeakBytes() != null) peak = peak == null ? f.enginePeakBytes() : Math.max(peak, f.enginePeakBytes());
        }
        root.put("peak_device_memory_bytes", peak);
        return root;
    }

    public void writeJson(Path file) throws IOException {
        JSON.writeValue(file.toFile(), json());
    }

    /** Three significant digits at least, no exponent below a million. */
    private static String number(double v) {
        return Math.abs(v) >= 1e6 ? String.format(Locale.ROOT, "%.3g", v)
                : Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.3g", v);
    }

    /** GFLOP/s below a TFLOP/s (CPUs), else TFLOP/s (GPUs). */
    private static String flopRate(double flopsPerSecond) {
        return flopsPerSecond < 1e12 ? String.format(Locale.ROOT, "%.1f GFLOP/s", flopsPerSecond / 1e9)
                : String.format(Locale.ROOT, "%.1f TFLOP/s", flopsPerSecond / 1e12);
    }

    private static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
    }
}
