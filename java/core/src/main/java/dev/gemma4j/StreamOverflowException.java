package dev.gemma4j;

/**
 * Ends a stream whose consumer fell {@link GenerationOptions#streamBuffer()} chunks behind: its sequence
 * was cancelled so the others in the batch never wait for it.
 */
public final class StreamOverflowException extends RuntimeException {
    public StreamOverflowException(String message) {
        super(message);
    }
}
