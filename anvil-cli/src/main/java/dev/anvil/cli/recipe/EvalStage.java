package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.autograd.Tape;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.model.Transformer;
import dev.anvil.train.TrainedModel;
import dev.anvil.train.TrainingConfig;
import dev.anvil.train.data.CorpusTokenizer;
import dev.anvil.train.data.TokenShardReader;
import dev.anvil.train.data.TokenWindowLoader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Scores the trained model on the held-out split: every window of {@code seq_len} tokens of the
 * val shards (or the first {@code eval.batches} batches), giving val loss (nats per token),
 * bits per byte (Σ loss / ln 2 / Σ UTF-8 bytes of the predicted tokens, comparable across
 * tokenizers) and perplexity (e^loss). The training run's periodic eval uses a subset; this is the
 * number of record.
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
            long windows = 0;
            for (Path p : CorpusTokenizer.shardFiles(ctx.dir("tokenize"), "val")) {
                TokenShardReader r = new TokenShardReader(p);
                shards.add(r);
                windows += (r.tokenCount() - 1) / T;
            }
            if (windows == 0) throw new IllegalStateException("stage eval: the val split has fewer than " + (T + 1) + " tokens; raise tokenize.val_fraction");
            int B = (int) Math.max(1, Math.min(t.batchSize(), windows));
            long batches = windows / B;
            if (ctx.recipe().eval().batches() > 0) batches = Math.min(batches, ctx.recipe().eval().batches());
            TokenWindowLoader loader = new TokenWindowLoader(shards, B, T, TokenWindowLoader.Order.SEQUENTIAL, 0, m.config().vocabSize());
            int[] in = new int[B * T], tg = new int[B * T];
            Tape tape = new Tape();
            tape.setGradEnabled(false);
            double nats = 0;
            long tokens = 0, bytes = 0;
            for (long b = 0; b < batches; b++) {
                loader.next(in, tg);
                tape.reset();
                nats += (double) net.loss(tape, in, tg, 0, B, T, 0f, 0).value().get(0) * B * T;
                tokens += (long) B * T;
                for (int x : tg) bytes += m.tokenizer().byteLength(x);
                ctx.progress().update((b + 1.0) / batches, String.format(Locale.ROOT, "batch %d/%d loss %.3f", b + 1, batches, nats / tokens));
            }
            double loss = nats / tokens;
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("val_loss", loss);
            s.put("val_bpb", nats / Math.log(2) / Math.max(1, bytes));
            s.put("perplexity", Math.exp(loss));
            s.put("tokens", tokens);
            s.put("bytes", bytes);
            s.put("checkpoint_step", m.step());
            ctx.log().printf(Locale.ROOT, "val loss %.4f, %.4f bits/byte, perplexity %.2f over %,d tokens (%,d bytes)%n",
                    loss, s.get("val_bpb").asDouble(), Math.exp(loss), tokens, bytes);
            return new Result(s, List.of());
        } finally {
            for (TokenShardReader r : shards) r.close();
        }
    }
}
