package dev.gemma4j.cuda;

import java.util.List;

/**
 * The kernels of gemma4j.fatbin that the CUDA backend launches: each one's {@code extern "C"} name,
 * threads per block (the {@code *_THREADS} constant its .cu file declares and its
 * {@code __launch_bounds__} names) and C parameter types in order, written as in its signature with
 * {@code __restrict__} and the names left out. A test reads cuda-kernels/*.cu and checks every
 * entry against the source, so a kernel whose parameters change cannot be launched with stale ones.
 */
enum Kernel {
    EMBEDDING_GATHER("embedding_gather", "embedding.cu", "EMBEDDING_THREADS", 256,
            "const __half*", "const int*", "float*", "int", "int", "int", "float", "int*"),
    RMSNORM_F16("rmsnorm_f16", "rmsnorm.cu", "RMSNORM_THREADS", 256,
            "const float*", "const __half*", "__half*", "int", "int", "float", "unsigned*", "int", "int"),
    ROPE_AND_CACHE("rope_and_cache", "rope.cu", "ROPE_THREADS", 128,
            "__half*", "long long", "const __half*", "long long", "const __half*", "long long",
            "__half*", "__half*", "const int*", "const int*",
            "int", "int", "int", "int", "int", "int", "int", "float", "float", "const __half*", "const __half*", "float",
            "int*", "unsigned*", "int", "int"),
    GEGLU_F32("geglu_f32", "geglu.cu", "GEGLU_THREADS", 256,
            "const float*", "const float*", "long long", "__half*", "int", "int", "float", "unsigned*", "int", "int"),
    ATTENTION_DECODE_PARTIAL("attention_decode_partial", "attention.cu", "DECODE_THREADS", 256,
            "const __half*", "long long", "const __half*", "const __half*", "const int*", "const int*",
            "float*", "float*", "float*", "int", "int", "int", "int", "int", "int", "float", "int", "float", "int*"),
    ATTENTION_DECODE_COMBINE("attention_decode_combine", "attention.cu", "COMBINE_THREADS", 256,
            "const float*", "const float*", "const float*", "const int*", "const int*", "__half*", "long long",
            "int", "int", "int", "int", "int", "int", "int"),
    ATTENTION_DECODE_VECTOR_PARTIAL("attention_decode_vector_partial", "attention_decode_vector.cu",
            "DECODE_VECTOR_THREADS", 256,
            "const __half*", "long long", "const __half*", "const __half*", "const int*", "const int*",
            "float*", "float*", "float*", "int", "int", "int", "int", "int", "int", "float", "int*"),
    ATTENTION_DECODE_VECTOR_COMBINE("attention_decode_vector_combine", "attention_decode_vector.cu",
            "COMBINE_VECTOR_THREADS", 1024,
            "const float*", "const float*", "const float*", "const int*", "const int*", "__half*", "long long",
            "int", "int", "int", "int", "int", "int"),
    ATTENTION_PREFILL("attention_prefill", "attention.cu", "PREFILL_THREADS", 256,
            "const __half*", "long long", "const __half*", "const __half*", "__half*", "long long",
            "int", "int", "int", "int", "int", "int", "int", "int", "float", "int", "float"),
    ATTENTION_PREFILL_MMA("attention_prefill_mma", "attention_prefill_mma.cu", "PREFILL_MMA_THREADS", 256,
            "const __half*", "long long", "const __half*", "const __half*", "__half*", "long long",
            "int", "int", "int", "int", "int", "int", "int", "int", "float"),
    CONVERT_BF16_TO_F16("convert_bf16_to_f16", "convert.cu", "CONVERT_THREADS", 256,
            "const __nv_bfloat16*", "__half*", "long long", "unsigned long long*", "unsigned long long*"),
    CONVERT_F32_TO_F16("convert_f32_to_f16", "convert.cu", "CONVERT_THREADS", 256,
            "const float*", "__half*", "long long", "unsigned long long*", "unsigned long long*"),
    SYNTHETIC_FILL("synthetic_fill", "synthetic.cu", "SYNTHETIC_THREADS", 256,
            "__half*", "long long", "unsigned long long", "int", "float", "float"),
    GEMV_F16_ACCUMULATE("gemv_f16_accumulate", "gemv.cu", "GEMV_THREADS", 256,
            "const __half*", "long long", "const __half*", "float*", "int", "int", "int"),
    GEMV_RMSNORM_F32("gemv_rmsnorm_f32", "gemv.cu", "GEMV_THREADS", 256,
            "const float*", "const __half*", "float", "const __half*", "float*", "int", "int", "int"),
    GEMV_RMSNORM_GEGLU("gemv_rmsnorm_geglu", "gemv.cu", "GEMV_THREADS", 256,
            "const float*", "const __half*", "float", "const __half*", "__half*", "int", "int", "int"),
    GEMV_RMSNORM_ROPE("gemv_rmsnorm_rope", "gemv.cu", "GEMV_THREADS", 256,
            "const float*", "const __half*", "float", "const __half*", "int", "int",
            "__half*", "long long", "__half*", "__half*", "const int*", "const int*",
            "int", "int", "int", "int", "int", "float"),
    EMBEDDING_GATHER_BF16("embedding_gather_bf16", "embedding.cu", "EMBEDDING_THREADS", 256,
            "const __nv_bfloat16*", "const int*", "float*", "int", "int", "int", "float", "int*"),
    RMSNORM_BF16("rmsnorm_bf16", "rmsnorm.cu", "RMSNORM_THREADS", 256,
            "const float*", "const __nv_bfloat16*", "__nv_bfloat16*", "int", "int", "float", "unsigned*", "int", "int"),
    ROPE_AND_CACHE_BF16("rope_and_cache_bf16", "rope.cu", "ROPE_THREADS", 128,
            "__nv_bfloat16*", "long long", "const __nv_bfloat16*", "long long", "const __nv_bfloat16*", "long long",
            "__nv_bfloat16*", "__nv_bfloat16*", "const int*", "const int*",
            "int", "int", "int", "int", "int", "int", "int", "float", "float", "const __nv_bfloat16*",
            "const __nv_bfloat16*", "float", "int*", "unsigned*", "int", "int"),
    GEGLU_F32_BF16("geglu_f32_bf16", "geglu.cu", "GEGLU_THREADS", 256,
            "const float*", "const float*", "long long", "__nv_bfloat16*", "int", "int", "float", "unsigned*", "int",
            "int"),
    ATTENTION_DECODE_PARTIAL_BF16("attention_decode_partial_bf16", "attention.cu", "DECODE_THREADS", 256,
            "const __nv_bfloat16*", "long long", "const __nv_bfloat16*", "const __nv_bfloat16*", "const int*",
            "const int*", "float*", "float*", "float*", "int", "int", "int", "int", "int", "int", "float", "int", "float",
            "int*"),
    ATTENTION_DECODE_COMBINE_BF16("attention_decode_combine_bf16", "attention.cu", "COMBINE_THREADS", 256,
            "const float*", "const float*", "const float*", "const int*", "const int*", "__nv_bfloat16*", "long long",
            "int", "int", "int", "int", "int", "int", "int"),
    ATTENTION_PREFILL_BF16("attention_prefill_bf16", "attention.cu", "PREFILL_THREADS", 256,
            "const __nv_bfloat16*", "long long", "const __nv_bfloat16*", "const __nv_bfloat16*", "__nv_bfloat16*",
            "long long", "int", "int", "int", "int", "int", "int", "int", "int", "float", "int", "float"),
    RMSNORM_ADD_F32("rmsnorm_add_f32", "rmsnorm.cu", "RMSNORM_THREADS", 256,
            "const float*", "const __half*", "float*", "int", "int", "float"),
    RMSNORM_ADD_F32_BF16("rmsnorm_add_f32_bf16", "rmsnorm.cu", "RMSNORM_THREADS", 256,
            "const float*", "const __nv_bfloat16*", "float*", "int", "int", "float"),
    SOFTCAP_F32("softcap_f32", "softcap.cu", "SOFTCAP_THREADS", 256, "float*", "long long", "float"),
    CONVERT_F32_TO_BF16("convert_f32_to_bf16", "convert.cu", "CONVERT_THREADS", 256,
            "const float*", "__nv_bfloat16*", "long long", "unsigned long long*", "unsigned long long*"),
    CONVERT_F16_TO_BF16("convert_f16_to_bf16", "convert.cu", "CONVERT_THREADS", 256,
            "const __half*", "__nv_bfloat16*", "long long", "unsigned long long*", "unsigned long long*"),
    SAMPLE_CANDIDATES("sample_candidates", "sampling.cu", "SAMPLE_THREADS", 256,
            "const float*", "long long", "int", "int", "float*", "int*"),
    SAMPLE_SOFTMAX_SUMS("sample_softmax_sums", "sampling.cu", "SAMPLE_THREADS", 256,
            "const float*", "long long", "int", "const float*", "int", "const float*", "double*"),
    SAMPLE_PICK("sample_pick", "sampling.cu", "SAMPLE_THREADS", 256,
            "const float*", "long long", "int", "const float*", "const int*", "int", "int", "const double*",
            "const float*", "const int*", "const float*", "const double*", "int*");

