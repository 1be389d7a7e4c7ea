package dev.gemma4j.cli;

import picocli.CommandLine.Option;

/** {@code --device} and {@code --gpu-memory}, shared by every command that may run on a GPU. */
final class DeviceOptions {
    @Option(names = "--device", paramLabel = "auto|cpu|cuda|cuda:N", converter = DeviceChoice.Converter.class,
            description = "Backend: auto picks CUDA when a driver and a GPU are found, else the CPU; cuda:N runs on the"
                    + " GPU the driver numbers N (default: ${DEFAULT-VALUE}).")
    DeviceChoice device = DeviceChoice.AUTO;

    @Option(names = "--gpu-memory", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Device memory the CUDA backend may use, e.g. 18GiB, or all: the GPU's free memory"
                    + " (default: ${DEFAULT-VALUE}).")
    String gpuMemory = "all";
}
