package dev.gemma4j.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@SuppressWarnings("restricted")
class CudaLibrariesTest {

    /** A soname no machine has, so that every step of the search is seen to fail. */
    private static final List<String> ABSENT = List.of("libgemma4j-absent.so.1");

    @Test
    void explicitPathThatDoesNotExistIsReportedAndEndsTheSearch(@TempDir Path temp) {
        Path missing = temp.resolve("nowhere/libcuda.so.1");
        var environment = environment(Map.of("gemma4j.cuda.lib", missing.toString()), Map.of(), temp);
        CudaException e = assertThrows(CudaException.class, () -> CudaLibraries.locate(
                CudaLibraries.Library.DRIVER, List.of("libcuda.so.1"), environment, Arena.ofAuto()));
        assertEquals(CudaException.Kind.LIBRARY, e.kind());
        assertEquals("CUDA driver library: system property gemma4j.cuda.lib is " + missing
                + ", which does not exist; nothing else was searched because an explicit path was given", e.getMessage());
    }

    @Test
    void environmentVariableIsReadWhenThePropertyIsUnset(@TempDir Path temp) {
        Path missing = temp.resolve("libcublas.so.13");
        var environment = environment(Map.of(), Map.of("GEMMA4J_CUBLAS_LIB", missing.toString()), temp);
        CudaException e = assertThrows(CudaException.class, () -> CudaLibraries.locate(
                CudaLibraries.Library.CUBLAS, CudaLibraries.Library.CUBLAS.sonames(), environment, Arena.ofAuto()));
        assertTrue(e.getMessage().startsWith("cuBLAS library: environment variable GEMMA4J_CUBLAS_LIB is " + missing
                + ", which does not exist"), e.getMessage());
    }

    @Test
    void explicitDirectoryWithoutTheLibraryIsReported(@TempDir Path temp) {
        var environment = environment(Map.of("gemma4j.cublas.lib", temp.toString()), Map.of(), temp);
        CudaException e = assertThrows(CudaException.class, () -> CudaLibraries.locate(
                CudaLibraries.Library.CUBLAS, CudaLibraries.Library.CUBLAS.sonames(), environment, Arena.ofAuto()));
        assertTrue(e.getMessage().contains(temp + ", a directory that holds none of libcublas.so.13, libcublas.so.12"),
                e.getMessage());
    }

    @Test
    void explicitFileThatIsNotALibraryIsReported(@TempDir Path temp) throws Exception {
        Path junk = Files.writeString(temp.resolve("libcuda.so.1"), "not an ELF file");
        var environment = environment(Map.of("gemma4j.cuda.lib", junk.toString()), Map.of(), temp);
        CudaException e = assertThrows(CudaException.class, () -> CudaLibraries.locate(
                CudaLibraries.Library.DRIVER, List.of("libcuda.so.1"), environment, Arena.ofAuto()));
        assertTrue(e.getMessage().contains(junk + " does not load as a shared library"), e.getMessage());
    }

    @Test
    void failedSearchListsEveryPlaceLooked(@TempDir Path temp) throws Exception {
        Path venvPackages = Files.createDirectories(temp.resolve("venv/lib/python3.12/site-packages"));
        Path cudaHome = temp.resolve("cuda-home");
        var environment = environment(Map.of(), Map.of(
                "CUDA_HOME", cudaHome.toString(),
                "VIRTUAL_ENV", temp.resolve("venv").toString(),
                "LD_LIBRARY_PATH", "/opt/example/lib"), temp);
        CudaException e = assertThrows(CudaException.class, () -> CudaLibraries.locate(
                CudaLibraries.Library.CUBLAS, ABSENT, environment, Arena.ofAuto()));
        String message = e.getMessage();
        System.out.println("failed search message:\n" + message);
        for (String expected : List.of(
                "cuBLAS library not found: none of libgemma4j-absent.so.1 loaded. Looked in:",
                "  - system property gemma4j.cublas.lib: not set",
                "  - environment variable GEMMA4J_CUBLAS_LIB: not set",
                "  - dynamic loader search path for libgemma4j-absent.so.1 (LD_LIBRARY_PATH=/opt/example/lib",
                "  - " + cudaHome.resolve("lib64") + ": no such directory",
                "  - /usr/local/cuda/lib64",
                "  - /usr/local/cuda/targets/x86_64-linux/lib",
                "  - /usr/lib/x86_64-linux-gnu",
                "  - /usr/lib64",
                "  - " + venvPackages.resolve("nvidia/cu13/lib") + ": no such directory",
                "  - " + venvPackages.resolve("nvidia/cublas/lib") + ": no such directory",
                "Python site-packages and dist-packages under " + temp.resolve("venv/lib") + "/python3*/site-packages",
                "Set the system property gemma4j.cublas.lib or the environment variable GEMMA4J_CUBLAS_LIB")) {
            assertTrue(message.contains(expected), "missing '" + expected + "' in:\n" + message);
        }
    }

