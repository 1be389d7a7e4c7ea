package dev.gemma4j.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedSet;
import java.util.function.UnaryOperator;

/**
 * Finds and loads the CUDA driver ({@code libcuda.so.1}) and cuBLAS ({@code libcublas.so.13}, then
 * {@code libcublas.so.12}) for the FFM bindings in {@code dev.gemma4j.cuda.bindings}.
 *
 * <p>Search order for each library, stopping at the first that loads:
 * <ol>
 *   <li>an explicit path: the system property ({@code gemma4j.cuda.lib}, {@code gemma4j.cublas.lib}),
 *       else the environment variable ({@code GEMMA4J_CUDA_LIB}, {@code GEMMA4J_CUBLAS_LIB}); a file,
 *       or a directory holding one of the sonames. When one is given nothing else is searched, and
 *       a path that does not exist or does not load is an error;</li>
 *   <li>the dynamic loader's own search ({@code LD_LIBRARY_PATH}, {@code /etc/ld.so.cache}, the
 *       system directories), by soname;</li>
 *   <li>the usual install locations: {@code $CUDA_HOME}, {@code $CUDA_PATH}, {@code /usr/local/cuda}
 *       and {@code /usr/local/cuda-*}, the distribution's library directories, {@code $CONDA_PREFIX/lib},
 *       and for cuBLAS the NVIDIA wheels in Python environments ({@code nvidia/cu13/lib} from the
 *       {@code nvidia-cublas} 13 wheel, {@code nvidia/cublas/lib} from {@code nvidia-cublas-cu12}).</li>
 * </ol>
 * When nothing loads, the {@link CudaException} lists every place that was tried.
 *
 * <p>cuBLAS needs cuBLASLt of the same release: {@code libcublas.so.N} names {@code libcublasLt.so.N} as a
 * dependency, which the loader finds next to it only when libcublas's RUNPATH holds {@code $ORIGIN}
 * (not every wheel's does). So a cuBLAS loaded by path loads the {@code libcublasLt} of its own folder
 * first, when there is one; the loader then takes that one for the dependency (it matches loaded
 * libraries by soname). {@link Loaded#companions()} says which cuBLASLt was loaded, however it was found.
 *
 * <p>A library is searched for once per process and stays loaded (global arena); the outcome,
 * found or not, is remembered.
 */
@SuppressWarnings("restricted")
public final class CudaLibraries {

    /** The native libraries gemma4j binds. */
    public enum Library {
        DRIVER("CUDA driver", "gemma4j.cuda.lib", "GEMMA4J_CUDA_LIB", List.of("libcuda.so.1"),
                List.of(), null,
                "libcuda.so.1 is installed with the NVIDIA driver; a machine without an NVIDIA GPU has none"),
        CUBLAS("cuBLAS", "gemma4j.cublas.lib", "GEMMA4J_CUBLAS_LIB", List.of("libcublas.so.13", "libcublas.so.12"),
                List.of("nvidia/cu13/lib", "nvidia/cublas/lib"), "Lt",
                "cuBLAS comes with the CUDA toolkit, the libcublas packages, or the Python wheels "
                        + "nvidia-cublas (13) and nvidia-cublas-cu12");

        private final String description;
        private final String property;
        private final String variable;
        private final List<String> sonames;
        private final List<String> pythonSubdirectories;
        /** Inserted before the first ".so" of a file name to name its companion (cuBLASLt); null for none. */
        private final String companionInfix;
        private final String hint;

        Library(String description, String property, String variable, List<String> sonames,
                List<String> pythonSubdirectories, String companionInfix, String hint) {
            this.description = description;
            this.property = property;
            this.variable = variable;
            this.sonames = sonames;
            this.pythonSubdirectories = pythonSubdirectories;
            this.companionInfix = companionInfix;
            this.hint = hint;
        }

        public String description() {
            return description;
        }

        /** System property naming an explicit path (file or directory). */
        public String property() {
            return property;
        }

        /** Environment variable naming an explicit path, read when the property is not set. */
        public String variable() {
            return variable;
        }

        /** File names tried, in order of preference. */
        public List<String> sonames() {
            return sonames;
        }

        /**
         * The file name of the library that {@code fileName} needs from its own folder:
         * {@code libcublasLt.so.13} for {@code libcublas.so.13}; empty for the driver, or a name without ".so".
         */
        Optional<String> companion(String fileName) {
            int so = fileName.indexOf(".so");
            if (companionInfix == null || so < 0) return Optional.empty();
            return Optional.of(fileName.substring(0, so) + companionInfix + fileName.substring(so));
        }
    }

