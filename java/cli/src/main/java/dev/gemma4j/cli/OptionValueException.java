package dev.gemma4j.cli;

/**
 * An option's value that parsed but is out of range: a usage error, reported as one line naming the option, the
 * value and what is allowed, with a hint to {@code --help}.
 */
final class OptionValueException extends IllegalArgumentException {
    OptionValueException(String message) {
        super(message);
    }

    OptionValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
