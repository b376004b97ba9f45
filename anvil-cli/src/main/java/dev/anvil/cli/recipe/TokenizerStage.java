package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.model.TextTokenizer;
import dev.anvil.tokenizer.Encodings;
import dev.anvil.tokenizer.TokenizerFiles;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import dev.anvil.tokenizer.train.BpeTrainer;
import dev.anvil.tokenizer.train.BpeTrainerConfig;
import dev.anvil.tokenizer.train.ChunkCounts;
import dev.anvil.tokenizer.train.CorpusChunkCounter;
import dev.anvil.tokenizer.train.TrainedBpe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code anvil tokenizer train} on the clean corpus, except its last {@code heldout_documents}
 * documents (at most half of them), on which the compression (UTF-8 bytes per token) is measured
 * next to GPT-2's r50k_base and GPT-4's cl100k_base. A character tokenizer (type: char) is fitted
 * on the whole text, as nanoGPT's shakespeare_char does.
 */
final class TokenizerStage implements Stage {
    static final List<String> REFERENCE_ENCODINGS = List.of("r50k_base", "cl100k_base");
    private static final int HELDOUT_CAP_BYTES = 4 << 20;

    @Override
    public String name() {
        return "tokenizer";
    }

    @Override
    public List<String> consumes() {
        return List.of("data");
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved().get("tokenizer");
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        double bytes = Stage.upstream(ctx, "data", "bytes_out", DataStage.inputBytes(ctx.recipe()) * 0.2);
        return 2 + bytes / 3e6 + ctx.recipe().tokenizer().vocabSize() / 1500.0;
    }

    @Override
    public Result run(StageContext ctx) throws IOException {
        Recipe.Tokenizer spec = ctx.recipe().tokenizer();
        List<Path> shards = DataStage.shards(ctx.runDir());
        long documents = (long) Stage.upstream(ctx, "data", "documents_out", 0);
        long trainDocs = Math.max(documents - spec.heldoutDocuments(), (documents + 1) / 2);
        StringBuilder heldout = new StringBuilder();
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        Path dir = ctx.dir();
        if (spec.type().equals("char")) {
            StringBuilder all = new StringBuilder();
            long[] i = {0};
            CleanShards.forEachText(shards, text -> {
                all.append(text);
                if (i[0]++ >= trainDocs && heldout.length() < HELDOUT_CAP_BYTES) heldout.append(text);
            });
            TextTokenizer.fitCharacters(all.toString(), dir);
        } else {
            Map<String, Integer> specials = new LinkedHashMap<>();
            for (String t : spec.specialTokens()) specials.put(t, null);
            int threads = ComputePool.shared().threads();
            BpeTrainerConfig config = new BpeTrainerConfig(ctx.recipe().name(), spec.vocabSize(), SplitPattern.forNameOrRegex(spec.pattern()),
                    specials, spec.minFrequency(), spec.docCap(), threads);
            ChunkCounts counts;
            try (CorpusChunkCounter counter = new CorpusChunkCounter(config.preTokenizer(), threads, spec.docCap())) {
                long[] i = {0};
                CleanShards.forEachText(shards, text -> {
                    if (i[0]++ < trainDocs) counter.addDocument(text.getBytes(StandardCharsets.UTF_8));
                    else if (heldout.length() < HELDOUT_CAP_BYTES) heldout.append(text).append('\n');
                    if (i[0] % 64 == 0) ctx.progress().update(0.3 * i[0] / Math.max(1, documents), "counting");
                });
                counts = counter.finish();
            }
            TrainedBpe trained = BpeTrainer.train(counts, config, (phase, done, total) -> {
                if (total > 0) ctx.progress().update(0.3 + 0.7 * done / total, phase + " " + done + "/" + total);
            });
            TokenizerFiles.save(trained.tokenizer(), dir);
            s.put("merges", trained.merges().size());
            ctx.log().printf("trained %d ids (%d merges) on %d documents; %d held out%n", trained.tokenizer().vocabSize(), trained.merges().size(), trainDocs, documents - trainDocs);
        }
        TextTokenizer ours = TextTokenizer.load(dir);
        s.put("type", spec.type());
        s.put("vocab_size", ours.vocabSize());
        s.put("train_documents", trainDocs);
        String text = heldout.toString();
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        s.put("heldout_bytes", bytes);
        ObjectNode c = s.putObject("compression");
        ObjectNode t = s.putObject("heldout_tokens");
        int n = ours.encode(text).length;
        t.put("ours", n);
        c.put("ours", bytes / (double) Math.max(1, n));
        for (String e : REFERENCE_ENCODINGS) {
            int m = Encodings.get(e).encodeOrdinary(text).length;
            t.put(e, m);
            c.put(e, bytes / (double) Math.max(1, m));
        }
        return new Result(s, List.of("tokenizer/" + TextTokenizer.FILE));
    }
}
