package dev.gemma4j;

import java.util.List;
import java.util.Objects;

/**
 * How to pick new tokens, built from {@link #defaults()} with named settings:
 * <pre>{@code
 * GenerationOptions.defaults().withMaxNewTokens(128).withTemperature(0.7f).withTopK(40).withTopP(0.95f).withSeed(1)
 * }</pre>
 * Immutable; every {@code with…} returns a copy and checks its value at once, naming the setting.
 *
 * <p>Defaults: 256 new tokens, greedy (temperature 0), no top-k, top-p 1, seed 0, no stop strings, no
 * log-probabilities, a stream buffer of {@value #DEFAULT_STREAM_BUFFER} chunks.
 */
public final class GenerationOptions {
    /** Chunks a streamed request may have produced and its consumer not yet taken (see {@link #streamBuffer()}). */
    public static final int DEFAULT_STREAM_BUFFER = 1024;
    /** The most alternatives {@link #withTopLogprobs} takes, as OpenAI's API allows. */
    public static final int MAX_TOP_LOGPROBS = 20;

    /**
     * The highest temperature taken. Gemma's logits span a few tens, so at 100 every candidate's weight is
     * within a factor e^-0.5 or so of the best one's: sampling is all but uniform already, and a higher
     * setting is more likely a mistake than a wish.
     */
    public static final float MAX_TEMPERATURE = 100f;

    private static final GenerationOptions DEFAULTS =
            new GenerationOptions(256, 0f, 0, 1f, 0L, List.of(), false, 0, DEFAULT_STREAM_BUFFER);

    private final int maxNewTokens;
    private final float temperature;
    private final int topK;
    private final float topP;
    private final long seed;
    private final List<String> stopStrings;
    private final boolean logprobs;
    private final int topLogprobs;
    private final int streamBuffer;

    private GenerationOptions(int maxNewTokens, float temperature, int topK, float topP, long seed,
                              List<String> stopStrings, boolean logprobs, int topLogprobs, int streamBuffer) {
        this.maxNewTokens = maxNewTokens;
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.seed = seed;
        this.stopStrings = stopStrings;
        this.logprobs = logprobs;
        this.topLogprobs = topLogprobs;
        this.streamBuffer = streamBuffer;
    }

    /** The defaults listed in the class description. */
    public static GenerationOptions defaults() {
        return DEFAULTS;
    }

    /** Greedy decoding of at most {@code maxNewTokens} tokens, no stop strings. */
    public static GenerationOptions greedy(int maxNewTokens) {
        return DEFAULTS.withMaxNewTokens(maxNewTokens);
    }

    /** The most new tokens, at least 1. */
    public GenerationOptions withMaxNewTokens(int n) {
        if (n < 1) throw new IllegalArgumentException("max new tokens must be at least 1, found " + n);
        return new GenerationOptions(n, temperature, topK, topP, seed, stopStrings, logprobs, topLogprobs, streamBuffer);
    }

    /**
     * 0 for greedy (argmax, lowest id on ties); otherwise the logits are divided by it before sampling, and it
     * must be a normal float up to {@link #MAX_TEMPERATURE} ({@link #checkTemperature}).
     */
    public GenerationOptions withTemperature(float t) {
        checkTemperature("temperature", t);
        return new GenerationOptions(maxNewTokens, t, topK, topP, seed, stopStrings, logprobs, topLogprobs, streamBuffer);
    }

    /**
     * Keeps the {@code k} most likely tokens when sampling; 0 turns top-k off (keeps all), as in Hugging Face.
     * It may not exceed the model's vocabulary, which a generation checks when it starts
     * ({@link #checkTopK(String, long, int)}).
     */
    public GenerationOptions withTopK(int k) {
        if (k < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 keeps all tokens), found " + k);
        return new GenerationOptions(maxNewTokens, temperature, k, topP, seed, stopStrings, logprobs, topLogprobs, streamBuffer);
    }

    /** Keeps the smallest set of most likely tokens whose probability reaches p, in (0, 1]; 1 keeps all. */
    public GenerationOptions withTopP(float p) {
        checkTopP("top-p", p);
        return new GenerationOptions(maxNewTokens, temperature, topK, p, seed, stopStrings, logprobs, topLogprobs, streamBuffer);
    }

    /*
     * The checks of the sampling parameters, the one place that the API, the command line and the server
     * use; each takes the parameter's name as its caller spells it, so that the error names it.
     */

    /**
     * A temperature as a float: 0 (greedy) or a normal number in [{@link Float#MIN_NORMAL},
     * {@link #MAX_TEMPERATURE}]. A subnormal one is refused because 1/T overflows to infinity, which makes
     * every weight NaN; NaN and infinities are refused. Taking a double lets a caller that parses decimal
     * text refuse a value that would round to 0 (and so silently become greedy) or to a subnormal float.
     *
     * @throws IllegalArgumentException naming {@code parameter}, the value found and the accepted range
     */
    public static float checkTemperature(String parameter, double t) {
        if (!(t == 0 || (t >= Float.MIN_NORMAL && t <= MAX_TEMPERATURE))) {
            throw new IllegalArgumentException(parameter + " must be 0 (greedy) or in [" + Float.MIN_NORMAL + ", "
                    + MAX_TEMPERATURE + "], found " + shortest(t));
        }
        return (float) t;
    }

