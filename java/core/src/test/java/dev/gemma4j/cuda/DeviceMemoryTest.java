package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Budget accounting and ownership, with a fake allocator standing in for cuMemAlloc / cuMemFree. */
class DeviceMemoryTest {
    /** Hands out fake addresses and remembers what is live; can be told to fail. */
    static final class FakeAllocator implements DeviceMemory.Allocator {
        final Map<Long, Long> live = new HashMap<>();
        long next = 0x7f00_0000_0000L;
        boolean failNext;

        @Override
        public long allocate(long bytes, String what) {
            if (failNext) {
                failNext = false;
                throw new IllegalStateException("driver refused " + what);
            }
            long address = next;
            next += (bytes + 255) & -256L;
            live.put(address, bytes);
            return address;
        }

        @Override
        public void free(long address, String what) {
            if (live.remove(address) == null) throw new AssertionError("double free of " + what);
        }
    }

    @Test
    void allocationsCountAgainstTheBudgetAndAreRefusedBeyondIt() {
        FakeAllocator fake = new FakeAllocator();
        DeviceMemory memory = new DeviceMemory(1000, fake);
        DeviceBuffer weights = memory.allocate("weights", 600);
        DeviceBuffer activations = memory.allocate("activations", 300);
        assertEquals(900, memory.allocatedBytes());
        assertEquals(100, memory.availableBytes());
        DeviceMemoryException e = assertThrows(DeviceMemoryException.class, () -> memory.allocate("KV cache", 101));
        System.out.println(e.getMessage());
        assertEquals("KV cache needs 101 bytes (101 B) but only 100 bytes (100 B) of the device memory budget of "
                + "1,000 bytes (1000 B) is left (held: weights 600 B, activations 300 B)", e.getMessage());
        assertEquals(2, fake.live.size(), "a refused allocation never reaches the driver");
        DeviceBuffer kv = memory.allocate("KV cache", 100);
        assertEquals(1000, memory.peakBytes());
        kv.close();
        kv.close();
        assertEquals(900, memory.allocatedBytes());
        assertEquals(1000, memory.peakBytes());
        assertFalse(kv.isOpen());
        assertThrows(IllegalStateException.class, kv::address);
        assertTrue(weights.isOpen() && activations.isOpen());
    }

    @Test
    void closeFreesEverythingStillHeld() {
        FakeAllocator fake = new FakeAllocator();
        long heldBefore = DeviceMemory.heldByAll();
        DeviceMemory memory = new DeviceMemory(1 << 20, fake);
        DeviceBuffer a = memory.allocate("a", 10);
        memory.allocate("b", 20);
        memory.allocate("c", 30);
        assertEquals(heldBefore + 60, DeviceMemory.heldByAll(), "bytes held by every DeviceMemory");
        a.close();
        assertEquals(2, fake.live.size());
        memory.close();
        assertTrue(fake.live.isEmpty());
        assertEquals(heldBefore, DeviceMemory.heldByAll(), "bytes held by every DeviceMemory after close");
        assertEquals(0, memory.allocatedBytes());
        assertEquals(0, memory.liveBuffers());
        assertThrows(IllegalStateException.class, () -> memory.allocate("d", 1));
        memory.close();
    }

    @Test
    void aDriverFailureLeavesTheAccountsUnchanged() {
        FakeAllocator fake = new FakeAllocator();
        DeviceMemory memory = new DeviceMemory(1000, fake);
        memory.allocate("weights", 500);
        fake.failNext = true;
        assertThrows(IllegalStateException.class, () -> memory.allocate("activations", 100));
        assertEquals(500, memory.allocatedBytes());
        assertEquals(1, memory.liveBuffers());
    }

    @Test
    void viewsMustLieInsideTheBuffer() {
        DeviceMemory memory = new DeviceMemory(1000, new FakeAllocator());
        DeviceBuffer b = memory.allocate("b", 100);
        assertEquals(b.address() + 40, b.address(40, 60));
        assertThrows(IndexOutOfBoundsException.class, () -> b.address(40, 61));
        assertThrows(IndexOutOfBoundsException.class, () -> b.address(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> memory.allocate("empty", 0));
    }
}
