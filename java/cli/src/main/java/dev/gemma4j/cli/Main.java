package dev.gemma4j.cli;

import dev.gemma4j.cuda.DeviceMemoryException;
import dev.gemma4j.model.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;

/** The {@code gemma4j} command line. */
@Command(name = "gemma4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runs Google's Gemma models from Java.",
        subcommands = {GenerateCommand.class, ChatCommand.class, LogitsCommand.class, TokenizeCommand.class,
                InfoCommand.class, QuantizeCommand.class, BenchCommand.class, ParityCommand.class, ServeCommand.class, ServeBenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /** Exit status for a usage error or a bad model, file or input. */
    static final int EXIT_BAD_INPUT = 2;
    /** Exit status for a failure while running. */
    static final int EXIT_FAILURE = 1;

    /** The rule every command follows, as --help states it. */
    private static final Map<String, String> EXIT_CODES = new LinkedHashMap<>();

    static {
        EXIT_CODES.put("0", "success");
        EXIT_CODES.put("" + EXIT_FAILURE, "a failure while running (CUDA, the engine, a check the command makes)");
        EXIT_CODES.put("" + EXIT_BAD_INPUT, "a usage error, or a bad model, file, option value or input");
    }

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print a failure's stack trace (./gemma4j also shows the build's output).")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (0 on success). */
    public static int run(String... args) {
        return run(System.in, new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true),
                stderrIsTerminal(), args);
    }

    /**
     * Java cannot ask whether standard error is a terminal: ./gemma4j tells it ({@code -Dgemma4j.stderr.terminal},
     * from {@code test -t 2}); without it, an interactive console stands for one.
     */
    private static boolean stderrIsTerminal() {
        String told = System.getProperty("gemma4j.stderr.terminal");
        if (told != null) return Boolean.parseBoolean(told);
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** Standard input of this run (chat reads its messages from it). */
    final InputStream in;
    /** Whether the error stream is a terminal, where progress bars are drawn in place. */
    final boolean stderrIsTerminal;

    private Main(InputStream in, boolean stderrIsTerminal) {
        this.in = in;
        this.stderrIsTerminal = stderrIsTerminal;
    }

    /** Runs the command line with the given input, output and error streams. */
    public static int run(InputStream in, java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        return run(in, out, err, false, args);
    }

    /** As {@link #run(InputStream, java.io.PrintWriter, java.io.PrintWriter, String...)}, saying whether {@code err} is a terminal. */
    static int run(InputStream in, java.io.PrintWriter out, java.io.PrintWriter err, boolean errIsTerminal, String... args) {
        Main main = new Main(in, errIsTerminal);
        CommandLine cli = new CommandLine(main);
        cli.setOut(out);
        cli.setErr(err);
        describeExitCodes(cli);
        cli.setParameterExceptionHandler((e, argv) -> usageError(e.getCommandLine(), e.getMessage()));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ParameterException p) return usageError(p.getCommandLine(), p.getMessage());
            if (e instanceof OptionValueException) return usageError(cmd, e.getMessage());
            cmd.getErr().println(prefix(cmd) + describe(e));
            if (main.verbose || Boolean.getBoolean("gemma4j.stacktrace")) e.printStackTrace(cmd.getErr());
            return exitCode(e);
        });
        return cli.execute(args);
    }

    /** The status a command's exception gives: bad input is 2, any other failure 1. */
    static int exitCode(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof ModelFormatException
                || e instanceof DeviceMemoryException || e instanceof IOException || e instanceof UncheckedIOException
                ? EXIT_BAD_INPUT : EXIT_FAILURE;
    }

    /** One line saying what is wrong, one pointing to the help: the usage itself is not repeated. */
    private static int usageError(CommandLine cmd, String message) {
        cmd.getErr().println(prefix(cmd) + message);
        cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
        cmd.getErr().flush();
        return EXIT_BAD_INPUT;
    }

    private static void describeExitCodes(CommandLine cli) {
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit status:%n").exitCodeList(EXIT_CODES);
        cli.getSubcommands().values().forEach(Main::describeExitCodes);
    }

    private static String prefix(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName() + ": ";
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** The version Maven wrote into version.properties when it built this jar. */
    static final class Version implements CommandLine.IVersionProvider {
        static String text() {
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in == null) return "gemma4j (version unknown: version.properties is not in this build)";
                Properties p = new Properties();
                p.load(in);
                return "gemma4j " + p.getProperty("version", "(version unknown)");
            } catch (IOException e) {
                throw new UncheckedIOException("reading gemma4j's version.properties: " + e.getMessage(), e);
            }
        }

        @Override
        public String[] getVersion() {
            return new String[] {text()};
        }
    }
}
