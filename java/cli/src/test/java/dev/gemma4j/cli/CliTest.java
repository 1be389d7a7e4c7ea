package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.Arrays;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.run(new java.io.ByteArrayInputStream(new byte[0]), new PrintWriter(out, true), new PrintWriter(err, true), args);
        System.out.println("gemma4j " + String.join(" ", args) + " -> exit " + exit + "\n" + err);
        return new Run(exit, out.toString(), err.toString());
    }

    static void assertFails(Run r, String... fragments) {
        assertTrue(r.exit != 0, "expected a non-zero exit, found 0");
        for (String f : fragments) {
            assertTrue(r.err.contains(f), "error output lacks '" + f + "':\n" + r.err);
        }
    }

    @Test
    void generateStreamsTextAndSaysTheBuiltInModelIsRandom() {
        Run r = run("generate", "--prompt", "Hello", "--max-tokens", "5");
        assertEquals(0, r.exit);
        assertTrue(r.out.startsWith("Hello"));
        assertTrue(r.err.contains("random weights"));
        assertTrue(r.err.contains("5 new"), r.err);
    }

    @Test
    void chatAnswersEachMessageUntilExit() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        byte[] input = "Hi there\n/reset\nSecond\nThird\n/exit\n".getBytes(StandardCharsets.UTF_8);
        int exit = Main.run(new java.io.ByteArrayInputStream(input), new PrintWriter(out, true), new PrintWriter(err, true),
                "chat", "--max-tokens", "4");
        assertEquals(0, exit, err.toString());
        // Three messages answered (the /reset line is not one), each reply after a "model> " prompt.
        assertEquals(3, out.toString().split("model> ", -1).length - 1, out.toString());
    }

    /** Commands are answered and never sent to the model; --stats shows the later turns' tokens found in the cache. */
    @Test
    void chatCommandsAreAnsweredAndNotSent() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        byte[] input = ("/help\n/nonsense\nHi\n/system Be brief.\nAgain\n/reset\n/bogus arg\nLast\n")
                .getBytes(StandardCharsets.UTF_8);
        int exit = Main.run(new java.io.ByteArrayInputStream(input), new PrintWriter(out, true), new PrintWriter(err, true),
                "chat", "--max-tokens", "3", "--system", "Answer in French.", "--stats");
        assertEquals(0, exit, err.toString());
        String o = out.toString();
        assertEquals(3, o.split("model> ", -1).length - 1, o);
        assertTrue(o.contains("/reset forgets the conversation"), o);
        assertTrue(o.contains("(unknown command /nonsense; not sent to the model") && o.contains("unknown command /bogus"), o);
        assertTrue(o.contains("(system text set;"), o);
        assertTrue(o.contains("(conversation reset: 2 turns forgotten)"), o);
        String[] stats = err.toString().lines().filter(l -> l.contains("from the cache")).toArray(String[]::new);
        assertEquals(3, stats.length, err.toString());
        assertTrue(stats[0].contains(" 0 from the cache"), stats[0]);
        // The system text changed before the second turn, which changes the first user turn: little is reused.
        assertTrue(stats[2].contains(" prompt tokens, "), stats[2]);
    }

    @Test
    void infoPrintsTheCudaMemoryPlanAndRefusesABudgetTooSmall() {
        Run fits = run("info", "-m", "tiny-mha", "--gpu-memory", "1GiB", "--context", "4096");
        assertEquals(0, fits.exit, fits.err);
        assertTrue(fits.out.contains("device memory plan, budget 1,073,741,824 bytes"), fits.out);
        assertTrue(fits.out.contains("context of 4,096 tokens: fits"), fits.out);
        Run pool = run("info", "-m", "tiny-mha", "--gpu-memory", "1GiB", "--context", "4096", "--max-sequences", "8");
        assertEquals(0, pool.exit, pool.err);
        assertTrue(pool.out.contains("8 x 4,096 tokens x") && pool.out.contains("8 x context of 4,096 tokens: fits"), pool.out);
        assertFails(run("info", "-m", "tiny-mha", "--gpu-memory", "1GiB", "--max-sequences", "0"), "--max-sequences");
        assertFails(run("info", "-m", "tiny-mha", "--gpu-memory", "10MiB"), "does not fit the device memory budget", "more than the budget");
        assertFails(run("info", "--gpu-memory", "lots"), "lots");
    }

    /**
     * --compute bf16 keeps the device memory plan byte for byte (bf16 and fp16 both take 2 bytes),
     * the CPU ignores it, and any other value is refused naming the flag and what it takes.
     */
    @Test
    void computeTypeIsCheckedAndLeavesThePlanAndTheCpuAlone() {
        Run fp16 = run("info", "-m", "tiny-mha", "--gpu-memory", "1GiB", "--context", "4096");
        Run bf16 = run("info", "-m", "tiny-mha", "--gpu-memory", "1GiB", "--context", "4096", "--compute", "bf16");
        assertEquals(0, bf16.exit, bf16.err);
        String plan = "device memory plan";
        assertTrue(fp16.out.contains(plan) && bf16.out.contains("bytes at bf16 (CUDA)"), bf16.out);
        assertEquals(fp16.out.substring(fp16.out.indexOf(plan)), bf16.out.substring(bf16.out.indexOf(plan)));
        assertFails(run("info", "-m", "tiny-mha", "--gpu-memory", "1GiB", "--compute", "fp32"),
                "--compute must be fp16 or bf16, found 'fp32'");
        Run cpu16 = run("generate", "-m", "tiny-mha", "--prompt", "Once", "--max-tokens", "6", "--device", "cpu");
        Run cpuBf16 = run("generate", "-m", "tiny-mha", "--prompt", "Once", "--max-tokens", "6", "--device", "cpu",
                "--compute", "bf16");
        assertEquals(0, cpuBf16.exit, cpuBf16.err);
        assertEquals(cpu16.out, cpuBf16.out);
        assertFails(run("generate", "-m", "tiny-mha", "--prompt", "Once", "--device", "cpu", "--compute", "fp8"),
                "--compute must be fp16 or bf16, found 'fp8'");
    }

    @Test
    void sameSeedSameText() {
        Run a = run("generate", "-m", "tiny-mha", "--prompt", "Once", "--max-tokens", "12", "--temperature", "1.2", "--seed", "5");
        Run b = run("generate", "-m", "tiny-mha", "--prompt", "Once", "--max-tokens", "12", "--temperature", "1.2", "--seed", "5");
        assertEquals(0, a.exit);
        assertEquals(a.out, b.out);
        Run copied = run("generate", "-m", "tiny-mha", "--prompt", "Once", "--max-tokens", "12", "--temperature", "1.2",
                "--seed", "5", "--no-mmap", "--device", "cpu");
        assertEquals(0, copied.exit);
        assertEquals(a.out, copied.out, "weights read into memory give the same text as mapped ones");
    }

    /**
     * --quantize: the model runs with its matrices quantized at load (the notice says how many, to
     * what), greedy text the same on repeated runs; an unknown type and a CUDA device are refused
     * naming what is accepted, exit 2.
     */
    @Test
    void quantizeAtLoadRunsOnTheCpuAndRefusesBadValues() {
        Run a = run("generate", "-m", "tiny-mqa", "--prompt", "Once", "--max-tokens", "8", "--quantize", "q8_0");
        assertEquals(0, a.exit, a.err);
        assertTrue(a.err.contains("quantize: 15 matrices to Q8_0"), a.err);
        assertTrue(a.err.contains("backend: cpu"), a.err);
        Run b = run("generate", "-m", "tiny-mqa", "--prompt", "Once", "--max-tokens", "8", "--quantize", "Q8_0");
        assertEquals(a.out, b.out, "the same quantized model gives the same greedy text");
        Run bad = run("generate", "--prompt", "Once", "--quantize", "q4_k");
        assertEquals(2, bad.exit);
        assertFails(bad, "--quantize", "'q4_k'", "q8_0", "q4_0");
        Run cuda = run("generate", "-m", "synthetic-2b", "--prompt", "Once", "--quantize", "q4_0", "--device", "cuda");
        assertEquals(2, cuda.exit);
        assertFails(cuda, "--quantize", "CPU only");
    }

    /** A request whose KV cache the CPU budget cannot hold is refused with the numbers, before it runs. */
    @Test
    void aCacheBeyondTheMemoryBudgetIsRefused() {
        Run r = run("generate", "--device", "cpu", "--memory", "1MiB", "--prompt", "Hello", "--max-tokens", "4000");
        assertFails(r, "KV cache of", "tokens needs", "--memory 1.0 MiB", "--max-tokens");
        assertTrue(!r.err.contains("\tat "), "no stack trace:\n" + r.err);
        Run info = run("info", "--memory", "64MiB");
        assertEquals(0, info.exit, info.err);
        assertTrue(info.out.contains("CPU memory plan: KV caches 64.0 MiB (--memory 64.0 MiB)"), info.out);
    }

    @Test
    void maxTokensZeroOrNegative() {
        assertFails(run("generate", "--max-tokens", "0"), "max new tokens must be at least 1, found 0");
        assertFails(run("generate", "--max-tokens", "-4"), "found -4");
    }

    /** A subnormal temperature made 1/T infinite and every token id 255999; NaN, infinities and top-p 0 or 1.5 ran. */
    @Test
    void samplingParametersOutsideTheirRangesAreRefused() {
        assertFails(run("generate", "-m", "tiny-mqa", "--temperature", "1e-39"), "--temperature must be 0 (greedy) or in [1.1754944E-38, 100.0], found 1.0E-39");
        assertFails(run("generate", "-m", "tiny-mqa", "--temperature", "1e-50"), "--temperature", "found 1.0E-50");
        assertFails(run("generate", "-m", "tiny-mqa", "--temperature", "NaN"), "--temperature", "found NaN");
        assertFails(run("generate", "-m", "tiny-mqa", "--temperature", "Infinity"), "--temperature", "found Infinity");
        assertFails(run("generate", "-m", "tiny-mqa", "--temperature", "101"), "--temperature", "found 101.0");
        assertFails(run("generate", "-m", "tiny-mqa", "--top-p", "0"), "--top-p must be in (0, 1], found 0.0");
        assertFails(run("generate", "-m", "tiny-mqa", "--top-p", "1.5"), "--top-p must be in (0, 1], found 1.5");
        assertFails(run("generate", "-m", "tiny-mqa", "--top-p", "NaN"), "--top-p", "found NaN");
        assertFails(run("generate", "-m", "tiny-mqa", "--temperature", "1", "--top-k", "256001"),
                "top-k must be in [0, 256000]", "found 256001");
        Run smallest = run("generate", "-m", "tiny-mqa", "--max-tokens", "2", "--temperature", "1.1754944E-38", "--seed", "1");
        assertEquals(0, smallest.exit, smallest.err);
    }

    @Test
    void tokenIdOutsideVocabulary() {
        assertFails(run("logits", "--tokens", "2,256000", "--out", "x.npy"), "256000", "outside the vocabulary [0, 256000)");
        assertFails(run("logits", "--tokens", "2,-1", "--out", "x.npy"), "-1", "outside the vocabulary");
    }

    @Test
    void promptLongerThanTheContext() {
        assertFails(run("generate", "--context", "4", "--prompt", "a b c d e f g h"), "tokens; the context holds 4");
    }

    @Test
    void directoryThatIsNotAModel(@TempDir Path dir) {
        assertFails(run("generate", "--model", dir.toString()), dir.toString(), "config.json");
        assertFails(run("info", "--model", dir.resolve("missing").toString()), "missing");
    }

    @Test
    void truncatedSafetensors(@TempDir Path dir) throws IOException {
        Path model = copyOfTinyModel(dir);
        Path st = model.resolve("model.safetensors");
        long size = Files.size(st);
        try (var ch = java.nio.channels.FileChannel.open(st, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size / 2);
        }
        assertFails(run("generate", "--model", model.toString()), "model.safetensors");
    }

    @Test
    void corruptHeaderLength(@TempDir Path dir) throws IOException {
        Path model = copyOfTinyModel(dir);
        Path st = model.resolve("model.safetensors");
        try (var ch = java.nio.channels.FileChannel.open(st, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE / 2), 0);
        }
        assertFails(run("info", "--model", model.toString()), "model.safetensors", "header");
    }

    @Test
    void logitsWritesNpy(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("l.npy");
        Run r = run("logits", "--tokens", "2,651,1234", "--out", out.toString());
        assertEquals(0, r.exit);
        byte[] b = Files.readAllBytes(out);
        String header = new String(b, 10, 118, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': (3, 256000)"), header);
        assertEquals(128 + 3L * 256000 * 4, b.length);
        float first = ByteBuffer.wrap(b, 128, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertTrue(Float.isFinite(first));
    }

    /** Gemma 3 (window 4) on 7 tokens: the decode path through the ring caches gives the prefill's logits. */
    @Test
    void incrementalLogitsEqualPrefillLogits(@TempDir Path dir) throws IOException {
        Path prefill = dir.resolve("p.npy"), incremental = dir.resolve("i.npy");
        String tokens = "2,651,1234,99,5000,17,262000";
        assertEquals(0, run("logits", "--model", "tiny-gemma3", "--tokens", tokens, "--out", prefill.toString()).exit);
        assertEquals(0, run("logits", "--model", "tiny-gemma3", "--tokens", tokens, "--incremental", "--out",
                incremental.toString()).exit);
        byte[] a = Files.readAllBytes(prefill), b = Files.readAllBytes(incremental);
        assertEquals(a.length, b.length);
        assertEquals(128 + 7L * 262208 * 4, a.length);
        double max = 0, diff = 0;
        ByteBuffer fa = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN), fb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 128; i < a.length; i += 4) {
            max = Math.max(max, Math.abs(fa.getFloat(i)));
            diff = Math.max(diff, Math.abs(fa.getFloat(i) - fb.getFloat(i)));
        }
        // Both paths compute each position's attention the same way in fp32: equal to rounding.
        assertTrue(max > 0 && diff / max < 1e-6, "relative difference " + diff / max);
    }

    @Test
    void tokenizeJsonFile(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "\"Hello world\"\n\"<start_of_turn>user\"\n");
        Run r = run("tokenize", "--file", in.toString(), "--json");
        assertEquals(0, r.exit);
        String[] lines = r.out.strip().split("\n");
        assertEquals(2, lines.length);
        GemmaTokenizer tok = GemmaTokenizer.load(TestModels.resolve("tiny-mqa").resolve("tokenizer.json"));
        assertEquals(Arrays.toString(tok.encodeWithBos("Hello world")).replace(" ", ""), lines[0]);
        assertEquals(Arrays.toString(tok.encodeWithBos("<start_of_turn>user")).replace(" ", ""), lines[1]);
        Files.writeString(in, "not json\n");
        assertFails(run("tokenize", "--file", in.toString(), "--json"), "line 1", "expected one JSON string");
    }

    /**
     * Each line must be exactly one JSON string: other values, a second value and invalid UTF-8 are
     * refused naming the file, the line and what was found, after the lines before it are written.
     */
    @Test
    void tokenizeJsonFileIsStrict(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.jsonl");
        String[][] cases = {{"123", "a number 123"}, {"true", "a boolean true"}, {"\"x\" \"y\"", "more after it at column 5"},
            {"null", "found null"}, {"[\"x\"]", "an array"}, {"", "an empty line"}, {"\"x", "invalid JSON"}};
        for (String[] c : cases) {
            Files.writeString(in, "\"a\"\r\n\"b\"\n" + c[0] + "\n\"c\"\n");
            Run r = run("tokenize", "--file", in.toString(), "--json");
            assertFails(r, in.toString(), "line 3", "expected one JSON string", c[1]);
            assertEquals(2, r.out.strip().split("\n").length, "the two lines before it are written: " + r.out);
        }
        byte[] latin1 = {'"', 'a', '"', '\n', '"', 'c', 'a', 'f', (byte) 0xE9, '"', '\n'};
        Files.write(in, latin1);
        Run r = run("tokenize", "--file", in.toString(), "--json");
        assertFails(r, in.toString(), "line 2", "not valid UTF-8: byte 4 starts 1 malformed");
        assertEquals(1, r.out.strip().split("\n").length, r.out);
    }

    @Test
    void badGgufFilesExitWithTwoNamingTheFileAndKey(@TempDir Path dir) throws IOException {
        Path truncated = dir.resolve("truncated.gguf");
        Files.write(truncated, new byte[] {'G', 'G', 'U', 'F', 3, 0});
        Run t = run("info", "-m", truncated.toString());
        assertEquals(Main.EXIT_BAD_INPUT, t.exit, t.err);
        assertFails(t, truncated.toString(), "truncated: the version needs 4 bytes at byte 4");

        // A header with one key, general.architecture = "llama", and no tensors: a GGUF of another model.
        byte[] arch = "general.architecture".getBytes(StandardCharsets.US_ASCII);
        byte[] llama = "llama".getBytes(StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24 + 8 + arch.length + 4 + 8 + llama.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'G', 'G', 'U', 'F'}).putInt(3).putLong(0).putLong(1);
        b.putLong(arch.length).put(arch).putInt(8).putLong(llama.length).put(llama);
        Path other = dir.resolve("llama.gguf");
        Files.write(other, b.array());
        for (List<String> args : List.of(List.of("info"), List.of("generate", "--prompt", "hi"), List.of("tokenize", "hi"))) {
            List<String> line = new java.util.ArrayList<>(args);
            line.addAll(List.of("-m", other.toString()));
            Run r = run(line.toArray(String[]::new));
            assertEquals(Main.EXIT_BAD_INPUT, r.exit, r.err);
            assertFails(r, other.toString(), "general.architecture", "\"llama\"");
        }
    }

    /**
     * quantize writes a GGUF file that gemma4j then runs alone (no tokenizer.json beside it), its matrices of the
     * type asked, with a progress line over the tensors; no temporary file is left.
     */
    @Test
    void quantizeWritesAGgufFileThatRuns(@TempDir Path dir) throws IOException {
        for (String type : List.of("q8_0", "Q4_0")) {
            Path out = dir.resolve("tiny-mqa-" + type + ".gguf");
            Run q = run("quantize", "-m", "tiny-mqa", "--type", type, "--out", out.toString());
            assertEquals(0, q.exit, q.err);
            String upper = type.toUpperCase(java.util.Locale.ROOT);
            assertTrue(q.err.contains("quantize (tensors): 20/20") && q.err.contains("wrote " + out)
                    && q.err.contains("15 matrices to " + upper), q.err);
            try (var files = Files.list(dir)) {
                assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".part")), "no .part file left");
            }
            Run info = run("info", "-m", out.toString());
            assertEquals(0, info.exit, info.err);
            assertTrue(info.out.contains(upper + " ") && info.out.contains("15 tensors"), info.out);
            Run g = run("generate", "-m", out.toString(), "--prompt", "Once", "--max-tokens", "4");
            assertEquals(0, g.exit, g.err);
            assertTrue(g.out.startsWith("Once"), g.out);
        }
    }

    /**
     * quantize refuses, with exit 2 and a line naming the problem: a type it does not write (K-quants included,
     * naming the accepted ones), an already quantized model, an existing --out without --force (left as it was),
     * an --out in a folder that does not exist or is a file, and a missing --model.
     */
    @Test
    void quantizeRefusesBadInput(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.gguf");
        for (String type : List.of("q4_k_m", "Q4_K", "f16", "bogus")) {
            Run r = run("quantize", "-m", "tiny-mqa", "--type", type, "--out", out.toString());
            assertEquals(Main.EXIT_BAD_INPUT, r.exit, r.err);
            assertFails(r, "--type", "'" + type + "'", "q8_0", "q4_0");
            if (type.startsWith("q4_k") || type.startsWith("Q4_K")) assertFails(r, "K-quant");
        }
        assertTrue(!Files.exists(out), "nothing written for a bad type");

        Path q8 = dir.resolve("q8.gguf");
        assertEquals(0, run("quantize", "-m", "tiny-mqa", "--type", "q8_0", "--out", q8.toString()).exit);
        Run again = run("quantize", "-m", q8.toString(), "--type", "q4_0", "--out", out.toString());
        assertEquals(Main.EXIT_BAD_INPUT, again.exit, again.err);
        assertFails(again, "is already Q8_0", "embed_tokens");
        assertTrue(!Files.exists(out) && !Files.exists(dir.resolve("out.gguf.part")), "nothing written from a quantized model");

        Files.writeString(out, "keep me");
        Run exists = run("quantize", "-m", "tiny-mqa", "--type", "q4_0", "--out", out.toString());
        assertEquals(Main.EXIT_BAD_INPUT, exists.exit, exists.err);
        assertFails(exists, "--out " + out, "exists", "--force");
        assertEquals("keep me", Files.readString(out), "the existing file is left as it was");
        Run forced = run("quantize", "-m", "tiny-mqa", "--type", "q4_0", "--out", out.toString(), "--force");
        assertEquals(0, forced.exit, forced.err);
        assertTrue(Files.size(out) > 1000, "--force replaced the file");

        Path missing = dir.resolve("no-such-folder").resolve("x.gguf");
        Run m = run("quantize", "-m", "tiny-mqa", "--type", "q8_0", "--out", missing.toString());
        assertEquals(Main.EXIT_BAD_INPUT, m.exit, m.err);
        assertFails(m, missing.getParent().toString(), "does not exist");
        Path underFile = dir.resolve("q8.gguf").resolve("x.gguf");
        Run f = run("quantize", "-m", "tiny-mqa", "--type", "q8_0", "--out", underFile.toString());
        assertEquals(Main.EXIT_BAD_INPUT, f.exit, f.err);
        assertFails(f, q8.toString(), "is not a folder");
        Run folder = run("quantize", "-m", "tiny-mqa", "--type", "q8_0", "--out", dir.toString(), "--force");
        assertEquals(Main.EXIT_BAD_INPUT, folder.exit, folder.err);
        assertFails(folder, "is a folder");

        Run noModel = run("quantize", "--type", "q8_0", "--out", dir.resolve("y.gguf").toString());
        assertEquals(Main.EXIT_BAD_INPUT, noModel.exit, noModel.err);
        assertFails(noModel, "--model is required");
    }

    private static Path copyOfTinyModel(Path dir) throws IOException {
        Path src = TestModels.resolve("tiny-mqa");
        Path dst = dir.resolve("model");
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path p : files.toList()) {
                Files.copy(p, dst.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dst;
    }
}
