package dev.gemma4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code gemma4j} command line. */
@Command(name = "gemma4j", mixinStandardHelpOptions = true, version = "gemma4j 0.1.0",
        description = "Runs Google's Gemma models from Java.",
        subcommands = {GenerateCommand.class, ChatCommand.class, LogitsCommand.class, TokenizeCommand.class,
                InfoCommand.class, BenchCommand.class, ParityCommand.class, ServeCommand.class, ServeBenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /** Exit status for errors in what the user gave (bad model, bad token, bad option value). */
    static final int EXIT_BAD_INPUT = 2;
    /** Exit status for anything else that failed. */
    static final int EXIT_FAILURE = 1;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (0 on success). */
    public static int run(String... args) {
        return run(System.in, new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Standard input of this run (chat reads its messages from it). */
    final java.io.InputStream in;

    private Main(java.io.InputStream in) {
        this.in = in;
    }

    /** Runs the command line with the given input, output and error streams. */
    public static int run(java.io.InputStream in, java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main(in));
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("gemma4j " + cmd.getCommandName() + ": " + describe(e));
            if (Boolean.getBoolean("gemma4j.stacktrace")) e.printStackTrace(cmd.getErr());
            return e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof dev.gemma4j.model.ModelFormatException
                    || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
                    ? EXIT_BAD_INPUT : EXIT_FAILURE;
        });
        return cli.execute(args);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
