package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** gemma4j serve as a process: it answers, and SIGTERM lets a running stream finish and exits 0. */
class ServeCommandTest {
    @Test
    void sigtermDrainsAndExitsZero() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dgemma4j.home=" + System.getProperty("gemma4j.home"), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--model", "tiny-mqa", "--device", "cpu", "--port", "0", "--context", "256")
                .redirectErrorStream(true).start();
        try {
            // The log is read all along, so the process never blocks on a full pipe.
            StringBuffer seen = new StringBuffer();
            Thread reader = Thread.ofVirtual().start(() -> new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).lines()
                    .forEach(l -> seen.append(l).append('\n')));
            Pattern listening = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)");
            int port = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (port < 0 && System.nanoTime() < deadline) {
                Matcher m = listening.matcher(seen);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                } else {
                    Thread.sleep(50);
                }
            }
            assertTrue(port > 0, "no listening line in:\n" + seen);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String body = "{\"model\": \"tiny-mqa\", \"prompt\": \"Once\", \"max_tokens\": 120, \"temperature\": 0, \"stream\": true}";
            HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            assertTrue(events.readLine().startsWith("data: "), "the stream started");
            // Process.destroy() would send SIGTERM too, but it also closes the pipe of the log read below.
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
            CompletableFuture<List<String>> rest = CompletableFuture.supplyAsync(() -> events.lines().toList());
            List<String> lines = rest.get(60, TimeUnit.SECONDS);
            assertEquals("data: [DONE]", lines.stream().filter(l -> !l.isEmpty()).reduce((a, b) -> b).orElseThrow(),
                    "the running stream finished");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve did not exit");
            reader.join(10_000);
            String tail = seen.toString();
            System.out.println("ServeCommandTest: exit " + p.exitValue() + "; " + tail.lines().filter(l -> l.startsWith("gemma4j serve"))
                    .toList());
            assertEquals(0, p.exitValue(), tail);
            assertTrue(tail.contains("all requests finished"), tail);
        } finally {
            p.destroyForcibly();
        }
    }
}
