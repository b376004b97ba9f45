package dev.anvil.cli;

import dev.anvil.model.gguf.LlamaGguf;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.train.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code anvil export}: a trained model out to another runtime's format. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a trained model (run or checkpoint directory) in another format: gguf (llama.cpp; Llama family, F32).")
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A run directory (newest checkpoint), a checkpoint directory or a .gguf file.")
    Path model;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "gguf (the only format so far).")
    String format;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "The file to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (!format.equalsIgnoreCase("gguf")) throw new IllegalArgumentException("--format must be gguf (supported: gguf), got '" + format + "'");
        TrainedModel m = TrainedModel.load(model);
        BpeTokenizer bpe = m.tokenizer().bpe().orElseThrow(() -> new IllegalArgumentException(
                "GGUF needs a byte-level BPE tokenizer; " + m.tokenizer().source() + " is a character tokenizer"));
        if (output.toAbsolutePath().getParent() != null) Files.createDirectories(output.toAbsolutePath().getParent());
        LlamaGguf.write(output, m.config(), m.parameters(), bpe);
        System.out.printf("wrote %s (%s, %.1f MB)%n", output, m.config().summary(), Files.size(output) / 1e6);
        return 0;
    }
}
