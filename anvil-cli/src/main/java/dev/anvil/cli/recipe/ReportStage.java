package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes {@code <run>/report.html} ({@link ReportCard}) from the stage.json of every earlier stage. */
final class ReportStage implements Stage {
    @Override
    public String name() {
        return "report";
    }

    @Override
    public List<String> consumes() {
        return List.of("data", "tokenizer", "tokenize", "train", "eval", "sample", "export");
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved();
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        return 1;
    }

    @Override
    public Result run(StageContext ctx) throws Exception {
        Map<String, JsonNode> stageJsons = new LinkedHashMap<>();
        for (String s : consumes()) {
            JsonNode j = StageRunner.readStageJson(ctx.dir(s));
            if (j != null) stageJsons.put(s, j);
        }
        Path out = ReportCard.write(ctx.recipe(), ctx.runDir(), ctx.shownRunDir(), stageJsons);
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("path", ctx.runDir().relativize(out).toString());
        return new Result(s, List.of("report.html"));
    }
}
