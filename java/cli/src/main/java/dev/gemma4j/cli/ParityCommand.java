package dev.gemma4j.cli;

import dev.gemma4j.cpu.CpuBackend;
import dev.gemma4j.cuda.CudaBackend;
import dev.gemma4j.cuda.DeviceBudget;
import dev.gemma4j.engine.Forward;
import dev.gemma4j.engine.Parity;
import dev.gemma4j.model.Checkpoint;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import dev.gemma4j.LoadOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "parity", mixinStandardHelpOptions = true, header = "Compare the CUDA backend with the CPU backend.",
        description = {"Runs the same tokens on the CUDA and the CPU backend and prints, per step and for the logits,",
                "the relative error ‖cuda − cpu‖ / ‖cpu‖, and how many greedy tokens agree.",
                "Exits 1 when the logits differ by more than --tolerance or are not finite."})
final class ParityCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ModelName modelName = new ModelName();
    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    @Option(names = "--layers", description = "Layers of a synthetic model, 0 = all (default: 2 for synthetic-7b, else all).")
    Integer layers;

    @Option(names = "--prompt-tokens", description = "Random prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens = 16;

    @Option(names = "--new-tokens", description = "Greedy tokens to compare (default: ${DEFAULT-VALUE}).")
    int newTokens = 32;

    @Option(names = "--seed", description = "Seed of the prompt and of synthetic weights (default: ${DEFAULT-VALUE}).")
    long seed = 1234;

    @Option(names = "--tolerance", description = "Largest accepted relative logits error (default: ${DEFAULT-VALUE}: fp16 weights and activations).")
    double tolerance = 1e-2;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String model = modelName.orDefault();
        if (deviceOptions.device.kind() == LoadOptions.Device.CPU) {
            throw new OptionValueException("--device cpu: parity compares the CUDA backend with the CPU; give auto,"
                    + " cuda or cuda:N");
        }
        if (promptTokens < 1 || newTokens < 1) {
            throw new OptionValueException("--prompt-tokens and --new-tokens must be >= 1, found "
                    + promptTokens + " and " + newTokens);
        }
        boolean synthetic = SyntheticWeights.isSynthetic(model);
        int layerCount = layers != null ? layers : model.equals("synthetic-7b") ? 2 : 0;
        int context = promptTokens + newTokens;
        CudaBackend.Settings settings = CudaBackend.Settings.of(DeviceBudget.parse(deviceOptions.gpuMemory),
                Math.max(promptTokens, 1), context).withDevice(deviceOptions.device.ordinal());
        // The CPU side of a synthetic model holds the fp16 values the device kernel computes.
        try (WeightSource weights = synthetic ? SyntheticWeights.create(model, layerCount, DType.F16, seed)
                     : WeightSource.open(TestModels.resolve(model), true);
             CpuBackend cpu = new CpuBackend(weights);
             CudaBackend cuda = synthetic ? CudaBackend.openSynthetic(weights.config(), seed, settings, null)
                     : CudaBackend.open(weights, settings, null)) {
            int vocab = weights.config().vocabSize();
            SplittableRandom rnd = new SplittableRandom(seed);
            int[] prompt = new int[promptTokens];
            prompt[0] = weights.config().bosTokenId();
            for (int i = 1; i < promptTokens; i++) prompt[i] = 1000 + rnd.nextInt(vocab - 1000);
            out.printf(Locale.ROOT, "model %s (%d layers), device %s, prompt %s%n", model,
                    weights.config().numHiddenLayers(), cuda.device(), Arrays.toString(prompt));
            Parity.Report r = Parity.compare(new Forward(cuda), new Forward(cpu), prompt, newTokens);
            out.printf(Locale.ROOT, "%-24s %14s %14s%n", "step", "rel. error", "max |error|");
            for (Parity.Step s : r.steps()) {
                out.printf(Locale.ROOT, "%-24s %14.3e %14.3e%n", s.name(), s.relativeError(), s.maxAbsError());
            }
            out.printf(Locale.ROOT, "greedy tokens agreeing: %d of %d%n", r.agreeingTokens(), newTokens);
            out.flush();
            double rel = r.logitsRelativeError();
            return Double.isFinite(rel) && rel <= tolerance ? 0 : 1;
        }
    }
}
