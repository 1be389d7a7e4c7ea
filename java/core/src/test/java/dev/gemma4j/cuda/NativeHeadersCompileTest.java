package dev.gemma4j.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SequencedSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Compiles the declarations in {@code native/} against NVIDIA's own headers with gcc, so that any
 * prototype, typedef or constant that disagrees with them fails the build.
 *
 * <p>For each header a C file is generated that includes the official header and then, for every
 * declaration of ours: a {@code #error} if the function name is a macro there (cuda.h maps
 * cuMemAlloc to cuMemAlloc_v2: ours must name the symbol itself); a {@code _Static_assert} that the
 * official function's type equals our prototype (this also fails when the official header does not
 * declare the name); our prototype again, which gcc rejects as "conflicting types" on any
 * difference; a {@code _Static_assert} per typedef and per constant value.
 */
class NativeHeadersCompileTest {

    private static String gcc;

    @BeforeAll
    static void findCompiler() {
        gcc = onPath("gcc").orElse(null);
    }

    @Test
    void headersCompileOnTheirOwnAndTogether(@TempDir Path work) throws Exception {
        assumeCompiler();
        Path both = work.resolve("both.c");
        Files.writeString(both, "#include \"gemma4j_cuda.h\"\n#include \"gemma4j_cublas.h\"\n");
        for (Path source : List.of(NativeHeader.nativeDirectory().resolve("gemma4j_cuda.h"),
                NativeHeader.nativeDirectory().resolve("gemma4j_cublas.h"), both)) {
            Compilation result = compile(source, List.of(NativeHeader.nativeDirectory()),
                    List.of("-Wall", "-Wextra", "-pedantic", "-Werror"));
            assertTrue(result.ok(), source.getFileName() + " does not compile as strict C11:\n" + result.output());
        }
    }

    @Test
    void driverHeaderAgreesWithCudaH(@TempDir Path work) throws Exception {
        assumeCompiler();
        List<Path> searched = cudaIncludeDirectories();
        Optional<Path> cudaH = firstContaining(searched, "cuda.h");
        assumeTrue(cudaH.isPresent(), () -> skip("no cuda.h in " + searched));
        NativeHeader ours = NativeHeader.driver();
        Path check = work.resolve("check_cuda.c");
        Files.writeString(check, checkSource("#include <cuda.h>", ours, name -> true, true));
        Compilation result = compile(check, List.of(cudaH.get()), List.of());
        assertTrue(result.ok(), "native/gemma4j_cuda.h disagrees with " + cudaH.get().resolve("cuda.h") + ":\n"
                + result.output() + "\ngenerated check: " + check);
        System.out.printf("gemma4j_cuda.h agrees with %s: %d functions, %d typedefs, %d constants%n",
                cudaH.get().resolve("cuda.h"), ours.functions().size(), ours.typedefs().size(),
                ours.constants().size());
    }

    @Test
    void cublasHeaderAgreesWithCublasApiH(@TempDir Path work) throws Exception {
        assumeCompiler();
        List<Path> searched = cublasIncludeDirectories();
        Optional<Path> cublasApi = firstContaining(searched, "cublas_api.h");
        assumeTrue(cublasApi.isPresent(), () -> skip("no cublas_api.h in " + searched
                + "; the cuBLAS prototypes are checked where the toolkit's or a wheel's headers are installed"));
        // cublas_api.h includes driver_types.h, cuComplex.h, cuda_fp16.h and library_types.h.
        List<Path> includes = new ArrayList<>(List.of(cublasApi.get()));
        firstContaining(cudaIncludeDirectories(), "driver_types.h").ifPresent(includes::add);
        NativeHeader ours = NativeHeader.cublas();
        Path check = work.resolve("check_cublas.c");
        Files.writeString(check, checkSource("#define CUBLASAPI\n#include <cublas_api.h>", ours, name -> true, true));
        Compilation result = compile(check, includes, List.of());
        assertTrue(result.ok(), "native/gemma4j_cublas.h disagrees with " + cublasApi.get().resolve("cublas_api.h")
                + ":\n" + result.output() + "\ngenerated check: " + check);
        System.out.printf("gemma4j_cublas.h agrees with %s: %d functions, %d typedefs, %d constants%n",
                cublasApi.get().resolve("cublas_api.h"), ours.functions().size(), ours.typedefs().size(),
                ours.constants().size());
    }

