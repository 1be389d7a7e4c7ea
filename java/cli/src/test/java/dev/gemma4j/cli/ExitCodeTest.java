package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One rule for every command: 0 success, 1 a failure while running, 2 a usage error or bad model, file or input. */
class ExitCodeTest {
    /** Each command with the arguments it needs besides the ones a case adds. */
    private static final String[][] COMMANDS = {{"generate"}, {"chat"}, {"logits", "--tokens", "2,651", "--out", "unused.npy"},
        {"tokenize", "hello"}, {"info"}, {"bench"}, {"parity"}, {"serve"}, {"serve-bench"}};

    private static CliTest.Run run(String[] command, String... more) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    private static String[] command(String name) {
        for (String[] c : COMMANDS) if (c[0].equals(name)) return c;
        throw new AssertionError("no command " + name);
    }

    /** A usage error is two lines on standard error (what is wrong, where to look), nothing on standard output. */
    private static void assertUsageError(CliTest.Run r, String name, String... fragments) {
        assertEquals(Main.EXIT_BAD_INPUT, r.exit(), r.err());
        assertEquals("", r.out(), "nothing is printed before the arguments are checked");
        String[] lines = r.err().strip().split("\n");
        assertEquals(2, lines.length, "one line naming the option and value, one hint:\n" + r.err());
        for (String f : fragments) assertTrue(lines[0].contains(f), "'" + f + "' missing from: " + lines[0]);
        assertEquals("Try 'gemma4j " + name + " --help' for the options.", lines[1]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "chat", "logits", "tokenize", "info", "bench", "parity", "serve", "serve-bench"})
    void everyCommandFollowsTheRule(String name) {
        String[] c = command(name);
        assertUsageError(run(c, "--no-such-option"), name, "--no-such-option");
        CliTest.Run missing = run(c, "--model", "/nonexistent/gemma");
        assertEquals(Main.EXIT_BAD_INPUT, missing.exit(), "a missing model is bad input: " + missing.err());
        assertTrue(missing.err().contains("/nonexistent/gemma"), missing.err());
        if (!name.equals("tokenize")) {
            assertUsageError(run(c, "--device", "gpu"), name, "--device", "'gpu'", DeviceChoice.FORMS);
            assertUsageError(run(c, "--gpu-memory", "lots"), name, "--gpu-memory", "'lots'");
        }
        CliTest.Run help = run(c, "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("Exit status:") && help.out().contains("  0   success")
                && help.out().contains("  1   a failure while running") && help.out().contains("  2   a usage error"), help.out());
    }

    @Test
    void theCheapCommandsSucceedWithZero() {
        assertEquals(0, run(command("generate"), "--max-tokens", "2").exit());
        assertEquals(0, run(command("chat"), "--max-tokens", "2").exit());
        assertEquals(0, run(command("tokenize")).exit());
        assertEquals(0, run(command("info")).exit());
    }

    /** parity --tolerance -1 accepts no difference at all; on a machine without a GPU it fails opening CUDA. */
    @Test
    void aFailureWhileRunningIsOne() {
        CliTest.Run r = run(command("parity"), "--tolerance", "-1", "--prompt-tokens", "2", "--new-tokens", "1");
        assertEquals(Main.EXIT_FAILURE, r.exit(), r.err());
    }

    @Test
    void aBadNumberIsOneLineNotTheUsage() {
        assertUsageError(run(command("generate"), "--max-tokens", "abc"), "generate", "--max-tokens", "'abc'", "int");
        assertUsageError(run(command("chat"), "--temperature", "warm"), "chat", "--temperature", "'warm'");
    }

    /** The prompt is checked against the context before it is echoed, and --quiet does not echo it. */
    @Test
    void nothingIsPrintedBeforeTheInputIsChecked() {
        CliTest.Run r = run(command("generate"), "--context", "5", "--prompt", "a b c d e f g h i j");
        assertEquals(Main.EXIT_BAD_INPUT, r.exit(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("the context holds 5"), r.err());
        CliTest.Run quiet = run(command("generate"), "--quiet", "--prompt", "Hello there", "--max-tokens", "3");
        assertEquals(0, quiet.exit(), quiet.err());
        assertFalse(quiet.out().startsWith("Hello there"), quiet.out());
        assertFalse(quiet.err().contains("prompt tokens"), "no statistics: " + quiet.err());
        assertUsageError(run(command("generate"), "--context", "1"), "generate", "--context", "at least 2");
    }

    @Test
    void topLevelHelpHasOneLinePerCommandAndTheVersionComesFromTheBuild() {
        CliTest.Run help = CliTest.run("--help");
        assertEquals(0, help.exit());
        for (String[] c : COMMANDS) {
            String line = help.out().lines().filter(l -> l.startsWith("  " + c[0] + " ")).findFirst().orElse("");
            assertTrue(line.strip().length() > c[0].length() + 5, "a summary for " + c[0] + ":\n" + help.out());
        }
        CliTest.Run version = CliTest.run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().strip().matches("gemma4j \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), version.out());
    }

    @Test
    void generateJson() throws Exception {
        CliTest.Run r = run(command("generate"), "--json", "--prompt", "Hello", "--max-tokens", "4");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("Hello", j.get("prompt").asText());
        assertEquals(4, j.get("new_tokens").asInt());
        assertEquals(4, j.get("token_ids").size());
        assertEquals(j.get("prompt_tokens").asInt(), j.get("prompt_token_ids").size());
        assertEquals(2, j.get("prompt_token_ids").get(0).asInt(), "BOS first");
        assertEquals("max_tokens", j.get("stop_reason").asText());
        assertTrue(j.get("timings").get("prefill_s").asDouble() > 0, r.out());
        assertTrue(j.get("text").isTextual());
    }

    @Test
    void infoJson() throws Exception {
        CliTest.Run r = run(command("info"), "--json", "-m", "tiny-mha", "--gpu-memory", "1GiB", "--context", "4096");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("tiny-mha", j.get("model").asText());
        assertTrue(j.get("config").get("num_hidden_layers").asInt() > 0, r.out());
        assertTrue(j.get("sizes").get("parameters").asLong() > 0, r.out());
        assertEquals(4096, j.get("gpu_plan").get("context_tokens").asInt());
        assertEquals(1L << 30, j.get("gpu_plan").get("budget_bytes").asLong());
        assertTrue(j.get("gpu_plan").get("fits").asBoolean());
        assertFalse(new ObjectMapper().readTree(run(command("info"), "--json").out()).has("gpu_plan"),
                "no GPU plan without --gpu-memory");
        CliTest.Run tooSmall = run(command("info"), "--json", "-m", "tiny-mha", "--gpu-memory", "10MiB");
        assertEquals(Main.EXIT_BAD_INPUT, tooSmall.exit());
        assertFalse(new ObjectMapper().readTree(tooSmall.out()).get("gpu_plan").get("fits").asBoolean());
    }
}
