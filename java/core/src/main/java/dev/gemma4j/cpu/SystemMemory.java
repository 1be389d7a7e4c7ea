package dev.gemma4j.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The memory this machine can give a process without swapping. */
final class SystemMemory {
    private SystemMemory() {}

    private static final Path MEMINFO = Path.of("/proc/meminfo");

    /**
     * Linux's {@code MemAvailable} (free memory plus page cache and other memory the kernel can
     * reclaim without swapping), or -1 where there is no /proc/meminfo.
     */
    static long availableBytes() {
        try {
            Long kib = memAvailableKib(Files.readAllLines(MEMINFO));
            return kib == null ? -1 : kib * 1024;
        } catch (IOException e) {
            return -1;
        }
    }

    /** The {@code MemAvailable:} line's KiB, or null when there is none. */
    static Long memAvailableKib(List<String> meminfo) {
        for (String line : meminfo) {
            if (line.startsWith("MemAvailable:")) {
                String[] parts = line.substring("MemAvailable:".length()).trim().split("\\s+");
                return Long.parseLong(parts[0]);
            }
        }
        return null;
    }
}
