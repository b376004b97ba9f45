package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.model.TextTokenizer;
import dev.anvil.train.data.CorpusTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code anvil tokenize}: the clean shards → llm.c token shards (train_*.bin, val_*.bin, shards.json); val is the corpus's tail. */
final class TokenizeStage implements Stage {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public List<String> consumes() {
        return List.of("data", "tokenizer");
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved().get("tokenize");
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        return 1 + Stage.upstream(ctx, "data", "bytes_out", DataStage.inputBytes(ctx.recipe()) * 0.2) / 4e6;
    }

    @Override
    public Result run(StageContext ctx) throws IOException {
        TextTokenizer tokenizer = TextTokenizer.load(ctx.dir("tokenizer"));
        Recipe.Tokenize spec = ctx.recipe().tokenize();
        CorpusTokenizer.Result r = new CorpusTokenizer(tokenizer, spec.valFraction(), spec.shardTokens())
                .run(DataStage.shards(ctx.runDir()), ctx.dir(), f -> ctx.progress().update(f, String.format(Locale.ROOT, "%.0f%% of the text", 100 * f)));
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("train_tokens", r.trainTokens());
        s.put("val_tokens", r.valTokens());
        s.put("train_shards", r.trainShards());
        s.put("val_shards", r.valShards());
        s.put("vocab_size", tokenizer.vocabSize());
        List<String> outputs = new ArrayList<>(List.of("tokenize/" + CorpusTokenizer.META_FILE));
        for (String split : List.of("train", "val"))
            for (Path p : CorpusTokenizer.shardFiles(ctx.dir(), split)) outputs.add("tokenize/" + p.getFileName());
        return new Result(s, outputs);
    }
}
