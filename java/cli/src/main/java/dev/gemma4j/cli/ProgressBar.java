package dev.gemma4j.cli;

import java.io.PrintWriter;

/** A one-line text progress bar on the error stream. */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();

    ProgressBar(PrintWriter err, String label, long total) {
        this.err = err;
        this.label = label;
        this.total = total;
    }

    void update(long done) {
        int filled = (int) (WIDTH * Math.min(done, total) / Math.max(1, total));
        double s = (System.nanoTime() - start) / 1e9;
        err.printf("\r%s [%s%s] %d/%d %.1fs", label, "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, s);
        err.flush();
    }

    void done() {
        err.println();
    }
}
