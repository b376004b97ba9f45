package dev.anvil.train.data;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.model.TextTokenizer;
import dev.anvil.tokenizer.Encodings;
import dev.anvil.tokenizer.TokenizerFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CorpusTokenizerTest {

    private static int[] readAll(List<Path> files) throws IOException {
        List<Integer> all = new ArrayList<>();
        for (Path f : files) {
            try (TokenShardReader r = new TokenShardReader(f)) {
                for (long i = 0; i < r.tokenCount(); i++) all.add(r.get(i));
            }
        }
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void oneTextFileSplitsByPositionLikeNanoGpt(@TempDir Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++) sb.append("line ").append(i).append(": to be or not to be\n");
        String text = sb.toString();
        Path in = dir.resolve("in.txt");
        Files.writeString(in, text);
        TextTokenizer chars = TextTokenizer.fitCharacters(text, dir.resolve("tok"));
        var result = new CorpusTokenizer(chars, 0.1, 5000).run(List.of(in), dir.resolve("out"), f -> {});
        int cut = (int) Math.round(text.length() * 0.9);
        assertThat(chars.decode(readAll(CorpusTokenizer.shardFiles(dir.resolve("out"), "train")))).isEqualTo(text.substring(0, cut));
        assertThat(chars.decode(readAll(CorpusTokenizer.shardFiles(dir.resolve("out"), "val")))).isEqualTo(text.substring(cut));
        assertThat(result.trainShards()).isEqualTo((cut + 4999) / 5000);
        assertThat(TextTokenizer.load(dir.resolve("out")).fingerprint()).isEqualTo(chars.fingerprint());
        assertThat(CorpusTokenizer.readMeta(dir.resolve("out")).get("train_tokens").asLong()).isEqualTo(cut);
    }

    @Test
    void jsonlDocumentsArePrecededByEndOfTextAndOutputIsThreadCountIndependent(@TempDir Path dir) throws IOException {
        Path tokDir = dir.resolve("gpt2");
        TokenizerFiles.save(Encodings.get("r50k_base"), tokDir);
        TextTokenizer gpt2 = TextTokenizer.load(tokDir);
        assertThat(gpt2.documentSeparator()).hasValue(50256);
        Path in = dir.resolve("docs.jsonl.gz");
        try (var out = new java.io.PrintStream(new GZIPOutputStream(Files.newOutputStream(in)), true, java.nio.charset.StandardCharsets.UTF_8)) {
            for (int i = 0; i < 300; i++) out.println("{\"id\": " + i + ", \"text\": \"Document number " + i + " says hello, world.\"}");
        }
        ComputePool.setDefaultThreads(1);
        new CorpusTokenizer(gpt2, 0.2, 1_000_000).run(List.of(in), dir.resolve("one"), f -> {});
        ComputePool.setDefaultThreads(2);
        new CorpusTokenizer(gpt2, 0.2, 1_000_000).run(List.of(in), dir.resolve("two"), f -> {});
        assertThat(Files.readAllBytes(dir.resolve("two/train_000000.bin"))).isEqualTo(Files.readAllBytes(dir.resolve("one/train_000000.bin")));
        int[] train = readAll(CorpusTokenizer.shardFiles(dir.resolve("two"), "train"));
        assertThat(train[0]).isEqualTo(50256);
        assertThat(gpt2.decode(java.util.Arrays.copyOfRange(train, 1, 9))).startsWith("Document number 0 says hello");
        assertThat(java.util.Arrays.stream(train).filter(t -> t == 50256).count()).isBetween(235L, 241L);
    }

    @Test
    void zstdCompressedCleanShards(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("part-00000.jsonl.zst");
        try (var out = new java.io.PrintStream(new com.github.luben.zstd.ZstdOutputStream(Files.newOutputStream(in)), true, java.nio.charset.StandardCharsets.UTF_8)) {
            for (int i = 0; i < 50; i++) out.println("{\"id\": \"d" + i + "\", \"text\": \"abc cab " + i % 3 + "\", \"meta\": {}}");
        }
        TextTokenizer chars = TextTokenizer.fitCharacters("abc 012", dir.resolve("tok"));
        var r = new CorpusTokenizer(chars, 0.1, 1000).run(List.of(in), dir.resolve("out"), f -> {});
        assertThat(r.trainTokens() + r.valTokens()).isEqualTo(50 * 9);
        assertThat(chars.decode(readAll(CorpusTokenizer.shardFiles(dir.resolve("out"), "train")))).startsWith("abc cab 0abc cab 1");
    }

    @Test
    void badInputsAreNamed(@TempDir Path dir) throws IOException {
        TextTokenizer chars = TextTokenizer.fitCharacters("abc", dir.resolve("tok"));
        var tokenizer = new CorpusTokenizer(chars, 0.1, 100);
        assertThatThrownBy(() -> tokenizer.run(List.of(dir.resolve("missing.txt")), dir.resolve("o"), f -> {})).hasMessageContaining("missing.txt does not exist");
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"abc\"}\nnot json\n");
        assertThatThrownBy(() -> tokenizer.run(List.of(bad), dir.resolve("o"), f -> {})).hasMessageContaining("bad.jsonl:2");
        Path unknown = dir.resolve("x.txt");
        Files.writeString(unknown, "abcz");
        assertThatThrownBy(() -> tokenizer.run(List.of(unknown), dir.resolve("o"), f -> {})).hasMessageContaining("is not in the vocabulary");
    }
}