    /** cudaDataType and cudaStream_t come from library_types.h and driver_types.h, present without cuBLAS. */
    @Test
    void cublasRuntimeTypesAgreeWithLibraryTypesH(@TempDir Path work) throws Exception {
        assumeCompiler();
        List<Path> searched = cudaIncludeDirectories();
        Optional<Path> include = firstContaining(searched, "library_types.h");
        assumeTrue(include.isPresent() && Files.exists(include.get().resolve("driver_types.h")),
                () -> skip("no library_types.h with driver_types.h in " + searched));
        NativeHeader ours = NativeHeader.cublas();
        Predicate<String> runtimeTypes = name -> name.equals("cudaDataType") || name.equals("cudaStream_t");
        Path check = work.resolve("check_library_types.c");
        Files.writeString(check, checkSource("#include <driver_types.h>\n#include <library_types.h>", ours,
                runtimeTypes, false));
        Compilation result = compile(check, List.of(include.get()), List.of());
        assertTrue(result.ok(), "cudaDataType or cudaStream_t in native/gemma4j_cublas.h disagrees with "
                + include.get() + ":\n" + result.output() + "\ngenerated check: " + check);
        long constants = ours.constants().stream().filter(c -> runtimeTypes.test(c.enumTypedef())).count();
        assertEquals(3, constants, "CUDA_R_32F, CUDA_R_16F, CUDA_R_16BF");
    }

    /** The generated check must reject a wrong parameter type, a wrong constant and a macro name. */
    @Test
    void checkRejectsDeclarationsThatDisagree(@TempDir Path work) throws Exception {
        assumeCompiler();
        List<Path> searched = cudaIncludeDirectories();
        Optional<Path> cudaH = firstContaining(searched, "cuda.h");
        assumeTrue(cudaH.isPresent(), () -> skip("no cuda.h in " + searched));
        String original = Files.readString(NativeHeader.nativeDirectory().resolve("gemma4j_cuda.h"));
        List<String[]> mutations = List.of(
                new String[]{"CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);",
                        "CUresult cuMemAlloc_v2(CUdeviceptr *dptr, unsigned int bytesize);", "cuMemAlloc_v2"},
                new String[]{"CUDA_ERROR_OUT_OF_MEMORY = 2,", "CUDA_ERROR_OUT_OF_MEMORY = 3,",
                        "CUDA_ERROR_OUT_OF_MEMORY"},
                new String[]{"CUresult cuEventElapsedTime_v2(", "CUresult cuEventElapsedTime(",
                        "cuEventElapsedTime"},
                new String[]{"typedef CUdeviceptr_v2 CUdeviceptr;", "typedef int CUdeviceptr;", "CUdeviceptr"});
        for (String[] mutation : mutations) {
            assertTrue(original.contains(mutation[0]), "gemma4j_cuda.h no longer contains: " + mutation[0]);
            NativeHeader wrong = NativeHeader.parse(Path.of("gemma4j_cuda.h"), original.replace(mutation[0], mutation[1]));
            Path check = work.resolve("wrong.c");
            Files.writeString(check, checkSource("#include <cuda.h>", wrong, name -> true, true));
            Compilation result = compile(check, List.of(cudaH.get()), List.of());
            assertTrue(!result.ok() && result.output().contains(mutation[2]),
                    "the check accepted '" + mutation[1] + "' or did not name " + mutation[2] + ":\n"
                            + result.output());
        }
    }

