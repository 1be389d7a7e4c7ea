package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cuda.Compute;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.model.BlockQuantizer;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.tokenizer.GemmaTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/**
 * Everything a loading command shares: {@code --model}, {@code --device}, {@code --gpu-memory}, {@code --context},
 * {@code --max-batch}, {@code --max-sequences}, {@code --memory}, {@code --no-mmap}, {@code --quantize} and
 * {@code --batch-invariant}.
 */
final class ModelOption {
    /** The seed of synthetic-2b / synthetic-7b weights, the same as bench's default. */
    static final long SYNTHETIC_SEED = 1234;

    @Spec(Spec.Target.MIXEE) CommandSpec mixee;
    @Mixin ModelName name = new ModelName();
    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    @Option(names = "--context", paramLabel = "TOKENS",
            description = "Tokens per sequence, prompt + new (default: the model's max_position_embeddings).")
    Integer context;

    @Option(names = "--max-batch", paramLabel = "TOKENS",
            description = "Most prompt tokens per forward step on the GPU; longer prompts run in chunks (default: ${DEFAULT-VALUE}).")
    int maxBatch = 512;

    @Option(names = "--max-sequences", paramLabel = "N",
            description = "Most sequences decoded together; on the GPU each gets a KV cache of the context length at load (default: ${DEFAULT-VALUE}).")
    int maxSequences = 1;

    @Option(names = "--memory", paramLabel = "SIZE", converter = SizeConverter.class,
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

    @Option(names = "--quantize", paramLabel = "q8_0|q4_0",
            description = "Quantize the matrices of a float checkpoint (safetensors, an F32/F16/BF16 GGUF, a synthetic"
                    + " model) in memory at load, as llama.cpp's quantizer writes them; quantized weights run on the CPU.")
    String quantize;

    @Option(names = "--batch-invariant",
            description = "A seeded request gives the same tokens whatever other requests share its decode steps. The CPU"
                    + " always does; on CUDA each sequence of a step then runs on its own, so B sequences decode at the"
                    + " aggregate rate of one.")
    boolean batchInvariant;

    String modelOrDefault() {
        return name.orDefault();
    }

    /**
     * The load options these flags give, each value checked.
     *
     * @throws OptionValueException naming the flag whose value is out of range
     */
    LoadOptions loadOptions() {
        if (context != null && context < 2) {
            throw new OptionValueException("--context must be at least 2 tokens (one prompt token and one new), found "
                    + context);
        }
        if (maxBatch < 1) throw new OptionValueException("--max-batch must be at least 1, found " + maxBatch);
        if (maxSequences < 1) throw new OptionValueException("--max-sequences must be at least 1, found " + maxSequences);
        LoadOptions options = deviceOptions.device.applyTo(LoadOptions.defaults()).withGpuMemory(deviceOptions.gpuMemory)
                .withMaxBatchTokens(maxBatch).withMaxSequences(maxSequences).withMappedWeights(!noMmap).withMemory(memory)
                .withBatchInvariance(batchInvariant).withCompute(parseCompute(compute));
        if (quantize != null) {
            try {
                options = options.withQuantize(BlockQuantizer.parse(quantize));
            } catch (IllegalArgumentException e) {
                throw new OptionValueException("--quantize: " + e.getMessage());
            }
        }
        return context != null ? options.withContextLength(context) : options;
    }

    static Compute parseCompute(String text) {
        return switch (text) {
            case "fp16" -> Compute.FP16;
            case "bf16" -> Compute.BF16;
            default -> throw new OptionValueException("--compute must be fp16 or bf16, found '" + text + "'");
        };
    }

    /** Loads the model, its options checked before anything is printed. */
    Gemma load(PrintWriter err) {
        return load(err, false);
    }

    /** As {@link #load(PrintWriter)}; {@code quiet} leaves out the notes about the model and its backend. */
    Gemma load(PrintWriter err, boolean quiet) {
        LoadOptions options = loadOptions();
        String name = modelOrDefault();
        if (!quiet && ModelName.isBuiltIn(name)) {
            err.println("note: '" + name + "' is a built-in model with random weights; its text is"
                    + " gibberish. Pass --model DIR to run a real Gemma checkpoint.");
        }
        ProgressBar[] bar = {null};
        Gemma.LoadMonitor monitor = new Gemma.LoadMonitor() {
            @Override
            public void notice(String text) {
                err.println(text);
                err.flush();
            }

            @Override
            public void uploaded(long bytesDone, long bytesTotal) {
                if (bar[0] == null) bar[0] = ProgressBar.on(mixee, "upload (MB)", bytesTotal >> 20);
                bar[0].update(bytesDone >> 20);
                if (bytesDone == bytesTotal) bar[0].done();
            }
        };
        Gemma gemma = SyntheticWeights.isSynthetic(name) ? loadSynthetic(name, options, monitor)
                : Gemma.load(name, options, monitor);
        if (!quiet) err.println("backend: " + gemma.backendName());
        return gemma;
    }

    /**
     * A synthetic model with Gemma's real tokenizer: bf16 weights built on the host for the CPU, or fp16 weights
     * filled on the device for CUDA (the host then holds only the configuration).
     */
    private static Gemma loadSynthetic(String name, LoadOptions options, Gemma.LoadMonitor monitor) {
        Optional<DType> quantize = options.quantize();
        if (quantize.isPresent() && options.device() == LoadOptions.Device.CUDA) {
            throw new OptionValueException("--quantize: quantized weights run on the CPU only; leave out --device cuda");
        }
        boolean cpu = quantize.isPresent() || Gemma.chooseDevice(options.device(), monitor) == LoadOptions.Device.CPU;
        GemmaConfig config = SyntheticWeights.config(name, 0, cpu ? DType.BF16 : DType.F16);
        int context = options.contextLength().orElse(config.maxPositionEmbeddings());
        WeightSource weights = cpu ? SyntheticWeights.create(name, 0, DType.BF16, SYNTHETIC_SEED) : new ConfigOnly(config);
        Backend backend = null;
        try {
            if (quantize.isPresent()) weights = Gemma.quantize(weights, quantize.get(), monitor);
            GemmaTokenizer tokenizer = GemmaTokenizer.load(weights.tokenizerJson());
            backend = cpu ? new CpuBackend(weights) : CudaBackend.openSynthetic(config, SYNTHETIC_SEED,
                    CudaBackend.Settings.of(DeviceBudget.parse(options.gpuMemory().orElse("all")),
                            Math.min(options.maxBatchTokens(), context), context).withMaxSequences(options.maxSequences())
                            .withDevice(options.cudaDevice())
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
            return SyntheticWeights.tokenizerJson(config);
        }

        @Override
        public void close() {}
    }
}
