package dev.gemma4j.engine;

import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationResult.StopReason;
import dev.gemma4j.TokenLogprob;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import dev.gemma4j.tokenizer.StreamingDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One generating sequence: its sampler, KV cache, position, text stream (decoder and stop-string
 * filter), the tokens made so far, why it stopped, and its timings. {@link Generation#run} drives one
 * alone; {@link Batcher} drives several through shared decode steps. The stopping rules live here only.
 *
 * <p>Life: {@link #open} makes the cache, then {@link #prefillChunk} runs the prompt a chunk at a time
 * ({@link #prefill} does both in one pass); {@link #accept} takes the first token (picked from the last
 * chunk's logits by {@link #sampler()}) and each later one, and says when the sequence is finished; while
 * it is not, the next decode step runs {@link #token()} at {@link #position()} of {@link #cache()}.
 * {@link #finish} flushes the text and makes the result; {@link #close} frees the cache.
 */
final class Sequence implements AutoCloseable {
    private final int[] prompt;
    private final GenerationOptions options;
    private final int capacity;
    /** Ids that end the sequence: eos, {@code <end_of_turn>} and the model's end ids (generation_config.json). */
    private final int[] endIds;
    private final Sampler sampler;
    private final StreamingDecoder decoder;
    private final Generation.StopStringFilter stops;
    private final int[] generated;
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private final TokenListener listener;
    /** Text the stop-string filter released for the token being accepted. */
    private final StringBuilder released = new StringBuilder();
    private final long submittedNanos;
    private int count;
    /** Prompt tokens run so far, in [0, prompt.length]. */
    private int prefilled;
    private boolean started;
    private int position;
    private StopReason reason;
    private KvCache cache;
    /** The cache this sequence borrows and leaves open, or null for one of its own. */
    private KeptCache kept;
    private boolean failed;
    private long admittedNanos, firstTokenNanos;

    /**
     * @param prompt         checked by {@link #checkPrompt}
     * @param contextLength  tokens the sequence may hold in all (prompt + new)
     * @param listener       hears each token's text and log-probabilities; may be null
     * @param submittedNanos {@link System#nanoTime()} when the request was made (queue wait starts)
     */
    Sequence(GemmaTokenizer tokenizer, GemmaConfig config, int[] prompt, GenerationOptions options,
             int contextLength, TokenListener listener, long submittedNanos) {
        this.prompt = prompt;
        this.options = options;
        // At most contextLength positions; prompt + maxNewTokens covers every token the sequence can run
        // (its last new token is never run).
        this.capacity = (int) Math.min(contextLength, (long) prompt.length + options.maxNewTokens());
        this.endIds = endIds(tokenizer, config);
        this.sampler = new Sampler(options, tokenizer.vocabSize());
        this.decoder = tokenizer.streamingDecoder(true);
        this.listener = listener;
        this.stops = new Generation.StopStringFilter(options.stopStrings(), released::append);
        // The most tokens the sequence can make: maxNewTokens, or one per free cache position plus the
        // last (which is never run).
        this.generated = new int[(int) Math.min(options.maxNewTokens(), (long) capacity - prompt.length + 1)];
        this.submittedNanos = submittedNanos;
    }

    /** The tokenizer's eos and {@code <end_of_turn>}, then the config's end ids not among them. */
    static int[] endIds(GemmaTokenizer tokenizer, GemmaConfig config) {
        return java.util.stream.IntStream.concat(java.util.stream.IntStream.of(tokenizer.eosId(), tokenizer.endOfTurnId()),
                config.family().endTokenIds().stream().mapToInt(Integer::intValue)).distinct().toArray();
    }

    /**
     * Checks a prompt before any work is done for it.
     *
     * @throws IllegalArgumentException when it is empty, holds an id outside {@code [0, vocab)}, or leaves
     *                                  no room in the context for a new token
     */
    static void checkPrompt(int[] prompt, int vocab, int contextLength) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocab) {
                throw new IllegalArgumentException("token id " + prompt[i] + " at prompt position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (prompt.length >= contextLength) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context holds "
                    + contextLength + ", which leaves no room for a new token");
        }
    }

    /** Borrows {@code kept} instead of making a cache at {@link #open}; the prompt's tokens in it are not run again. */
    Sequence keeping(KeptCache kept) {
        this.kept = kept;
        return this;
    }

    /**
     * Makes the KV cache; {@link #prefillChunk} then runs the prompt. The result's prefill time is counted
     * from here (admission) to the first token.
     */
    void open(Backend backend) {
        if (cache != null || prefilled > 0 || started) {
            throw new IllegalStateException("the sequence was already opened");
        }
        admittedNanos = System.nanoTime();
        if (kept != null) {
            int[] found = new int[1];
            cache = kept.open(backend, prompt, found);
            prefilled = found[0];                               // already in the cache: not run again
        } else {
            cache = backend.newCache(capacity);
        }
    }

    /** True after {@link #open} while part of the prompt has not been run. */
    boolean prefilling() {
        return cache != null && prefilled < prompt.length;
    }

    /** True after the first token was accepted while the sequence has not stopped: decode steps run it. */
    boolean decoding() {
        return started && reason == null;
    }

    /**
     * Runs the next {@code maxTokens} prompt tokens (fewer where the prompt ends) at their positions of the
     * cache.
     * Logits are computed for the last prompt token only, so chunks before the last compute none.
     *
     * @return the logits [vocab] of the last prompt token when this chunk ends the prompt (from which
     *         {@link #sampler()} picks the first new token); an empty array before
     */
    float[] prefillChunk(Forward forward, int maxTokens) {
        if (!prefilling()) {
            throw new IllegalStateException("no prompt left to run: " + prefilled + " of " + prompt.length
                    + " tokens run" + (cache == null ? ", no cache" : ""));
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("a prefill chunk must hold >= 1 token, found " + maxTokens);
        }
        int end = prefilled + Math.min(maxTokens, prompt.length - prefilled);
        int[] chunk = prefilled == 0 && end == prompt.length ? prompt : Arrays.copyOfRange(prompt, prefilled, end);
        float[] logits = forward.run(chunk, cache, prefilled, end == prompt.length ? 1 : 0);
        prefilled = end;
        if (end == prompt.length) position = prompt.length;
        return logits;
    }

    /**
     * Makes the KV cache and runs the whole prompt in one {@link Forward#run} (which splits it at the
     * backend's batch limit).
     *
     * @return the logits [vocab] of the last prompt token, from which {@link #sampler()} picks the first
     *         new token
     */
    float[] prefill(Forward forward) {
        open(forward.backend());
        return prefillChunk(forward, prompt.length - prefilled);
    }

    /**
     * Takes the next token: the first from the prefill logits, later ones from decode steps (each of
     * which ran {@link #token()} at {@link #position()}, so the position moves on by one). Hands its
     * text and log-probabilities to the listener, whose exceptions propagate.
     *
     * @return true when the sequence is finished (end of sequence, stop string, max tokens, context full)
     */
    boolean accept(int token) {
        if (reason != null) throw new IllegalStateException("the sequence already stopped: " + reason);
        if (prefilled < prompt.length) {
            throw new IllegalStateException("a token was given after " + prefilled + " of " + prompt.length
                    + " prompt tokens were run");
        }
        if (!started) {
            started = true;
            firstTokenNanos = System.nanoTime();
        } else {
            position++;
        }
        // The stop token is not part of the output, nor its log-probability.
        TokenLogprob logprob = sampler.takeLogprob();
        if (Arrays.stream(endIds).anyMatch(id -> id == token)) {
            reason = StopReason.END_OF_SEQUENCE;
            return true;
        }
        generated[count++] = token;
        if (logprob != null) logprobs.add(logprob);
        boolean stopped = stops.accept(decoder.push(token));
        emit(logprob);
        if (stopped) {
            reason = StopReason.STOP_STRING;
            return true;
        }
        if (count == options.maxNewTokens()) {
            reason = StopReason.MAX_TOKENS;
            return true;
        }
        if (position == capacity) {
            reason = StopReason.CONTEXT_FULL;
            return true;
        }
        return false;
    }

    private void emit(TokenLogprob logprob) {
        String text = released.toString();
        released.setLength(0);
        if (listener != null && (!text.isEmpty() || logprob != null)) listener.onToken(text, logprob);
    }

    /** The token the next decode step runs: the last one accepted. */
    int token() {
        return generated[count - 1];
    }

    /** The position in {@link #cache()} where {@link #token()} goes. */
    int position() {
        return position;
    }

    KvCache cache() {
        return cache;
    }

    Sampler sampler() {
        return sampler;
    }

    /**
     * Flushes the held text to the listener (unless a stop string ended the sequence) and makes the
     * result. Timings: queue = submission to admission, prefill = admission to first token, decode =
     * first token to now.
     */
    GenerationResult finish() {
        if (reason == null) throw new IllegalStateException("the sequence has not stopped");
        if (reason != StopReason.STOP_STRING) {
            stops.accept(decoder.flush());
            stops.finish();
            emit(null);
        }
        long end = System.nanoTime();
        return new GenerationResult(prompt, Arrays.copyOf(generated, count), stops.text(), reason,
                firstTokenNanos - admittedNanos, end - firstTokenNanos, admittedNanos - submittedNanos, logprobs);
    }

    /** Marks the sequence's computation failed: a kept cache then remembers no tokens. */
    void failed() {
        failed = true;
    }

    /**
     * Frees the KV cache (if one was made), or leaves a kept one open remembering the tokens in it; safe to
     * call more than once.
     */
    @Override
    public void close() {
        KvCache c = cache;
        cache = null;
        if (kept != null) {
            KeptCache k = kept;
            kept = null;
            if (c == null) {                                    // never admitted: the cache is as it was
                k.untake();
                return;
            }
            // Positions [0, held) were run: the prompt so far, then every accepted token but the latest.
            int held = started ? position : prefilled;
            int[] tokens = new int[failed ? 0 : held];
            int fromPrompt = Math.min(tokens.length, prompt.length);
            System.arraycopy(prompt, 0, tokens, 0, fromPrompt);
            System.arraycopy(generated, 0, tokens, fromPrompt, tokens.length - fromPrompt);
            k.done(tokens);
        } else if (c != null) {
            c.close();
        }
    }
}
