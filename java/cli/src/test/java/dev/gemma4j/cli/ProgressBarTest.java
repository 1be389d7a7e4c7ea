package dev.gemma4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private static String draw(boolean terminal) {
        StringWriter s = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(s), "upload (MB)", 10, terminal);
        for (int i = 0; i <= 10; i++) bar.update(i);
        bar.done();
        return s.toString();
    }

    @Test
    void redrawsInPlaceOnlyOnATerminal() {
        String terminal = draw(true);
        assertEquals(11, terminal.chars().filter(c -> c == '\r').count(), terminal);
        String plain = draw(false);
        assertTrue(plain.indexOf('\r') < 0, "no carriage return into a file or pipe: " + plain);
        assertEquals(1, plain.lines().count(), plain);
        assertTrue(plain.matches("upload \\(MB\\): 10/10 in \\d+\\.\\d s\\n"), plain);
    }
}
