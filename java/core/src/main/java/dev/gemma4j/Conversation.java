package dev.gemma4j;

import dev.gemma4j.engine.Batcher;
import dev.gemma4j.engine.KeptCache;
import dev.gemma4j.tokenizer.ChatMessage;
import dev.gemma4j.tokenizer.ChatTemplate;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A chat with Gemma that keeps its KV cache between turns: each message's prompt is the conversation so far in
 * the instruction-tuned template, and the tokens already in the cache (everything up to the new message) are
 * not run again, so the time to the first token of turn N does not grow with N.
 *
 * <p>The model's replies stay in the history as the tokens it produced (not re-tokenized from their text),
 * so the prompt of the next turn starts with exactly what the cache holds. A system text is folded into the
 * first user turn, as {@link ChatTemplate} does. When a new message and room for its reply do not fit the
 * context, the oldest turns are dropped ({@link #droppedTurns()} says how many) and the cache is rebuilt from
 * what remains.
 *
 * <p>One message at a time; the conversation holds one KV cache of the whole context (on CUDA one of the
 * model's sequence slots) until {@link #close()}. Made by {@link Gemma#conversation(String)}.
 */
public final class Conversation implements AutoCloseable {
    private record Turn(String user, int[] reply, String replyText) {}

    private final GemmaTokenizer tokenizer;
    private final Batcher batcher;
    private final int contextLength;
    private final KeptCache kept;
    private final List<Turn> turns = new ArrayList<>();
    private String system;
    private int dropped;
    private boolean closed;

    Conversation(GemmaTokenizer tokenizer, Batcher batcher, int contextLength, String system) {
        this.tokenizer = tokenizer;
        this.batcher = batcher;
        this.contextLength = contextLength;
        this.kept = batcher.keptCache(contextLength);
        this.system = system;
    }

    /**
     * Starts the reply to {@code message}. When it completes, the message and the reply join the history; a
     * reply that fails or is cancelled leaves the history as it was.
     *
     * @throws IllegalArgumentException when the message alone, with the system text, leaves no room in the
     *                                  context
     * @throws IllegalStateException    while the previous reply is still running, or after {@link #close()}
     */
    public synchronized GenerationStream send(String message, GenerationOptions options) {
        Objects.requireNonNull(message, "no message given");
        Objects.requireNonNull(options, "no generation options given");
        if (closed) throw new IllegalStateException("the conversation was closed");
        // Room for the reply: what it may take, but at most a quarter of the context, so a long --max-tokens
        // does not drop the whole history.
        long room = Math.min(options.maxNewTokens(), contextLength / 4);
        dropped = 0;
        int[] prompt = prompt(message);
        while (prompt.length + room > contextLength && !turns.isEmpty()) {
            turns.removeFirst();
            dropped++;
            prompt = prompt(message);
        }
        GenerationStream stream = new GenerationStream(options.streamBuffer());
        stream.attach(batcher.submitWithListener(prompt, options, contextLength, stream.listener(), kept));
        stream.result().whenComplete((r, e) -> {
            if (e == null) {
                synchronized (this) {
                    turns.add(new Turn(message, r.generatedTokens(), r.text()));
                }
            }
        });
        return stream;
    }

    /** The oldest turns the last {@link #send} dropped to fit the context (0 when none). */
    public synchronized int droppedTurns() {
        return dropped;
    }

    /** Tokens of the conversation that the KV cache holds now. */
    public int cachedTokens() {
        return kept.tokens();
    }

    /** Prompt tokens of the latest reply that were found in the KV cache and not run again. */
    public int reusedTokens() {
        return kept.lastReused();
    }

    /** Forgets every turn; the system text stays. */
    public synchronized void reset() {
        turns.clear();
    }

    /** Sets the system text (null for none), folded into the first user turn from the next message on. */
    public synchronized void system(String text) {
        system = text;
    }

    /** The history as messages: the system text first when there is one, then user and model turns. */
    public synchronized List<ChatMessage> messages() {
        List<ChatMessage> m = new ArrayList<>();
        if (system != null) m.add(new ChatMessage("system", system));
        for (Turn t : turns) {
            m.add(new ChatMessage("user", t.user()));
            m.add(new ChatMessage("model", t.replyText()));
        }
        return m;
    }

    /** BOS, each kept turn with its reply's own tokens, then the new message and the model's turn opening. */
    private int[] prompt(String message) {
        List<int[]> parts = new ArrayList<>();
        int[] newline = tokenizer.encodeLiteral("\n");
        for (int i = 0; i <= turns.size(); i++) {
            String user = i < turns.size() ? turns.get(i).user() : message;
            List<ChatMessage> one = new ArrayList<>(2);
            if (i == 0 && system != null) one.add(new ChatMessage("system", system));
            one.add(new ChatMessage("user", user));
            int[] ids = ChatTemplate.encode(tokenizer, one, true);
            // The first part keeps BOS; later ones drop it.
            parts.add(i == 0 ? ids : Arrays.copyOfRange(ids, 1, ids.length));
            if (i < turns.size()) {
                parts.add(turns.get(i).reply());
                parts.add(new int[] {tokenizer.endOfTurnId()});
                parts.add(newline);
            }
        }
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] all = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /** Frees the KV cache; the conversation takes no more messages. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        try {
            batcher.release(kept).join();
        } catch (RuntimeException e) {
            // The model was closed first: its backend freed every cache.
        }
    }
}
