package dev.anvil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;
import dev.anvil.train.RunCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GenerateCommandTest {

    private static final String TEXT = "to be or not to be, that is the question\n";

    /** A run directory as `anvil train` leaves it: tokenizer/ and checkpoints/step_NNNNNN/ with state.json. */
    static Path tinyRun(Path dir, ModelConfig.Family family) throws Exception {
        Path run = dir.resolve("run-" + family.name().toLowerCase());
        TextTokenizer tok = TextTokenizer.fitCharacters(TEXT, run.resolve("tokenizer"));
        ModelConfig c = family == ModelConfig.Family.GPT2 ? ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 16, true)
                : ModelConfig.llama(tok.vocabSize(), 32, 2, 2, 1, 16);
        Transformer net = new Transformer(c);
        net.initialize(new Rng(3));
        for (int i = 0; i < net.parameters().data().length; i++) net.parameters().data()[i] *= 8;
        AdamW opt = new AdamW(net.parameters(), net.gradients(), ParameterGroup.all(net.parameters().layout(), 0.1), AdamW.Config.defaults());
        ObjectNode state = new ObjectMapper().createObjectNode().put("step", 5);
        state.put("tokenizer", run.resolve("tokenizer").toAbsolutePath().toString());
        state.set("model", ModelConfigFiles.toTree(c));
        RunCheckpoints ck = new RunCheckpoints(run);
        ck.write(3, c, net.parameters(), opt, state.deepCopy().put("step", 3), new ObjectMapper().createObjectNode());
        ck.write(5, c, net.parameters(), opt, state, new ObjectMapper().createObjectNode());
        return run;
    }

    @Test
    void generatesFromARunDirectoryAndACheckpointForBothFamilies(@TempDir Path dir) throws Exception {
        for (ModelConfig.Family family : ModelConfig.Family.values()) {
            Path run = tinyRun(dir, family);
            var a = TokenizerCommandTest.run("generate", "--model", run.toString(), "--prompt", "to be", "--max-tokens", "12",
                    "--temperature", "0.9", "--top-k", "5", "--seed", "7", "--stats");
            assertThat(a.exit()).as(a.err()).isZero();
            String completion = a.out().substring(0, a.out().length() - System.lineSeparator().length());
            assertThat(completion).hasSize(12); // a character tokenizer: one character per token
            for (char ch : completion.toCharArray()) assertThat(TEXT).contains(String.valueOf(ch));
            assertThat(a.err()).contains("step_000005").contains("12 tokens generated");

            var b = TokenizerCommandTest.run("generate", "--model", run.resolve("checkpoints/step_000005").toString(), "--prompt", "to be",
                    "--max-tokens", "12", "--temperature", "0.9", "--top-k", "5", "--seed", "7");
            assertThat(b.exit()).as(b.err()).isZero();
            assertThat(b.out()).as("same seed, same completion").isEqualTo(a.out());

            var echo = TokenizerCommandTest.run("generate", "--model", run.toString(), "--prompt", "to be", "--max-tokens", "3",
                    "--temperature", "0", "--echo");
            assertThat(echo.out()).startsWith("to be").hasSize(5 + 3 + System.lineSeparator().length());
        }
    }

    /** A run with a trained byte-level BPE tokenizer and a random Llama model. */
    private static Path bpeRun(Path dir) throws Exception {
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 500; i++) corpus.append("the quick brown fox ").append(i % 31).append(" jumps over the lazy dog\n");
        Path input = dir.resolve("corpus.txt");
        java.nio.file.Files.writeString(input, corpus);
        Path run = dir.resolve("run");
        var tokTrain = TokenizerCommandTest.run("tokenizer", "train", "--input", input.toString(), "--vocab-size", "300", "--output", run.resolve("tokenizer").toString());
        assertThat(tokTrain.exit()).as(tokTrain.err()).isZero();
        TextTokenizer tok = TextTokenizer.load(run.resolve("tokenizer"));
        ModelConfig c = ModelConfig.llama(tok.vocabSize(), 48, 2, 4, 2, 32);
        Transformer net = new Transformer(c);
        net.initialize(new Rng(8));
        for (int i = 0; i < net.parameters().data().length; i++) net.parameters().data()[i] *= 8;
        AdamW opt = new AdamW(net.parameters(), net.gradients(), ParameterGroup.all(net.parameters().layout(), 0.1), AdamW.Config.defaults());
        ObjectNode state = new ObjectMapper().createObjectNode().put("step", 1);
        state.set("model", ModelConfigFiles.toTree(c));
        new RunCheckpoints(run).write(1, c, net.parameters(), opt, state, new ObjectMapper().createObjectNode());

        return run;
    }

    @Test
    void exportToGgufAndHfAndGenerateFromThemGivesTheSameGreedyCompletion(@TempDir Path dir) throws Exception {
        Path run = bpeRun(dir);
        Path gguf = dir.resolve("out/model.gguf");
        var export = TokenizerCommandTest.run("export", "--model", run.toString(), "--format", "gguf", "--output", gguf.toString());
        assertThat(export.exit()).as(export.err()).isZero();
        assertThat(export.out()).contains("model.gguf");
        var fromRun = TokenizerCommandTest.run("generate", "--model", run.toString(), "--prompt", "the quick", "--temperature", "0", "--max-tokens", "20");
        var fromGguf = TokenizerCommandTest.run("generate", "--model", gguf.toString(), "--prompt", "the quick", "--temperature", "0", "--max-tokens", "20");
        assertThat(fromRun.exit()).as(fromRun.err()).isZero();
        assertThat(fromGguf.exit()).as(fromGguf.err()).isZero();
        assertThat(fromRun.out().strip()).isNotEmpty();
        assertThat(fromGguf.out()).isEqualTo(fromRun.out());

        Path q8 = dir.resolve("out/model-q8.gguf");
        var exportQ8 = TokenizerCommandTest.run("export", "--model", run.toString(), "--format", "gguf", "--dtype", "q8_0", "--output", q8.toString());
        assertThat(exportQ8.exit()).as(exportQ8.err()).isZero();
        assertThat(java.nio.file.Files.size(q8)).isLessThan(java.nio.file.Files.size(gguf) / 2);
        var fromQ8 = TokenizerCommandTest.run("generate", "--model", q8.toString(), "--prompt", "the quick", "--temperature", "0", "--max-tokens", "5");
        assertThat(fromQ8.exit()).as(fromQ8.err()).isZero();

        Path hf = dir.resolve("out/hf");
        var exportHf = TokenizerCommandTest.run("export", "--model", run.toString(), "--format", "hf", "--output", hf.toString());
        assertThat(exportHf.exit()).as(exportHf.err()).isZero();
        var fromHf = TokenizerCommandTest.run("generate", "--model", hf.toString(), "--prompt", "the quick", "--temperature", "0", "--max-tokens", "20");
        assertThat(fromHf.exit()).as(fromHf.err()).isZero();
        assertThat(fromHf.out()).isEqualTo(fromRun.out());

        // Q4_0 and half-precision exports, each carrying the chat template, which a re-export keeps.
        Path q4 = dir.resolve("out/model-q4.gguf");
        var exportQ4 = TokenizerCommandTest.run("export", "--model", run.toString(), "--format", "gguf", "--dtype", "q4_0", "--chat-template", "llama3", "--output", q4.toString());
        assertThat(exportQ4.exit()).as(exportQ4.err()).isZero();
        assertThat(java.nio.file.Files.size(q4)).isLessThan(java.nio.file.Files.size(q8));
        assertThat(ChatCommand.storedTemplate(q4)).isEqualTo(dev.anvil.model.chat.ChatTemplate.LLAMA3);
        assertThat(TokenizerCommandTest.run("generate", "--model", q4.toString(), "--prompt", "the quick", "--temperature", "0", "--max-tokens", "5").exit()).isZero();
        Path hfBf16 = dir.resolve("out/hf-bf16");
        var exportBf16 = TokenizerCommandTest.run("export", "--model", q4.toString(), "--format", "hf", "--dtype", "bf16", "--output", hfBf16.toString());
        assertThat(exportBf16.exit()).as(exportBf16.err()).isZero();
        assertThat(new ObjectMapper().readTree(hfBf16.resolve("config.json").toFile()).get("torch_dtype").asText()).isEqualTo("bfloat16");
        assertThat(ChatCommand.storedTemplate(hfBf16)).isEqualTo(dev.anvil.model.chat.ChatTemplate.LLAMA3);
        var refusedQ4 = TokenizerCommandTest.run("export", "--model", run.toString(), "--format", "hf", "--dtype", "q4_0", "--output", dir.resolve("out/x").toString());
        assertThat(refusedQ4.exit()).as("a dtype hf cannot hold is a usage error").isEqualTo(2);
        assertThat(refusedQ4.err()).contains("f32, f16 or bf16");

        var charRun = tinyRun(dir, ModelConfig.Family.LLAMA);
        var refused = TokenizerCommandTest.run("export", "--model", charRun.toString(), "--format", "gguf", "--output", dir.resolve("c.gguf").toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("character tokenizer");
    }

    @Test
    void chatStreamsAnswersAndHandlesCommands(@TempDir Path dir) throws Exception {
        Path run = bpeRun(dir);
        java.io.InputStream oldIn = System.in;
        System.setIn(new java.io.ByteArrayInputStream("hello there\n/system be brief\n/reset\nthe quick\n/exit\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        try {
            var r = TokenizerCommandTest.run("chat", "--model", run.toString(), "--max-tokens", "8", "--seed", "1");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("chatml template").contains("(system prompt set)").contains("(history cleared)");
            assertThat(r.out().split("> ", -1)).hasSize(6); // five prompts read, the last one /exit
        } finally {
            System.setIn(oldIn);
        }
        // The template stored with a Hugging Face model is honoured.
        Path hf = dir.resolve("hf");
        assertThat(TokenizerCommandTest.run("export", "--model", run.toString(), "--format", "hf", "--output", hf.toString()).exit()).isZero();
        var tc = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(hf.resolve("tokenizer_config.json").toFile());
        tc.put("chat_template", "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] + '<|eot_id|>' }}{% endfor %}");
        new ObjectMapper().writeValue(hf.resolve("tokenizer_config.json").toFile(), tc);
        assertThat(ChatCommand.storedTemplate(hf)).isEqualTo(dev.anvil.model.chat.ChatTemplate.LLAMA3);
        assertThat(ChatCommand.storedTemplate(run)).isEqualTo(dev.anvil.model.chat.ChatTemplate.CHATML);
    }

    @Test
    void generatesFromALlama2cCheckpointWithItsTokenizer(@TempDir Path dir) throws Exception {
        // tokenizer.bin: <unk>, <s>, </s>, 256 byte tokens, then a few pieces.
        String[] pieces = {" ", "a", "b", "ab", " ab", "c"};
        java.io.ByteArrayOutputStream tok = new java.io.ByteArrayOutputStream();
        tok.writeBytes(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(8).array());
        List<String> all = new java.util.ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) all.add(String.format("<0x%02X>", b));
        all.addAll(List.of(pieces));
        for (String p : all) {
            byte[] bytes = p.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            tok.writeBytes(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(-bytes.length).putInt(bytes.length).array());
            tok.writeBytes(bytes);
        }
        java.nio.file.Files.write(dir.resolve("tokenizer.bin"), tok.toByteArray());
        // stories-style v1 checkpoint with random weights: header, then every parameter (shared classifier).
        ModelConfig c = new ModelConfig(ModelConfig.Family.LLAMA, all.size(), 32, 2, 2, 2, 16, 48, 10000, 1e-5, true, false);
        long n = c.parameterCount();
        java.nio.ByteBuffer bin = java.nio.ByteBuffer.allocate((int) (256 + 4 * n)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bin.putInt(0x616b3432).putInt(1).putInt(16).putInt(48).putInt(2).putInt(2).putInt(2).putInt(all.size()).putInt(32).put((byte) 1);
        bin.position(256);
        Rng rng = new Rng(5);
        for (long i = 0; i < n; i++) bin.putFloat((float) rng.nextGaussian() * 0.5f);
        Path model = dir.resolve("stories-tiny.bin");
        java.nio.file.Files.write(model, bin.array());

        var r = TokenizerCommandTest.run("generate", "--model", model.toString(), "--prompt", "ab c", "--max-tokens", "10", "--seed", "2", "--stats");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("prompt 4 tokens"); // <s>, " ab", " ", "c"
        var again = TokenizerCommandTest.run("generate", "--model", model.toString(), "--prompt", "ab c", "--max-tokens", "10", "--seed", "2");
        assertThat(again.out()).isEqualTo(r.out());
        java.nio.file.Files.delete(dir.resolve("tokenizer.bin"));
        var missing = TokenizerCommandTest.run("generate", "--model", model.toString(), "--prompt", "ab");
        assertThat(missing.err()).contains("tokenizer.bin");
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError(@TempDir Path dir) throws Exception {
        Path run = tinyRun(dir, ModelConfig.Family.LLAMA);
        var r = TokenizerCommandTest.run("generate", "--model", run.toString(), "--prompt", TEXT.repeat(2).strip(), "--max-tokens", "3");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("prompt is 81 tokens long").contains("context of 32 tokens");
    }

    @Test
    void aPathThatIsNoModelIsAClearError(@TempDir Path dir) {
        var r = TokenizerCommandTest.run("generate", "--model", dir.toString(), "--prompt", "x");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("neither a checkpoint directory");
    }
}