    /**
     * A top-p as a float, in (0, 1]: 0 would keep no token, more than 1 means nothing; NaN is refused.
     *
     * @throws IllegalArgumentException naming {@code parameter}, the value found and the accepted range
     */
    public static float checkTopP(String parameter, double p) {
        if (!(p > 0 && p <= 1) || (float) p == 0f) {
            throw new IllegalArgumentException(parameter + " must be in (0, 1], found " + shortest(p));
        }
        return (float) p;
    }

    /** A value as its caller most likely wrote it: a float passed in widened prints as that float. */
    private static String shortest(double v) {
        return (double) (float) v == v ? Float.toString((float) v) : Double.toString(v);
    }

    /**
     * A top-k in [0, vocab] (0 keeps all tokens) for a model of {@code vocab} tokens.
     *
     * @throws IllegalArgumentException naming {@code parameter}, the value found and the accepted range
     */
    public static int checkTopK(String parameter, long k, int vocab) {
        if (k < 0 || k > vocab) {
            throw new IllegalArgumentException(parameter + " must be in [0, " + vocab
                    + "] (0 keeps all tokens; at most the model's vocabulary), found " + k);
        }
        return (int) k;
    }

    /**
     * Seeds the sampler: the same seed, prompt and options give the same tokens on the same backend and
     * machine. On the CPU backend this holds whatever other requests share the decode batch and however
     * the prompt is chunked: each row's arithmetic is independent of the batch's size and make-up
     * (BatchInvarianceTest). On the CUDA backend it holds only with
     * {@link LoadOptions#withBatchInvariance}: otherwise cuBLAS picks its GEMM kernels, and so their order of
     * summation, by the batch's row count, so a row's logits can differ in the last bits with the batch and
     * a sampled token can change where two candidates are that close.
     */
    public GenerationOptions withSeed(long s) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, s, stopStrings, logprobs, topLogprobs, streamBuffer);
    }

    /** Generation stops before the first occurrence of any of these (non-empty) strings in the text. */
    public GenerationOptions withStopStrings(List<String> stops) {
        List<String> copy = List.copyOf(Objects.requireNonNull(stops, "no stop strings given"));
        for (String s : copy) {
            if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        }
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, copy, logprobs, topLogprobs, streamBuffer);
    }

    /**
     * Records the log-probability of every generated token and of the {@code n} most likely tokens at its
     * position ({@code n} in [0, {@value #MAX_TOP_LOGPROBS}]), under the model's own distribution: the
     * log-softmax of the logits, before temperature, top-k and top-p.
     */
    public GenerationOptions withTopLogprobs(int n) {
        if (n < 0 || n > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], found " + n);
        }
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopStrings, true, n, streamBuffer);
    }

    /**
     * Chunks a streamed request may hold that its consumer has not taken yet (at least 1). A consumer that
     * falls this far behind is cut off: its sequence is cancelled at the next step and the stream ends with
     * {@link StreamOverflowException}, so the decode steps of the other sequences never wait for it.
     */
    public GenerationOptions withStreamBuffer(int chunks) {
        if (chunks < 1) throw new IllegalArgumentException("the stream buffer must hold >= 1 chunk, found " + chunks);
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopStrings, logprobs, topLogprobs, chunks);
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    public float temperature() {
        return temperature;
    }

    /** The top-k setting; 0 when top-k is off. */
    public int topK() {
        return topK;
    }

    public float topP() {
        return topP;
    }

    public long seed() {
        return seed;
    }

    public List<String> stopStrings() {
        return stopStrings;
    }

    /** True when log-probabilities are recorded ({@link #withTopLogprobs}). */
    public boolean logprobs() {
        return logprobs;
    }

    /** Alternatives recorded per generated token when {@link #logprobs()} holds. */
    public int topLogprobs() {
        return topLogprobs;
    }

    public int streamBuffer() {
        return streamBuffer;
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationOptions g && maxNewTokens == g.maxNewTokens
                && Float.compare(temperature, g.temperature) == 0 && topK == g.topK
                && Float.compare(topP, g.topP) == 0 && seed == g.seed && stopStrings.equals(g.stopStrings)
                && logprobs == g.logprobs && topLogprobs == g.topLogprobs && streamBuffer == g.streamBuffer;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxNewTokens, temperature, topK, topP, seed, stopStrings, logprobs, topLogprobs, streamBuffer);
    }

    @Override
    public String toString() {
        return "GenerationOptions[maxNewTokens=" + maxNewTokens + ", temperature=" + temperature + ", topK=" + topK
                + ", topP=" + topP + ", seed=" + seed + ", stopStrings=" + stopStrings
                + (logprobs ? ", topLogprobs=" + topLogprobs : "") + ", streamBuffer=" + streamBuffer + "]";
    }
}
