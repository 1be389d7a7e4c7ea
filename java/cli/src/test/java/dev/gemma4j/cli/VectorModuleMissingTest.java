package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every command that reaches the CPU engine, run without {@code --add-modules jdk.incubator.vector}: it fails
 * naming the option, not with a NoClassDefFoundError from deep inside the Vector API's first use.
 */
class VectorModuleMissingTest {
    @ParameterizedTest
    @ValueSource(strings = {"generate --device cpu --prompt hi --max-tokens 2", "parity -m tiny-mqa",
            "bench -m tiny-mqa --device cpu", "logits -m tiny-mqa --device cpu --tokens 2,651 --out unused.npy"})
    void namesTheMissingOption(String command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dgemma4j.home=" + System.getProperty("gemma4j.home"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(command.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gemma4j " + command + " did not end");
        System.out.println("VectorModuleMissingTest: gemma4j " + command + " -> exit " + p.exitValue() + ": "
                + out.lines().filter(l -> l.contains("Vector")).findFirst().orElse("?"));
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains("--add-modules jdk.incubator.vector"), out);
        assertFalse(out.contains("NoClassDefFoundError"), out);
    }
}
