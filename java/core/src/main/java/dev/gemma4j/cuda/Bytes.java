package dev.gemma4j.cuda;

import java.util.Locale;

/** Byte counts for messages and tables: exact bytes with thousands separators, and a binary unit. */
public final class Bytes {
    private Bytes() {}

    /** For example {@code 19,327,352,832 bytes (18.00 GiB)}. */
    public static String format(long bytes) {
        return String.format(Locale.ROOT, "%,d bytes (%s)", bytes, binary(bytes));
    }

    /** For example {@code 18.00 GiB}, {@code 512.0 KiB}, {@code 100 B}. */
    public static String binary(long bytes) {
        long magnitude = Math.abs(bytes);
        if (magnitude >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (magnitude >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        if (magnitude >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", bytes / (double) (1L << 10));
        return bytes + " B";
    }

    /** {@code value} rounded up to a multiple of {@code alignment} (a power of two). */
    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
