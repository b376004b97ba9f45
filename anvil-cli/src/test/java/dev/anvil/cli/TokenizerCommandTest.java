package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerCommandTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void trainEncodeDecodeEval(@TempDir Path dir) throws IOException {
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 3000; i++) corpus.append("the quick brown fox ").append(i % 97).append(" jumps over the lazy dog\n");
        Path input = dir.resolve("corpus.txt");
        Files.writeString(input, corpus);
        Run train = run("tokenizer", "train", "--input", input.toString(), "--vocab-size", "400", "--output", dir.resolve("tok").toString());
        assertThat(train.exit()).as(train.err()).isZero();
        assertThat(dir.resolve("tok/tokenizer.json")).exists();
        assertThat(dir.resolve("tok/tokenizer.tiktoken")).exists();
        assertThat(train.err()).contains("merging");

        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the lazy dog\nthe quick fox\n");
        Run lines = run("tokenizer", "encode", "--tokenizer", dir.resolve("tok").toString(), "--input", text.toString(), "--lines");
        assertThat(lines.exit()).as(lines.err()).isZero();
        assertThat(lines.out().lines()).hasSize(2).allMatch(l -> l.matches("\\[\\d+(, \\d+)*]"));

        Run cl100k = run("tokenizer", "encode", "--encoding", "cl100k_base", "--input", text.toString());
        assertThat(cl100k.out().trim()).isEqualTo("[1820, 16053, 5679, 198, 1820, 4062, 39935, 198]");
        Path ids = dir.resolve("ids.json");
        Files.writeString(ids, cl100k.out());
        Run decode = run("tokenizer", "decode", "--encoding", "cl100k_base", "--input", ids.toString());
        assertThat(decode.out()).isEqualTo("the lazy dog\nthe quick fox\n");

        Run eval = run("tokenizer", "eval", "--input", text.toString(), "--tokenizer", dir.resolve("tok").toString());
        assertThat(eval.exit()).isZero();
        assertThat(eval.out()).contains("r50k_base", "cl100k_base", "TOTAL", "b/t");
    }

    @Test
    void disallowedSpecialTokenIsAClearError(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "hi <|endoftext|> there");
        Run r = run("tokenizer", "encode", "--encoding", "cl100k_base", "--input", text.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("<|endoftext|>").contains("not allowed");
        Run allowed = run("tokenizer", "encode", "--encoding", "cl100k_base", "--input", text.toString(), "--allow-special");
        assertThat(allowed.out().trim()).isEqualTo("[6151, 220, 100257, 1070]");
    }

    @Test
    void malformedTokenizerFileNamesTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"}}");
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "x");
        Run r = run("tokenizer", "encode", "--tokenizer", dir.toString(), "--input", text.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("tokenizer.json").contains("model.vocab");
    }
}
