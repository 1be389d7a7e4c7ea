package dev.gemma4j.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Objects;

/** A weight file as opened: its channel (the mapped inode) and its attributes through its path, to notice a change. */
record OpenFile(Path path, FileChannel channel, long size, FileTime modified, Object fileKey) {

    static OpenFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
            return new OpenFile(path, channel, attrs.size(), attrs.lastModifiedTime(), attrs.fileKey());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Checks that none of {@code files} changed since it was opened: not truncated or grown (the size
     * of the mapped file itself), not rewritten in place (its modification time) and not replaced by
     * another file (the file key of its path).
     *
     * @throws ModelFormatException naming the file and what changed
     */
    static void checkUnchanged(List<OpenFile> files) {
        for (OpenFile f : files) {
            String change;
            try {
                long size = f.channel().size();
                BasicFileAttributes now = Files.readAttributes(f.path(), BasicFileAttributes.class);
                if (size != f.size()) {
                    change = "its size changed from " + f.size() + " to " + size + " bytes";
                } else if (!Objects.equals(now.fileKey(), f.fileKey())) {
                    change = "it was replaced by another file";
                } else if (!now.lastModifiedTime().equals(f.modified())) {
                    change = "it was rewritten (modified " + now.lastModifiedTime() + ", opened at " + f.modified() + ")";
                } else {
                    continue;
                }
            } catch (IOException e) {
                change = "it cannot be read any more (" + e + ")";
            }
            throw new ModelFormatException(f.path() + ": the weight file changed while the model was loaded: " + change
                    + "; its memory-mapped weights cannot be used. Load the model again, or load it with the weights"
                    + " read into memory (--no-mmap, LoadOptions.withMappedWeights(false)) to replace files in place");
        }
    }

    /** Closes every channel; a failure to close a read-only channel is not reported (another error is). */
    static void closeAll(List<OpenFile> files) {
        for (OpenFile f : files) {
            try {
                f.channel().close();
            } catch (IOException ignored) {
                // closing a read-only channel after another failure: that failure is the one reported
            }
        }
    }
}