    /** The real driver search on a machine without one: the message a user sees. */
    @Test
    void missingDriverIsReportedWithThePlacesLooked() {
        Optional<CudaException> failure = failure(CudaLibraries.Library.DRIVER);
        assumeTrue(failure.isPresent(), () -> skipped("libcuda.so.1 loads on this machine"));
        String message = failure.get().getMessage();
        System.out.println("no driver here:\n" + message);
        for (String expected : List.of("CUDA driver library not found: none of libcuda.so.1 loaded",
                "system property gemma4j.cuda.lib: not set", "environment variable GEMMA4J_CUDA_LIB",
                "dynamic loader search path for libcuda.so.1", "/usr/lib/x86_64-linux-gnu", "/usr/local/cuda/lib64",
                "installed with the NVIDIA driver")) {
            assertTrue(message.contains(expected), "missing '" + expected + "' in:\n" + message);
        }
        assertTrue(!CudaLibraries.isLoaded(CudaLibraries.Library.DRIVER));
    }

    /** A library in a Python wheel's layout is found and its symbols are callable. */
    @Test
    void libraryInAPythonWheelLayoutIsFoundAndLoads(@TempDir Path temp) throws Throwable {
        Path lib = Files.createDirectories(temp.resolve("venv/lib/python3.12/site-packages/nvidia/cu13/lib"));
        Path probe = buildProbeLibrary(temp, lib.resolve("libgemma4j-probe.so.13"));
        var environment = environment(Map.of(), Map.of("VIRTUAL_ENV", temp.resolve("venv").toString()), temp);
        try (Arena arena = Arena.ofConfined()) {
            CudaLibraries.Loaded loaded = CudaLibraries.locate(CudaLibraries.Library.CUBLAS,
                    List.of("libgemma4j-probe.so.13"), environment, arena);
            assertEquals(probe.toString(), loaded.file());
            assertEquals("install location " + lib, loaded.origin());
            assertEquals(4242, callProbe(loaded));
        }
    }

