package dev.gemma4j.engine;

import java.util.Arrays;

/**
 * A KV cache that outlives its generations, so that the next prompt that starts with the tokens already in it
 * runs only the rest: a conversation keeps one, and turn N prefills only its new tokens. It holds a cache of
 * the whole context (on CUDA one sequence slot) from its first use until it is released with
 * {@link Batcher#release}. One generation at a time uses it.
 *
 * <p>What it remembers are the tokens whose keys and values are in the cache: the prompt and the new tokens
 * that decode steps ran (the last new token is never run). A generation that fails leaves it empty.
 */
public final class KeptCache {
    private final int capacity;
    private final boolean ringLayers;
    /** Guarded by this. */
    private KvCache cache;
    private int[] tokens = new int[0];
    private boolean inUse;
    private int lastReused;
    private boolean released;

    /**
     * @param capacity tokens the cache holds: the context length
     * @param plan     the model's layers; sliding-window layers keep a ring of their window, so the cache may
     *                 be rolled back by one token at most
     */
    KeptCache(int capacity, LayerPlan plan) {
        this.capacity = capacity;
        this.ringLayers = plan.layers().stream().anyMatch(l -> l.cacheRows(capacity) < capacity);
    }

    /** Tokens in the cache now. */
    public synchronized int tokens() {
        return tokens.length;
    }

    /** Prompt tokens the latest generation found in the cache and did not run. */
    public synchronized int lastReused() {
        return lastReused;
    }

    /** Marks the cache taken by one generation; a second at once is refused. */
    synchronized void take() {
        if (released) throw new IllegalStateException("the kept KV cache was released");
        if (inUse) {
            throw new IllegalStateException("the kept KV cache is in use by another generation; one at a time uses it");
        }
        inUse = true;
    }

    /** Gives it back after a submission that failed before its generation started. */
    synchronized void untake() {
        inUse = false;
    }

    /**
     * On the engine thread, when a generation starts: the cache (made on first use) and how many of
     * {@code prompt}'s tokens it already holds, at least one token left to run so there are logits to pick from.
     */
    synchronized KvCache open(Backend backend, int[] prompt, int[] reused) {
        if (cache == null) cache = backend.newCache(capacity);
        int common = 0;
        int limit = Math.min(tokens.length, prompt.length - 1);
        while (common < limit && tokens[common] == prompt[common]) common++;
        // Positions past the common prefix were written over the ring slots of earlier window positions
        // that the prompt's next tokens attend to: after a rollback of more than one token they are gone.
        if (ringLayers && tokens.length - common > 1) common = 0;
        tokens = Arrays.copyOf(prompt, common);
        reused[0] = common;
        lastReused = common;
        return cache;
    }

    /** When the generation leaves: the tokens now in the cache, or none after a failure. */
    synchronized void done(int[] held) {
        tokens = held;
        inUse = false;
    }

    /** On the engine thread: frees the cache. */
    synchronized void close() {
        released = true;
        tokens = new int[0];
        if (cache != null) cache.close();
        cache = null;
    }
}
