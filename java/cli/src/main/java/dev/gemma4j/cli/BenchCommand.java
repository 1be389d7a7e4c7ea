package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.LoadOptions;
import dev.gemma4j.bench.BatchFigures;
import dev.gemma4j.bench.BatchRun;
import dev.gemma4j.bench.Benchmark;
import dev.gemma4j.bench.Cost;
import dev.gemma4j.bench.Limits;
import dev.gemma4j.bench.Report;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cpu.FmaPeak;
import dev.gemma4j.cpu.MemoryBandwidth;
import dev.gemma4j.cpu.VectorModule;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.cuda.KernelProfile;
import dev.gemma4j.cuda.CudaContext;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.cuda.DeviceLimits;
import dev.gemma4j.cuda.LoadListener;
import dev.gemma4j.cuda.MemoryPlan;
import dev.gemma4j.engine.Backend;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, header = "Measure prefill and decode speed against the hardware's limits.",
        description = {"Measures prefill and decode speed at each batch size and states every figure against its limit,"
                + " measured once in the same run:",
                "decode against bandwidth ÷ bytes read per step (CUDA: device copy bandwidth; CPU: memory read bandwidth),",
                "prefill against a flop rate ÷ the prompt's GEMM flops (CUDA: the cuBLAS fp16 GEMM rate; CPU: the fp32 FMA peak).",
                "Prints a progress bar while it runs and a table at the end; --json writes the same numbers."})
final class BenchCommand implements Callable<Integer> {
    /** Bytes of the CPU read-bandwidth buffer: far larger than any cache. */
    private static final long CPU_BANDWIDTH_BUFFER = 2L << 30;
    /** FMA rounds per thread of one FMA-peak pass: about 0.1 s on a 2.6 GHz AVX-512 core. */
    private static final long CPU_FMA_ROUNDS = 50_000_000L;
    /** Bytes of each of the two device copy-bandwidth buffers. */
    private static final long DEVICE_COPY_BUFFER = 1L << 30;
    /** The prefill chunk when --max-batch is not given, unless the prompt is longer (then one pass). */
    private static final int DEFAULT_MAX_BATCH = 512;
    /** Smallest token count of the GEMM whose rate is measured: tensor-core tiles are 16 wide. */
    private static final int MIN_GEMM_TOKENS = 16;

    @Spec CommandSpec spec;

    @Mixin ModelName modelName = new ModelName();
    @Mixin DeviceOptions deviceOptions = new DeviceOptions();
    private String model;
    private String gpuMemory;

    @Option(names = "--dtype", description = "Stored dtype of synthetic weights on the CPU: bf16, f16 or f32 (default: ${DEFAULT-VALUE}; the GPU holds fp16).")
    String dtype = "bf16";

