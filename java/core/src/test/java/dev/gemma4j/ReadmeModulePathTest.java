package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's example run by its module-path java command: the core and Jackson as modules, the core's
 * module-info exporting what the example uses and requiring the Vector API itself, so the command has no
 * {@code --add-modules jdk.incubator.vector}.
 */
class ReadmeModulePathTest {
    @Test
    void readmeExampleRunsOnTheModulePath(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("Example.java"), ReadmeExampleTest.fromReadme().source());
        String command = Files.readString(Path.of("README.md")).lines()
                .filter(l -> l.startsWith("java ") && l.contains(" --module-path ") && l.contains("Example.java")).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no 'java … --module-path … Example.java' command"));
        List<String> words = List.of(command.split(" +"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dgemma4j.home=" + System.getProperty("gemma4j.home")));
        for (int i = 1; !words.get(i).equals("Example.java"); i++) {
            boolean path = words.get(i - 1).equals("--module-path");
            cmd.add(path ? ReadmeExampleTest.coreRuntimeClasspath() : words.get(i));
        }
        assertTrue(cmd.contains("dev.gemma4j"), "the command adds the module dev.gemma4j: " + command);
        assertFalse(cmd.contains("jdk.incubator.vector"), "the command names the Vector API itself: " + command);
        ReadmeExampleTest.Run ok = ReadmeExampleTest.start(cmd, dir);
        System.out.println("ReadmeModulePathTest: " + cmd + " -> exit " + ok.exit() + "\n" + ok.output());
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("log p(\" Paris\") = -"), ok.output());
        assertTrue(ok.output().contains("Using incubator modules: jdk.incubator.vector"),
                "the module dev.gemma4j resolved the Vector API: " + ok.output());
    }
}
