package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.testmodels.TestModels;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --model}, {@code --device}, {@code --gpu-memory} and {@code --context}, shared by the commands that load a model. */
final class ModelOption {
    static final String DEFAULT_MODEL = "tiny-mqa";

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|NAME",
            description = "Hugging Face Gemma folder, or a built-in test model: ${COMPLETION-CANDIDATES}"
                    + " (default: " + DEFAULT_MODEL + ", random weights)",
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

    Gemma load(PrintWriter err) {
        String name = modelOrDefault();
        if (TestModels.isBuiltIn(name)) {
            err.println("note: '" + name + "' is a built-in test model with random weights; its text is"
                    + " gibberish. Pass --model DIR to run a real Gemma checkpoint.");
        }
        LoadOptions options = LoadOptions.defaults().withDevice(parseDevice(device)).withGpuMemory(gpuMemory)
                .withMaxBatchTokens(maxBatch).withMaxSequences(maxSequences);
        if (context != null) options = options.withContextLength(context);
        ProgressBar[] bar = {null};
        Gemma gemma = Gemma.load(name, options, new Gemma.LoadMonitor() {
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
        });
        err.println("backend: " + gemma.backendName());
        return gemma;
    }

    static final class BuiltInModels implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return TestModels.presetNames().iterator();
        }
    }
}
