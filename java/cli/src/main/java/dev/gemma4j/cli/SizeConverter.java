package dev.gemma4j.cli;

import dev.gemma4j.cuda.DeviceBudget;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A memory size option ({@code 18GiB}, {@code 512MiB}, {@code all}) checked when the command line is parsed. */
final class SizeConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
        try {
            DeviceBudget.parse(value);
            return value;
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
