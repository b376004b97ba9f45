package dev.anvil.cli;

import dev.anvil.model.TextTokenizer;
import dev.anvil.train.data.CorpusTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code anvil tokenize}: text → llm.c token shards (train/val). */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Encodes text files (.txt, .jsonl with a \"text\" field; optionally .gz) into llm.c-format token shards train_*.bin / val_*.bin.",
        footer = {"", "Examples:", "  bin/anvil tokenize --tokenizer tok/ --input input.txt --output shards/",
                "  bin/anvil tokenize --tokenizer tok/ --input clean/*.zst --output shards/"})
public final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "Tokenizer directory or file (tokenizer.json: BPE, or a char/byte tokenizer).")
    Path tokenizer;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE", description = "Input text files, in order.")
    List<Path> inputs;

    @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Output directory for the shards.")
    Path output;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Held-out fraction, taken from the end of the input (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--shard-tokens", defaultValue = "100000000", description = "Tokens per shard (default: ${DEFAULT-VALUE}, as llm.c).")
    long shardTokens;

    @Override
    public Integer call() throws Exception {
        if (!(valFraction >= 0 && valFraction < 1)) throw new UsageException("--val-fraction must be in [0, 1), got " + valFraction);
        if (shardTokens < 1) throw new UsageException("--shard-tokens must be positive, got " + shardTokens);
        TextTokenizer tok = TextTokenizer.load(tokenizer);
        long t0 = System.nanoTime();
        // The corpus tokenizer reports a fraction done; the bar counts it in millionths (rate in %/s).
        ProgressBar bar = ProgressBar.stderr("tokenize", "%", 1e4);
        var result = new CorpusTokenizer(tok, valFraction, shardTokens).run(inputs, output,
                fraction -> bar.update(Math.round(fraction * 1e6), 1_000_000));
        bar.finish();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Output.result(Output.object().put("output", output.toString()).put("train_tokens", result.trainTokens()).put("train_shards", result.trainShards())
                        .put("val_tokens", result.valTokens()).put("val_shards", result.valShards()).put("vocab_size", tok.vocabSize()).put("seconds", seconds),
                () -> System.out.printf(Locale.ROOT, "%,d train tokens (%d shards), %,d val tokens (%d shards), vocabulary %d, in %.1f s → %s%n",
                        result.trainTokens(), result.trainShards(), result.valTokens(), result.valShards(), tok.vocabSize(), seconds, output));
        return 0;
    }
}
