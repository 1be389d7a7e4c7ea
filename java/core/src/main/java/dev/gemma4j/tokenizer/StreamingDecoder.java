package dev.gemma4j.tokenizer;

/**
 * Turns ids that arrive one at a time (generation) into text that can be printed at once. Byte
 * pieces ({@code <0xNN>}) are held until they complete a UTF-8 character, so no push ever returns
 * half a character. The concatenation of every push and the final {@link #flush} equals
 * {@link GemmaTokenizer#decode(int[], boolean)} of the same ids whenever their byte-piece runs are
 * valid UTF-8 (always so for ids from {@code encode}); in an invalid run each byte that starts no
 * well-formed character becomes U+FFFD while the well-formed characters around it are kept, where
 * the whole-sequence decoder turns every byte of that run into U+FFFD.
 *
 * <p>Not thread-safe: one decoder per generated sequence.
 */
public final class StreamingDecoder {
    private final GemmaTokenizer tokenizer;
    private final boolean skipSpecial;
    private final int[] pending = new int[4]; // bytes of an unfinished UTF-8 character
    private int pendingLength;

    StreamingDecoder(GemmaTokenizer tokenizer, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    /** Takes the next id and returns the text it completes (possibly empty). */
    public String push(int id) {
        tokenizer.checkId(id, "StreamingDecoder.push");
        if (skipSpecial && tokenizer.special(id)) return "";
        StringBuilder out = new StringBuilder();
        int b = tokenizer.byteValue(id);
        if (b >= 0) {
            pending[pendingLength++] = b;
            drain(out, false);
        } else {
            drain(out, true);
            out.append(tokenizer.decodedPiece(id));
        }
        return out.toString();
    }

    /** Returns what is left at the end of the sequence: U+FFFD for each byte of an unfinished character. */
    public String flush() {
        StringBuilder out = new StringBuilder();
        drain(out, true);
        return out.toString();
    }

    /** Emits every complete character held; at the end of a byte run an unfinished one becomes U+FFFDs. */
    private void drain(StringBuilder out, boolean runEnded) {
        while (pendingLength > 0) {
            int lead = pending[0];
            int need = Utf8.sequenceLength(lead);
            if (need == 0) {
                out.append('\uFFFD');
                drop(1);
                continue;
            }
            int have = 1;
            while (have < need && have < pendingLength && Utf8.validContinuation(lead, have, pending[have])) have++;
            if (have == need) {
                out.appendCodePoint(codePoint(need));
                drop(need);
            } else if (have < pendingLength) {
                // pending[have] cannot continue this character: the lead byte starts nothing well-formed.
                out.append('\uFFFD');
                drop(1);
            } else {
                if (runEnded) {
                    out.repeat('\uFFFD', pendingLength);
                    pendingLength = 0;
                }
                return;
            }
        }
    }

    private int codePoint(int length) {
        return switch (length) {
            case 1 -> pending[0];
            case 2 -> (pending[0] & 0x1F) << 6 | (pending[1] & 0x3F);
            case 3 -> (pending[0] & 0x0F) << 12 | (pending[1] & 0x3F) << 6 | (pending[2] & 0x3F);
            default -> (pending[0] & 0x07) << 18 | (pending[1] & 0x3F) << 12 | (pending[2] & 0x3F) << 6
                    | (pending[3] & 0x3F);
        };
    }

    private void drop(int count) {
        System.arraycopy(pending, count, pending, 0, pendingLength - count);
        pendingLength -= count;
    }
}
