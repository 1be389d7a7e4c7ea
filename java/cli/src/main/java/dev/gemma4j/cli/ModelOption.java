package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.Home;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cuda.Compute;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** {@code --model}, {@code --device}, {@code --gpu-memory} and {@code --context}, shared by the commands that load a model. */
final class ModelOption {
    static final String DEFAULT_MODEL = "tiny-mqa";
    /** The seed of synthetic-2b / synthetic-7b weights, the same as bench's default. */
    static final long SYNTHETIC_SEED = 1234;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|NAME",
            description = "Hugging Face Gemma folder, or a built-in model with random weights: ${COMPLETION-CANDIDATES}"
                    + " (default: " + DEFAULT_MODEL + "; synthetic-2b/7b have the full-size shape and Gemma's tokenizer)",
            completionCandidates = BuiltInModels.class)
    String model;

    @Option(names = "--device", paramLabel = "auto|cuda|cpu",
            description = "Backend: auto picks CUDA when a driver and a GPU are found, else the CPU (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--gpu-memory", paramLabel = "SIZE",
            description = "Device memory the CUDA backend may use, e.g. 18GiB, or all (default: ${DEFAULT-VALUE} free memory).")
    String gpuMemory = "all";

    @Option(names = "--context", paramLabel = "TOKENS",
            description = "Tokens per sequence, prompt + new (default: the model's max_position_embeddings).")
    Integer context;

    @Option(names = "--max-batch", paramLabel = "TOKENS",
            description = "Most prompt tokens per forward step on the GPU; longer prompts run in chunks (default: ${DEFAULT-VALUE}).")
    int maxBatch = 512;

    @Option(names = "--max-sequences", paramLabel = "N",
            description = "Most sequences decoded together; on the GPU each gets a KV cache of the context length at load (default: ${DEFAULT-VALUE}).")
    int maxSequences = 1;

    @Option(names = "--memory", paramLabel = "SIZE",
            description = "Memory the CPU backend's KV caches may take together, e.g. 8GiB, or all: what the machine"
                    + " can give without swapping (default: ${DEFAULT-VALUE}).")
    String memory = "all";

    @Option(names = "--compute", paramLabel = "fp16|bf16",
            description = "16-bit type of the CUDA backend's weights and activations: fp16, or bf16 (Gemma's native"
                    + " dtype) for checkpoints whose activations overflow fp16; the CPU computes in fp32 and ignores it"
                    + " (default: ${DEFAULT-VALUE}).")
    String compute = "fp16";

    @Option(names = "--no-mmap",
            description = "Read the weights into memory at load instead of memory-mapping the files, so they may be"
                    + " replaced or rewritten while the model runs (CPU; the GPU copies them to the device anyway).")
    boolean noMmap;

    String modelOrDefault() {
        return model == null ? DEFAULT_MODEL : model;
    }

    static LoadOptions.Device parseDevice(String text) {
        return switch (text) {
            case "auto" -> LoadOptions.Device.AUTO;
            case "cuda" -> LoadOptions.Device.CUDA;
            case "cpu" -> LoadOptions.Device.CPU;
            default -> throw new IllegalArgumentException("--device must be auto, cuda or cpu, found '" + text + "'");
        };
    }

    static Compute parseCompute(String text) {
        return switch (text) {
            case "fp16" -> Compute.FP16;
            case "bf16" -> Compute.BF16;
            default -> throw new IllegalArgumentException("--compute must be fp16 or bf16, found '" + text + "'");
        };
    }

    Gemma load(PrintWriter err) {
        String name = modelOrDefault();
        if (TestModels.isBuiltIn(name) || SyntheticWeights.isSynthetic(name)) {
            err.println("note: '" + name + "' is a built-in model with random weights; its text is"
                    + " gibberish. Pass --model DIR to run a real Gemma checkpoint.");
        }
        LoadOptions options = LoadOptions.defaults().withDevice(parseDevice(device)).withGpuMemory(gpuMemory)
                .withMaxBatchTokens(maxBatch).withMaxSequences(maxSequences).withMappedWeights(!noMmap).withMemory(memory)
                .withCompute(parseCompute(compute));
        if (context != null) options = options.withContextLength(context);
        ProgressBar[] bar = {null};
        Gemma.LoadMonitor monitor = new Gemma.LoadMonitor() {
            @Override
            public void notice(String text) {
                err.println(text);
                err.flush();
            }

            @Override
            public void uploaded(long bytesDone, long bytesTotal) {
                if (bar[0] == null) bar[0] = new ProgressBar(err, "upload (MB)", bytesTotal >> 20);
                bar[0].update(bytesDone >> 20);
                if (bytesDone == bytesTotal) bar[0].done();
            }
        };
        Gemma gemma = SyntheticWeights.isSynthetic(name) ? loadSynthetic(name, options, monitor)
                : Gemma.load(name, options, monitor);
        err.println("backend: " + gemma.backendName());
        return gemma;
    }

    /**
     * A synthetic model with Gemma's real tokenizer: bf16 weights built on the host for the CPU, or fp16 weights
     * filled on the device for CUDA (the host then holds only the configuration).
     */
    private static Gemma loadSynthetic(String name, LoadOptions options, Gemma.LoadMonitor monitor) {
        boolean cpu = Gemma.chooseDevice(options.device(), monitor) == LoadOptions.Device.CPU;
        GemmaConfig config = SyntheticWeights.config(name, 0, cpu ? DType.BF16 : DType.F16);
        int context = options.contextLength().orElse(config.maxPositionEmbeddings());
        WeightSource weights = cpu ? SyntheticWeights.create(name, 0, DType.BF16, SYNTHETIC_SEED) : new ConfigOnly(config);
        Backend backend = null;
        try {
            GemmaTokenizer tokenizer = GemmaTokenizer.load(weights.tokenizerJson());
            backend = cpu ? new CpuBackend(weights) : CudaBackend.openSynthetic(config, SYNTHETIC_SEED,
                    CudaBackend.Settings.of(DeviceBudget.parse(options.gpuMemory().orElse("all")),
                            Math.min(options.maxBatchTokens(), context), context).withMaxSequences(options.maxSequences())
                            .withCompute(options.compute()),
                    null);
            return Gemma.open(weights, tokenizer, backend, context, options.maxSequences());
        } catch (RuntimeException | Error e) {
            if (backend != null) backend.close();
            weights.close();
            throw e;
        }
    }

    /** The host side of weights that live on the device only. */
    private record ConfigOnly(GemmaConfig config) implements WeightSource {
        @Override
        public Tensor tensor(String name) {
            throw new ModelFormatException("synthetic weights are on the device only; the host has no tensor " + name);
        }

        @Override
        public Map<String, Tensor> tensors() {
            return Map.of();
        }

        @Override
        public Path tokenizerJson() {
            return Home.gemmaTokenizerJson();
        }

        @Override
        public void close() {}
    }

    static final class BuiltInModels implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Stream.concat(TestModels.presetNames().stream(), SyntheticWeights.NAMES.stream()).iterator();
        }
    }
}
