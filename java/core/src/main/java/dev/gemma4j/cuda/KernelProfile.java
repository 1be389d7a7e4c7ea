package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where a stretch of queued work spends its device time: a pair of timing events around every kernel
 * launch and GEMM, read once the work is done (the host does not wait in between). Kernels are
 * grouped by name, GEMMs by what they compute with the layer number left out ("gemm layer q/k/v
 * projection"). The time between one launch's end and the next one's start is the gap the device sat
 * idle waiting for the host: what CUDA graphs remove.
 */
public final class KernelProfile {
    /** One group: launches and their summed device time. */
    public record Entry(String name, long launches, double millis) {}

    /**
     * @param entries      groups, most time first
     * @param launches     launches timed
     * @param kernelMillis device time inside the launches
     * @param spanMillis   from the first launch's start to the last one's end
     * @param order        every launch's name in the order queued, layer numbers kept ("gemm layer 3 o_proj")
     */
    public record Result(List<Entry> entries, long launches, double kernelMillis, double spanMillis,
                         List<String> order) {
        /** The span not covered by launches: the device idle between them. */
        public double gapMillis() {
            return Math.max(0, spanMillis - kernelMillis);
        }

        /** The groups as a table, per {@code steps} steps (times per step). */
        public String table(int steps) {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "  %-44s %9s %11s %7s%n", "kernel / GEMM", "per step", "µs / step", "share"));
            for (Entry e : entries) {
                s.append(String.format(Locale.ROOT, "  %-44s %9.1f %11.1f %6.1f%%%n", e.name(), (double) e.launches() / steps,
                        1000 * e.millis() / steps, 100 * e.millis() / spanMillis));
            }
            s.append(String.format(Locale.ROOT, "  %-44s %9s %11.1f %6.1f%%%n", "gaps between launches", "",
                    1000 * gapMillis() / steps, 100 * gapMillis() / spanMillis));
            s.append(String.format(Locale.ROOT, "  %-44s %9.1f %11.1f%n", "step", (double) launches / steps,
                    1000 * spanMillis / steps));
            return s.toString();
        }
    }

    private static final Pattern LAYER = Pattern.compile("\\blayer \\d+ ");
    private final MemorySegment stream;
    private final List<String> names = new ArrayList<>();
    private final List<String> order = new ArrayList<>();
    private final List<MemorySegment> events = new ArrayList<>();
    private boolean open = true;

    KernelProfile(MemorySegment stream) {
        this.stream = stream;
    }

    /** Records the start event of a launch named {@code name}. */
    void begin(String name) {
        order.add(name);
        names.add(LAYER.matcher(name).replaceFirst("layer "));
        events.add(record());
    }

    /** Records the end event of the launch begun last. */
    void end() {
        events.add(record());
    }

    private MemorySegment record() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            CudaCheck.driver(cuda_h.cuEventCreate(out, cuda_h.CU_EVENT_DEFAULT()), "cuEventCreate", () -> "profiling");
            MemorySegment event = out.get(ValueLayout.ADDRESS, 0);
            int rc = cuda_h.cuEventRecord(event, stream);
            if (rc != cuda_h.CUDA_SUCCESS()) {
                cuda_h.cuEventDestroy_v2(event);
                CudaCheck.driver(rc, "cuEventRecord", () -> "profiling");
            }
            return event;
        }
    }

    /** Waits for the last event, reads every pair, and destroys the events. */
    Result finish() {
        if (!open) throw new IllegalStateException("the profile was read already");
        open = false;
        try (Arena arena = Arena.ofConfined()) {
            if (events.isEmpty()) return new Result(List.of(), 0, 0, 0, List.of());
            if (events.size() != 2 * names.size()) {
                throw new IllegalStateException("a launch began without ending: " + names.getLast());
            }
            CudaCheck.driver(cuda_h.cuEventSynchronize(events.getLast()), "cuEventSynchronize", () -> "reading the profile");
            MemorySegment ms = arena.allocate(ValueLayout.JAVA_FLOAT);
            Map<String, double[]> groups = new LinkedHashMap<>();
            double kernels = 0;
            for (int i = 0; i < names.size(); i++) {
                double t = elapsed(ms, events.get(2 * i), events.get(2 * i + 1));
                double[] g = groups.computeIfAbsent(names.get(i), k -> new double[2]);
                g[0]++;
                g[1] += t;
                kernels += t;
            }
            double span = elapsed(ms, events.getFirst(), events.getLast());
            List<Entry> entries = new ArrayList<>();
            groups.forEach((name, g) -> entries.add(new Entry(name, (long) g[0], g[1])));
            entries.sort(Comparator.comparingDouble(Entry::millis).reversed());
            return new Result(List.copyOf(entries), names.size(), kernels, span, List.copyOf(order));
        } finally {
            discard();
        }
    }

    /** Destroys every event (after a failure, or once read). */
    void discard() {
        open = false;
        for (MemorySegment e : events) cuda_h.cuEventDestroy_v2(e);
        events.clear();
        names.clear();
        order.clear();
    }

    private static double elapsed(MemorySegment ms, MemorySegment start, MemorySegment end) {
        CudaCheck.driver(cuda_h.cuEventElapsedTime_v2(ms, start, end), "cuEventElapsedTime_v2", () -> "reading the profile");
        return ms.get(ValueLayout.JAVA_FLOAT, 0);
    }
}
