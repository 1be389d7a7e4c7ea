package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.bench.BatchRun;
import dev.gemma4j.bench.Benchmark;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's warm-up on the CUDA backend: it captures every CUDA graph the timed decode steps
 * replay, also when the decode split size changes between the prompt's end and the last new token,
 * so that no timed step pays for a capture.
 */
@Tag("gpu")
class BenchmarkWarmUpGpuTest {
    @Test
    void theTimedDecodeStepsCaptureNoGraph() throws Throwable {
        GpuFixture.openContextOrSkip().close();
        long seed = System.nanoTime();
        System.out.println("theTimedDecodeStepsCaptureNoGraph seed " + seed);
        // Multi-query like 2B, one layer and a small vocabulary to keep the stand-in fast.
        GemmaConfig c = GemmaConfig.of(5000, 64, 128, 1, 4, 1, 32, "float16");
        int batch = 8, context = 4096, newTokens = 6;
        CudaBackend.Settings settings = CudaBackend.Settings.of(DeviceBudget.parse("2GiB"), 64, context)
                .withMaxSequences(batch);
        Optional<MethodHandle> counters = CudaLibraries.load(CudaLibraries.Library.DRIVER).symbols()
                .find("gemma4j_fake_counters")
                .map(s -> Linker.nativeLinker().downcallHandle(s, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS)));
        try (WeightSource w = SyntheticWeights.of(c, DType.F16, 11);
             CudaBackend gpu = CudaBackend.open(w, settings, LoadListener.NONE);
             Arena arena = Arena.ofConfined()) {
            // The timed steps cross the first change of the decode split (it depends on the SM count)
            // after the warm-up's first WARM_UP_STEPS = 3 positions, which alone would miss it.
            int[] changes = gpu.decodeWarmUpPositions(batch, 1, context - newTokens);
            assertTrue(changes.length >= 2, "no change of the decode split of " + batch + " rows below position "
                    + (context - newTokens) + ", so nothing for this test to check: " + Arrays.toString(changes));
            int promptTokens = Math.max(1, changes[1] - 3);
            int[] forms = gpu.decodeWarmUpPositions(batch, promptTokens, promptTokens + newTokens - 2);
            System.out.printf("  %s: decode split changes at positions %s of [%d, %d]%n", gpu.device(),
                    Arrays.toString(forms), promptTokens, promptTokens + newTokens - 2);
            assertTrue(forms.length >= 2 && forms[1] >= promptTokens + 3,
                    "forms of the decode step over the timed positions: " + Arrays.toString(forms));
            MemorySegment before = arena.allocate(ValueLayout.JAVA_LONG, 8);
            if (counters.isPresent()) counters.get().invokeExact(before);

            Benchmark bench = new Benchmark(gpu, newTokens);
            List<Integer> graphsAfterStep = new ArrayList<>();
            BatchRun run = bench.run(Benchmark.prompts(c, batch, promptTokens, seed),
                    () -> graphsAfterStep.add(gpu.capturedGraphs()), null);
            int steps = graphsAfterStep.size();
            assertEquals(bench.steps(batch, promptTokens), steps, "progress steps");
            assertEquals(newTokens - 1, run.decodeSteps());
            // The last prefill's step comes just before the newTokens - 1 timed decode steps.
            int beforeTimed = graphsAfterStep.get(steps - newTokens);
            System.out.printf("  graphs captured after each step: %s%n", graphsAfterStep);
            assertEquals(forms.length, beforeTimed, "graphs the warm-up captured: one per decode split");
            assertEquals(beforeTimed, graphsAfterStep.getLast(), "graphs captured during the timed decode steps");

            if (counters.isPresent()) {
                MemorySegment after = arena.allocate(ValueLayout.JAVA_LONG, 8);
                counters.get().invokeExact(after);
                long uploads = after.getAtIndex(ValueLayout.JAVA_LONG, 7) - before.getAtIndex(ValueLayout.JAVA_LONG, 7);
                System.out.println("  graph uploads: " + uploads);
                assertEquals(gpu.capturedGraphs(), uploads, "each captured graph is uploaded once, before its first replay");
            }
        }
    }
}
