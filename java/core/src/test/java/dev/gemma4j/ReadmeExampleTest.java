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
 * The README's Java example, compiled and run as the README says (its class-path java command's flags, the
 * source-file launcher) on tiny-mqa, against the core's classes and its run-time dependencies alone, as a project
 * depending only on gemma4j-core has them; and run without {@code --add-modules jdk.incubator.vector}, which must
 * name the flag. {@link ReadmeModulePathTest} runs the README's module-path command.
 */
class ReadmeExampleTest {
    /** The README's ```java block, and the flags of its {@code java … -cp … Example.java} command. */
    record Example(String source, List<String> flags) {}

    static Example fromReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int open = readme.indexOf("```java\n");
        assertTrue(open >= 0, "README.md has no ```java block");
        int close = readme.indexOf("\n```", open + 8);
        String source = readme.substring(open + 8, close + 1);
        String command = readme.lines().filter(l -> l.startsWith("java ") && l.contains(" -cp ") && l.contains("Example.java")).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no 'java … Example.java' command"));
        List<String> flags = new ArrayList<>();
        for (String token : command.substring(5).split(" +")) {
            if (token.equals("-cp")) break;
            flags.add(token);
        }
        return new Example(source, flags);
    }

    /** The core's classes and its dependencies without test scope, as the core's pom writes them. */
    static String coreRuntimeClasspath() throws Exception {
        return Files.readString(Path.of(System.getProperty("gemma4j.test.coreRuntimeClasspath"))).strip();
    }

    record Run(int exit, String output) {}

    static Run run(Path dir, List<String> flags) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(flags);
        cmd.add("-Dgemma4j.home=" + System.getProperty("gemma4j.home"));
        cmd.add("-cp");
        cmd.add(coreRuntimeClasspath());
        return start(cmd, dir);
    }

    /** Runs {@code cmd} with the example's source file and tiny-mqa appended. */
    static Run start(List<String> cmd, Path dir) throws Exception {
        cmd.add(dir.resolve("Example.java").toString());
        cmd.add("tiny-mqa");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the example did not end");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void readmeExampleRunsOnTheCoreAloneWithTheFlagsItStates(@TempDir Path dir) throws Exception {
        Example e = fromReadme();
        Files.writeString(dir.resolve("Example.java"), e.source());
        assertTrue(e.flags().contains("--add-modules") && e.flags().contains("jdk.incubator.vector"), e.flags().toString());
        Run ok = run(dir, e.flags());
        System.out.println("ReadmeExampleTest: flags " + e.flags() + ", class path " + coreRuntimeClasspath() + " -> exit "
                + ok.exit() + "\n" + ok.output());
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("log p(\" Paris\") = -"), ok.output());

        List<String> withoutVector = new ArrayList<>(e.flags());
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
