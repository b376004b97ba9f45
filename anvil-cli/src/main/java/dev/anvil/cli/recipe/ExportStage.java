package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.model.gguf.Gguf;
import dev.anvil.model.gguf.TransformerGguf;
import dev.anvil.model.hf.HuggingFaceDirectory;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.model.TrainedModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code anvil export}: the trained model as {@code export/model.gguf} or a Hugging Face directory {@code export/hf/} (format none: nothing). */
final class ExportStage implements Stage {
    @Override
    public String name() {
        return "export";
    }

    @Override
    public List<String> consumes() {
        return List.of("train");
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved().get("export");
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        return ctx.recipe().export().format().equals("none") ? 0 : 2;
    }

    @Override
    public Result run(StageContext ctx) throws Exception {
        Recipe.Export spec = ctx.recipe().export();
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("format", spec.format());
        if (spec.format().equals("none")) return new Result(s, List.of());
        TrainedModel m = TrainedModel.load(ctx.dir("train"));
        Path out;
        if (spec.format().equals("hf")) {
            out = ctx.dir().resolve("hf");
            HuggingFaceDirectory.write(out, m.config(), m.parameters(), m.tokenizer());
        } else {
            BpeTokenizer bpe = m.tokenizer().bpe().orElseThrow(() -> new IllegalArgumentException("stage export: GGUF needs a byte-level BPE tokenizer"));
            out = ctx.dir().resolve("model.gguf");
            TransformerGguf.write(out, m.config(), m.parameters(), bpe, Gguf.TensorType.parse(spec.dtype()));
            s.put("bytes", Files.size(out));
        }
        String rel = ctx.runDir().relativize(out.toAbsolutePath()).toString();
        s.put("path", rel);
        ctx.progress().update(1, rel);
        return new Result(s, List.of(rel));
    }
}
