package dev.gemma4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringFilterTest {

    @Test
    void cutsBeforeStopStringSplitAcrossPiecesAndNeverStreamsPartOfIt() {
        StringBuilder streamed = new StringBuilder();
        Generation.StopStringFilter f = new Generation.StopStringFilter(List.of("END"), streamed::append);
        assertFalse(f.accept("abc E"));
        assertEquals("abc ", streamed.toString());
        assertFalse(f.accept("N"));
        assertEquals("abc ", streamed.toString());
        assertTrue(f.accept("Dxyz"));
        assertEquals("abc ", f.text());
        assertEquals("abc ", streamed.toString());
    }

    @Test
    void releasesHeldTextWhenTheStopStringDoesNotFollow() {
        StringBuilder streamed = new StringBuilder();
        Generation.StopStringFilter f = new Generation.StopStringFilter(List.of("\n\nUser:"), streamed::append);
        assertFalse(f.accept("one\n"));
        assertFalse(f.accept("\nUse"));
        assertEquals("one", streamed.toString());
        assertFalse(f.accept("d"));
        assertEquals("one\n\nUsed", streamed.toString());
        f.finish();
        assertEquals("one\n\nUsed", f.text());
    }

    @Test
    void earliestOfSeveralStopStringsWins() {
        Generation.StopStringFilter f = new Generation.StopStringFilter(List.of("zz", "b"), null);
        assertTrue(f.accept("aabzz"));
        assertEquals("aa", f.text());
    }
}
