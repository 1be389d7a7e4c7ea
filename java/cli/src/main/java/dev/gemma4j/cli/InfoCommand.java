package dev.gemma4j.cli;

import dev.gemma4j.cuda.CudaContext;
import dev.gemma4j.cuda.CudaProbe;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.cuda.MemoryPlan;
import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cpu.CpuMemoryPlan;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.GgufCheckpoint;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.model.DType;
import dev.gemma4j.engine.LayerPlan;
import dev.gemma4j.model.GemmaConfig;
import dev.gemma4j.model.GemmaFamily;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.testmodels.TestModels;
import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gemma4j.LoadOptions;
import java.io.IOException;
import java.util.LinkedHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "info", mixinStandardHelpOptions = true, header = "Print a model's configuration and memory plans.",
        description = {"Prints a model's configuration, parameter count, bytes per dtype and the CPU memory plan;",
                "with --gpu-memory also the CUDA memory plan (exit 2 when it does not fit)."})
final class InfoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec CommandSpec spec;
    @Mixin ModelOption modelOption = new ModelOption();

    @Option(names = "--json", description = "Print one JSON object: config, sizes and memory plans.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        LoadOptions options = modelOption.loadOptions();
        String model = modelOption.modelOrDefault();
        boolean planGpu = spec.commandLine().getParseResult().hasMatchedOption("--gpu-memory");
        String cudaType = options.compute().label();
        try (WeightSource weights = WeightSource.open(TestModels.resolve(model), true)) {
            GemmaConfig c = weights.config();
            int context = options.contextLength().orElse(c.maxPositionEmbeddings());
            CpuMemoryPlan cpuPlan = CpuMemoryPlan.of(c, modelOption.memory, modelOption.maxBatch,
                    CpuBackend.residentBytes(weights));
            MemoryPlan gpuPlan = planGpu ? plan(c, context) : null;
            if (json) {
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(model, weights, cpuPlan, gpuPlan)));
                out.flush();
                return gpuPlan == null || gpuPlan.fits() ? 0 : refuse(gpuPlan);
            }
            GemmaFamily f = c.family();
            out.printf(Locale.ROOT, "model                 %s%n", model);
            out.printf(Locale.ROOT, "model_type            %s%s%n", f.modelType(),
                    f.multimodal() ? " (the text model of a Gemma3ForConditionalGeneration checkpoint)" : "");
            if (weights instanceof Checkpoint ckpt && ckpt.skippedVisionTensors() > 0) {
                out.printf(Locale.ROOT, "vision tensors        %d skipped (vision tower and projector: gemma4j runs the "
                        + "text model)%n", ckpt.skippedVisionTensors());
            }
            if (weights instanceof GgufCheckpoint) {
                out.printf(Locale.ROOT, "format                GGUF (config, tokenizer and weights from the one file)%n");
            }
            out.printf(Locale.ROOT, "layers                %d%n", c.numHiddenLayers());
            LayerPlan layers = LayerPlan.of(c);
            if (!f.isGemma1()) {
                out.printf(Locale.ROOT, "layer kinds           %d sliding (window %d), %d full%n", f.slidingLayers(),
                        f.slidingWindow(), c.numHiddenLayers() - f.slidingLayers());
                out.printf(Locale.ROOT, "query_pre_attn_scalar %s%n", f.queryPreAttnScalar());
                out.printf(Locale.ROOT, "soft-caps             attention %s, logits %s%n",
                        f.attnLogitSoftcapping() > 0 ? f.attnLogitSoftcapping() : "none",
                        f.finalLogitSoftcapping() > 0 ? f.finalLogitSoftcapping() : "none");
                out.printf(Locale.ROOT, "rope (sliding layers) base %s, linear factor %s%n", f.slidingRopeTheta(),
                        f.slidingRopeFactor());
                out.printf(Locale.ROOT, "rope (full layers)    base %s, linear factor %s%n", c.ropeTheta(),
                        f.fullRopeFactor());
                out.printf(Locale.ROOT, "end ids               %s%n", f.endTokenIds());
            }
            out.printf(Locale.ROOT, "hidden                %d%n", c.hiddenSize());
            out.printf(Locale.ROOT, "intermediate          %d%n", c.intermediateSize());
            out.printf(Locale.ROOT, "heads / kv heads      %d / %d (%s)%n", c.numAttentionHeads(), c.numKeyValueHeads(),
                    c.numKeyValueHeads() == 1 ? "multi-query" : c.numKeyValueHeads() == c.numAttentionHeads()
                            ? "multi-head" : "grouped-query");
            out.printf(Locale.ROOT, "head_dim              %d%n", c.headDim());
            out.printf(Locale.ROOT, "vocab                 %d%n", c.vocabSize());
            out.printf(Locale.ROOT, "max positions         %d%n", c.maxPositionEmbeddings());
            out.printf(Locale.ROOT, "rms_norm_eps          %s%n", c.rmsNormEps());
            out.printf(Locale.ROOT, "rope_theta            %s%n", c.ropeTheta());
            out.printf(Locale.ROOT, "torch_dtype           %s%n", c.torchDtype());
            out.printf(Locale.ROOT, "embedding scale       %s%n", c.embeddingScale());
            out.printf(Locale.ROOT, "parameters            %,d%n", c.parameterCount());
            tensorsPerDtype(weights).forEach((d, acc) -> out.printf(Locale.ROOT, "%-21s %d tensors, %,d bytes%n",
                    d.safetensorsName(), acc[0], acc[1]));
            out.printf(Locale.ROOT, "KV cache per token    %,d bytes at %s (CUDA), %,d at fp32 (CPU)%s%n",
                    MemoryPlan.kvBytesPerToken(c), cudaType, CpuMemoryPlan.kvBytesPerToken(c),
                    f.slidingLayers() > 0 ? " in every layer; sliding layers keep rings (plans below)" : "");
            long cpuRows = layers.layers().stream().mapToLong(l -> l.cacheRows(c.maxPositionEmbeddings())).sum();
            out.printf(Locale.ROOT, "CPU KV cache          %,d bytes (fp32) for %,d tokens%s%n",
                    cpuRows * 2L * c.kvDim() * Float.BYTES, c.maxPositionEmbeddings(),
                    f.slidingLayers() > 0 ? "; sliding layers keep only their window" : "");
            out.println(cpuPlan.describe());
            if (gpuPlan != null) {
                out.println(gpuPlan.describe());
                if (!gpuPlan.fits()) return refuse(gpuPlan);
            }
        }
        out.flush();
        return 0;
    }

    /** Per stored dtype: {tensors, bytes}. */
    private static Map<DType, long[]> tensorsPerDtype(WeightSource weights) {
        Map<DType, long[]> perDtype = new EnumMap<>(DType.class);
        for (Tensor t : weights.tensors().values()) {
            long[] acc = perDtype.computeIfAbsent(t.dtype(), d -> new long[2]);
            acc[0]++;
            acc[1] += t.data().byteSize();
        }
        return perDtype;
    }

    private int refuse(MemoryPlan plan) {
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().println("gemma4j info: " + plan.refusal());
        return Main.EXIT_BAD_INPUT;
    }

    private static Map<String, Object> toJson(String model, WeightSource weights, CpuMemoryPlan cpuPlan, MemoryPlan gpuPlan)
            throws IOException {
        GemmaConfig c = weights.config();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("format", weights instanceof GgufCheckpoint ? "gguf" : "safetensors");
        m.put("config", JSON.readTree(c.toJson()));
        Map<String, Object> sizes = new LinkedHashMap<>();
        sizes.put("parameters", c.parameterCount());
        Map<String, Object> perDtype = new LinkedHashMap<>();
        tensorsPerDtype(weights).forEach((d, acc) -> perDtype.put(d.safetensorsName(), Map.of("tensors", acc[0], "bytes", acc[1])));
        sizes.put("weights_by_dtype", perDtype);
        sizes.put("skipped_vision_tensors", weights instanceof Checkpoint ckpt ? ckpt.skippedVisionTensors() : 0);
        sizes.put("kv_bytes_per_token_cuda_fp16", MemoryPlan.kvBytesPerToken(c));
        sizes.put("kv_bytes_per_token_cpu_fp32", CpuMemoryPlan.kvBytesPerToken(c));
        m.put("sizes", sizes);
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("kv_budget_bytes", cpuPlan.budgetBytes());
        cpu.put("kv_budget_source", cpuPlan.source());
        cpu.put("activation_bytes", cpuPlan.activationBytes());
        cpu.put("tokens_that_fit", cpuPlan.tokensThatFit());
        m.put("cpu_plan", cpu);
        if (gpuPlan != null) {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("budget_bytes", gpuPlan.budgetBytes());
            g.put("context_tokens", gpuPlan.contextTokens());
            g.put("max_batch_tokens", gpuPlan.maxBatchTokens());
            g.put("sequences", gpuPlan.sequences());
            g.put("weight_bytes", gpuPlan.weightBytes());
            g.put("kv_pool_bytes", gpuPlan.kvPoolBytes());
            g.put("activation_bytes", gpuPlan.activationBytes());
            g.put("workspace_bytes", gpuPlan.workspaceBytes());
            g.put("load_scratch_bytes", gpuPlan.loadScratchBytes());
            g.put("required_bytes", gpuPlan.requiredBytes());
            g.put("fits", gpuPlan.fits());
            g.put("shortfall_bytes", gpuPlan.shortfallBytes());
            m.put("gpu_plan", g);
        }
        return m;
    }

    /** The plan for a stated budget needs no GPU; "all" asks the --device GPU for its free memory. */
    private MemoryPlan plan(GemmaConfig c, int tokens) {
        DeviceBudget budget = DeviceBudget.parse(modelOption.deviceOptions.gpuMemory);
        long bytes;
        if (budget.isAllFree()) {
            String why = CudaProbe.unavailableReason().orElse(null);
            if (why != null) {
                throw new OptionValueException("--gpu-memory all needs a GPU to ask for its free memory (" + why
                        + "); give a size such as 18GiB to see the plan for it");
            }
            try (CudaContext ctx = CudaContext.open(modelOption.deviceOptions.device.ordinal())) {
                bytes = budget.resolve(ctx.memoryInfo().freeBytes());
            }
        } else {
            bytes = budget.bytes();
        }
        return MemoryPlan.of(c, bytes, Math.min(modelOption.maxBatch, tokens), tokens, modelOption.maxSequences);
    }
}
