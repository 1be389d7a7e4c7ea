package dev.gemma4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.Home;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java side's picture of each kernel ({@link Kernel}: name, block size, parameter types;
 * {@link Kernels}: tiling constants) against the kernels' source in cuda-kernels/, so that a kernel
 * whose signature or geometry changes cannot be launched with stale arguments on a GPU.
 */
class KernelSourcesTest {
    private static final Pattern KERNEL = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+__launch_bounds__\\((\\w+)(?:\\s*,\\s*\\w+)?\\)\\s*(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern CONSTANT = Pattern.compile("constexpr\\s+int\\s+(\\w+)\\s*=\\s*(\\d+)\\s*;");
    private static final Pattern PARAMETER = Pattern.compile("^(.*?)\\s*\\b(\\w+)$");

    record Signature(String file, String threadsConstant, List<String> types) {}

    private static Path kernels;
    private static final Map<String, Signature> signatures = new HashMap<>();
    private static final Map<String, Integer> constants = new HashMap<>();

    @BeforeAll
    static void readSources() throws IOException {
        kernels = Home.root().resolve("cuda-kernels");
        try (var files = Files.list(kernels)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".cu")).sorted().toList()) {
                String text = Files.readString(file);
                Matcher k = KERNEL.matcher(text);
                while (k.find()) {
                    List<String> types = new ArrayList<>();
                    for (String p : k.group(3).split(",")) {
                        String cleaned = p.replace("__restrict__", " ").replaceAll("\\s+", " ").strip();
                        Matcher m = PARAMETER.matcher(cleaned);
                        assertTrue(m.matches(), file + ": parameter '" + p + "' of " + k.group(2));
                        types.add(m.group(1).replaceAll("\\s*\\*", "*").strip());
                    }
                    signatures.put(k.group(2), new Signature(file.getFileName().toString(), k.group(1), types));
                }
                Matcher c = CONSTANT.matcher(text);
                while (c.find()) constants.put(c.group(1), Integer.parseInt(c.group(2)));
            }
        }
        System.out.println("read " + signatures.size() + " kernels and " + constants.size() + " constants from " + kernels);
    }

    @Test
    void everyLaunchedKernelMatchesItsSignature() {
        for (Kernel k : Kernel.values()) {
            Signature s = signatures.get(k.symbol);
            assertNotNull(s, "kernel " + k.symbol + " not found in " + kernels);
            assertEquals(k.sourceFile, s.file(), k.symbol);
            assertEquals(k.parameterTypes, s.types(), k.symbol + " parameters in " + s.file());
            assertEquals(k.threadsConstant, s.threadsConstant(), k.symbol + " launch bounds");
            assertEquals(k.threads, constants.get(s.threadsConstant()), k.symbol + " " + s.threadsConstant());
        }
    }

    @Test
    void tilingConstantsMatchAttentionCu() {
        assertEquals(Kernels.ATTENTION_MAX_HEAD_DIM, constants.get("ATTENTION_MAX_HEAD_DIM"));
        assertEquals(Kernels.DECODE_HEADS, constants.get("DECODE_HEADS"));
        assertEquals(Kernels.DECODE_KEY_TILE, constants.get("DECODE_KEY_TILE"));
        assertEquals(Kernels.PREFILL_ROWS, constants.get("PREFILL_ROWS"));
        assertEquals(Kernels.PREFILL_MMA_ROWS, constants.get("PREFILL_MMA_ROWS"));
    }

    @Test
    void gemvConstantsMatchGemvCu() {
        assertEquals(Kernels.GEMV_MAX_ROWS, constants.get("GEMV_MAX_ROWS"));
        assertEquals(Kernels.GEMV_WARPS, constants.get("GEMV_WARPS"));
    }

    @Test
    void everyLaunchedKernelIsDocumentedAndCompiledIntoTheUnityFile() throws IOException {
        String doc = Files.readString(kernels.resolve("KERNELS.md"));
        String unity = Files.readString(kernels.resolve("gemma4j.cu"));
        for (Kernel k : Kernel.values()) {
            assertTrue(doc.contains("### `" + k.symbol + "`"), "KERNELS.md has no heading for " + k.symbol);
            assertTrue(unity.contains("#include \"" + k.sourceFile + "\""), "gemma4j.cu does not include " + k.sourceFile);
        }
    }

    @Test
    void parameterTypesMapToArgumentKinds() {
        assertEquals(Kernel.ArgKind.POINTER, Kernel.ArgKind.of("const __nv_bfloat16*"));
        assertEquals(Kernel.ArgKind.INT64, Kernel.ArgKind.of("unsigned long long"));
        assertEquals(Kernel.ArgKind.INT32, Kernel.ArgKind.of("int"));
        assertEquals(Kernel.ArgKind.FLOAT32, Kernel.ArgKind.of("float"));
        for (Signature s : signatures.values()) {
            for (String t : s.types()) {
                if (!t.equals("double")) Kernel.ArgKind.of(t);
            }
        }
    }
}
