package dev.gemma4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GemmaConfigTest {
    @TempDir
    Path tmp;

    /** google/gemma-2b's config.json as published (it names the activation "gelu"). */
    private static final String GEMMA_2B = """
            {
              "architectures": ["GemmaForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "bos_token_id": 2,
              "eos_token_id": 1,
              "head_dim": 256,
              "hidden_act": "gelu",
              "hidden_size": 2048,
              "initializer_range": 0.02,
              "intermediate_size": 16384,
              "max_position_embeddings": 8192,
              "model_type": "gemma",
              "num_attention_heads": 8,
              "num_hidden_layers": 18,
              "num_key_value_heads": 1,
              "pad_token_id": 0,
              "rms_norm_eps": 1e-06,
              "rope_scaling": null,
              "rope_theta": 10000.0,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.38.0.dev0",
              "use_cache": true,
              "vocab_size": 256000
            }
            """;

    /** Only the required keys. */
    private static final String MINIMAL = """
            {"model_type": "gemma", "vocab_size": 300, "hidden_size": 16, "intermediate_size": 40,
             "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8}
            """;

    private Path write(String json) throws IOException {
        return Files.writeString(tmp.resolve("config.json"), json);
    }

    @Test
    void readsGemma2BConfig() throws IOException {
        GemmaConfig c = GemmaConfig.read(write(GEMMA_2B));
        assertEquals(new GemmaConfig(256000, 2048, 16384, 18, 8, 1, 256, 1e-6, 10000.0, 8192, "bfloat16", 2, 1, 0,
                "gelu"), c);
        assertEquals(2048, c.queryDim());
        assertEquals(256, c.kvDim());
        // 2.51 B parameters (DESIGN.md): 256000*2048 + 18*(2*2048 + 2048*2048*2 + 2*256*2048 + 3*16384*2048) + 2048.
        assertEquals(2_506_172_416L, c.parameterCount());
        assertEquals(c.parameterCount(), GemmaConfig.gemma2B().parameterCount());
    }

    @Test
    void gemma7BHasWiderQueriesThanHidden() {
        GemmaConfig c = GemmaConfig.gemma7B();
        assertEquals(4096, c.queryDim());
        assertEquals(3072, c.hiddenSize());
        // 8.54 B parameters (DESIGN.md).
        assertEquals(8_537_680_896L, c.parameterCount());
    }

    @Test
    void embeddingScaleIsRoundedToTorchDtypeAsHuggingFaceDoes() {
        assertEquals(45.25f, GemmaConfig.gemma2B().embeddingScale());          // sqrt(2048) = 45.2548 in bf16
        assertEquals(55.5f, GemmaConfig.gemma7B().embeddingScale());           // sqrt(3072) = 55.4256 in bf16
        GemmaConfig f32 = GemmaConfig.of(256000, 3072, 24576, 28, 16, 16, 256, "float32");
        assertEquals((float) Math.sqrt(3072), f32.embeddingScale());
        GemmaConfig none = GemmaConfig.of(256000, 3072, 24576, 28, 16, 16, 256, null);
        assertEquals((float) Math.sqrt(3072), none.embeddingScale());
        GemmaConfig f16 = GemmaConfig.of(256000, 3072, 24576, 28, 16, 16, 256, "float16");
        assertEquals(55.4375f, f16.embeddingScale());                          // fp16 spacing in [32, 64) is 1/32
    }

    @Test
    void optionalKeysTakeHuggingFaceDefaults() throws IOException {
        GemmaConfig c = GemmaConfig.read(write(MINIMAL));
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(8192, c.maxPositionEmbeddings());
        assertEquals(2, c.bosTokenId());
        assertEquals(1, c.eosTokenId());
        assertEquals(0, c.padTokenId());
        assertEquals("gelu_pytorch_tanh", c.hiddenActivation());
        assertNull(c.torchDtype());
    }

    @Test
    void hiddenActivationWinsOverHiddenActAndDtypeKeyIsAccepted() throws IOException {
        GemmaConfig c = GemmaConfig.read(write(MINIMAL.replace("}",
                ", \"hidden_act\": \"gelu\", \"hidden_activation\": \"gelu_pytorch_tanh\", \"dtype\": \"float16\"}")));
        assertEquals("gelu_pytorch_tanh", c.hiddenActivation());
        assertEquals("float16", c.torchDtype());
    }

    @Test
    void toJsonReadsBackEqual() throws IOException {
        for (GemmaConfig c : new GemmaConfig[] {GemmaConfig.gemma2B(), GemmaConfig.gemma7B(),
            GemmaConfig.read(write(GEMMA_2B)), GemmaConfig.of(300, 16, 40, 3, 4, 2, 8, null)}) {
            assertEquals(c, GemmaConfig.read(write(c.toJson())));
        }
    }

    @Test
    void rejectsMissingRequiredFields() throws IOException {
        for (String key : new String[] {"model_type", "vocab_size", "hidden_size", "intermediate_size",
            "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim"}) {
            String json = MINIMAL.replaceFirst("\"" + key + "\": (\"gemma\"|\\d+)", "\"unrelated_" + key + "\": 1");
            assertError(json, "field '" + key + "'", "required", "found none");
        }
    }

    @Test
    void rejectsInconsistentOrOutOfRangeFields() throws IOException {
        assertError(MINIMAL.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"),
                "'num_key_value_heads'", "divisor of num_attention_heads 4", "found 3");
        assertError(MINIMAL.replace("\"hidden_size\": 16", "\"hidden_size\": 0"), "'hidden_size'", "an integer in [1, 65536]", "found 0");
        assertError(MINIMAL.replace("\"head_dim\": 8", "\"head_dim\": -8"), "'head_dim'", "an integer in [1, 1024]", "found -8");
        assertError(MINIMAL.replace("\"head_dim\": 8", "\"head_dim\": 7"), "'head_dim'", "even", "found 7");
        assertError(MINIMAL.replace("\"hidden_size\": 16", "\"hidden_size\": 16.5"), "'hidden_size'", "an integer",
                "16.5");
        assertError(MINIMAL.replace("\"hidden_size\": 16", "\"hidden_size\": \"16\""), "'hidden_size'", "an integer",
                "\"16\"");
        assertError(MINIMAL.replace("\"vocab_size\": 300", "\"vocab_size\": 99999999999"), "'vocab_size'",
                "an integer");
        assertError(MINIMAL.replace("}", ", \"rms_norm_eps\": 0}"), "'rms_norm_eps'", "positive", "found 0.0");
        assertError(MINIMAL.replace("}", ", \"eos_token_id\": 300}"), "'eos_token_id'", "[0, vocab_size 300)",
                "found 300");
        assertError(MINIMAL.replace("}", ", \"torch_dtype\": \"float64\"}"), "'torch_dtype'", "\"bfloat16\"",
                "\"float64\"");
        assertError(MINIMAL.replace("}", ", \"dtype\": \"int8\"}"), "'dtype'", "\"int8\"");
        assertError(MINIMAL.replace("}", ", \"hidden_act\": \"relu\"}"), "'hidden_act'", "gelu_pytorch_tanh",
                "\"relu\"");
        assertError(MINIMAL.replace("\"gemma\"", "\"llama\""), "'model_type'", "\"gemma\"", "\"llama\"");
        assertError(MINIMAL.replace("}", ", \"architectures\": [\"Gemma2ForCausalLM\"]}"), "'architectures'",
                "GemmaForCausalLM", "Gemma2ForCausalLM");
        assertError(MINIMAL.replace("}", ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}"),
                "'rope_scaling'", "null", "linear");
        assertError(MINIMAL.replace("}", ", \"attention_bias\": true}"), "'attention_bias'", "false", "true");
    }

    /**
     * Every shape field has an upper bound, so no product of them wraps an int or asks for an
     * impossible allocation: each violation names the key, the value and the bound.
     */
    @Test
    void boundsEveryShapeField() throws IOException {
        assertError(MINIMAL.replace("\"num_hidden_layers\": 3", "\"num_hidden_layers\": 1000000000"),
                "'num_hidden_layers'", "[1, 1024]", "found 1000000000");
        // 65536 x 65536 wraps to 0 in int arithmetic: refused by the bounds before any product.
        assertError(MINIMAL.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 65536")
                .replace("\"head_dim\": 8", "\"head_dim\": 65536"), "'num_attention_heads'", "[1, 1024]", "65536");
        assertError(MINIMAL.replace("\"head_dim\": 8", "\"head_dim\": 2048"), "'head_dim'", "[1, 1024]", "2048");
        assertError(MINIMAL.replace("\"hidden_size\": 16", "\"hidden_size\": 100000"), "'hidden_size'", "[1, 65536]");
        assertError(MINIMAL.replace("\"intermediate_size\": 40", "\"intermediate_size\": 2000000"),
                "'intermediate_size'", "[1, 1048576]");
        assertError(MINIMAL.replace("\"vocab_size\": 300", "\"vocab_size\": 2000000"), "'vocab_size'", "[1, 1048576]");
        assertError(MINIMAL.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 8"),
                "'num_key_value_heads'", "at most num_attention_heads 4", "found 8");
        // 2^40 is an integer, but beyond the bound: say so, not "expected an integer".
        assertError(MINIMAL.replace("}", ", \"max_position_embeddings\": 1099511627776}"),
                "'max_position_embeddings'", "[1, 16777216]", "2^24", "found 1099511627776");
        assertError(MINIMAL.replace("}", ", \"max_position_embeddings\": 16777217}"),
                "'max_position_embeddings'", "[1, 16777216]", "found 16777217");
        assertError(MINIMAL.replace("}", ", \"bos_token_id\": 99999999999}"), "'bos_token_id'", "found 99999999999");
        assertError(MINIMAL.replace("\"num_hidden_layers\": 3", "\"num_hidden_layers\": 1e9"),
                "'num_hidden_layers'", "an integer", "1.0E9");
        // The largest values accepted make a valid config whose products are computed in long.
        GemmaConfig c = GemmaConfig.read(write(MINIMAL.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 1024")
                .replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 1024")
                .replace("\"head_dim\": 8", "\"head_dim\": 1024").replace("\"hidden_size\": 16", "\"hidden_size\": 65536")));
        assertEquals(1L << 20, c.queryDim());
        assertTrue(c.parameterCount() > 0, "parameterCount " + c.parameterCount());
    }

    /** A config.json far larger than any real one is refused with its size, before it is buffered. */
    @Test
    void refusesOversizedAndSpecialConfigFiles() throws IOException {
        Path file = tmp.resolve("config.json");
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(3_000_000_000L);                              // sparse: no disk is used
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GemmaConfig.read(file));
        assertTrue(e.getMessage().contains("3000000000 bytes") && e.getMessage().contains("at most 1048576"),
                e.getMessage());
        Files.delete(file);
        Files.createDirectory(file);
        e = assertThrows(ModelFormatException.class, () -> GemmaConfig.read(file));
        assertTrue(e.getMessage().contains("not a regular file (found a directory)"), e.getMessage());
        Path latin1 = Files.write(tmp.resolve("latin1.json"), new byte[] {'{', '"', (byte) 0xE9, '"', '}'});
        e = assertThrows(ModelFormatException.class, () -> GemmaConfig.read(latin1));
        assertTrue(e.getMessage().contains("not valid UTF-8: byte 2"), e.getMessage());
    }

    @Test
    void rejectsFilesThatAreNotConfigObjects() throws IOException {
        assertError("{\"model_type\": ", "not valid JSON", "line 1");
        assertError("", "an empty file");
        assertError("[1, 2]", "expected a JSON object", "array");
        // Past the parser's nesting limit the error has no location (it was a NullPointerException).
        assertError("{\"a\":" + "[".repeat(5000), "not valid JSON", "nesting depth");
        Path missing = tmp.resolve("absent.json");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GemmaConfig.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void constructorRejectsInconsistentShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmaConfig.of(300, 16, 40, 3, 4, 3, 8, null));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
    }

    private void assertError(String json, String... fragments) throws IOException {
        Path file = write(json);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GemmaConfig.read(file));
        System.out.println("  " + e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "lacks '" + f + "': " + e.getMessage());
    }
}
