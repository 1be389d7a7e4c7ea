package dev.gemma4j.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The range flags the kernels keep of their fp16 activations (common.cuh, "Range flags"): per row two
 * uint32 words, word 0 with bit {@code 2 * tensor} for a value that saturated (beyond ±65504; fp16
 * would have held infinity) and bit {@code 2 * tensor + 1} for inf or NaN, word 1 holding
 * {@code ~site} of the earliest site that set a bit, {@code site = layer * 8 + tensor}. Sites of
 * tensor {@link #FINAL_NORM} use layer {@code num_hidden_layers}.
 */
final class Fp16Range {
    private Fp16Range() {}

    static final int INPUT_NORM = 0;
    static final int QKV = 1;
    static final int ROPE = 2;
    static final int POST_NORM = 4;
    static final int GEGLU = 5;
    static final int FINAL_NORM = 6;

    /** Bytes of one row's flags. */
    static final int ROW_BYTES = 8;
    /** Words between consecutive rows' flags: one pair per row, or 0 for every row into one pair. */
    static final int PER_ROW = 2, ONE_PAIR = 0;

    private static final String[] TENSORS = {
        "input_layernorm output (q/k/v's input)",
        "q/k/v projection output",
        "rotated q/k",
        null,
        "MLP input norm output (post_attention_layernorm; pre_feedforward_layernorm in Gemma 2 and 3: gate/up's input)",
        "GeGLU output (down_proj's input)",
        "final norm output (the logits' input)",
    };

    static int site(int layer, int tensor) {
        return layer * 8 + tensor;
    }

    /**
     * What the flags {@code (word0, word1)} of one row say, or null when they are clear: the earliest
     * tensor and layer that left {@code compute}'s range, the kind of value, the other tensors flagged,
     * and what to do. In bf16 the flags mostly count inf and NaN (its range is fp32's).
     */
    static String describe(int word0, int word1, Compute compute) {
        if (word0 == 0) return null;
        int first = ~word1;
        String type = compute.label();
        StringBuilder s = new StringBuilder(type + " activations left " + type + "'s range ("
                + (compute == Compute.BF16 ? "±3.39e38" : "±65504") + "): first the ");
        s.append(where(first)).append(" (").append(kinds(word0 >>> (2 * (first & 7)) & 3)).append(')');
        List<String> others = new ArrayList<>();
        for (int tensor = 0; tensor < TENSORS.length; tensor++) {
            int kinds = word0 >>> (2 * tensor) & 3;
            if (kinds != 0 && tensor != (first & 7)) others.add(TENSORS[tensor] + " (" + kinds(kinds) + ")");
        }
        if (!others.isEmpty()) s.append("; later also in a ").append(String.join(", a ", others));
        return s.append(compute == Compute.BF16 ? "; " + ADVICE
                : "; this model's activations need a wider type than fp16: run it with --compute bf16 (fp32's range)"
                        + " or with --device cpu").toString();
    }

    /** What the error tells the user to do: the CPU backend computes in fp32. */
    static final String ADVICE = "run this model with --device cpu";

    private static String where(int site) {
        int tensor = site & 7;
        String name = tensor < TENSORS.length && TENSORS[tensor] != null ? TENSORS[tensor] : "tensor " + tensor;
        return tensor == FINAL_NORM ? name : String.format(Locale.ROOT, "%s of layer %d", name, site >>> 3);
    }

    private static String kinds(int kinds) {
        return switch (kinds) {
            case 1 -> "saturated";
            case 2 -> "inf/NaN";
            default -> "saturated and inf/NaN";
        };
    }
}
