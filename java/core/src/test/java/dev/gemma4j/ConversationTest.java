package dev.gemma4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.tokenizer.ChatMessage;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** A conversation's kept KV cache: later turns run only their new tokens and answer as a full prefill does. */
class ConversationTest {
    private static final GenerationOptions GREEDY = GenerationOptions.defaults().withMaxNewTokens(6);

    /** tiny-gemma3 has sliding-window layers (window 4), whose ring caches allow no rollback. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mqa", "tiny-gemma3"})
    void laterTurnsReuseTheCacheAndAnswerAsAFullPrefill(String model) {
        try (Gemma gemma = Gemma.load(model, LoadOptions.cpu().withContextLength(512), Gemma.LoadMonitor.SILENT);
             Conversation chat = gemma.conversation("Answer briefly.")) {
            String[] messages = {"Hello there", "What is the capital of France?", "And of Italy?"};
            int cachedBefore = 0;
            for (int turn = 0; turn < messages.length; turn++) {
                GenerationResult r = chat.send(messages[turn], GREEDY).result().join();
                assertEquals(cachedBefore, chat.reusedTokens(), "turn " + turn + " reuses everything cached before it");
                assertTrue(turn == 0 || chat.reusedTokens() > 0, "turn " + turn);
                // The same prompt from scratch, in a fresh cache, gives the same tokens.
                GenerationResult fresh = gemma.generate(r.promptTokens(), GREEDY);
                assertArrayEquals(fresh.generatedTokens(), r.generatedTokens(), "turn " + turn + " of " + model);
                assertEquals(r.promptTokens().length + r.generatedTokens().length - 1, chat.cachedTokens(),
                        "the prompt and every new token but the last are in the cache");
                cachedBefore = chat.cachedTokens();
            }
            List<ChatMessage> history = chat.messages();
            assertEquals(1 + 2 * messages.length, history.size());
            assertEquals("system", history.get(0).role());
        }
    }

    @Test
    void theOldestTurnsAreDroppedWhenTheContextIsFull() {
        try (Gemma gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withContextLength(64), Gemma.LoadMonitor.SILENT);
             Conversation chat = gemma.conversation(null)) {
            GenerationOptions options = GenerationOptions.defaults().withMaxNewTokens(8);
            int dropped = 0;
            for (int turn = 0; turn < 8; turn++) {
                GenerationResult r = chat.send("tell me more about turn " + turn, options).result().join();
                assertTrue(r.promptTokens().length + 8 <= 64, "the prompt leaves room for the reply: " + r.promptTokens().length);
                dropped += chat.droppedTurns();
            }
            assertTrue(dropped > 0, "a 64-token context cannot hold 8 turns");
            assertTrue(chat.messages().size() < 16);
        }
    }

    @Test
    void aCancelledReplyLeavesTheHistoryAndTheNextTurnWorks() throws Exception {
        try (Gemma gemma = Gemma.load("tiny-mqa", LoadOptions.cpu().withContextLength(512), Gemma.LoadMonitor.SILENT);
             Conversation chat = gemma.conversation(null)) {
            chat.send("first", GREEDY).result().join();
            GenerationStream long_ = chat.send("second", GenerationOptions.defaults().withMaxNewTokens(400));
            long_.cancel();
            assertThrows(CancellationException.class, () -> long_.result().join());
            // The engine gives the cache back at its next turn.
            GenerationResult next = null;
            for (int i = 0; i < 200 && next == null; i++) {
                try {
                    next = chat.send("third", GREEDY).result().join();
                } catch (IllegalStateException stillInUse) {
                    Thread.sleep(10);
                }
            }
            assertTrue(next != null && next.generatedTokens().length > 0);
            assertEquals(4, chat.messages().size(), "first and third with their replies");
        }
    }
}
