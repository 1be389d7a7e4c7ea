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
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Prints a model's configuration, parameter count and bytes per dtype.")
final class InfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|FILE|NAME", description = "Model folder, .gguf file or built-in test model (default: tiny-mqa).")
    String model = ModelOption.DEFAULT_MODEL;

    @Option(names = "--gpu-memory", paramLabel = "SIZE",
            description = "Also print the CUDA memory plan for this budget, e.g. 18GiB; 'all' asks the GPU for its free memory.")
    String gpuMemory;

    @Option(names = "--memory", paramLabel = "SIZE",
            description = "The CPU backend's KV budget in the CPU plan, e.g. 8GiB, or all: what the machine can give without swapping (default: ${DEFAULT-VALUE}).")
    String memory = "all";

    @Option(names = "--context", paramLabel = "TOKENS", description = "Context the plan must hold (default: the model's max_position_embeddings).")
    int context;

    @Option(names = "--max-batch", paramLabel = "TOKENS", description = "Prompt tokens per forward step in the plan (default: ${DEFAULT-VALUE}).")
    int maxBatch = 512;

    @Option(names = "--max-sequences", paramLabel = "N",
            description = "Sequences the plan holds at once, each with a KV cache of the context (default: ${DEFAULT-VALUE}).")
    int maxSequences = 1;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (WeightSource weights = WeightSource.open(TestModels.resolve(model), true)) {
            GemmaConfig c = weights.config();
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
            Map<DType, long[]> perDtype = new EnumMap<>(DType.class);
            for (Tensor t : weights.tensors().values()) {
                long[] acc = perDtype.computeIfAbsent(t.dtype(), d -> new long[2]);
                acc[0]++;
                acc[1] += t.data().byteSize();
            }
            perDtype.forEach((d, acc) -> out.printf(Locale.ROOT, "%-21s %d tensors, %,d bytes%n",
                    d.safetensorsName(), acc[0], acc[1]));
            out.printf(Locale.ROOT, "KV cache per token    %,d bytes at fp16 (CUDA), %,d at fp32 (CPU)%n",
                    MemoryPlan.kvBytesPerToken(c), CpuMemoryPlan.kvBytesPerToken(c));
            long cpuRows = layers.layers().stream().mapToLong(l -> l.cacheRows(c.maxPositionEmbeddings())).sum();
            out.printf(Locale.ROOT, "CPU KV cache          %,d bytes (fp32) for %,d tokens%s%n",
                    cpuRows * 2L * c.kvDim() * Float.BYTES, c.maxPositionEmbeddings(),
                    f.slidingLayers() > 0 ? "; sliding layers keep only their window" : "");
            out.println(CpuMemoryPlan.of(c, memory, maxBatch, CpuBackend.residentBytes(weights)).describe());
            if (gpuMemory != null) {
                MemoryPlan plan = plan(c);
                out.println(plan.describe());
                if (!plan.fits()) {
                    out.flush();
                    spec.commandLine().getErr().println("gemma4j info: " + plan.refusal());
                    return Main.EXIT_BAD_INPUT;
                }
            }
        }
        out.flush();
        return 0;
    }

    /** The plan for a stated budget needs no GPU; "all" asks device 0 for its free memory. */
    private MemoryPlan plan(GemmaConfig c) {
        if (context < 0 || maxBatch < 1 || maxSequences < 1) {
            throw new IllegalArgumentException("--context must be >= 0, --max-batch >= 1 and --max-sequences >= 1, found "
                    + context + ", " + maxBatch + " and " + maxSequences);
        }
        DeviceBudget budget = DeviceBudget.parse(gpuMemory);
        long bytes;
        if (budget.isAllFree()) {
            String why = CudaProbe.unavailableReason().orElse(null);
            if (why != null) {
                throw new IllegalArgumentException("--gpu-memory all needs a GPU to ask for its free memory (" + why
                        + "); give a size such as 18GiB to see the plan for it");
            }
            try (CudaContext ctx = CudaContext.open(0)) {
                bytes = budget.resolve(ctx.memoryInfo().freeBytes());
            }
        } else {
            bytes = budget.bytes();
        }
        int tokens = context == 0 ? c.maxPositionEmbeddings() : context;
        return MemoryPlan.of(c, bytes, Math.min(maxBatch, tokens), tokens, maxSequences);
    }
}
