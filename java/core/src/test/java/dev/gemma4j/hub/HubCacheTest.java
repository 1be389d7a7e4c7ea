package dev.gemma4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model named {@code owner/name} is found in a Hugging Face cache laid out as huggingface_hub lays
 * it out: blobs, a snapshot of symbolic links to them, and refs/main naming the snapshot.
 */
class HubCacheTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;

    /** Copies tiny-mqa into {@code cache} as huggingface_hub stores google/gemma-test. */
    private Path layOut(Path cache, boolean withRef) throws IOException {
        Path repo = cache.resolve("models--google--gemma-test");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        try (var files = Files.list(TestModels.resolve("tiny-mqa"))) {
            int i = 0;
            for (Path f : files.toList()) {
                Path blob = Files.copy(f, blobs.resolve("blob" + i++));
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()), Path.of("../../blobs").resolve(blob.getFileName()));
            }
        }
        if (withRef) Files.writeString(Files.createDirectories(repo.resolve("refs")).resolve("main"), COMMIT);
        return snapshot;
    }

    @Test
    void findsTheSnapshotThatRefsMainNames() throws IOException {
        Path cache = tmp.resolve("hub");
        Path snapshot = layOut(cache, true);
        Files.createDirectories(snapshot.resolveSibling("ffffffffffffffffffffffffffffffffffffffff"));   // an older one
        assertEquals(snapshot, HubCache.resolve("google/gemma-test", cache));
        try (Checkpoint cp = Checkpoint.open(HubCache.resolve("google/gemma-test", cache))) {
            assertEquals(TestModels.preset("tiny-mqa", dev.gemma4j.model.DType.F32).config(), cp.config());
        }
    }

    @Test
    void withoutRefsMainTheOnlySnapshotIsTaken() throws IOException {
        Path cache = tmp.resolve("hub");
        Path snapshot = layOut(cache, false);
        assertEquals(snapshot, HubCache.resolve("google/gemma-test", cache));
        Files.createDirectories(snapshot.resolveSibling("ffffffffffffffffffffffffffffffffffffffff"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HubCache.resolve("google/gemma-test", cache));
        assertTrue(e.getMessage().contains("2 snapshots"), e.getMessage());
    }

    @Test
    void aMissingModelSaysWhereItLookedAndHowToGetIt() {
        Path cache = tmp.resolve("hub");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HubCache.resolve("google/gemma-2b-it", cache));
        assertTrue(e.getMessage().contains(cache.resolve("models--google--gemma-2b-it").toString())
                && e.getMessage().contains("hf download google/gemma-2b-it"), e.getMessage());
    }

    @Test
    void theCacheFolderFollowsHuggingFaceHub() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/c/hub"), HubCache.cacheRoot(Map.of("HF_HUB_CACHE", "/c/hub", "HF_HOME", "/h"), home));
        assertEquals(Path.of("/h/hub"), HubCache.cacheRoot(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/x/huggingface/hub"), HubCache.cacheRoot(Map.of("XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HubCache.cacheRoot(Map.of(), home));
        assertTrue(HubCache.isRepoId("google/gemma-2b-it"));
        assertFalse(HubCache.isRepoId("/models/gemma"));
        assertFalse(HubCache.isRepoId("a/b/c"));
        assertFalse(HubCache.isRepoId("../x"));
        assertFalse(HubCache.isRepoId("tiny-mqa"));
    }
}
