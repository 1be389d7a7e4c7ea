package dev.gemma4j.cli;

import dev.gemma4j.Gemma;
import dev.gemma4j.GenerationOptions;
import dev.gemma4j.GenerationResult;
import dev.gemma4j.tokenizer.ChatMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "chat", mixinStandardHelpOptions = true, header = "Chat with an instruction-tuned model.",
        description = {"Interactive multi-turn chat in the instruction-tuned (-it) template.",
                "Type a message and press Enter; /reset starts over, /exit or end of input quits."})
final class ChatCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand Main main;
    @Mixin ModelOption modelOption = new ModelOption();
    @Mixin SamplingOptions sampling = new SamplingOptions();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GenerationOptions options = sampling.toOptions();
        BufferedReader in = new BufferedReader(new InputStreamReader(main.in, StandardCharsets.UTF_8));
        List<ChatMessage> history = new ArrayList<>();
        try (Gemma gemma = modelOption.load(err)) {
            while (true) {
                out.print("user> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.strip().equals("/reset")) {
                    history.clear();
                    continue;
                }
                if (line.isBlank()) continue;
                history.add(new ChatMessage("user", line));
                out.print("model> ");
                out.flush();
                GenerationResult r = gemma.chat(history, options, text -> {
                    out.print(text);
                    out.flush();
                });
                out.println();
                history.add(new ChatMessage("model", r.text()));
            }
        }
        return 0;
    }
}
