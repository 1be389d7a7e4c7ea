package dev.gemma4j.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 helpers for byte-fallback pieces. */
final class Utf8 {
    private Utf8() {}

    /** Writes the UTF-8 bytes of a code point into {@code out} and returns their count (1..4). */
    static int encode(int cp, byte[] out) {
        if (cp < 0x80) {
            out[0] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            out[0] = (byte) (0xC0 | (cp >>> 6));
            out[1] = (byte) (0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = (byte) (0xE0 | (cp >>> 12));
            out[1] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
            out[2] = (byte) (0x80 | (cp & 0x3F));
            return 3;
        }
        out[0] = (byte) (0xF0 | (cp >>> 18));
        out[1] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
        out[2] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
        out[3] = (byte) (0x80 | (cp & 0x3F));
        return 4;
    }

    /**
     * Decodes a run of byte pieces as Hugging Face's ByteFallback decoder does: the whole run as
     * UTF-8 when it is valid, otherwise one U+FFFD per byte.
     */
    static void appendRun(byte[] bytes, int length, StringBuilder out) {
        if (length == 0) return;
        try {
            out.append(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length)));
        } catch (CharacterCodingException e) {
            out.repeat('\uFFFD', length);
        }
    }

    /**
     * Length of the UTF-8 sequence that {@code lead} starts (2..4), or 1 for an ASCII byte, or 0
     * when {@code lead} can start no well-formed sequence (continuation bytes, C0, C1, F5..FF).
     */
    static int sequenceLength(int lead) {
        if (lead < 0x80) return 1;
        if (lead < 0xC2) return 0;
        if (lead < 0xE0) return 2;
        if (lead < 0xF0) return 3;
        if (lead < 0xF5) return 4;
        return 0;
    }

    /**
     * Whether {@code b} may follow {@code lead} as the byte at position {@code index} (1..3) of a
     * well-formed sequence (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
     */
    static boolean validContinuation(int lead, int index, int b) {
        if (index == 1) {
            return switch (lead) {
                case 0xE0 -> b >= 0xA0 && b <= 0xBF;
                case 0xED -> b >= 0x80 && b <= 0x9F;
                case 0xF0 -> b >= 0x90 && b <= 0xBF;
                case 0xF4 -> b >= 0x80 && b <= 0x8F;
                default -> b >= 0x80 && b <= 0xBF;
            };
        }
        return b >= 0x80 && b <= 0xBF;
    }
}
