package dev.gemma4j.cli;

import dev.gemma4j.GenerationResult;
import java.util.Locale;

final class Stats {
    private Stats() {}

    static String describe(GenerationResult r) {
        int n = r.generatedTokens().length;
        double prefillS = r.prefillNanos() / 1e9;
        double decodeS = r.decodeNanos() / 1e9;
        String decodeRate = n > 1 && decodeS > 0 ? String.format(Locale.ROOT, "%.2f tokens/s", (n - 1) / decodeS) : "n/a";
        return String.format(Locale.ROOT,
                "[%d prompt tokens, %d new; prefill + first token %.3f s (%.1f tokens/s); decode %s; stop: %s]",
                r.promptTokens().length, n, prefillS, r.promptTokens().length / Math.max(prefillS, 1e-9),
                decodeRate, r.stopReason().name().toLowerCase(Locale.ROOT));
    }
}
