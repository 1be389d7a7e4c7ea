package dev.gemma4j.testmodels;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A separate process that opens a generation's scratch folder, writes into it and waits to be
 * killed: what an interrupted first use of a test model leaves behind. Args: root, model name.
 */
final class ScratchHolder {
    private ScratchHolder() {}

    public static void main(String[] args) throws Exception {
        TestModels.Scratch scratch = TestModels.Scratch.open(Path.of(args[0]), args[1]);
        Files.write(scratch.folder().resolve("model.safetensors"), new byte[1 << 20]);
        System.out.println("ready " + scratch.folder());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
