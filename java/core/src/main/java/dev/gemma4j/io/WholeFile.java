package dev.gemma4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Reads a small file whole, as UTF-8 text, with an upper bound on its size: config.json, a shard
 * index and tokenizer.json are parsed in memory, so a file far larger than any real one (a 3 GB
 * config.json, {@code /dev/zero} named as a model file) is refused with its size before a byte is
 * buffered. Each limit is tens to thousands of times the largest file of its kind in published Gemma
 * checkpoints.
 */
public final class WholeFile {
    private WholeFile() {}

    /** config.json: Gemma 3's multimodal config is about 2 KB. */
    public static final long CONFIG_LIMIT = 1L << 20;
    /** model.safetensors.index.json: Gemma 2 27B's lists 508 tensors in about 25 KB. */
    public static final long INDEX_LIMIT = 64L << 20;
    /** tokenizer.json: Gemma 3's 262,144 pieces take 33 MB. */
    public static final long TOKENIZER_LIMIT = 256L << 20;

    /**
     * The text of {@code file}, which must be a regular file of at most {@code limit} bytes holding
     * valid UTF-8.
     *
     * @param what  what the file is, for messages ("config.json", "tokenizer file")
     * @param error makes the exception thrown for a message that names the file and the problem
     */
    public static CharBuffer readUtf8(Path file, long limit, String what,
            Function<String, ? extends RuntimeException> error) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw error.apply(file + ": " + what + " not found");
        } catch (IOException e) {
            throw error.apply(file + ": " + what + " cannot be read: " + e);
        }
        if (!attrs.isRegularFile()) {
            throw error.apply(file + ": " + what + " is not a regular file (found " + kind(file, attrs) + ")");
        }
        if (attrs.size() > limit) {
            throw error.apply(file + ": " + what + " is " + attrs.size() + " bytes, expected at most " + limit
                    + " bytes for a file of this kind");
        }
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // Read through the channel with the bound: the file may have grown since its size was read.
            long size = ch.size();
            if (size > limit) {
                throw error.apply(file + ": " + what + " is " + size + " bytes, expected at most " + limit
                        + " bytes for a file of this kind");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) break;
            }
            bytes = Arrays.copyOf(buf.array(), buf.position());
        } catch (IOException e) {
            throw error.apply(file + ": " + what + " cannot be read: " + e);
        }
        return decodeUtf8(bytes, m -> error.apply(file + ": " + what + " is " + m));
    }

    /**
     * {@code bytes} decoded as UTF-8, refusing malformed input.
     *
     * @param error makes the exception thrown for a message such as "not valid UTF-8: byte 7 starts 1
     *     malformed byte(s)"
     */
    public static CharBuffer decodeUtf8(byte[] bytes, Function<String, ? extends RuntimeException> error) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isUnderflow()) r = decoder.flush(out);
        if (r.isError()) {
            throw error.apply("not valid UTF-8: byte " + in.position() + " starts " + r.length() + " malformed byte(s)");
        }
        return out.flip();
    }

    private static String kind(Path file, BasicFileAttributes attrs) {
        if (attrs.isDirectory()) return "a directory";
        try {
            Object mode = Files.getAttribute(file, "unix:mode");
            int type = ((Integer) mode) & 0170000;
            return switch (type) {
                case 0010000 -> "a named pipe";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "a special file";
        }
    }

    /** Names the kind of a path that is not a regular file, for messages: "a directory", "a named pipe". */
    public static String kindOf(Path file) {
        try {
            return kind(file, Files.readAttributes(file, BasicFileAttributes.class));
        } catch (IOException e) {
            return "nothing readable (" + e + ")";
        }
    }
}