    /**
     * This kernel for {@code compute}: itself for fp16 and for kernels without 16-bit operands (sampling),
     * its bf16 instantiation (same parameters and geometry) for bf16.
     *
     * @throws IllegalArgumentException for a kernel that has no bf16 instantiation
     */
    Kernel in(Compute compute) {
        if (compute == Compute.FP16) return this;
        return switch (this) {
            case EMBEDDING_GATHER -> EMBEDDING_GATHER_BF16;
            case RMSNORM_F16 -> RMSNORM_BF16;
            case ROPE_AND_CACHE -> ROPE_AND_CACHE_BF16;
            case GEGLU_F32 -> GEGLU_F32_BF16;
            case ATTENTION_DECODE_PARTIAL -> ATTENTION_DECODE_PARTIAL_BF16;
            case ATTENTION_DECODE_COMBINE -> ATTENTION_DECODE_COMBINE_BF16;
            case ATTENTION_PREFILL -> ATTENTION_PREFILL_BF16;
            case RMSNORM_ADD_F32 -> RMSNORM_ADD_F32_BF16;
            case SAMPLE_CANDIDATES, SAMPLE_SOFTMAX_SUMS, SAMPLE_PICK, SOFTCAP_F32 -> this;
            default -> {
                if (symbol.endsWith("_bf16")) yield this;
                throw new IllegalArgumentException("kernel " + symbol + " has no bf16 instantiation (compute "
                        + compute.label() + ")");
            }
        };
    }

