package dev.gemma4j;

/**
 * One item of a {@link GenerationStream}: what one generated token added.
 *
 * @param text    text that became final with this token; may be empty (text that could start a stop string
 *                or a multi-byte character is held until it is decided), and the stream's last chunk may
 *                carry the held text with no token
 * @param logprob the token's log-probabilities when {@link GenerationOptions#withTopLogprobs} asked for them,
 *                else null; null for a last chunk that only flushes text
 */
public record GenerationChunk(String text, TokenLogprob logprob) {}
