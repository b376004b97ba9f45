package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Reads the texts of the data stage's {@code shard-NNNNN.jsonl.zst} files, in order. */
final class CleanShards {
    private CleanShards() {}

    static void forEachText(List<Path> shards, Consumer<String> sink) throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (Path shard : shards) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(new ZstdInputStream(Files.newInputStream(shard)), StandardCharsets.UTF_8), 1 << 16)) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.isBlank()) continue;
                    JsonNode doc = json.readTree(line);
                    sink.accept(doc.path("text").asText());
                }
            }
        }
    }
}
