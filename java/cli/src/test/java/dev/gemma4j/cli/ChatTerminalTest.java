package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gemma4j chat on a pseudo-terminal (util-linux {@code script} gives it one): Ctrl-C cancels the reply in
 * progress and returns to the prompt, the next turn is answered, an unknown command is answered and not sent,
 * Ctrl-D leaves with status 0, and the lines typed are in the history file.
 */
class ChatTerminalTest {
    private static final Path SCRIPT = Path.of("/usr/bin/script");

    @Test
    void ctrlCCancelsTheReplyAndTheNextTurnWorks(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SCRIPT), "util-linux script gives the pseudo-terminal");
        Path history = dir.resolve("history");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // A pseudo-terminal from script has no size; JLine draws the prompt in the width it is given.
        String command = "stty cols 120 rows 40; exec " + String.join(" ", java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dgemma4j.home=" + System.getProperty("gemma4j.home"), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "chat", "--device", "cpu", "--max-tokens", "400", "--history", history.toString());
        Process p = new ProcessBuilder(List.of(SCRIPT.toString(), "-q", "-e", "-c", command, "/dev/null"))
                .redirectErrorStream(true).start();
        StringBuffer screen = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> copy(p.getInputStream(), screen));
        OutputStream keys = p.getOutputStream();
        try {
            await(screen, s -> s.contains("user> "), "the first prompt");
            type(keys, "Hello there\r");
            int replyStart = await(screen, s -> s.contains("model> "), "the reply");
            await(screen, s -> s.length() > replyStart + 40, "some of the reply");
            type(keys, "\u0003");
            await(screen, s -> s.contains("(reply cancelled"), "the cancellation");
            int afterCancel = screen.length();
            await(screen, s -> s.indexOf("user> ", afterCancel - 60) >= 0 && s.lastIndexOf("user> ") > s.indexOf("(reply cancelled"),
                    "the prompt after the cancellation");
            type(keys, "/nonsense\r");
            await(screen, s -> s.contains("unknown command /nonsense; not sent to the model"), "the unknown command's answer");
            type(keys, "Second message\r");
            await(screen, s -> s.contains("user> Second message"), "the second message's echo");
            int second = screen.indexOf("user> Second message");
            await(screen, s -> s.indexOf("model> ", second) >= 0 && s.indexOf("user> ", s.indexOf("model> ", second)) >= 0,
                    "the whole second reply and the next prompt");
            type(keys, "\u0004");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "Ctrl-D leaves:\n" + screen);
            reader.join(5000);
            System.out.println("ChatTerminalTest screen:\n" + screen.toString().replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", ""));
            assertEquals(0, p.exitValue(), screen.toString());
            String saved = Files.readString(history);
            assertTrue(saved.contains("Hello there") && saved.contains("Second message"), saved);
        } finally {
            p.destroyForcibly();
        }
    }

    private static void type(OutputStream keys, String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** Waits up to 60 s for the screen to satisfy {@code done}; returns its length then. */
    private static int await(StringBuffer screen, Predicate<String> done, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            String s = screen.toString();
            if (done.test(s)) return s.length();
            Thread.sleep(20);
        }
        throw new AssertionError("no " + what + " within 60 s; the screen:\n" + screen);
    }

    private static void copy(InputStream in, StringBuffer screen) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) screen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        } catch (IOException closed) {
            // the process ended
        }
    }
}