    /**
     * cuBLAS in a wheel's layout whose RUNPATH lacks $ORIGIN: on its own it does not load (the loader
     * cannot find its cuBLASLt), loaded by the search it does, its cuBLASLt taken from its own folder
     * and reported.
     */
    @Test
    void cublasLoadsTheCuBlasLtOfItsOwnFolderFirst(@TempDir Path temp) throws Throwable {
        Path lib = Files.createDirectories(temp.resolve("venv/lib/python3.12/site-packages/nvidia/cublas/lib"));
        Path lt = buildLibrary(temp, lib.resolve("libgemma4j-probeLt.so.13"), "int gemma4j_probe_lt(void) { return 4200; }\n");
        Path probe = buildLibrary(temp, lib.resolve("libgemma4j-probe.so.13"),
                "int gemma4j_probe_lt(void);\nint gemma4j_probe(void) { return gemma4j_probe_lt() + 42; }\n",
                "-L" + lib, "-l:" + lt.getFileName());
        assertEquals(Optional.of("libgemma4j-probeLt.so.13"),
                CudaLibraries.Library.CUBLAS.companion(probe.getFileName().toString()));
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException alone = assertThrows(IllegalArgumentException.class,
                    () -> java.lang.foreign.SymbolLookup.libraryLookup(probe, arena));
            System.out.println("without its cuBLASLt loaded first: " + alone.getMessage());
        }
        var environment = environment(Map.of(), Map.of("VIRTUAL_ENV", temp.resolve("venv").toString()), temp);
        try (Arena arena = Arena.ofConfined()) {
            CudaLibraries.Loaded loaded = CudaLibraries.locate(CudaLibraries.Library.CUBLAS,
                    List.of(probe.getFileName().toString()), environment, arena);
            System.out.println("loaded: " + loaded);
            assertEquals(probe.toString(), loaded.file());
            assertEquals(List.of(lt + " (from the same folder)"), loaded.companions());
            assertEquals(Optional.of(lt.toString()), CudaLibraries.mapped(lt.getFileName().toString()));
            assertTrue(loaded.toString().endsWith(" with " + lt + " (from the same folder)"), loaded.toString());
            assertEquals(4242, callProbe(loaded));
        }
    }

    @Test
    void theDriverHasNoCompanion() {
        assertEquals(Optional.empty(), CudaLibraries.Library.DRIVER.companion("libcuda.so.1"));
        assertEquals(Optional.of("libcublasLt.so.12"), CudaLibraries.Library.CUBLAS.companion("libcublas.so.12"));
    }

    /** An explicit path wins over every other place. */
    @Test
    void explicitFileLoads(@TempDir Path temp) throws Throwable {
        Path probe = buildProbeLibrary(temp, temp.resolve("custom/libprobe.so"));
        var environment = environment(Map.of(), Map.of("GEMMA4J_CUDA_LIB", probe.toString()), temp);
        try (Arena arena = Arena.ofConfined()) {
            CudaLibraries.Loaded loaded = CudaLibraries.locate(CudaLibraries.Library.DRIVER,
                    List.of("libcuda.so.1"), environment, arena);
            assertEquals("environment variable GEMMA4J_CUDA_LIB", loaded.origin());
            assertEquals(4242, callProbe(loaded));
        }
    }

    @Test
    void missingLibraryGivesAHandleThatThrowsOnUse() throws Throwable {
        Optional<CudaException> failure = failure(CudaLibraries.Library.DRIVER);
        assumeTrue(failure.isPresent(), () -> skipped("libcuda.so.1 loads on this machine"));
        FunctionDescriptor descriptor = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG);
        MethodHandle handle = CudaLibraries.downcallHandle(CudaLibraries.Library.DRIVER, "cuMemAlloc_v2", descriptor);
        assertEquals(descriptor.toMethodType(), handle.type());
        CudaException e = assertThrows(CudaException.class,
                () -> { int ignored = (int) handle.invokeExact(java.lang.foreign.MemorySegment.NULL, 16L); });
        assertTrue(e.getMessage().startsWith("cannot call cuMemAlloc_v2: CUDA driver library not found"),
                e.getMessage());
    }

    private static Optional<CudaException> failure(CudaLibraries.Library library) {
        try {
            CudaLibraries.load(library);
            return Optional.empty();
        } catch (CudaException e) {
            return Optional.of(e);
        }
    }

    private static CudaLibraries.Environment environment(Map<String, String> properties, Map<String, String> variables,
                                                         Path home) {
        return new CudaLibraries.Environment(properties::get, variables::get, home);
    }

    /** Compiles a shared library exporting {@code int gemma4j_probe(void)} returning 4242. */
    private static Path buildProbeLibrary(Path work, Path output) throws Exception {
        return buildLibrary(work, output, "int gemma4j_probe(void) { return 4242; }\n");
    }

    /**
     * Compiles {@code code} into the shared library {@code output}, its soname its file name, no
     * RUNPATH; {@code linkArguments} come after the source (libraries it needs).
     */
    private static Path buildLibrary(Path work, Path output, String code, String... linkArguments) throws Exception {
        Optional<String> gcc = NativeHeadersCompileTest.onPath("gcc");
        assumeTrue(gcc.isPresent(), () -> skipped("no gcc on PATH to build a probe library"));
        Files.createDirectories(output.getParent());
        Path source = Files.writeString(work.resolve(output.getFileName() + ".c"), code);
        List<String> command = new java.util.ArrayList<>(List.of(gcc.get(), "-shared", "-fPIC",
                "-Wl,-soname," + output.getFileName(), "-o", output.toString(), source.toString()));
        command.addAll(List.of(linkArguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "gcc failed:\n" + log);
        return output;
    }

    private static int callProbe(CudaLibraries.Loaded loaded) throws Throwable {
        MethodHandle probe = Linker.nativeLinker().downcallHandle(
                loaded.symbols().findOrThrow("gemma4j_probe"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        return (int) probe.invokeExact();
    }

    private static String skipped(String reason) {
        String message = "skipped: " + reason;
        System.out.println(message);
        return message;
    }
}
