package dev.gemma4j.oracle;

import dev.gemma4j.model.DType;
import dev.gemma4j.model.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * llama.cpp's own quantizer and dequantizers, called in-process through FFM from the libraries that
 * {@code @node-llama-cpp/linux-x64} ships (see {@link LlamaCppOracle#requireInstalled}):
 * {@code llama_model_quantize} from libllama (GGUF in, GGUF out) and ggml's
 * {@code dequantize_row_<type>} from libggml-base (llama.cpp's reference dequantization, ggml-quants.c).
 */
final class LlamaCppQuantizer {
    private LlamaCppQuantizer() {}

    /** llama.h {@code enum llama_ftype}. */
    static final int FTYPE_MOSTLY_Q4_0 = 2, FTYPE_MOSTLY_Q4_1 = 3, FTYPE_MOSTLY_Q8_0 = 7, FTYPE_MOSTLY_Q5_0 = 8,
            FTYPE_MOSTLY_Q5_1 = 9, FTYPE_MOSTLY_Q4_K_S = 14, FTYPE_MOSTLY_Q4_K_M = 15, FTYPE_MOSTLY_Q5_K_M = 17,
            FTYPE_MOSTLY_Q6_K = 18;
    /** ggml.h {@code enum ggml_type}. */
    static final int GGML_TYPE_Q4_0 = 2, GGML_TYPE_Q8_0 = 8;
    /** {@code llama_model_quantize_params}' token_embedding_type meaning "llama.cpp chooses". */
    static final int LLAMA_CHOOSES = -1;

    private static final Linker LINKER = Linker.nativeLinker();
    /**
     * {@code llama_model_quantize_params}: int32 nthread, int32 ftype, enum ggml_type
     * output_tensor_type, enum ggml_type token_embedding_type, then flags and pointers. Only the four
     * leading fields are read or written here; the layout is padded well past the real struct (about
     * 80 bytes) so that returning it by value (through a caller-allocated buffer, as the x86-64 ABI
     * does for structs over 16 bytes) and passing its address are safe whatever the trailing fields.
     */
    private static final MemoryLayout PARAMS = MemoryLayout.structLayout(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, MemoryLayout.sequenceLayout(60, ValueLayout.JAVA_INT));

    private static Path binDir() {
        return LlamaCppOracle.installDir().resolve("node_modules").resolve("@node-llama-cpp").resolve("linux-x64")
                .resolve("bins").resolve("linux-x64");
    }

    private static SymbolLookup library(String prefix) {
        LlamaCppOracle.requireInstalled();
        try (Stream<Path> files = Files.list(binDir())) {
            Path lib = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(".so") && !n.contains("common");
            }).findFirst().orElseThrow(() -> new IllegalStateException("no " + prefix + "*.so in " + binDir()));
            return SymbolLookup.libraryLookup(lib, Arena.global());
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + binDir(), e);
        }
    }

    private static MethodHandle function(SymbolLookup lib, String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(lib.find(name).orElseThrow(() -> new IllegalStateException(
                "llama.cpp library has no symbol " + name)), d);
    }

    /**
     * Quantizes GGUF {@code in} into {@code out} as llama.cpp's {@code llama-quantize} does for file
     * type {@code ftype}, with the embedding (which Gemma's output shares) forced to ggml type
     * {@code embeddingType}, or, for {@link #LLAMA_CHOOSES}, of the type llama.cpp gives it (Q6_K,
     * or its fallback when rows are not whole 256-element super-blocks).
     */
    static void quantize(Path in, Path out, int ftype, int embeddingType) {
        SymbolLookup llama = library("libllama");
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle defaults = function(llama, "llama_model_quantize_default_params", FunctionDescriptor.of(PARAMS));
            MethodHandle quantize = function(llama, "llama_model_quantize", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MemorySegment params = (MemorySegment) defaults.invokeExact((java.lang.foreign.SegmentAllocator) arena);
            // llama.cpp's defaults (this release): ftype MOSTLY_Q8_0 (7), both tensor types GGML_TYPE_COUNT
            // (43 here: no override). Checked so that a changed struct fails here rather than quantizing wrongly.
            int defaultFtype = params.getAtIndex(ValueLayout.JAVA_INT, 1);
            int defaultOutput = params.getAtIndex(ValueLayout.JAVA_INT, 2);
            if (defaultFtype != FTYPE_MOSTLY_Q8_0 || defaultOutput < 39 || params.getAtIndex(ValueLayout.JAVA_INT, 3) != defaultOutput) {
                throw new IllegalStateException("llama_model_quantize_params does not start as expected (nthread, ftype 7,"
                        + " output and embedding type GGML_TYPE_COUNT): found ftype " + defaultFtype + ", types "
                        + defaultOutput + " and " + params.getAtIndex(ValueLayout.JAVA_INT, 3));
            }
            params.setAtIndex(ValueLayout.JAVA_INT, 0, 1);
            params.setAtIndex(ValueLayout.JAVA_INT, 1, ftype);
            if (embeddingType != LLAMA_CHOOSES) {
                params.setAtIndex(ValueLayout.JAVA_INT, 2, embeddingType);
                params.setAtIndex(ValueLayout.JAVA_INT, 3, embeddingType);
            }
            int rc = (int) quantize.invokeExact(arena.allocateFrom(in.toString()), arena.allocateFrom(out.toString()),
                    params);
            if (rc != 0) throw new IllegalStateException("llama_model_quantize(" + in + ", " + out + ", ftype " + ftype
                    + ") returned " + rc);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("calling llama.cpp's quantizer", e);
        }
    }

    /** ggml.h's number of a quantized {@link DType} (ggml names them alike). */
    static int ggmlType(DType dtype) {
        if (!dtype.quantized()) throw new IllegalArgumentException(dtype + " is not a quantized type");
        return GgufWriter.ggmlType(dtype);
    }

    /**
     * {@code elements} elements of quantized type {@code dtype} at {@code data} dequantized by ggml's
     * {@code dequantize_row_<type>} (ggml-quants.c).
     */
    static float[] dequantize(DType dtype, MemorySegment data, int elements) {
        String name = "dequantize_row_" + dtype.name().toLowerCase(java.util.Locale.ROOT).replace("_k", "_K");
        MethodHandle h = function(library("libggml-base"), name, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(data.byteSize(), 64);
            in.copyFrom(data);
            MemorySegment out = arena.allocate((long) elements * Float.BYTES, 64);
            h.invokeExact(in, out, (long) elements);
            return out.toArray(ValueLayout.JAVA_FLOAT);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("calling ggml's " + name, e);
        }
    }

    /**
     * {@code x} (a whole number of 32-element blocks) quantized by ggml's reference quantizer
     * {@code quantize_row_<type>_ref} (ggml-quants.c), the one llama.cpp's quantizer runs for Q8_0 and
     * Q4_0 tensors: the blocks' bytes.
     */
    static byte[] quantizeReference(DType dtype, float[] x) {
        String name = "quantize_row_" + dtype.name().toLowerCase(java.util.Locale.ROOT).replace("_k", "_K") + "_ref";
        MethodHandle h = function(library("libggml-base"), name, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment out = arena.allocate(dtype.byteSize(x.length), 64);
            h.invokeExact(in, out, (long) x.length);
            return out.toArray(ValueLayout.JAVA_BYTE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("calling ggml's " + name, e);
        }
    }
}
