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

    /**
     * {@code anvil tokenize} on a real corpus: the shards of Shakespeare with GPT-2's encoding are byte-identical on one
     * and two threads (the long train part goes through the parallel encoder) and hold tiktoken's (jtokkit's) ids.
     */
    @Test
    void shakespeareShardsAreTheSameOnOneAndTwoThreadsAndAreTiktokens(@TempDir Path dir) throws IOException {
        Path shakespeare = sharedData().resolve("tinyshakespeare.txt");
        Path tokDir = dir.resolve("gpt2");
        TokenizerFiles.save(Encodings.get("r50k_base"), tokDir);
        TextTokenizer gpt2 = TextTokenizer.load(tokDir);
        java.util.Map<Integer, java.util.Map<String, byte[]>> outputs = new java.util.TreeMap<>();
        for (int threads : new int[] {1, 2}) {
            ComputePool.setDefaultThreads(threads);
            Path out = dir.resolve("threads-" + threads);
            new CorpusTokenizer(gpt2, 0.1, 200_000).run(List.of(shakespeare), out, f -> {});
            java.util.Map<String, byte[]> files = new java.util.TreeMap<>();
            for (String split : List.of("train", "val"))
                for (Path shard : CorpusTokenizer.shardFiles(out, split)) files.put(shard.getFileName().toString(), Files.readAllBytes(shard));
            outputs.put(threads, files);
        }
        assertThat(outputs.get(1).keySet()).contains("train_000000.bin", "train_000001.bin", "val_000000.bin");
        assertThat(outputs.get(2).keySet()).isEqualTo(outputs.get(1).keySet());
        outputs.get(1).forEach((name, bytes) -> assertThat(outputs.get(2).get(name)).as(name).isEqualTo(bytes));

        String text = Files.readString(shakespeare);
        int cut = (int) Math.round(text.length() * 0.9);
        com.knuddels.jtokkit.api.Encoding tiktoken = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry()
                .getEncoding(com.knuddels.jtokkit.api.EncodingType.R50K_BASE);
        Path two = dir.resolve("threads-2");
        // isEqualTo, not containsExactly: the latter takes seconds on 300,000 ids.
        assertThat(readAll(CorpusTokenizer.shardFiles(two, "train"))).isEqualTo(prepend(50256, tiktoken.encodeOrdinary(text.substring(0, cut)).toArray()));
        assertThat(readAll(CorpusTokenizer.shardFiles(two, "val"))).isEqualTo(prepend(50256, tiktoken.encodeOrdinary(text.substring(cut)).toArray()));
    }

    private static int[] prepend(int first, int[] rest) {
        int[] all = new int[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    /** The shared data folder beside the repository ({@code ../shared/data}), as CI lays it out. */
    private static Path sharedData() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) p = p.getParent();
        org.junit.jupiter.api.Assumptions.assumeTrue(p != null, "repository root not found");
        Path data = p.getParent().resolve("shared/data");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(data), "shared data folder not present at " + data);
        return data;
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
