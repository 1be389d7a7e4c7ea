package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cublas_h;
import dev.gemma4j.cuda.bindings.cuda_h;
import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Keeps the bindings classes in step with the headers in {@code native/}, both ways: every declared
 * function, constant and typedef has its binding with the C types mapped as jextract maps them, and
 * every public binding member is declared in the header.
 */
class BindingsMatchHeadersTest {

    @Test
    void cudaBindingsMatchGemma4jCudaH() throws Exception {
        assertInStep(NativeHeader.driver(), cuda_h.class);
    }

    @Test
    void cublasBindingsMatchGemma4jCublasH() throws Exception {
        assertInStep(NativeHeader.cublas(), cublas_h.class);
    }

    /** native/README.md's jextract commands must include exactly the declared functions. */
    @Test
    void readmeJextractCommandsListEveryFunction() throws Exception {
        String readme = Files.readString(NativeHeader.nativeDirectory().resolve("README.md"));
        Set<String> listed = new TreeSet<>();
        Matcher matcher = Pattern.compile("--include-function (\\w+)").matcher(readme);
        while (matcher.find()) {
            assertTrue(listed.add(matcher.group(1)), "listed twice in native/README.md: " + matcher.group(1));
        }
        Set<String> declared = new TreeSet<>();
        NativeHeader.driver().functions().forEach(f -> declared.add(f.name()));
        NativeHeader.cublas().functions().forEach(f -> declared.add(f.name()));
        assertEquals(declared, listed, "--include-function names in native/README.md");
    }

    /** The comparison must notice a changed parameter type, an extra function and a missing constant. */
    @Test
    void comparisonNoticesDifferences() throws Exception {
        String source = Files.readString(NativeHeader.driver().file());
        String changed = source
                .replace("CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);",
                        "CUresult cuMemAlloc_v2(CUdeviceptr *dptr, float bytesize);\nCUresult cuCtxGetDevice(CUdevice *device);")
                .replace("    CU_EVENT_DISABLE_TIMING = 0x2\n", "    CU_EVENT_DISABLE_TIMING = 0x3\n")
                .replace("    CU_STREAM_CAPTURE_MODE_RELAXED = 2\n", "")
                .replace("CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,", "CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1");
        assertTrue(!changed.equals(source), "the mutations no longer apply to gemma4j_cuda.h");
        List<String> problems = problems(NativeHeader.parse(Path.of("gemma4j_cuda.h"), changed), cuda_h.class);
        String all = String.join("\n", problems);
        for (String expected : List.of("cuMemAlloc_v2: parameters", "cuMemAlloc_v2: descriptor",
                "cuCtxGetDevice: expected one binding method", "CU_EVENT_DISABLE_TIMING: binding returns 2",
                "CU_STREAM_CAPTURE_MODE_RELAXED: public binding method with no declaration")) {
            assertTrue(all.contains(expected), "missing '" + expected + "' in:\n" + all);
        }
    }

    @Test
    void bindingsLoadWithoutTheLibraryAndCallsSayWhatIsMissing() {
        boolean driverPresent = loads(CudaLibraries.Library.DRIVER);
        assumeFalse(driverPresent, () -> skipped("libcuda.so.1 loads here, so the missing-library path cannot be seen"));
        // Class loading and descriptors work with no driver; only a call fails.
        assertEquals(List.of(cuda_h.C_INT), cuda_h.cuInit$descriptor().argumentLayouts());
        CudaException e = assertThrows(CudaException.class, () -> cuda_h.cuInit(0));
        assertEquals(CudaException.Kind.LIBRARY, e.kind());
        assertTrue(e.getMessage().startsWith("cannot call cuInit: CUDA driver library not found"), e.getMessage());
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
        // A second call fails the same way, with a fresh exception.
        CudaException again = assertThrows(CudaException.class, () -> cuda_h.cuInit(0));
        assertEquals(e.getMessage(), again.getMessage());
        assertTrue(e != again, "each failed call throws its own exception");
        System.out.println("cuda_h.cuInit without a driver: " + e.getMessage().lines().findFirst().orElseThrow());
    }

    private static void assertInStep(NativeHeader header, Class<?> bindings) throws Exception {
        String where = header.file().getFileName() + " vs " + bindings.getSimpleName();
        List<String> problems = problems(header, bindings);
        assertTrue(problems.isEmpty(), where + ":\n  " + String.join("\n  ", problems));
        assertTrue(!header.functions().isEmpty() && !header.constants().isEmpty(), where + ": nothing was compared");
        System.out.printf("%s: %d functions, %d constants, %d typedefs in step%n", where, header.functions().size(),
                header.constants().size(), header.typedefs().size());
    }

    /** Every difference between {@code header} and {@code bindings}, one line each. */
    private static List<String> problems(NativeHeader header, Class<?> bindings) throws Exception {
        List<String> problems = new ArrayList<>();
        List<Method> methods = Arrays.stream(bindings.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()))
                .toList();

