package dev.anvil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.model.chat.ChatTemplate;
import dev.anvil.model.gguf.Gguf;
import dev.anvil.model.inference.Generator;
import dev.anvil.model.sampling.GenerationConfig;
import dev.anvil.model.sampling.SamplingParams;
import dev.anvil.model.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code anvil chat}: an interactive conversation in the terminal. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chats with a model in the terminal: /reset clears the history, /system TEXT sets the system prompt, /exit quits; "
                + "Ctrl-C stops the current answer. Interactive, so --json is not supported.",
        footer = {"", "Examples:", "  bin/anvil chat --model runs/my-sft-run", "  bin/anvil chat --model model.gguf --system \"Be terse.\" --temperature 0.3"})
public final class ChatCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A run, checkpoint or Hugging Face directory, or a .gguf file.")
    Path model;

    @Option(names = "--template", paramLabel = "NAME", description = "chatml or llama3 (default: the model's stored template, else chatml).")
    String template;

    @Option(names = "--system", paramLabel = "TEXT", description = "The system prompt.")
    String system;

    @Option(names = "--max-tokens", defaultValue = "512", paramLabel = "N", description = "Tokens per answer at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.7", paramLabel = "T") double temperature;
    @Option(names = "--top-k", defaultValue = "40", paramLabel = "K") int topK;
    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P") double topP;
    @Option(names = "--min-p", defaultValue = "0.05", paramLabel = "P") double minP;
    @Option(names = "--repetition-penalty", defaultValue = "1.0", paramLabel = "R") double repetitionPenalty;
    @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: a fresh one).") Long seed;

    @Override
    public Integer call() throws Exception {
        if (Output.json()) throw new UsageException("chat is interactive and has no --json form; use `anvil generate --json` for one completion");
        if (maxTokens < 1) throw new UsageException("--max-tokens must be positive, got " + maxTokens);
        TrainedModel m = TrainedModel.load(model);
        ChatTemplate chat = template != null ? ChatTemplate.parse(template) : storedTemplate(model);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Set<Integer> stopTokens = new HashSet<>();
        m.tokenizer().specialTokenId(chat.endOfTurn()).ifPresent(stopTokens::add);
        m.tokenizer().documentSeparator().ifPresent(stopTokens::add);
        long s = seed != null ? seed : System.nanoTime();
        Generator generator = new Generator(GenerateCommand.session(m), m.tokenizer()::decode,
                Math.min(m.tokenizer().vocabSize(), m.config().vocabSize()));
        // Ctrl-C while an answer streams stops that answer; at the prompt it quits as usual.
        boolean[] generating = {false};
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
                if (generating[0]) generator.cancel();
                else System.exit(130);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGINT on this platform: Ctrl-C ends the program.
        }

        List<ChatTemplate.Message> history = new ArrayList<>();
        out.printf("%s, %s template. /reset, /system TEXT, /exit.%n", m.config().summary(), chat.name().toLowerCase());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int turn = 0;
        while (true) {
            out.print("> ");
            out.flush();
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) break;
            if (line.isBlank()) continue;
            if (line.strip().equals("/reset")) {
                history.clear();
                out.println("(history cleared)");
                continue;
            }
            if (line.startsWith("/system")) {
                system = line.substring("/system".length()).strip();
                out.println(system.isEmpty() ? "(system prompt removed)" : "(system prompt set)");
                continue;
            }
            history.add(new ChatTemplate.Message("user", line));
            int[] prompt = fit(chat, history, m, Math.min(maxTokens, m.config().contextLength() / 4));
            if (prompt == null) {
                history.removeLast();
                out.println("(that message alone does not fit the model's context of " + m.config().contextLength() + " tokens)");
                continue;
            }
            SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, 0, 0, s + turn++);
            GenerationConfig config = new GenerationConfig(sampling, maxTokens, stopTokens, List.of(chat.endOfTurn()));
            generating[0] = true;
            Generator.Result r;
            try {
                r = generator.generate(prompt, config, (token, text) -> out.print(text));
            } finally {
                generating[0] = false;
            }
            out.println(r.stopReason() == Generator.StopReason.CANCELLED ? " [stopped]" : "");
            history.add(new ChatTemplate.Message("assistant", r.text()));
        }
        return 0;
    }

    /** The prompt for the history, dropping the oldest turns until it leaves {@code room} tokens for the answer; null if even the last message does not fit. */
    private int[] fit(ChatTemplate chat, List<ChatTemplate.Message> history, TrainedModel m, int room) {
        int limit = m.config().contextLength() - room;
        while (!history.isEmpty()) {
            List<ChatTemplate.Message> messages = new ArrayList<>();
            if (system != null && !system.isEmpty()) messages.add(new ChatTemplate.Message("system", system));
            messages.addAll(history);
            int[] ids = m.tokenizer().encodeWithSpecials(chat.render(messages, true));
            if (ids.length <= limit) return ids;
            if (history.size() == 1) return null;
            history.removeFirst(); // the oldest exchange goes: its user message, then the answer to it
            if (history.size() > 1 && history.getFirst().role().equals("assistant")) history.removeFirst();
        }
        return null;
    }

    /** The template stored with the model (tokenizer_config.json chat_template, GGUF tokenizer.chat_template), else ChatML. */
    static ChatTemplate storedTemplate(Path model) throws java.io.IOException {
        String stored = null;
        if (Files.isRegularFile(model) && model.toString().toLowerCase().endsWith(".gguf")) {
            try (Gguf.Reader r = new Gguf.Reader(model)) {
                if (r.metadata().containsKey("tokenizer.chat_template")) stored = r.require("tokenizer.chat_template").asString();
            }
        } else if (Files.isRegularFile(model.resolve("tokenizer_config.json"))) {
            var node = new ObjectMapper().readTree(model.resolve("tokenizer_config.json").toFile()).get("chat_template");
            if (node != null && node.isTextual()) stored = node.asText();
        }
        return stored == null ? ChatTemplate.CHATML : ChatTemplate.recognise(stored);
    }
}
