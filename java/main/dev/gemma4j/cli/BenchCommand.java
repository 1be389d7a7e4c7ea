package dev.gemma4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.bench.Benchmark;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cpu.MemoryBandwidth;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.cuda.DeviceLimits;
import dev.gemma4j.cuda.MemoryPlan;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures prefill and batch-1 decode speed and states each against its limit, measured in the same run:",
                "decode against bytes read per step ÷ memory bandwidth (CPU: read bandwidth; CUDA: device copy bandwidth),",
                "prefill on CUDA against the cuBLAS fp16 GEMM rate."})
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|NAME",
            description = "Model folder, built-in test model, or synthetic-2b / synthetic-7b (default: ${DEFAULT-VALUE}).")
    String model = "synthetic-2b";

    @Option(names = "--device", paramLabel = "auto|cuda|cpu", description = "Backend (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--gpu-memory", paramLabel = "SIZE", description = "Device memory budget (default: ${DEFAULT-VALUE}).")
    String gpuMemory = "all";

    @Option(names = "--dtype", description = "Stored dtype of synthetic weights on the CPU: bf16, f16 or f32 (default: ${DEFAULT-VALUE}; the GPU holds fp16).")
    String dtype = "bf16";

    @Option(names = "--layers", description = "Layers of a synthetic model, 0 = all (default: ${DEFAULT-VALUE}).")
    int layers = 0;

    @Option(names = "--prompt-tokens", description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens = 32;

    @Option(names = "--new-tokens", description = "Tokens to decode, at least 2 (default: ${DEFAULT-VALUE}).")
    int newTokens = 16;

    @Option(names = "--seed", description = "Seed of the synthetic weights and the prompt (default: ${DEFAULT-VALUE}).")
    long seed = 1234;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadOptions.Device d = dev.gemma4j.Gemma.chooseDevice(ModelOption.parseDevice(device), new dev.gemma4j.Gemma.LoadMonitor() {
            @Override
            public void notice(String text) {
                err.println(text);
            }
        });
        boolean synthetic = SyntheticWeights.isSynthetic(model);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model", model);
        f.put("device", d.name().toLowerCase(Locale.ROOT));
        f.put("prompt_tokens", promptTokens);
        f.put("new_tokens", newTokens);
        Benchmark.Result r;
        GemmaConfig c;
        double decodeLimit;
        if (d == LoadOptions.Device.CPU) {
            err.println("measuring memory read bandwidth (2 GiB buffer, best of 5)…");
            double bandwidth = MemoryBandwidth.measureRead(2L << 30, 5);
            f.put("threads", Runtime.getRuntime().availableProcessors());
            f.put("memory_read_bandwidth_gb_s", bandwidth / 1e9);
            long t0 = System.nanoTime();
            try (WeightSource weights = synthetic ? SyntheticWeights.create(model, layers, DType.parse(dtype), seed)
                    : Checkpoint.open(TestModels.resolve(model));
                 CpuBackend backend = new CpuBackend(weights)) {
                err.printf(Locale.ROOT, "weights ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
                c = weights.config();
                // The CPU backend caches K and V in fp32.
                long kvPerToken = 2L * c.numHiddenLayers() * c.numKeyValueHeads() * c.headDim() * Float.BYTES;
                r = run(backend, Benchmark.weightBytes(weights), kvPerToken, err);
            }
            decodeLimit = bandwidth / r.bytesPerDecodeStep();
        } else {
            c = synthetic ? SyntheticWeights.config(model, layers, DType.F16) : null;
            err.println("measuring device copy bandwidth and cuBLAS fp16 GEMM rate…");
            try (WeightSource weights = synthetic ? null : Checkpoint.open(TestModels.resolve(model))) {
                GemmaConfig cfg = synthetic ? c : weights.config();
                DeviceLimits limits = DeviceLimits.measure(0, 1L << 30, cfg.intermediateSize(), Math.max(promptTokens, 16),
                        cfg.hiddenSize());
                f.put("device_copy_bandwidth_gb_s", limits.copyBytesPerSecond() / 1e9);
                f.put("gemm_tflops", limits.gemmFlopsPerSecond() / 1e12);
                f.put("gemm_shape", limits.gemmShape());
                CudaBackend.Settings settings = CudaBackend.Settings.of(DeviceBudget.parse(gpuMemory),
                        Math.max(promptTokens, 1), promptTokens + newTokens);
                ProgressBar[] bar = {null};
                dev.gemma4j.cuda.LoadListener listener = new dev.gemma4j.cuda.LoadListener() {
                    @Override
                    public void planned(MemoryPlan plan, dev.gemma4j.cuda.CudaContext.DeviceInfo info,
                                        dev.gemma4j.cuda.CudaContext.MemoryInfo memory) {
                        err.println("device: " + info + "; " + memory + "\n" + plan.describe());
                        f.put("gpu", info.toString());
                    }

                    @Override
                    public void uploaded(long done, long total) {
                        if (bar[0] == null) bar[0] = new ProgressBar(err, "weights (MB)", total >> 20);
                        bar[0].update(done >> 20);
                        if (done == total) bar[0].done();
                    }
                };
                try (CudaBackend backend = synthetic ? CudaBackend.openSynthetic(cfg, seed, settings, listener)
                        : CudaBackend.open(weights, settings, listener)) {
                    c = cfg;
                    r = run(backend, backend.plan().weightBytes(), MemoryPlan.kvBytesPerToken(c), err);
                    f.put("peak_device_memory_bytes", backend.memory().peakBytes());
                }
                decodeLimit = limits.copyBytesPerSecond() / r.bytesPerDecodeStep();
                // Prefill: 2 flops per weight of every layer per prompt token (the logits of one row are negligible).
                double flopsPerToken = 2.0 * (c.parameterCount() - (long) c.vocabSize() * c.hiddenSize());
                double prefillLimit = limits.gemmFlopsPerSecond() / flopsPerToken;
                f.put("prefill_limit_tokens_per_s", prefillLimit);
                f.put("prefill_fraction_of_limit", r.prefillTokensPerSecond() / prefillLimit);
            }
        }
        f.put("checkpoint_dtype", c.torchDtype());
        f.put("layers", c.numHiddenLayers());
        f.put("prefill_tokens_per_s", r.prefillTokensPerSecond());
        f.put("time_to_first_token_s", r.timeToFirstTokenSeconds());
        f.put("decode_tokens_per_s", r.decodeTokensPerSecond());
        f.put("bytes_per_decode_step", r.bytesPerDecodeStep());
        f.put("decode_limit_tokens_per_s", decodeLimit);
        f.put("decode_fraction_of_limit", r.decodeTokensPerSecond() / decodeLimit);
        out.println();
        f.forEach((k, v) -> out.printf(Locale.ROOT, "%-30s %s%n", k,
                v instanceof Double x ? String.format(Locale.ROOT, "%.4g", x) : v));
        out.flush();
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), f);
            err.println("wrote " + json);
        }
        return 0;
    }

    private Benchmark.Result run(Backend backend, long weightBytes, long kvPerToken, PrintWriter err) {
        Forward forward = new Forward(backend);
        err.println("warm-up…");
        Benchmark.run(forward, weightBytes, kvPerToken, Math.min(8, promptTokens), 3, seed, null);
        ProgressBar bar = new ProgressBar(err, "decode", newTokens);
        Benchmark.Result r = Benchmark.run(forward, weightBytes, kvPerToken, promptTokens, newTokens, seed, bar::update);
        bar.done();
        return r;
    }
}