        Set<String> functionNames = new TreeSet<>();
        for (NativeHeader.Function function : header.functions()) {
            functionNames.add(function.name());
            List<Method> named = methods.stream().filter(m -> m.getName().equals(function.name())).toList();
            if (named.size() != 1) {
                problems.add(function.name() + ": expected one binding method, found " + named.size());
                continue;
            }
            Method method = named.getFirst();
            List<Class<?>> expected = function.parameters().stream()
                    .<Class<?>>map(p -> header.kindOf(p.type()).carrier).toList();
            List<Class<?>> actual = Arrays.asList(method.getParameterTypes());
            if (!actual.equals(expected)) {
                problems.add(function.name() + ": parameters " + actual
                        + ", header (" + function.declaration() + ") needs " + expected);
            }
            Class<?> returnCarrier = header.kindOf(function.returnType()).carrier;
            if (method.getReturnType() != returnCarrier) {
                problems.add(function.name() + ": returns " + method.getReturnType() + ", header needs "
                        + returnCarrier);
            }
            FunctionDescriptor descriptor = (FunctionDescriptor) bindings
                    .getMethod(function.name() + "$descriptor").invoke(null);
            List<MemoryLayout> layouts = new ArrayList<>();
            for (NativeHeader.Parameter p : function.parameters()) {
                layouts.add(layout(bindings, header.kindOf(p.type()), problems));
            }
            MemoryLayout returnLayout = layout(bindings, header.kindOf(function.returnType()), problems);
            if (!descriptor.argumentLayouts().equals(layouts)
                    || !descriptor.returnLayout().equals(Optional.of(returnLayout))) {
                problems.add(function.name() + ": descriptor " + descriptor + ", header needs " + layouts
                        + " returning " + returnLayout);
            }
            MethodHandle handle = (MethodHandle) bindings.getMethod(function.name() + "$handle").invoke(null);
            if (!handle.type().equals(descriptor.toMethodType())) {
                problems.add(function.name() + ": handle type " + handle.type() + " is not " + descriptor.toMethodType());
            }
        }

        Set<String> constantNames = new TreeSet<>();
        for (NativeHeader.Constant constant : header.constants()) {
            constantNames.add(constant.name());
            try {
                Method method = bindings.getMethod(constant.name());
                Object value = method.invoke(null);
                if (!(value instanceof Integer i) || i != constant.value()) {
                    problems.add(constant.name() + ": binding returns " + value + ", header says " + constant.value());
                }
            } catch (NoSuchMethodException e) {
                problems.add(constant.name() + ": no binding method");
            }
        }

        for (Method method : methods) {
            String name = method.getName();
            int dollar = name.indexOf('$');
            String base = dollar < 0 ? name : name.substring(0, dollar);
            boolean declared = functionNames.contains(base)
                    || (dollar < 0 && method.getParameterCount() == 0 && constantNames.contains(name));
            if (!declared) {
                problems.add(name + ": public binding method with no declaration in " + header.file().getFileName());
            }
            if (dollar >= 0 && !Set.of("$descriptor", "$handle").contains(name.substring(dollar))) {
                problems.add(name + ": unexpected accessor");
            }
        }

        Set<String> typedefFields = new TreeSet<>();
        for (Field field : bindings.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (!Modifier.isPublic(modifiers) || field.getName().startsWith("C_")) {
                continue;
            }
            typedefFields.add(field.getName());
            NativeHeader.Typedef typedef = header.typedefs().get(field.getName());
            if (typedef == null) {
                problems.add(field.getName() + ": public field with no typedef in " + header.file().getFileName());
                continue;
            }
            Object layout = field.get(null);
            NativeHeader.Kind kind = typedef.isEnum() ? NativeHeader.Kind.INT : header.kindOf(typedef.target());
            if (!layout(bindings, kind, problems).equals(layout)) {
                problems.add(field.getName() + ": layout " + layout + ", header needs " + kind.layoutName());
            }
        }
        for (String typedef : header.typedefs().keySet()) {
            if (!typedefFields.contains(typedef)) {
                problems.add(typedef + ": typedef with no layout field");
            }
        }
        return problems;
    }

    /**
     * The class's own layout constant for {@code kind} (C_INT, C_POINTER, ...); when it has none,
     * a padding layout that equals no value layout, and a line in {@code problems}.
     */
    private static MemoryLayout layout(Class<?> bindings, NativeHeader.Kind kind, List<String> problems)
            throws IllegalAccessException {
        Field field;
        try {
            field = bindings.getField(kind.layoutName());
        } catch (NoSuchFieldException e) {
            problems.add(bindings.getSimpleName() + " has no public layout " + kind.layoutName());
            return MemoryLayout.paddingLayout(1);
        }
        Object layout = field.get(null);
        if (!(layout instanceof ValueLayout value) || value.carrier() != kind.carrier) {
            problems.add(bindings.getSimpleName() + "." + kind.layoutName() + " is " + layout + ", not a layout for "
                    + kind.carrier);
            return MemoryLayout.paddingLayout(1);
        }
        return value;
    }

    private static boolean loads(CudaLibraries.Library library) {
        try {
            CudaLibraries.load(library);
            return true;
        } catch (CudaException e) {
            return false;
        }
    }

    private static String skipped(String reason) {
        String message = "skipped: " + reason;
        System.out.println(message);
        return message;
    }
}
