package dev.anvil.cli;

import dev.anvil.model.inference.Generator;
import dev.anvil.model.inference.InferenceSession;
import dev.anvil.model.sampling.GenerationConfig;
import dev.anvil.model.sampling.SamplingParams;
import dev.anvil.model.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code anvil generate}: complete a prompt with a trained model, streaming the text. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Completes a prompt with a trained model (a run directory or one of its checkpoints), streaming the text to stdout.",
        footer = {"", "Examples:", "  bin/anvil generate --model runs/shakespeare-char --prompt \"ROMEO:\"",
                "  bin/anvil generate --model stories15M.bin --prompt \"Once upon\" --stats",
                "  bin/anvil generate --model model.gguf --prompt \"Hello\" --seed 1 --json"})
public final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "A run directory (its newest checkpoint is used), a checkpoint directory checkpoints/step_NNNNNN, a Hugging Face directory, a .gguf file, or a llama2.c .bin with tokenizer.bin beside it.")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The text to continue.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256", paramLabel = "N", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "Keep the K most probable tokens; 0 = off (default).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", paramLabel = "P", description = "Nucleus sampling; 1 = off (default).")
    double topP;

    @Option(names = "--min-p", defaultValue = "0.0", paramLabel = "P", description = "Drop tokens below P × the top probability; 0 = off (default).")
    double minP;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", paramLabel = "R", description = "CTRL repetition penalty; 1 = off (default).")
    double repetitionPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0.0", paramLabel = "X", description = "OpenAI presence penalty (default: 0).")
    double presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0.0", paramLabel = "X", description = "OpenAI frequency penalty (default: 0).")
    double frequencyPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed: the same seed gives the same completion (default: a fresh one).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text (repeatable).")
    List<String> stop = List.of();

    @Option(names = "--echo", description = "Print the prompt before the completion.")
    boolean echo;

    @Option(names = "--stats", description = "Print token counts and speeds to stderr at the end.")
    boolean stats;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1) throw new UsageException("--max-tokens must be positive, got " + maxTokens);
        long s = seed != null ? seed : System.nanoTime() ^ System.identityHashCode(this);
        SamplingParams sampling;
        try {
            sampling = new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, s);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        TrainedModel m = TrainedModel.load(model);
        Set<Integer> stopTokens = m.tokenizer().documentSeparator().isPresent() ? Set.of(m.tokenizer().documentSeparator().getAsInt()) : Set.of();
        GenerationConfig config = new GenerationConfig(sampling, maxTokens, stopTokens, stop);

        int[] ids = m.tokenizer().encode(prompt);
        if (m.tokenizer().beginningOfSequence().isPresent()) { // llama2.c models are prompted after <s>
            int[] withBos = new int[ids.length + 1];
            withBos[0] = m.tokenizer().beginningOfSequence().getAsInt();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        if (ids.length > m.config().contextLength()) {
            throw new IllegalArgumentException("the prompt is " + ids.length + " tokens long, more than the model's context of "
                    + m.config().contextLength() + " tokens; shorten the prompt");
        }
        if (ids.length == 0) throw new IllegalArgumentException("the prompt is empty");
        // UTF-8 whatever the platform encoding, flushed per token so the text streams (not in JSON mode: one object at the end).
        boolean stream = !Output.json();
        PrintStream sink = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (echo && stream) sink.print(prompt);
        Generator generator = new Generator(session(m), m.tokenizer()::decode,
                Math.min(m.tokenizer().vocabSize(), m.config().vocabSize()));
        Generator.Result r = generator.generate(ids, config, (token, text) -> {
            if (!stream) return;
            sink.print(text);
            sink.flush();
        });
        int n = r.tokens().length;
        double prefillRate = r.promptTokens() / (r.prefillNanos() / 1e9), decodeRate = n > 1 ? (n - 1) / (r.decodeNanos() / 1e9) : 0.0;
        String stopReason = r.stopReason().name().toLowerCase(java.util.Locale.ROOT);
        if (stream) {
            sink.println();
            sink.flush();
        } else {
            var json = Output.object().put("model", m.checkpoint().toString()).put("text", echo ? prompt + r.text() : r.text())
                    .put("prompt_tokens", r.promptTokens()).put("generated_tokens", n).put("stop_reason", stopReason)
                    .put("time_to_first_token_ms", r.prefillNanos() / 1e6).put("prefill_tokens_per_second", prefillRate)
                    .put("decode_tokens_per_second", decodeRate);
            if (m.step() >= 0) json.put("step", m.step());
            Output.result(json, () -> {});
        }
        if (stats && stream) {
            System.err.printf("%s step %d: prompt %d tokens, %.1f ms to first token (%.1f tokens/s prefill); %d tokens generated, %.1f tokens/s decode; stop: %s%n",
                    m.checkpoint(), m.step(), r.promptTokens(), r.prefillNanos() / 1e6, prefillRate, n, decodeRate, stopReason);
        }
        return 0;
    }

    /**
     * The inference session for a loaded model, over its weights in their stored dtypes: a Q4_0
     * GGUF runs its Q4_0 (and Q6_K) matrices in place, every product dequantizing inside the kernel.
     */
    static InferenceSession session(TrainedModel m) {
        if (!m.heads().lm()) throw new UsageException(m.checkpoint() + " has no LM head (it holds " + m.heads().describe() + "); generation needs one");
        return new InferenceSession(m.weights(), m.config().contextLength(), Math.min(m.config().contextLength(), 256));
    }
}
