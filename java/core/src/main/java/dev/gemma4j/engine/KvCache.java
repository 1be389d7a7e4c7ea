package dev.gemma4j.engine;

/** Keys and values of one sequence, for every layer; owned by the backend that made it. */
public interface KvCache extends AutoCloseable {
    /** Tokens the cache can hold. */
    int capacity();

    /** Frees the cache's memory (the CPU backend's is off the heap, the CUDA backend's a device slot); idempotent. */
    @Override
    void close();
}
