package dev.gemma4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Progress on the error stream: a bar redrawn in place with {@code \r} when that stream is a terminal, else one
 * plain line when the stage ends, so a log file or a pipe gets no control characters.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long done;

    ProgressBar(PrintWriter err, String label, long total, boolean terminal) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.terminal = terminal;
    }

    /** A bar on {@code spec}'s error stream, drawn in place only when the run's standard error is a terminal. */
    static ProgressBar on(CommandSpec spec, String label, long total) {
        boolean terminal = spec.root().userObject() instanceof Main m && m.stderrIsTerminal;
        return new ProgressBar(spec.commandLine().getErr(), label, total, terminal);
    }

    void update(long done) {
        this.done = done;
        if (!terminal) return;
        int filled = (int) (WIDTH * Math.min(done, total) / Math.max(1, total));
        err.printf(Locale.ROOT, "\r%s [%s%s] %d/%d %.1fs", label, "#".repeat(filled), ".".repeat(WIDTH - filled), done, total,
                seconds());
        err.flush();
    }

    void done() {
        if (terminal) {
            err.println();
        } else {
            err.printf(Locale.ROOT, "%s: %d/%d in %.1f s%n", label, done, total, seconds());
        }
        err.flush();
    }

    private double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
