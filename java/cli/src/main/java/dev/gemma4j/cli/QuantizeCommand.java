package dev.gemma4j.cli;

import dev.gemma4j.model.BlockQuantizer;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.GgufWriter;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import dev.gemma4j.testmodels.TestModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "quantize", mixinStandardHelpOptions = true, header = "Write a float model as a quantized GGUF file.",
        description = {"Quantizes the matrices (embedding and projections) of a float model (a Hugging Face folder, an"
                + " F32/F16/BF16 GGUF, a built-in model) to Q8_0 or Q4_0, bit for bit as llama.cpp's quantizer, and writes"
                + " them with the F32 norms and the tokenizer as one GGUF file that llama.cpp and gemma4j load.",
                "The file is written under FILE.part and renamed to FILE once complete."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelName modelName = new ModelName();

    @Option(names = "--type", paramLabel = "q8_0|q4_0", required = true,
            description = "The matrices' type: q8_0 (8.5 bits per weight) or q4_0 (4.5 bits per weight).")
    String type;

    @Option(names = "--out", paramLabel = "FILE.gguf", required = true, description = "The GGUF file to write.")
    Path out;

    @Option(names = "--force", description = "Replace --out if it exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (modelName.model == null) throw new OptionValueException("--model is required: the float model to quantize");
        DType quantized = parseType(type);
        checkOut(out, force);
        PrintWriter err = spec.commandLine().getErr();
        String name = modelName.model;
        long t0 = System.nanoTime();
        try (WeightSource weights = SyntheticWeights.isSynthetic(name)
                ? SyntheticWeights.create(name, 0, DType.BF16, ModelOption.SYNTHETIC_SEED)
                : WeightSource.open(TestModels.resolve(name), true)) {
            ProgressBar[] bar = {null};
            GgufWriter.write(weights, Path.of(name).getFileName().toString(), out, GgufWriter.Matrices.quantized(quantized),
                    (tensorsDone, tensorsTotal, bytesDone, bytesTotal) -> {
                        if (bar[0] == null) bar[0] = ProgressBar.on(spec, "quantize (tensors)", tensorsTotal);
                        bar[0].update(tensorsDone);
                        if (tensorsDone == tensorsTotal) bar[0].done();
                    });
            long before = 0, after = 0;
            int matrices = 0;
            for (Tensor t : weights.tensors().values()) {
                if (t.rank() != 2) continue;
                matrices++;
                before += t.data().byteSize();
                after += quantized.byteSize(t.elementCount());
            }
            err.printf(Locale.ROOT, "wrote %s (%,d MB with the vocabulary): %d matrices to %s, %,d MB -> %,d MB, in %.1f s%n",
                    out, Files.size(out) >> 20, matrices, quantized, before >> 20, after >> 20, (System.nanoTime() - t0) / 1e9);
            err.flush();
        }
        return 0;
    }

    /** The --type value; K-quant names are refused as the other unknown names are, saying what is accepted. */
    static DType parseType(String text) {
        try {
            return BlockQuantizer.parse(text);
        } catch (IllegalArgumentException e) {
            boolean kQuant = text.toLowerCase(Locale.ROOT).matches("q\\d_k.*");
            throw new OptionValueException("--type: " + e.getMessage()
                    + (kQuant ? " (gemma4j reads K-quant files but does not write them)" : ""), e);
        }
    }

    /**
     * Refuses, before the model is read, an --out that exists (without --force) or is a folder, and one whose
     * folder is missing or not writable.
     */
    static void checkOut(Path out, boolean force) {
        if (Files.isDirectory(out)) throw new OptionValueException("--out " + out + " is a folder, expected a file");
        if (Files.exists(out) && !force) {
            throw new OptionValueException("--out " + out + " exists; pass --force to replace it");
        }
        Path folder = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder)) {
            throw new OptionValueException("--out " + out + ": " + folder
                    + (Files.exists(folder) ? " is not a folder" : " does not exist"));
        }
        if (!Files.isWritable(folder)) {
            throw new OptionValueException("--out " + out + ": folder " + folder + " is not writable");
        }
    }
}