    /** How an argument is passed: its Java box type and byte size. */
    enum ArgKind {
        /** A device pointer (a {@code long} address, 0 for null), 8 bytes. */
        POINTER(Long.class),
        /** {@code long long} or {@code unsigned long long}, 8 bytes. */
        INT64(Long.class),
        /** {@code int}, 4 bytes. */
        INT32(Integer.class),
        /** {@code float}, 4 bytes. */
        FLOAT32(Float.class);

        final Class<?> javaType;

        ArgKind(Class<?> javaType) {
            this.javaType = javaType;
        }

        static ArgKind of(String cType) {
            if (cType.endsWith("*")) return POINTER;
            return switch (cType) {
                case "long long", "unsigned long long" -> INT64;
                case "int" -> INT32;
                case "float" -> FLOAT32;
                default -> throw new IllegalArgumentException("no argument kind for the C type '" + cType + "'");
            };
        }
    }

    final String symbol;
    final String sourceFile;
    final String threadsConstant;
    final int threads;
    final List<String> parameterTypes;
    final List<ArgKind> argKinds;

    Kernel(String symbol, String sourceFile, String threadsConstant, int threads, String... parameterTypes) {
        this.symbol = symbol;
        this.sourceFile = sourceFile;
        this.threadsConstant = threadsConstant;
        this.threads = threads;
        this.parameterTypes = List.of(parameterTypes);
        this.argKinds = this.parameterTypes.stream().map(ArgKind::of).toList();
    }
}
