package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.eval.Perplexity;
import dev.anvil.eval.PerplexityEvaluator;
import dev.anvil.model.Transformer;
import dev.anvil.model.TrainedModel;
import dev.anvil.train.TrainingConfig;
import dev.anvil.train.data.CorpusTokenizer;
import dev.anvil.train.data.TokenShardReader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Scores the trained model on the held-out split with {@code anvil eval}'s
 * {@link PerplexityEvaluator}: non-overlapping windows of {@code seq_len} tokens over all of the
 * val shards (or the first {@code eval.batches} batches of {@code batch_size} windows), giving val
 * loss (nats per token), bits per byte (Σ loss / ln 2 / Σ UTF-8 bytes of the predicted tokens,
 * comparable across tokenizers) and perplexity (e^loss). The training run's periodic eval uses a
 * subset; this is the number of record.
 */
final class EvalStage implements Stage {
    private static final double FLOPS_PER_THREAD = 30e9;

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public List<String> consumes() {
        return List.of("tokenize", "train");
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved().get("eval");
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        double valTokens = Stage.upstream(ctx, "tokenize", "val_tokens", DataStage.inputBytes(ctx.recipe()) * 0.2 * ctx.recipe().tokenize().valFraction() / 4);
        double params = 8e6; // forward ≈ 2 FLOPs per parameter per token; a small model's order of magnitude
        return 2 + valTokens * 2 * params / (FLOPS_PER_THREAD * ComputePool.shared().threads());
    }

    @Override
    public Result run(StageContext ctx) throws IOException {
        TrainedModel m = TrainedModel.load(ctx.dir("train"));
        Transformer net = new Transformer(m.config());
        float[] src = m.parameters().data(), dst = net.parameters().data();
        if (src.length != dst.length) throw new IllegalStateException("checkpoint has " + src.length + " parameters, the model " + dst.length);
        System.arraycopy(src, 0, dst, 0, src.length);
        TrainingConfig.Train t = ctx.recipe().training().train();
        int T = Math.min(t.seqLen() == 0 ? m.config().contextLength() : t.seqLen(), m.config().contextLength());
        List<TokenShardReader> shards = new ArrayList<>();
        try {
            long tokens = 0;
            for (Path p : CorpusTokenizer.shardFiles(ctx.dir("tokenize"), "val")) {
                TokenShardReader r = new TokenShardReader(p);
                shards.add(r);
                tokens += r.tokenCount();
            }
            if (tokens < T + 1) throw new IllegalStateException("stage eval: the val split has fewer than " + (T + 1) + " tokens; raise tokenize.val_fraction");
            // anvil eval's evaluator with the training windows: non-overlapping windows of seq_len, batch_size at a time,
            // all of the split or the first eval.batches batches.
            int B = t.batchSize();
            long maxTokens = ctx.recipe().eval().batches() > 0 ? (long) ctx.recipe().eval().batches() * B * T : 0;
            PerplexityEvaluator evaluator = new PerplexityEvaluator(net, PerplexityEvaluator.tokenBytes(m.tokenizer(), m.config().vocabSize()),
                    new PerplexityEvaluator.Settings(T, T, B, maxTokens));
            Perplexity total = evaluator.evaluate(shards, (done, of) ->
                    ctx.progress().update((double) done / Math.max(1, of), String.format(Locale.ROOT, "%,d/%,d tokens", done, of))).total();
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("val_loss", total.loss());
            s.put("val_bpb", total.bitsPerByte());
            s.put("perplexity", total.perplexity());
            s.put("tokens", total.tokens());
            s.put("bytes", total.bytes());
            s.put("checkpoint_step", m.step());
            ctx.log().printf(Locale.ROOT, "val loss %.4f, %.4f bits/byte, perplexity %.2f over %,d tokens (%,d bytes)%n",
                    total.loss(), total.bitsPerByte(), total.perplexity(), total.tokens(), total.bytes());
            return new Result(s, List.of());
        } finally {
            for (TokenShardReader r : shards) r.close();
        }
    }
}