    @Option(names = "--layers", description = "Layers of a synthetic model, 0 = all (default: ${DEFAULT-VALUE}).")
    int layers = 0;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "Prompt length of every sequence (default: ${DEFAULT-VALUE}).")
    int promptTokens = 32;

    @Option(names = "--new-tokens", paramLabel = "N",
            description = "New tokens per sequence, at least 2: the first from the prefill, the rest from timed decode steps (default: ${DEFAULT-VALUE}).")
    int newTokens = 16;

    @Option(names = "--batch", paramLabel = "B,...",
            description = "Batch sizes, each timed in turn: B sequences decoded together (default: ${DEFAULT-VALUE}).")
    String batch = "1";

    @Option(names = "--max-batch", paramLabel = "TOKENS",
            description = "Most prompt tokens per forward step on the GPU; longer prompts run in chunks (default: the larger of "
                    + DEFAULT_MAX_BATCH + " and --prompt-tokens, so a prompt is one pass).")
    Integer maxBatch;

    @Option(names = "--seed", description = "Seed of the synthetic weights and the prompts (default: ${DEFAULT-VALUE}).")
    long seed = 1234;

    @Option(names = "--batch-invariant",
            description = "CUDA: run every sequence of a decode step on its own, as LoadOptions.withBatchInvariance does,"
                    + " to measure what batch invariance costs (the CPU is batch-invariant anyway).")
    boolean batchInvariant;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON.")
    Path json;

    @Option(names = "--profile", paramLabel = "STEPS",
            description = "CUDA only: after each batch size, time every kernel and GEMM of STEPS more decode steps with CUDA events"
                    + " (launch by launch, so the gaps that graphs remove show too) and print where a step's time goes (default: off).")
    int profileSteps;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        model = modelName.orDefault("synthetic-2b");
        gpuMemory = deviceOptions.gpuMemory;
        int[] batches = parseBatches(batch);
        int maxB = Arrays.stream(batches).max().orElseThrow();
        if (promptTokens < 1) throw new OptionValueException("--prompt-tokens must be at least 1, found " + promptTokens);
        if (newTokens < 2) {
            throw new OptionValueException("--new-tokens must be at least 2 (the first new token comes from the prefill,"
                    + " the rest from timed decode steps), found " + newTokens);
        }
        if (maxBatch != null && maxBatch < 1) throw new OptionValueException("--max-batch must be at least 1, found " + maxBatch);
        if (profileSteps < 0) throw new OptionValueException("--profile must be at least 1 step, found " + profileSteps);
        int chunk = maxBatch != null ? maxBatch : Math.max(DEFAULT_MAX_BATCH, promptTokens);
        LoadOptions.Device d = Gemma.chooseDevice(deviceOptions.device.kind(), new Gemma.LoadMonitor() {
            @Override
            public void notice(String text) {
                err.println(text);
            }
        });
        if (profileSteps > 0 && d != LoadOptions.Device.CUDA) {
            throw new OptionValueException("--profile times CUDA kernels and needs --device cuda; the run is on the "
                    + d.name().toLowerCase(Locale.ROOT));
        }
        boolean synthetic = SyntheticWeights.isSynthetic(model);
        DType syntheticDtype = d == LoadOptions.Device.CPU ? DType.parse(dtype) : DType.F16;

        Map<String, Object> about = new LinkedHashMap<>();
        about.put("gemma4j", Main.Version.text());
        about.put("java", Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")");
        about.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        about.put("model", model);
        about.put("device", d == LoadOptions.Device.CUDA ? new DeviceChoice(d, deviceOptions.device.ordinal()).toString()
                : d.name().toLowerCase(Locale.ROOT));

        try (WeightSource checkpoint = synthetic ? null : WeightSource.open(TestModels.resolve(model), true)) {
            GemmaConfig c = synthetic ? SyntheticWeights.config(model, layers, syntheticDtype) : checkpoint.config();
            int context = promptTokens + newTokens;
            if (context > c.maxPositionEmbeddings()) {
                throw new OptionValueException("--prompt-tokens " + promptTokens + " + --new-tokens " + newTokens + " = "
                        + context + " tokens exceed " + model + "'s context of " + c.maxPositionEmbeddings()
                        + " tokens (max_position_embeddings)");
            }
            about.put("config", configSummary(c, d == LoadOptions.Device.CPU
                    ? (synthetic ? syntheticDtype.torchName() : "as stored") : "float16"));
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("prompt_tokens", promptTokens);
            settings.put("new_tokens", newTokens);
            settings.put("decode_steps_per_batch", newTokens - 1);
            settings.put("batches", batches);
            settings.put("context_tokens", context);
            settings.put("seed", seed);
            settings.put("sampling", "greedy");
            settings.put("warm_up", Benchmark.warmUpDescription());
            about.put("settings", settings);
            Report report = d == LoadOptions.Device.CPU
                    ? runCpu(c, checkpoint, batches, maxB, context, about, err)
                    : runCuda(c, checkpoint, batches, maxB, context, chunk, about, settings, err);
            out.println();
            out.print(report.table());
            out.flush();
            if (json != null) {
                Path parent = json.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                report.writeJson(json);
                err.println("wrote " + json);
            }
        }
        return 0;
    }

    private Report runCpu(GemmaConfig c, WeightSource checkpoint, int[] batches, int maxB, int context,
                          Map<String, Object> about, PrintWriter err) {
        VectorModule.require("gemma4j bench on the CPU");
        // The CPU backend caches K and V in fp32.
        long kvPerToken = 2L * c.numHiddenLayers() * c.numKeyValueHeads() * c.headDim() * Float.BYTES;
        long kvBytes = (long) maxB * context * kvPerToken;
        long heap = Runtime.getRuntime().maxMemory();
        // Half the heap: the rest holds activations, logits and the garbage between steps.
        if (kvBytes > heap / 2) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "--batch %d: %,d KV caches of %,d tokens take %,d bytes on the Java heap (fp32, %,d bytes per token),"
                            + " more than half of its %,d-byte maximum (-Xmx)", maxB, maxB, context, kvBytes, kvPerToken, heap));
        }
        Map<String, Object> hardware = new LinkedHashMap<>();
        hardware.put("cpu", cpuModel());
        hardware.put("threads", Runtime.getRuntime().availableProcessors());
        about.put("hardware", hardware);
        err.printf(Locale.ROOT, "cpu: %s, %d threads%n", hardware.get("cpu"), Runtime.getRuntime().availableProcessors());
        err.println("measuring memory read bandwidth (2 GiB buffer, best of 5) and the fp32 FMA peak (best of 5)…");
        double bandwidth = MemoryBandwidth.measureRead(CPU_BANDWIDTH_BUFFER, 5);
        FmaPeak.Result fma = FmaPeak.measure(Runtime.getRuntime().availableProcessors(), CPU_FMA_ROUNDS, 5);
        Limits limits = new Limits(bandwidth, "memory read bandwidth (all cores, Vector API sum over a 2 GiB buffer, best of 5)",
                fma.flopsPerSecond(), fma.describe());
        long t0 = System.nanoTime();
        try (WeightSource weights = checkpoint != null ? null : SyntheticWeights.create(model, layers, DType.parse(dtype), seed);
             CpuBackend backend = new CpuBackend(checkpoint != null ? checkpoint : weights)) {
            err.printf(Locale.ROOT, "weights ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            Cost cost = Cost.of(c, Cost.storedBytes(checkpoint != null ? checkpoint : weights), kvPerToken);
            return measure(backend, c, batches, maxB, cost, limits, about, null, err);
        }
    }

    private Report runCuda(GemmaConfig c, WeightSource checkpoint, int[] batches, int maxB, int context, int chunk,
                           Map<String, Object> about, Map<String, Object> settings, PrintWriter err) {
        settings.put("max_batch_tokens", chunk);
        settings.put("gpu_memory", gpuMemory);
        settings.put("max_sequences", maxB);
        int gemmTokens = Math.max(MIN_GEMM_TOKENS, Math.min(promptTokens, chunk));
        err.printf(Locale.ROOT, "measuring device copy bandwidth (2 x 1 GiB) and the cuBLAS fp16 GEMM rate (%d x %d x %d)…%n",
                c.intermediateSize(), gemmTokens, c.hiddenSize());
        DeviceLimits measured = DeviceLimits.measure(deviceOptions.device.ordinal(), DEVICE_COPY_BUFFER, c.intermediateSize(), gemmTokens, c.hiddenSize());
        Limits limits = new Limits(measured.copyBytesPerSecond(),
                "device copy bandwidth (cuMemcpyDtoDAsync of 1 GiB, bytes read + written, best of 3 x 10)",
                measured.gemmFlopsPerSecond(), "cuBLAS fp16 GEMM " + measured.gemmShape()
                        + " (m weight rows x n tokens x k inner, fp16 in, fp32 out)");
        CudaBackend.Settings cudaSettings = CudaBackend.Settings.of(DeviceBudget.parse(gpuMemory), chunk, context)
                .withMaxSequences(maxB).withDevice(deviceOptions.device.ordinal()).withBatchInvariance(batchInvariant);
        err.printf(Locale.ROOT, "loading with room for %d sequences of %d tokens (the largest --batch)%n", maxB, context);
        ProgressBar[] bar = {null};
        LoadListener listener = new LoadListener() {
            @Override
            public void planned(MemoryPlan plan, CudaContext.DeviceInfo info, CudaContext.MemoryInfo memory) {
                err.println("device: " + info + "; " + memory + "\n" + plan.describe());
                Map<String, Object> hardware = new LinkedHashMap<>();
                hardware.put("gpu", info.name());
                hardware.put("description", info.toString());
                hardware.put("compute_capability", info.computeMajor() + "." + info.computeMinor());
                hardware.put("multiprocessors", info.multiprocessors());
                hardware.put("memory_bytes", info.totalBytes());
                hardware.put("driver_cuda_version", info.driverVersion() / 1000 + "." + info.driverVersion() % 1000 / 10);
                hardware.put("cublas_version", info.cublasVersion() / 10000 + "." + info.cublasVersion() % 10000 / 100
                        + "." + info.cublasVersion() % 100);
                hardware.put("cublas_library", info.cublasLibrary());
                about.put("hardware", hardware);
            }

            @Override
            public void uploaded(long done, long total) {
                if (bar[0] == null) bar[0] = ProgressBar.on(spec, "weights (MB)", total >> 20);
                bar[0].update(done >> 20);
                if (done == total) bar[0].done();
            }
        };
        try (CudaBackend backend = checkpoint == null ? CudaBackend.openSynthetic(c, seed, cudaSettings, listener)
                : CudaBackend.open(checkpoint, cudaSettings, listener)) {
            Cost cost = Cost.of(c, backend.plan().weightBytes(), backend.plan().kvBytesPerToken());
            Supplier<BatchRun.MemoryUse> memory = () -> {
                CudaContext.MemoryInfo info = backend.memoryInfo();
                return new BatchRun.MemoryUse(backend.memory().peakBytes(), info.totalBytes() - info.freeBytes());
            };
            Report report = measure(backend, c, batches, maxB, cost, limits, about, memory, err);
            if (profileSteps > 0) profile(backend, c, batches, maxB, about, err);
            return report;
        }
    }

    /** Per batch size, where the device time of {@code --profile} decode steps goes; printed and kept for the JSON. */
    private void profile(CudaBackend backend, GemmaConfig c, int[] batches, int maxB, Map<String, Object> about,
                         PrintWriter err) {
        Benchmark bench = new Benchmark(backend, newTokens);
        int[][] prompts = Benchmark.prompts(c, maxB, promptTokens, seed);
        List<Map<String, Object>> profiles = new ArrayList<>();
        for (int b : batches) {
            KernelProfile.Result r = bench.profile(Arrays.copyOf(prompts, b), profileSteps, backend::startProfile,
                    backend::stopProfile);
            err.printf(Locale.ROOT, "%nprofile, batch %d: %d decode steps launch by launch, %.1f µs per step on the device%n",
                    b, profileSteps, 1000 * r.spanMillis() / profileSteps);
            err.print(r.table(profileSteps));
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("batch", b);
            p.put("steps", profileSteps);
            p.put("step_us", 1000 * r.spanMillis() / profileSteps);
            p.put("kernel_us_per_step", 1000 * r.kernelMillis() / profileSteps);
            p.put("gap_us_per_step", 1000 * r.gapMillis() / profileSteps);
            List<Map<String, Object>> entries = new ArrayList<>();
            for (KernelProfile.Entry e : r.entries()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", e.name());
                m.put("launches_per_step", (double) e.launches() / profileSteps);
                m.put("us_per_step", 1000 * e.millis() / profileSteps);
                entries.add(m);
            }
            p.put("kernels", entries);
            profiles.add(p);
        }
        about.put("profiles", profiles);
        err.flush();
    }

    /** Runs every batch size in turn under one progress bar. */
    private Report measure(Backend backend, GemmaConfig c, int[] batches, int maxB, Cost cost, Limits limits,
                           Map<String, Object> about, Supplier<BatchRun.MemoryUse> memory, PrintWriter err) {
        int rows = Math.min(backend.maxDecodeBatch(), backend.maxBatchTokens());
        if (maxB > rows) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "--batch %d is more than the %d sequences one decode step of the %s backend takes"
                            + " (its KV slots: %d; rows of activations, --max-batch: %d)",
                    maxB, rows, backend.name(), backend.maxDecodeBatch(), backend.maxBatchTokens()));
        }
        Benchmark bench = new Benchmark(backend, newTokens);
        int[][] prompts = Benchmark.prompts(c, maxB, promptTokens, seed);
        err.printf(Locale.ROOT, "prompts: %d x %d random token ids from seed %d; batches %s; %d new tokens each%n",
                maxB, promptTokens, seed, Arrays.toString(batches), newTokens);
        long total = 0;
        for (int b : batches) total += bench.steps(b, promptTokens);
        Progress progress = new Progress(ProgressBar.on(spec, "bench steps", total), total);
        List<BatchFigures> figures = new ArrayList<>();
        for (int b : batches) {
            BatchRun run = bench.run(Arrays.copyOf(prompts, b), progress, memory);
            figures.add(BatchFigures.of(run, cost, limits));
        }
        progress.finish();
        return new Report(about, cost, limits, figures);
    }

    /**
     * The batch sizes of {@code --batch}: integers of at least 1 separated by commas.
     *
     * @throws IllegalArgumentException naming the flag and the value that is not a batch size
     */
    static int[] parseBatches(String text) {
        String[] parts = text.split(",", -1);
        int[] sizes = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].strip();
            int v;
            try {
                v = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                v = 0;
            }
            if (v < 1) {
                throw new OptionValueException("--batch takes batch sizes of at least 1 separated by commas (e.g. 1,8,32);"
                        + " found '" + p + "' in '" + text + "'");
            }
            sizes[i] = v;
        }
        return sizes;
    }

    private static Map<String, Object> configSummary(GemmaConfig c, String weightDtype) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", c.family().modelType());
        m.put("layers", c.numHiddenLayers());
        m.put("sliding_layers", c.family().slidingLayers());
        m.put("sliding_window", c.family().slidingWindow());
        m.put("hidden_size", c.hiddenSize());
        m.put("intermediate_size", c.intermediateSize());
        m.put("attention_heads", c.numAttentionHeads());
        m.put("key_value_heads", c.numKeyValueHeads());
        m.put("head_dim", c.headDim());
        m.put("vocab_size", c.vocabSize());
        m.put("parameters", c.parameterCount());
        m.put("checkpoint_dtype", c.torchDtype());
        m.put("weights_on_backend", weightDtype);
        return m;
    }

    /** The first "model name" of /proc/cpuinfo, or the architecture where there is none. */
    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException e) {
            return System.getProperty("os.arch") + " (/proc/cpuinfo unreadable: " + e.getMessage() + ")";
        }
        return System.getProperty("os.arch");
    }

    /** Advances a progress bar, redrawing at most every 100 ms so drawing stays out of the timings. */
    private static final class Progress implements Runnable {
        private static final long REDRAW_NANOS = 100_000_000L;
        private final ProgressBar bar;
        private final long total;
        private long done;
        private long drawnDone = -1;
        private long drawn = System.nanoTime() - REDRAW_NANOS;

        Progress(ProgressBar bar, long total) {
            this.bar = bar;
            this.total = total;
        }

        @Override
        public void run() {
            done++;
            long now = System.nanoTime();
            if (done == total || now - drawn >= REDRAW_NANOS) {
                bar.update(done);
                drawnDone = done;
                drawn = now;
            }
        }

        void finish() {
            if (drawnDone != done) bar.update(done);
            bar.done();
        }
    }
}
