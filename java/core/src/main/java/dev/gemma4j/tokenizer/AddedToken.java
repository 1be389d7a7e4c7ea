package dev.gemma4j.tokenizer;

/**
 * One entry of tokenizer.json's {@code added_tokens}: text matched in the input before the BPE model
 * runs. {@code special} tokens are the ones {@code decode(ids, true)} leaves out.
 */
record AddedToken(int id, String content, boolean special, boolean normalized, boolean lstrip, boolean rstrip,
        boolean singleWord) {}
