package dev.gemma4j.cli;

import dev.gemma4j.Conversation;
import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.GenerationStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Callable;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "chat", mixinStandardHelpOptions = true, header = "Chat with an instruction-tuned model.",
        description = {"Interactive multi-turn chat in the instruction-tuned (-it) template. The KV cache is kept"
                + " between turns, so each message prefills only its own tokens; when the conversation outgrows"
                + " --context the oldest turns are dropped.",
                "On a terminal: line editing, history (--history), Ctrl-C cancels the reply in progress, Ctrl-D"
                        + " or /exit leaves. " + ChatCommand.COMMANDS})
final class ChatCommand implements Callable<Integer> {
    static final String COMMANDS = "Commands: /reset forgets the conversation, /system TEXT sets the system text"
            + " (/system alone clears it), /help lists these, /exit leaves.";

    @Spec CommandSpec spec;
    @ParentCommand Main main;
    @Mixin ModelOption modelOption = new ModelOption();
    @Mixin SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--system", paramLabel = "TEXT",
            description = "System text; Gemma has no system role, so it is folded into the first user turn.")
    String system;

    @Option(names = "--history", paramLabel = "FILE",
            description = "Where the line history is kept (default: $XDG_STATE_HOME/gemma4j/chat_history, else"
                    + " ~/.local/state/gemma4j/chat_history).")
    Path history;

    @Option(names = "--stats", description = "After each reply, print its prompt tokens, how many came from the"
            + " cache, and the time to the first token, on standard error.")
    boolean stats;

    /** Reads one line after a prompt; null at the end of input. */
    private interface Lines {
        String read(String prompt) throws IOException;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        GenerationOptions options = sampling.toOptions();
        PrintWriter err = spec.commandLine().getErr();
        boolean interactive = main.in == System.in && System.console() != null && System.console().isTerminal();
        try (Gemma gemma = modelOption.load(err); Conversation chat = gemma.conversation(system)) {
            if (!interactive) {
                BufferedReader in = new BufferedReader(new InputStreamReader(main.in, StandardCharsets.UTF_8));
                PrintWriter out = spec.commandLine().getOut();
                converse(chat, gemma.contextLength(), options, prompt -> {
                    out.print(prompt);
                    out.flush();
                    return in.readLine();
                }, out, err, new AtomicReference<>());
                return 0;
            }
            try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
                Path file = history != null ? history : defaultHistory();
                if (file.getParent() != null) Files.createDirectories(file.getParent());
                LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("gemma4j")
                        .variable(LineReader.HISTORY_FILE, file).build();
                AtomicReference<GenerationStream> running = new AtomicReference<>();
                // Ctrl-C while a reply streams (the terminal is not in raw mode then) cancels that reply only.
                terminal.handle(Terminal.Signal.INT, signal -> {
                    GenerationStream s = running.get();
                    if (s != null) s.cancel();
                });
                PrintWriter out = terminal.writer();
                out.println("gemma4j chat: /help lists the commands; history in " + file);
                converse(chat, gemma.contextLength(), options, prompt -> {
                    while (true) {
                        try {
                            return reader.readLine(prompt);
                        } catch (UserInterruptException e) {
                            // Ctrl-C at the prompt drops the line being typed.
                        } catch (EndOfFileException e) {
                            return null;
                        }
                    }
                }, out, err, running);
                reader.getHistory().save();
            }
        }
        return 0;
    }

    private void converse(Conversation chat, int context, GenerationOptions options, Lines lines, PrintWriter out,
                          PrintWriter err, AtomicReference<GenerationStream> running) throws IOException, InterruptedException {
        while (true) {
            String line = lines.read("user> ");
            if (line == null) return;
            String text = line.strip();
            if (text.isEmpty()) continue;
            if (text.startsWith("/")) {
                if (!command(chat, text, out)) return;
                continue;
            }
            GenerationStream stream;
            try {
                stream = chat.send(text, options);
            } catch (IllegalArgumentException e) {
                out.println("(not sent: " + e.getMessage() + ")");
                out.flush();
                continue;
            }
            if (chat.droppedTurns() > 0) {
                out.printf(Locale.ROOT, "(the %d oldest turn%s no longer fit the context of %,d tokens: dropped, the"
                        + " cache rebuilt)%n", chat.droppedTurns(), chat.droppedTurns() == 1 ? "" : "s", context);
            }
            out.print("model> ");
            out.flush();
            running.set(stream);
            try {
                GenerationResult r = stream.deliver(t -> {
                    out.print(t);
                    out.flush();
                });
                out.println();
                if (stats) {
                    err.printf(Locale.ROOT, "[%d prompt tokens, %d from the cache; first token after %.3f s; %d new]%n",
                            r.promptTokens().length, chat.reusedTokens(), r.prefillNanos() / 1e9,
                            r.generatedTokens().length);
                    err.flush();
                }
            } catch (CancellationException e) {
                out.println();
                out.println("(reply cancelled; the message is not kept)");
            } finally {
                running.set(null);
            }
            out.flush();
        }
    }

    /** Runs a /command; false when it asks to leave. */
    private static boolean command(Conversation chat, String text, PrintWriter out) {
        int space = text.indexOf(' ');
        String name = space < 0 ? text : text.substring(0, space);
        String arg = space < 0 ? "" : text.substring(space + 1).strip();
        switch (name) {
            case "/exit", "/quit" -> {
                return false;
            }
            case "/reset" -> {
                int turns = (chat.messages().size() - (hasSystem(chat) ? 1 : 0)) / 2;
                chat.reset();
                out.println("(conversation reset: " + turns + " turn" + (turns == 1 ? "" : "s") + " forgotten)");
            }
            case "/system" -> {
                chat.system(arg.isEmpty() ? null : arg);
                out.println(arg.isEmpty() ? "(system text cleared)"
                        : "(system text set; it is folded into the first user turn from the next message on)");
            }
            case "/help" -> out.println(COMMANDS + " Ctrl-C cancels a reply; Ctrl-D leaves.");
            default -> out.println("(unknown command " + name + "; not sent to the model. /help lists the commands)");
        }
        out.flush();
        return true;
    }

    private static boolean hasSystem(Conversation chat) {
        return !chat.messages().isEmpty() && chat.messages().getFirst().role().equals("system");
    }

    /** $XDG_STATE_HOME/gemma4j/chat_history, else ~/.local/state/gemma4j/chat_history. */
    static Path defaultHistory() {
        String state = System.getenv("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() ? Path.of(state)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("gemma4j").resolve("chat_history");
    }
}
