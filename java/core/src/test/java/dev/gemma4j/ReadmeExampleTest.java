package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java example, compiled and run by the source-file launcher as the README's two java commands
 * say (class path and module path, their flags as written) on tiny-mqa, against the core's classes and its
 * run-time dependencies alone, as a project depending only on gemma4j-core has them; and run on the class path
 * without {@code --add-modules jdk.incubator.vector}, which must name the flag.
 */
class ReadmeExampleTest {
    /** The README's ```java block, and each {@code java … Example.java} command as its words. */
    record Example(String source, List<List<String>> commands) {}

    static Example fromReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int open = readme.indexOf("```java\n");
        assertTrue(open >= 0, "README.md has no ```java block");
        int close = readme.indexOf("\n```", open + 8);
        String source = readme.substring(open + 8, close + 1);
        List<List<String>> commands = readme.lines().filter(l -> l.startsWith("java ") && l.contains("Example.java"))
                .map(l -> List.of(l.split(" +"))).toList();
        return new Example(source, commands);
    }

    /** The core's classes and its dependencies without test scope, as the core's pom writes them. */
    static String coreRuntimeClasspath() throws Exception {
        return Files.readString(Path.of(System.getProperty("gemma4j.test.coreRuntimeClasspath"))).strip();
    }

    record Run(int exit, String output) {}

    /** A README command with its path list, source file and model replaced by the core's, the example's, tiny-mqa. */
    static Run run(Path dir, List<String> readmeCommand) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dgemma4j.home=" + System.getProperty("gemma4j.home"));
        for (int i = 1; i < readmeCommand.size(); i++) {
            String word = readmeCommand.get(i);
            if (word.equals("Example.java")) {
                cmd.add(dir.resolve("Example.java").toString());
                cmd.add("tiny-mqa");
                break;
            }
            cmd.add(word);
            if (word.equals("-cp") || word.equals("--module-path")) {
                cmd.add(coreRuntimeClasspath());
                i++;
            }
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the example did not end");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void readmeExampleRunsOnTheCoreAloneWithTheFlagsItStates(@TempDir Path dir) throws Exception {
        Example e = fromReadme();
        Files.writeString(dir.resolve("Example.java"), e.source());
        List<String> classPath = e.commands().stream().filter(c -> c.contains("-cp")).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no 'java … -cp … Example.java' command"));
        List<String> modulePath = e.commands().stream().filter(c -> c.contains("--module-path")).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no 'java … --module-path … Example.java' command"));
        assertTrue(String.join(" ", classPath).contains("--add-modules jdk.incubator.vector"), classPath.toString());
        assertTrue(String.join(" ", modulePath).contains("--add-modules dev.gemma4j"), modulePath.toString());
        System.out.println("ReadmeExampleTest: the core's run-time class path / module path: " + coreRuntimeClasspath());
        for (List<String> command : List.of(classPath, modulePath)) {
            Run ok = run(dir, command);
            System.out.println("ReadmeExampleTest: " + command + " -> exit " + ok.exit() + "\n" + ok.output());
            assertEquals(0, ok.exit(), ok.output());
            assertTrue(ok.output().contains("log p(\" Paris\") = -"), ok.output());
        }

        List<String> withoutVector = new ArrayList<>(classPath);
        int i = withoutVector.indexOf("--add-modules");
        withoutVector.remove(i + 1);
        withoutVector.remove(i);
        Run refused = run(dir, withoutVector);
        System.out.println("ReadmeExampleTest: without --add-modules -> exit " + refused.exit() + ": "
                + refused.output().lines().filter(l -> l.contains("Vector")).findFirst().orElse("?"));
        assertNotEquals(0, refused.exit());
        assertTrue(refused.output().contains("--add-modules jdk.incubator.vector"), refused.output());
        assertTrue(!refused.output().contains("NoClassDefFoundError"), refused.output());
    }
}
