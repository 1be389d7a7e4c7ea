package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceBudgetTest {
    @Test
    void unitsAreBinaryOrDecimal() {
        assertEquals(18L << 30, DeviceBudget.parse("18GiB").bytes());
        assertEquals(500L << 20, DeviceBudget.parse("500MiB").bytes());
        assertEquals(20_000_000_000L, DeviceBudget.parse("20GB").bytes());
        assertEquals(3L << 40, DeviceBudget.parse("3TiB").bytes());
        assertEquals(7_000L, DeviceBudget.parse("7KB").bytes());
        assertEquals(1536L << 20, DeviceBudget.parse("1.5GiB").bytes());
        assertEquals(18L << 30, DeviceBudget.parse(" 18 gib ").bytes());
        assertEquals(4096, DeviceBudget.parse("4096B").bytes());
        // Fractions of a byte are dropped.
        assertEquals(1, DeviceBudget.parse("1.9B").bytes());
    }

    @Test
    void allMeansAllFreeMemoryLessTheReserve() {
        DeviceBudget all = DeviceBudget.parse("all");
        assertTrue(all.isAllFree());
        assertTrue(DeviceBudget.parse("ALL").isAllFree());
        assertEquals(20L << 30, all.resolve((20L << 30) + DeviceBudget.ALL_FREE_RESERVE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> all.resolve(DeviceBudget.ALL_FREE_RESERVE));
        assertTrue(e.getMessage().contains("268,435,456 bytes (256.0 MiB) free"), e.getMessage());
        assertFalse(DeviceBudget.parse("1GiB").isAllFree());
        assertEquals(1L << 30, DeviceBudget.parse("1GiB").resolve(5));
        assertEquals("all free memory", all.toString());
        assertEquals("19,327,352,832 bytes (18.00 GiB)", DeviceBudget.parse("18GiB").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"18", "18 XB", "-5GiB", "GiB", "abc", "1e9B", "18GiB2", "1,5GiB"})
    void badTextNamesItselfAndTheAcceptedForms(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceBudget.parse(text));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("'all' or a number with a unit"), e.getMessage());
    }

    @Test
    void emptyZeroAndHugeAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceBudget.parse(" ")).getMessage()
                .startsWith("empty device memory budget"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceBudget.parse("0MiB")).getMessage()
                .contains("is zero bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceBudget.parse("2000TiB")).getMessage()
                .contains("exceeds 1 PiB"));
        assertThrows(IllegalArgumentException.class, () -> DeviceBudget.ofBytes(0));
    }
}
