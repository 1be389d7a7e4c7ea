package dev.gemma4j.cpu;

/**
 * The CPU backend's matrix products use the Vector API, an incubator module that the JVM loads on the class path
 * only when asked: without it the first use fails with a bare NoClassDefFoundError far from the cause. The CPU
 * backend's constructor, and callers of the measurements (FmaPeak, MemoryBandwidth: their classes fail to link
 * without the module), call {@link #require} first; this class itself touches no Vector API type.
 */
public final class VectorModule {
    private VectorModule() {}

    /** @throws IllegalStateException naming the missing JVM option, when jdk.incubator.vector is not loaded */
    public static void require(String what) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException(what + " needs the Vector API: expected the JVM option"
                    + " --add-modules jdk.incubator.vector, found the module jdk.incubator.vector not loaded"
                    + " (add the option to the java command, or to the surefire/exec plugin's argLine;"
                    + " on the module path, requiring the module dev.gemma4j loads it)");
        }
    }
}
