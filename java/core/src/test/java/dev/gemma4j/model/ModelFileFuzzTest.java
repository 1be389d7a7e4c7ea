package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random mutations of a valid checkpoint's config.json, safetensors header (its JSON and its
 * length prefix) and shard index: every case must end in {@link Checkpoint#open} succeeding or in a
 * {@link ModelFormatException} that names the file it read. Any other exception, an error (a heap
 * exhaustion, a stack overflow) or a case that runs for seconds is a failure, reported with its seed,
 * its mutation and what it threw. {@code -Dgemma4j.fuzz.seed=N} replays a run,
 * {@code -Dgemma4j.fuzz.cases=N} sets the cases per file kind.
 */
class ModelFileFuzzTest {
    /** Far above a case's normal milliseconds: a case this slow is a hang in the making. */
    private static final long SLOW_CASE_NANOS = 10_000_000_000L;
    private static final int LISTED = 10;

    @TempDir
    Path tmp;

    /** Tallies of one file kind's cases: outcome -> count, and the failures in detail. */
    static final class Tally {
        final String kind;
        final Map<String, Integer> outcomes = new TreeMap<>();
        final Map<String, Integer> mutations = new TreeMap<>();
        final List<String> failures = new ArrayList<>();
        int cases;

        Tally(String kind) {
            this.kind = kind;
        }

        void count(String mutation, String outcome) {
            cases++;
            outcomes.merge(outcome, 1, Integer::sum);
            mutations.merge(mutation.replaceAll(" to .*", " to a hostile value").replaceAll("'[^']*'", "'…'")
                    .replaceAll("[0-9]+", "N"), 1, Integer::sum);
        }

        void fail(long caseSeed, String mutation, Throwable t, long nanos) {
            String what = t == null ? "ran " + nanos / 1_000_000 + " ms" : t.getClass().getName() + ": " + t.getMessage();
            if (failures.size() < LISTED) failures.add(kind + " case seed " + caseSeed + ", " + mutation + ": " + what);
        }

        void print() {
            System.out.println("  " + kind + ": " + cases + " cases, outcomes " + outcomes);
            System.out.println("    mutations " + mutations);
            failures.forEach(f -> System.out.println("    FAILED " + f));
        }
    }

    @Test
    void everyMutationLoadsOrFailsWithTheProjectsOwnError() throws IOException {
        long seed = Long.getLong("gemma4j.fuzz.seed", System.nanoTime());
        int cases = Integer.getInteger("gemma4j.fuzz.cases", 2000);
        System.out.println("ModelFileFuzzTest seed " + seed + ", " + cases + " cases per file kind");
        SplittableRandom seeds = new SplittableRandom(seed);

        GemmaConfig config = ModelFiles.smallConfig("float32");
        List<Tensor> tensors = ModelFiles.randomTensors(config, DType.F32, seed);
        Path single = tmp.resolve("single");
        ModelFiles.writeCheckpoint(single, config, tensors);
        Path sharded = tmp.resolve("sharded");
        ModelFiles.writeSharded(sharded, config, tensors, 2);

        String configJson = Files.readString(single.resolve(Checkpoint.CONFIG));
        Path weights = single.resolve(Checkpoint.SINGLE_FILE);
        byte[] weightFile = Files.readAllBytes(weights);
        int headerLength = (int) ByteBuffer.wrap(weightFile, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(weightFile, 8, headerLength, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(weightFile, 8 + headerLength, weightFile.length);
        String indexJson = Files.readString(sharded.resolve(Checkpoint.INDEX));

        Tally configs = new Tally("config.json");
        Tally headers = new Tally("safetensors header");
        Tally indexes = new Tally("shard index");
        for (int i = 0; i < cases; i++) {
            long caseSeed = seeds.nextLong();
            Mutator.Mutation m = new Mutator(caseSeed).mutate(configJson);
            Files.writeString(single.resolve(Checkpoint.CONFIG), m.text());
            attempt(configs, caseSeed, m.kind(), single);
        }
        Files.writeString(single.resolve(Checkpoint.CONFIG), configJson);
        for (int i = 0; i < cases; i++) {
            long caseSeed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            if (r.nextInt(10) == 0) {
                // The u64 length prefix: zero, off by one, past the file, past the format's limit, negative.
                long[] lengths = {0, 1, headerLength - 1, headerLength + 1, weightFile.length, 100_000_001L, -1L,
                    Long.MIN_VALUE, r.nextLong()};
                long length = lengths[r.nextInt(lengths.length)];
                byte[] b = weightFile.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
                Files.write(weights, b);
                attempt(headers, caseSeed, "length prefix " + Long.toUnsignedString(length), single);
            } else {
                Mutator.Mutation m = new Mutator(caseSeed).mutate(header);
                ModelFiles.writeRaw(weights, m.text(), data);
                attempt(headers, caseSeed, m.kind(), single);
            }
        }
        for (int i = 0; i < cases; i++) {
            long caseSeed = seeds.nextLong();
            Mutator.Mutation m = new Mutator(caseSeed).mutate(indexJson);
            Files.writeString(sharded.resolve(Checkpoint.INDEX), m.text());
            attempt(indexes, caseSeed, m.kind(), sharded);
        }
        int failed = 0;
        for (Tally t : List.of(configs, headers, indexes)) {
            t.print();
            failed += t.outcomes.getOrDefault("FAILED", 0);
            assertEquals(cases, t.cases);
        }
        assertEquals(0, failed, "cases that ended in neither a load nor a ModelFormatException naming the file"
                + " (seed " + seed + ")");
        // The mutations reach the loader's checks, not only the JSON parser: some cases of each kind
        // parse and are refused for what they hold.
        for (Tally t : List.of(configs, headers, indexes)) {
            assertTrue(t.outcomes.getOrDefault("refused after parsing", 0) > cases / 20, t.kind + ": " + t.outcomes);
        }
    }

    private static void attempt(Tally tally, long caseSeed, String mutation, Path dir) {
        long start = System.nanoTime();
        String outcome;
        Throwable thrown = null;
        try (Checkpoint cp = Checkpoint.open(dir)) {
            outcome = "loaded";
            cp.weightBytes();
        } catch (ModelFormatException e) {
            boolean namesFile = e.getMessage() != null && e.getMessage().contains(dir.toString());
            outcome = !namesFile ? "FAILED" : e.getMessage().contains("not valid JSON") ? "refused as JSON"
                    : "refused after parsing";
            if (!namesFile) thrown = e;
        } catch (Throwable t) {
            outcome = "FAILED";
            thrown = t;
        }
        long nanos = System.nanoTime() - start;
        if (nanos > SLOW_CASE_NANOS && !outcome.equals("FAILED")) outcome = "FAILED";
        if (outcome.equals("FAILED")) tally.fail(caseSeed, mutation, thrown, nanos);
        tally.count(mutation, outcome);
    }
}