    /**
     * A loaded library.
     *
     * @param file       the soname or path it was loaded by
     * @param origin     how it was found, for messages (for example "dynamic loader search path")
     * @param companions the libraries it needs from its own release (cuBLASLt for cuBLAS) as they were
     *                   loaded: a path, with how it came; empty when there is none
     */
    public record Loaded(Library library, String file, String origin, SymbolLookup symbols, List<String> companions) {
        public Loaded {
            companions = List.copyOf(companions);
        }

        @Override
        public String toString() {
            return file + " (" + origin + ")" + (companions.isEmpty() ? "" : " with " + String.join(", ", companions));
        }
    }

    /** Where the search reads its settings from; tests substitute their own. */
    record Environment(UnaryOperator<String> properties, UnaryOperator<String> variables, Path home) {
        static Environment system() {
            return new Environment(System::getProperty, System::getenv, Path.of(System.getProperty("user.home")));
        }
    }

    private record Outcome(Loaded loaded, CudaException failure) {
    }

    private static final Map<Library, Outcome> OUTCOMES = new EnumMap<>(Library.class);
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle UNAVAILABLE;

    static {
        try {
            UNAVAILABLE = MethodHandles.lookup().findStatic(CudaLibraries.class, "unavailable",
                    MethodType.methodType(CudaException.class, String.class, Throwable.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private CudaLibraries() {
    }

    /**
     * Loads {@code library}, searching as the class comment describes on the first call.
     *
     * @throws CudaException of kind {@link CudaException.Kind#LIBRARY} listing the places tried
     */
    public static Loaded load(Library library) {
        Outcome outcome;
        synchronized (OUTCOMES) {
            outcome = OUTCOMES.computeIfAbsent(library, l -> {
                try {
                    return new Outcome(locate(l, l.sonames(), Environment.system(), Arena.global()), null);
                } catch (CudaException e) {
                    return new Outcome(null, e);
                }
            });
        }
        if (outcome.failure() != null) {
            throw CudaException.library(outcome.failure().getMessage(), outcome.failure());
        }
        return outcome.loaded();
    }

    /** Whether {@code library} has been loaded already; never starts a search. */
    public static boolean isLoaded(Library library) {
        synchronized (OUTCOMES) {
            Outcome outcome = OUTCOMES.get(library);
            return outcome != null && outcome.loaded() != null;
        }
    }

    /**
     * A downcall handle for {@code symbol} in {@code library}. Never throws: when the library or the
     * symbol is missing, the handle has the descriptor's type and throws a {@link CudaException} of
     * kind {@link CudaException.Kind#LIBRARY} each time it is invoked, so that loading a bindings
     * class on a machine without CUDA does not fail.
     */
    public static MethodHandle downcallHandle(Library library, String symbol, FunctionDescriptor descriptor) {
        try {
            Loaded loaded = load(library);
            MemorySegment address = loaded.symbols().find(symbol).orElseThrow(() -> CudaException.library(
                    loaded.library().description() + " " + loaded + " has no symbol " + symbol
                            + (library == Library.DRIVER
                            ? " (the driver predates the CUDA release that added it; cuDriverGetVersion reports its version)"
                            : "")));
            return LINKER.downcallHandle(address, descriptor);
        } catch (CudaException e) {
            MethodType type = descriptor.toMethodType();
            MethodHandle create = MethodHandles.insertArguments(UNAVAILABLE, 0,
                    "cannot call " + symbol + ": " + e.getMessage(), e);
            MethodHandle thrower = MethodHandles.collectArguments(
                    MethodHandles.throwException(type.returnType(), CudaException.class), 0, create);
            return MethodHandles.dropArguments(thrower, 0, type.parameterList());
        }
    }

    private static CudaException unavailable(String message, Throwable cause) {
        return CudaException.library(message, cause);
    }

    /** Searches for the first of {@code sonames} that loads into {@code arena}. */
    static Loaded locate(Library library, List<String> sonames, Environment environment, Arena arena) {
        String names = String.join(", ", sonames);
        List<String> tried = new ArrayList<>();

        String explicit = environment.properties().apply(library.property());
        String source = "system property " + library.property();
        if (isBlank(explicit)) {
            tried.add(source + ": not set");
            explicit = environment.variables().apply(library.variable());
            source = "environment variable " + library.variable();
        }
        if (!isBlank(explicit)) {
            return loadExplicit(library, sonames, source, Path.of(explicit.strip()), arena);
        }
        tried.add(source + ": not set");

        String ldLibraryPath = environment.variables().apply("LD_LIBRARY_PATH");
        for (String soname : sonames) {
            try {
                SymbolLookup symbols = SymbolLookup.libraryLookup(soname, arena);
                return new Loaded(library, soname, "dynamic loader search path", symbols,
                        library.companion(soname).flatMap(CudaLibraries::mapped)
                                .map(path -> List.of(path + " (the loader's choice)")).orElse(List.of()));
            } catch (IllegalArgumentException e) {
                tried.add("dynamic loader search path for " + soname + " (LD_LIBRARY_PATH="
                        + (isBlank(ldLibraryPath) ? "<unset>" : ldLibraryPath)
                        + ", /etc/ld.so.cache, system directories): not found");
            }
        }

        for (Path directory : installDirectories(library, environment)) {
            boolean present = false;
            for (String soname : sonames) {
                Path file = directory.resolve(soname);
                if (!Files.exists(file)) {
                    continue;
                }
                present = true;
                try {
                    return loadWithCompanion(library, file, "install location " + directory, arena);
                } catch (IllegalArgumentException e) {
                    tried.add(file + ": present but does not load (" + e.getMessage() + ")");
                }
            }
            if (!present) {
                tried.add(directory + (Files.isDirectory(directory) ? ": none of " + names : ": no such directory"));
            }
        }
        if (!library.pythonSubdirectories.isEmpty()) {
            tried.add("Python site-packages and dist-packages under " + String.join(", ", pythonPatterns(environment))
                    + " (each searched for " + String.join(", ", library.pythonSubdirectories) + ")");
        }

        StringBuilder message = new StringBuilder()
                .append(library.description()).append(" library not found: none of ").append(names)
                .append(" loaded. Looked in:");
        for (String place : tried) {
            message.append("\n  - ").append(place);
        }
        message.append("\n").append(library.hint).append(". Set the system property ").append(library.property())
                .append(" or the environment variable ").append(library.variable())
                .append(" to the library file (or its directory) to use a specific one.");
        throw CudaException.library(message.toString());
    }

    private static Loaded loadExplicit(Library library, List<String> sonames, String source, Path path, Arena arena) {
        String what = library.description() + " library: " + source + " is " + path;
        if (Files.isDirectory(path)) {
            for (String soname : sonames) {
                Path file = path.resolve(soname);
                if (Files.exists(file)) {
                    return loadFile(file, what, library, source, arena);
                }
            }
            throw CudaException.library(what + ", a directory that holds none of " + String.join(", ", sonames)
                    + "; nothing else was searched because an explicit path was given");
        }
        if (!Files.exists(path)) {
            throw CudaException.library(what + ", which does not exist; nothing else was searched because an "
                    + "explicit path was given");
        }
        return loadFile(path, what, library, source, arena);
    }

    private static Loaded loadFile(Path file, String what, Library library, String source, Arena arena) {
        try {
            return loadWithCompanion(library, file, source, arena);
        } catch (IllegalArgumentException e) {
            throw CudaException.library(what + ", and " + file + " does not load as a shared library ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * Loads {@code file}'s companion from the same folder when it is there, then {@code file}.
     *
     * @throws IllegalArgumentException when either does not load; the message names the file
     */
    private static Loaded loadWithCompanion(Library library, Path file, String origin, Arena arena) {
        List<String> companions = new ArrayList<>();
        Optional<Path> companion = library.companion(file.getFileName().toString()).map(file::resolveSibling)
                .filter(Files::exists);
        if (companion.isPresent()) {
            try {
                SymbolLookup.libraryLookup(companion.get(), arena);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(companion.get() + ", which " + file.getFileName()
                        + " needs, does not load (" + e.getMessage() + ")", e);
            }
            companions.add(companion.get() + " (from the same folder)");
        }
        SymbolLookup symbols = SymbolLookup.libraryLookup(file, arena);
        if (companion.isEmpty()) {
            library.companion(file.getFileName().toString()).flatMap(CudaLibraries::mapped)
                    .ifPresent(path -> companions.add(path + " (the loader's choice)"));
        }
        return new Loaded(library, file.toString(), origin, symbols, companions);
    }

    /**
     * The file mapped into this process whose name starts as {@code fileName} does up to and
     * including ".so" ({@code libcublasLt.so.13} matches {@code libcublasLt.so.13.0.2.14}), from
     * {@code /proc/self/maps}; empty when none is, or the maps cannot be read.
     */
    static Optional<String> mapped(String fileName) {
        int so = fileName.indexOf(".so");
        String prefix = so < 0 ? fileName : fileName.substring(0, so + 3);
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0) continue;
                String path = line.substring(slash);
                if (path.substring(path.lastIndexOf('/') + 1).startsWith(prefix)) return Optional.of(path);
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Install directories searched after the loader, in order, without duplicates. */
    static List<Path> installDirectories(Library library, Environment environment) {
        SequencedSet<Path> directories = new LinkedHashSet<>();
        for (String variable : List.of("CUDA_HOME", "CUDA_PATH")) {
            String root = environment.variables().apply(variable);
            if (!isBlank(root)) {
                directories.add(Path.of(root, "lib64"));
                directories.add(Path.of(root, "targets", "x86_64-linux", "lib"));
            }
        }
        directories.add(Path.of("/usr/local/cuda/lib64"));
        directories.add(Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));
        for (Path versioned : matching(Path.of("/usr/local"), "cuda-*")) {
            directories.add(versioned.resolve("lib64"));
            directories.add(versioned.resolve("targets/x86_64-linux/lib"));
        }
        directories.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        directories.add(Path.of("/usr/lib64"));
        directories.add(Path.of("/usr/lib/wsl/lib"));
        directories.add(Path.of("/usr/local/nvidia/lib64"));
        String conda = environment.variables().apply("CONDA_PREFIX");
        if (!isBlank(conda)) {
            directories.add(Path.of(conda, "lib"));
        }
        for (Path packages : pythonPackageDirectories(environment)) {
            for (String subdirectory : library.pythonSubdirectories) {
                directories.add(packages.resolve(subdirectory));
            }
        }
        return List.copyOf(directories);
    }

    /** Glob patterns of the Python package directories searched (for messages). */
    static List<String> pythonPatterns(Environment environment) {
        List<String> patterns = new ArrayList<>();
        for (PackageRoot root : pythonRoots(environment)) {
            patterns.add(root.parent() + "/python3*/" + String.join("|", root.names()));
        }
        return patterns;
    }

    /** Existing site-packages and dist-packages directories of the Python installations found. */
    static List<Path> pythonPackageDirectories(Environment environment) {
        SequencedSet<Path> found = new LinkedHashSet<>();
        for (PackageRoot root : pythonRoots(environment)) {
            for (Path python : matching(root.parent(), "python3*")) {
                for (String name : root.names()) {
                    Path packages = python.resolve(name);
                    if (Files.isDirectory(packages)) {
                        found.add(packages);
                    }
                }
            }
        }
        return List.copyOf(found);
    }

    /** A {@code lib} directory whose {@code python3*} children hold package directories. */
    private record PackageRoot(Path parent, List<String> names) {
    }

    private static List<PackageRoot> pythonRoots(Environment environment) {
        List<String> sitePackages = List.of("site-packages");
        List<String> both = List.of("site-packages", "dist-packages");
        SequencedSet<PackageRoot> roots = new LinkedHashSet<>();
        for (String variable : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String prefix = environment.variables().apply(variable);
            if (!isBlank(prefix)) {
                roots.add(new PackageRoot(Path.of(prefix, "lib").normalize(), sitePackages));
            }
        }
        String path = environment.variables().apply("PATH");
        if (!isBlank(path)) {
            for (String entry : path.split(":")) {
                if (!entry.isBlank() && Path.of(entry).isAbsolute()) {
                    roots.add(new PackageRoot(Path.of(entry).resolve("../lib").normalize(), both));
                }
            }
        }
        roots.add(new PackageRoot(environment.home().resolve(".local/lib").normalize(), sitePackages));
        roots.add(new PackageRoot(Path.of("/usr/local/lib"), both));
        roots.add(new PackageRoot(Path.of("/usr/lib"), both));
        roots.add(new PackageRoot(Path.of("/opt/conda/lib"), sitePackages));
        return List.copyOf(roots);
    }

    /**
     * Child directories of {@code directory} matching {@code glob}, in reverse name order (cuda-13.0
     * before cuda-12.8). A directory that cannot be listed has no children to search.
     */
    private static List<Path> matching(Path directory, String glob) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Path> matches = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(directory, glob)) {
            for (Path child : children) {
                if (Files.isDirectory(child)) {
                    matches.add(child);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        matches.sort((a, b) -> b.getFileName().toString().compareTo(a.getFileName().toString()));
        return matches;
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
