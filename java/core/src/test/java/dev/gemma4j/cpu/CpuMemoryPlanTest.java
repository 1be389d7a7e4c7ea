package dev.gemma4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.engine.KvCache;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.testmodels.TestModels;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The CPU backend's KV budget: caches are counted against it and refused before anything is allocated. */
class CpuMemoryPlanTest {
    @Test
    void bytesPerTokenFollowTheShapes() {
        // Gemma 7B: 28 layers x (k, v) x 16 kv heads x 256 x 4 bytes; 8,000 tokens take 7.3 GB of heap.
        GemmaConfig g7 = GemmaConfig.gemma7B();
        assertEquals(28L * 2 * 16 * 256 * 4, CpuMemoryPlan.kvBytesPerToken(g7));
        assertEquals(18L * 2 * 256 * 4, CpuMemoryPlan.kvBytesPerToken(GemmaConfig.gemma2B()));
        CpuMemoryPlan plan = new CpuMemoryPlan(8L << 30, CpuMemoryPlan.kvBytesPerToken(g7), 0, "--memory 8GiB");
        assertEquals((8L << 30) / 917_504, plan.tokensThatFit());
        System.out.println("  " + plan.describe());
    }

    /**
     * The default budget is the machine's available memory less the heap's room to grow, the mapped
     * weights and a margin; a budget beyond it is refused at load with those figures.
     */
    @Test
    void aBudgetBeyondWhatTheMachineCanGiveIsRefusedAtLoad() {
        GemmaConfig c = GemmaConfig.gemma2B();
        Runtime rt = Runtime.getRuntime();
        long heapGrowth = rt.maxMemory() - rt.totalMemory();
        long machine = 16L << 30;
        long weights = 5L << 30;
        CpuMemoryPlan all = CpuMemoryPlan.of(c, OptionalLong.empty(), 512, weights, machine);
        long expected = machine - weights - CpuMemoryPlan.MARGIN;
        // The heap's room to grow is read at the call: allow for it moving by 64 MiB meanwhile.
        assertEquals(expected - heapGrowth, all.budgetBytes(), 64L << 20, all.describe());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuMemoryPlan.of(c, OptionalLong.of(machine), 512, weights, machine));
        assertTrue(e.getMessage().contains("exceeds") && e.getMessage().contains("mapped weights 5.00 GiB"), e.getMessage());
        assertEquals(64L << 20, CpuMemoryPlan.of(c, "64MiB", 512, 0).budgetBytes());
        CpuMemoryPlan here = CpuMemoryPlan.of(c, "all", 512, 0);
        System.out.println("  this machine: " + here.describe());
        assertTrue(here.budgetBytes() > 0, here.describe());
        assertEquals(123_456L, SystemMemory.memAvailableKib(java.util.List.of("MemTotal: 999 kB", "MemAvailable:  123456 kB")));
    }

    @Test
    void cachesAreCountedAgainstTheBudgetAndRefusedWithTheNumbers() {
        try (WeightSource w = Checkpoint.open(TestModels.resolve("tiny-mqa"))) {
            long perToken = CpuMemoryPlan.kvBytesPerToken(w.config());
            CpuMemoryPlan plan = new CpuMemoryPlan(100 * perToken, perToken, 0, "--memory test");
            try (CpuBackend cpu = new CpuBackend(w, plan)) {
                IllegalArgumentException never = assertThrows(IllegalArgumentException.class, () -> cpu.newCache(101));
                assertTrue(never.getMessage().contains("101 tokens") && never.getMessage().contains("--memory test"),
                        never.getMessage());
                assertEquals(60 * perToken, cpu.cacheBytes(60));
                KvCache a = cpu.newCache(60);
                IllegalStateException notNow = assertThrows(IllegalStateException.class, () -> cpu.newCache(41));
                System.out.println("  " + notNow.getMessage());
                assertTrue(notNow.getMessage().contains("41 tokens") && notNow.getMessage().contains("1 other cache(s)"),
                        notNow.getMessage());
                KvCache b = cpu.newCache(40);                       // exactly what is left
                a.close();
                a.close();                                          // closing twice frees once
                KvCache c = cpu.newCache(60);
                assertThrows(IllegalStateException.class, () -> cpu.newCache(1));
                b.close();
                c.close();
                cpu.newCache(100).close();
            }
        }
    }
}
