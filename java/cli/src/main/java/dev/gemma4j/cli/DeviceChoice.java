package dev.gemma4j.cli;

import dev.gemma4j.LoadOptions;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The value of {@code --device}: {@code auto}, {@code cpu}, {@code cuda} (GPU 0) or {@code cuda:N} (the GPU the
 * CUDA driver numbers N).
 */
record DeviceChoice(LoadOptions.Device kind, int ordinal) {
    static final String FORMS = "auto, cpu, cuda or cuda:N (N = the GPU's ordinal, 0 first)";
    static final DeviceChoice AUTO = new DeviceChoice(LoadOptions.Device.AUTO, 0);

    /**
     * @throws TypeConversionException naming the forms allowed, for picocli to put after the option and value
     */
    static DeviceChoice parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        switch (t) {
            case "auto": return AUTO;
            case "cpu": return new DeviceChoice(LoadOptions.Device.CPU, 0);
            case "cuda": return new DeviceChoice(LoadOptions.Device.CUDA, 0);
            default: break;
        }
        if (t.startsWith("cuda:")) {
            String n = t.substring("cuda:".length());
            if (!n.isEmpty() && n.chars().allMatch(c -> c >= '0' && c <= '9')) {
                try {
                    return new DeviceChoice(LoadOptions.Device.CUDA, Integer.parseInt(n));
                } catch (NumberFormatException tooLong) {
                    // falls through to the refusal
                }
            }
            throw new TypeConversionException("'" + text + "' has no GPU ordinal after 'cuda:'; expected " + FORMS);
        }
        throw new TypeConversionException("'" + text + "' is not a device; expected " + FORMS);
    }

    LoadOptions applyTo(LoadOptions options) {
        return options.withDevice(kind).withCudaDevice(ordinal);
    }

    @Override
    public String toString() {
        return kind == LoadOptions.Device.CUDA && ordinal != 0 ? "cuda:" + ordinal : kind.name().toLowerCase(Locale.ROOT);
    }

    static final class Converter implements ITypeConverter<DeviceChoice> {
        @Override
        public DeviceChoice convert(String value) {
            return parse(value);
        }
    }
}