    /**
     * C source checking {@code ours} against the official header pulled in by {@code include}: the
     * typedefs that {@code typedefs} accepts with their enumerators, and every function when
     * {@code functions} is set.
     */
    static String checkSource(String include, NativeHeader ours, Predicate<String> typedefs, boolean functions) {
        String file = ours.file().getFileName().toString();
        StringBuilder c = new StringBuilder();
        c.append("/* Generated by NativeHeadersCompileTest from ").append(file).append(". */\n");
        c.append(include).append("\n\n");
        for (NativeHeader.Typedef t : ours.typedefs().values()) {
            if (!typedefs.test(t.name())) {
                continue;
            }
            String where = file + ":" + t.line() + ": typedef " + t.name();
            if (t.isEnum() && t.enumTag() == null) {
                // An anonymous enum cannot be named; its size must still be that of int.
                c.append("_Static_assert(sizeof(").append(t.name()).append(") == sizeof(int), \"")
                        .append(where).append(" is not int-sized in the official header\");\n");
            } else {
                c.append("_Static_assert(__builtin_types_compatible_p(").append(t.name()).append(", ")
                        .append(t.target()).append("), \"").append(where).append(" is not ").append(t.target())
                        .append(" in the official header\");\n");
            }
        }
        for (NativeHeader.Constant k : ours.constants()) {
            if (!typedefs.test(k.enumTypedef())) {
                continue;
            }
            c.append("_Static_assert(").append(k.name()).append(" == ").append(k.value()).append(", \"")
                    .append(file).append(":").append(k.line()).append(": ").append(k.name()).append(" = ")
                    .append(k.value()).append(" differs from the official header\");\n");
        }
        if (functions) {
            for (NativeHeader.Function f : ours.functions()) {
                String where = file + ":" + f.line() + ": " + f.name();
                c.append("#ifdef ").append(f.name()).append("\n#error \"").append(where)
                        .append(" is a macro in the official header: declare the symbol it expands to\"\n#endif\n");
                StringBuilder pointerType = new StringBuilder(f.returnType()).append(" (*)(");
                if (f.parameters().isEmpty()) {
                    pointerType.append("void");
                }
                for (int i = 0; i < f.parameters().size(); i++) {
                    NativeHeader.Parameter p = f.parameters().get(i);
                    pointerType.append(i == 0 ? "" : ", ").append(p.type()).append(' ').append(p.name());
                }
                pointerType.append(')');
                c.append("_Static_assert(__builtin_types_compatible_p(__typeof__(&").append(f.name()).append("), ")
                        .append(pointerType).append("), \"").append(where)
                        .append(" has another type in the official header\");\n");
                c.append(f.declaration()).append(";\n");
            }
        }
        return c.toString();
    }

    record Compilation(boolean ok, String output) {
    }

    private static Compilation compile(Path source, List<Path> includes, List<String> flags)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(gcc, "-std=c11", "-fsyntax-only", "-x", "c"));
        command.addAll(flags);
        for (Path include : includes) {
            command.add("-I" + include);
        }
        command.add(source.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "gcc did not finish within 60 s: " + command);
        return new Compilation(process.exitValue() == 0, String.join(" ", command) + "\n" + output);
    }

    private static void assumeCompiler() {
        assumeTrue(gcc != null, () -> skip("no gcc on PATH"));
    }

    private static String skip(String reason) {
        String message = "skipped: " + reason;
        System.out.println(message);
        return message;
    }

    /** Where cuda.h, driver_types.h and library_types.h may be, most specific first. */
    static List<Path> cudaIncludeDirectories() {
        SequencedSet<Path> directories = new LinkedHashSet<>();
        for (String variable : List.of("CUDA_HOME", "CUDA_PATH")) {
            String root = System.getenv(variable);
            if (root != null && !root.isBlank()) {
                directories.add(Path.of(root, "include"));
            }
        }
        directories.add(Path.of("/usr/local/cuda/include"));
        directories.add(Path.of("/usr/include"));
        var environment = CudaLibraries.Environment.system();
        for (Path packages : CudaLibraries.pythonPackageDirectories(environment)) {
            directories.add(packages.resolve("nvidia/cu13/include"));
            directories.add(packages.resolve("nvidia/cuda_runtime/include"));
        }
        return List.copyOf(directories);
    }

    /** Where cublas_api.h may be: the toolkit, then the cuBLAS wheels' include folders. */
    static List<Path> cublasIncludeDirectories() {
        SequencedSet<Path> directories = new LinkedHashSet<>(cudaIncludeDirectories());
        for (Path packages : CudaLibraries.pythonPackageDirectories(CudaLibraries.Environment.system())) {
            directories.add(packages.resolve("nvidia/cublas/include"));
        }
        return List.copyOf(directories);
    }

    private static Optional<Path> firstContaining(List<Path> directories, String file) {
        return directories.stream().filter(d -> Files.isRegularFile(d.resolve(file))).findFirst();
    }

    static Optional<String> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String entry : path.split(":")) {
            Path candidate = Path.of(entry.isEmpty() ? "." : entry, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }
}
