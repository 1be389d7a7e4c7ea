package dev.gemma4j.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Backend#decodeStep} in which some rows failed (their logits or activations hold a NaN, or
 * left the range of the backend's number type) while the others were computed: a failed row's
 * sequence cannot continue, the other rows' tokens are valid. The message lists the failed rows' causes.
 */
public final class DecodeRowFailure extends ArithmeticException {
    private final int[] tokens;
    private final ArithmeticException[] causes;

    private DecodeRowFailure(int[] tokens, ArithmeticException[] causes, String message) {
        super(message);
        this.tokens = tokens.clone();
        this.causes = causes.clone();
    }

    /**
     * @param tokens every row's next token (ignored where the row failed)
     * @param causes per row, why it failed, or null where it did not
     * @throws DecodeRowFailure when any row failed
     */
    public static void throwIfAny(int[] tokens, ArithmeticException[] causes) {
        if (tokens.length != causes.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + causes.length + " row causes");
        }
        List<String> messages = new ArrayList<>();
        for (ArithmeticException cause : causes) {
            if (cause != null) messages.add(cause.getMessage());
        }
        if (messages.isEmpty()) return;
        DecodeRowFailure failure = new DecodeRowFailure(tokens, causes, messages.size() + " of " + tokens.length
                + " rows of the decode step failed: " + String.join("; ", messages));
        for (ArithmeticException cause : causes) {
            if (cause != null) failure.addSuppressed(cause);
        }
        throw failure;
    }

    /** Rows of the step. */
    public int rows() {
        return tokens.length;
    }

    /** Why row {@code b} failed, or null when its {@link #token} is valid. */
    public ArithmeticException cause(int b) {
        return causes[b];
    }

    /** Row {@code b}'s next token; only where {@link #cause} is null. */
    public int token(int b) {
        if (causes[b] != null) throw new IllegalStateException("row " + b + " failed: " + causes[b].getMessage());
        return tokens[b];
    }
}
