package dev.gemma4j.hub;

import dev.gemma4j.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds a model named as on the Hugging Face Hub ({@code google/gemma-2b-it}) in the local Hugging
 * Face cache, as {@code huggingface_hub} lays it out, without any network:
 * {@code <cache>/models--google--gemma-2b-it/snapshots/<commit>/}, the commit named by
 * {@code refs/main}. The cache is {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 * {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}.
 */
public final class HubCache {
    private HubCache() {}

    /** A Hub model id: an owner and a name, each of letters, digits, '-', '_' and '.'. */
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");

    /** True when {@code text} has the form of a Hub model id ({@code owner/name}). */
    public static boolean isRepoId(String text) {
        return REPO_ID.matcher(text).matches() && !text.contains("..");
    }

    /** The cache folder for this process's environment and home. */
    public static Path cacheRoot(Map<String, String> env, Path home) {
        String hub = env.get("HF_HUB_CACHE");
        if (hub != null && !hub.isBlank()) return Path.of(hub);
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) return Path.of(hfHome, "hub");
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "huggingface", "hub");
        return home.resolve(".cache").resolve("huggingface").resolve("hub");
    }

    /** {@link #resolve(String, Path)} in this process's cache. */
    public static Path resolve(String repoId) {
        return resolve(repoId, cacheRoot(System.getenv(), Path.of(System.getProperty("user.home"))));
    }

    /**
     * The snapshot folder of {@code repoId} in {@code cacheRoot}: the one {@code refs/main} names, or the
     * only snapshot when there is no {@code refs/main}.
     *
     * @throws ModelFormatException saying where it looked and how to download the model when it is not
     *     there, or which snapshots exist when none is marked as main
     */
    public static Path resolve(String repoId, Path cacheRoot) {
        Path repo = cacheRoot.resolve("models--" + repoId.replace("/", "--"));
        String download = "; download it with `hf download " + repoId + "` (or `huggingface-cli download " + repoId
                + "`), or pass the model folder's path";
        if (!Files.isDirectory(repo)) {
            throw new ModelFormatException("model '" + repoId + "' is not in the Hugging Face cache: no folder " + repo
                    + " (the cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)" + download);
        }
        Path snapshots = repo.resolve("snapshots");
        Path ref = repo.resolve("refs").resolve("main");
        Path snapshot;
        try {
            if (Files.isRegularFile(ref)) {
                String commit = Files.readString(ref).strip();
                snapshot = snapshots.resolve(commit);
                if (commit.isEmpty() || commit.contains("/") || !Files.isDirectory(snapshot)) {
                    throw new ModelFormatException(ref + " names commit '" + commit + "', but " + snapshots
                            + " has no such snapshot" + download);
                }
            } else {
                List<Path> all;
                try (Stream<Path> s = Files.isDirectory(snapshots) ? Files.list(snapshots) : Stream.empty()) {
                    all = s.filter(Files::isDirectory).sorted().toList();
                }
                if (all.size() != 1) {
                    throw new ModelFormatException("model '" + repoId + "' in the Hugging Face cache has no " + ref
                            + " and " + (all.isEmpty() ? "no snapshot" : all.size() + " snapshots "
                                    + all.stream().map(p -> p.getFileName().toString()).toList())
                            + " in " + snapshots + "; pass the snapshot folder's path" + (all.isEmpty() ? download : ""));
                }
                snapshot = all.getFirst();
            }
        } catch (IOException e) {
            throw new ModelFormatException(repo + ": the Hugging Face cache entry cannot be read: " + e, e);
        }
        return snapshot;
    }
}
