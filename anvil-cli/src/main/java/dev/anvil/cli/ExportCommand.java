package dev.anvil.cli;

import dev.anvil.model.chat.ChatTemplate;
import dev.anvil.model.gguf.TransformerGguf;
import dev.anvil.model.hf.HuggingFaceDirectory;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.model.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code anvil export}: a trained model out to another runtime's format. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a trained model in another format: hf (a Hugging Face directory, GPT-2 or Llama; F32, F16 or BF16) or gguf (llama.cpp; GPT-2 or Llama family; F32, F16, BF16, Q8_0 or Q4_0), with its chat template.",
        footer = {"", "Examples:", "  bin/anvil export --model runs/mine --format hf --output out/hf",
                "  bin/anvil export --model run/ --format gguf --dtype q4_0 --output m.gguf"})
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A run directory (newest checkpoint), a checkpoint directory, a Hugging Face directory or a .gguf file.")
    Path model;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "hf or gguf.")
    String format;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "TYPE",
            description = "Weights as f32, f16 or bf16 (hf, gguf) or q8_0, q4_0 (gguf: weight matrices; norms stay f32) (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--chat-template", paramLabel = "NAME",
            description = "chatml, llama3 or none; stored as tokenizer_config.json chat_template / GGUF tokenizer.chat_template (default: the model's own template, else chatml).")
    String chatTemplate;

    @Option(names = {"--output", "--out"}, required = true, paramLabel = "PATH", description = "The directory (hf) or file (gguf) to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        String f = format.toLowerCase(java.util.Locale.ROOT);
        if (!f.equals("gguf") && !f.equals("hf")) throw new UsageException("--format must be hf or gguf, got '" + format + "'");
        dev.anvil.model.gguf.Gguf.TensorType type;
        try {
            type = dev.anvil.model.gguf.Gguf.TensorType.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dtype: " + e.getMessage());
        }
        TrainedModel m = TrainedModel.load(model);
        ChatTemplate chat = chatTemplate == null ? ChatCommand.storedTemplate(model)
                : chatTemplate.equalsIgnoreCase("none") ? null : ChatTemplate.parse(chatTemplate);
        if (f.equals("hf")) {
            if (type != dev.anvil.model.gguf.Gguf.TensorType.F32 && type != dev.anvil.model.gguf.Gguf.TensorType.F16 && type != dev.anvil.model.gguf.Gguf.TensorType.BF16) {
                throw new UsageException("--dtype for hf must be f32, f16 or bf16 (safetensors has no Q8_0/Q4_0), got '" + dtype + "'");
            }
            HuggingFaceDirectory.write(output, m.config(), m.parameters(), m.tokenizer(), type.name(), chat);
            Output.result(Output.object().put("format", "hf").put("output", output.toString()).put("model", m.config().summary())
                            .put("dtype", type.name().toLowerCase(java.util.Locale.ROOT)),
                    () -> System.out.printf("wrote %s/ (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json; %s)%n",
                            output, m.config().summary()));
            return 0;
        }
        BpeTokenizer bpe = m.tokenizer().bpe().orElseThrow(() -> new IllegalArgumentException(
                "GGUF needs a byte-level BPE tokenizer; " + m.tokenizer().source() + " is a character tokenizer"));
        if (output.toAbsolutePath().getParent() != null) Files.createDirectories(output.toAbsolutePath().getParent());
        TransformerGguf.write(output, m.config(), m.parameters(), bpe, type, chat);
        long bytes = Files.size(output);
        Output.result(Output.object().put("format", "gguf").put("output", output.toString()).put("model", m.config().summary())
                        .put("dtype", type.name().toLowerCase(java.util.Locale.ROOT)).put("bytes", bytes),
                () -> System.out.printf("wrote %s (%s, %.1f MB)%n", output, m.config().summary(), bytes / 1e6));
        return 0;
    }
}
