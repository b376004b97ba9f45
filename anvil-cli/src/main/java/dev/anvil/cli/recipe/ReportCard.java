package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.train.MetricsLog;
import dev.anvil.train.RunReport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code <run>/report.html}, the report card of a recipe run (nanochat's idea): one self-contained
 * page, inline SVG, no scripts or styles from the network. Sections: data (documents and bytes in
 * and out per step, removal reasons, duplicates), tokenizer (bytes per token on held-out text next
 * to GPT-2 and cl100k), training (the loss curves, drawn by the training report's own
 * {@link RunReport#lossChart}), evaluation, samples, wall time per stage, the exact recipe and the
 * commands to go on with.
 */
final class ReportCard {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportCard() {}

    static Path write(Recipe recipe, Path runDir, String shownRunDir, Map<String, JsonNode> stageJsons) throws IOException {
        StringBuilder h = new StringBuilder();
        String title = "Anvil report card: " + recipe.name();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222;line-height:1.4}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}")
                .append("td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}")
                .append("h2{border-bottom:2px solid #333;padding-bottom:2px;margin-top:1.6em}.prompt{font-weight:bold}</style></head><body>");
        h.append("<h1>").append(esc(title)).append("</h1>");
        JsonNode train = summary(stageJsons, "train"), eval = summary(stageJsons, "eval"), tok = summary(stageJsons, "tokenizer");
        h.append("<table>");
        row(h, "recipe", recipe.source());
        row(h, "run directory", shownRunDir);
        String model = "";
        try {
            model = ModelConfigFiles.fromTree(recipe.training().model(), tok.path("vocab_size").asInt(256)).summary();
        } catch (IllegalArgumentException e) {
            model = e.getMessage();
        }
        row(h, "model", model);
        row(h, "val bits per byte", fmt(eval.path("val_bpb").asDouble(Double.NaN), 4));
        double total = 0;
        for (JsonNode s : stageJsons.values()) total += s.path("wall_seconds").asDouble();
        row(h, "wall time (stages as last run)", RunProgress.clock(total));
        h.append("</table>");

        data(h, runDir);
        tokenizer(h, tok);
        h.append("<h2 id=\"training\">Training</h2>");
        List<JsonNode> metrics = MetricsLog.read(runDir.resolve("train").resolve("metrics.jsonl"));
        h.append("<table>");
        row(h, "steps", train.path("steps").asText());
        row(h, "tokens per step", String.format(Locale.ROOT, "%,d", (long) recipe.training().train().batchSize()
                * (recipe.training().train().seqLen() == 0 ? recipe.training().model().path("context_length").asInt() : recipe.training().train().seqLen())
                * recipe.training().train().gradAccum()));
        row(h, "median tokens/s", fmt(medianTokensPerSecond(metrics), 0));
        row(h, "final train loss", fmt(train.path("train_loss").asDouble(Double.NaN), 4));
        row(h, "final val loss (training's eval subset)", fmt(train.path("val_loss").asDouble(Double.NaN), 4));
        h.append("</table>").append(RunReport.lossChart(metrics));

        h.append("<h2 id=\"evaluation\">Evaluation</h2><table>");
        row(h, "val loss (nats/token)", fmt(eval.path("val_loss").asDouble(Double.NaN), 4));
        row(h, "val bits per byte", fmt(eval.path("val_bpb").asDouble(Double.NaN), 4));
        row(h, "held-out perplexity", fmt(eval.path("perplexity").asDouble(Double.NaN), 2));
        row(h, "scored tokens / bytes", String.format(Locale.ROOT, "%,d / %,d", eval.path("tokens").asLong(), eval.path("bytes").asLong()));
        h.append("</table>");

        h.append("<h2 id=\"samples\">Samples</h2>");
        Recipe.Sample sp = recipe.sample();
        h.append(String.format(Locale.ROOT, "<p>temperature %s, top-k %d, top-p %s, seed %d + prompt index</p>", sp.temperature(), sp.topK(), sp.topP(), sp.seed()));
        for (JsonNode s : summary(stageJsons, "sample").path("samples")) {
            h.append("<pre><span class=\"prompt\">").append(esc(s.path("prompt").asText())).append("</span>").append(esc(s.path("completion").asText())).append("</pre>");
        }

        stages(h, stageJsons);
        h.append("<h2 id=\"recipe\">Recipe (resolved)</h2><pre>").append(esc(RecipeYaml.write(recipe.resolved()))).append("</pre>");
        h.append("<h2 id=\"next\">Next</h2><pre>");
        for (String c : nextCommands(recipe, shownRunDir)) h.append(esc(c)).append('\n');
        h.append("</pre></body></html>\n");
        Path out = runDir.resolve("report.html"), tmp = runDir.resolve("report.html.tmp");
        Files.writeString(tmp, h, StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return out;
    }

    /** The commands to chat with, sample from and export the trained model. */
    static List<String> nextCommands(Recipe recipe, String runDir) {
        String model = runDir + "/train";
        List<String> c = new ArrayList<>();
        String prompt = recipe.sample().prompts().isEmpty() ? "The" : recipe.sample().prompts().getFirst();
        c.add("bin/anvil generate --model " + model + " --prompt " + shellQuote(prompt) + " --max-tokens 200 --temperature 0.8 --top-k 40");
        c.add("bin/anvil chat --model " + model);
        if (recipe.tokenizer().type().equals("bpe")) c.add("bin/anvil export --model " + model + " --format gguf --output " + runDir + "/" + recipe.name() + ".gguf");
        c.add("bin/anvil export --model " + model + " --format hf --output " + runDir + "/hf");
        return c;
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void data(StringBuilder h, Path runDir) throws IOException {
        h.append("<h2 id=\"data\">Data</h2>");
        Path stats = runDir.resolve("data").resolve("clean").resolve("stats.json");
        if (!Files.isRegularFile(stats)) {
            h.append("<p>(no stats.json)</p>");
            return;
        }
        JsonNode st = JSON.readTree(stats.toFile());
        h.append(String.format(Locale.ROOT, "<p>%d input files, %.2f MB read, %d bad inputs skipped.</p>", st.path("files").asLong(),
                st.path("input_bytes").asDouble() / 1e6, st.path("bad_input_count").asLong()));
        h.append("<table><tr><th>step</th><th>docs in</th><th>docs out</th><th>MB in</th><th>MB out</th><th>removed (reason: documents)</th></tr>");
        for (Iterator<Map.Entry<String, JsonNode>> it = st.path("steps").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode s = e.getValue();
            StringBuilder reasons = new StringBuilder();
            for (Iterator<Map.Entry<String, JsonNode>> r = s.path("removed").fields(); r.hasNext(); ) {
                var x = r.next();
                if (reasons.length() > 0) reasons.append(", ");
                reasons.append(x.getKey()).append(": ").append(x.getValue().asLong());
            }
            h.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(s.path("docs_in").asLong()).append("</td><td>").append(s.path("docs_out").asLong())
                    .append(String.format(Locale.ROOT, "</td><td>%.2f</td><td>%.2f</td><td style=\"text-align:left\">", s.path("bytes_in").asDouble() / 1e6, s.path("bytes_out").asDouble() / 1e6))
                    .append(esc(reasons.length() == 0 ? "–" : reasons.toString())).append("</td></tr>");
        }
        h.append("</table>");
        long exact = removedBy(st, "exact_dedup"), near = removedBy(st, "minhash_dedup");
        long clusters = st.path("steps").path("minhash_dedup").path("clusters").asLong();
        h.append(String.format(Locale.ROOT, "<p>Deduplication: %d exact duplicates removed; %d near duplicates removed from %d MinHash clusters (the earliest document of each cluster kept).</p>",
                exact, near, clusters));
    }

    private static long removedBy(JsonNode stats, String step) {
        JsonNode s = stats.path("steps").path(step);
        return s.path("docs_in").asLong() - s.path("docs_out").asLong();
    }

    private static void tokenizer(StringBuilder h, JsonNode tok) {
        h.append("<h2 id=\"tokenizer\">Tokenizer</h2>");
        if (tok.path("heldout_bytes").asLong() == 0) {
            // A corpus of one document (Tiny Shakespeare) leaves nothing to hold out.
            h.append(String.format(Locale.ROOT, "<p>%s, %d ids, trained on %,d documents; no held-out documents, so no compression figures.</p>",
                    tok.path("type").asText(), tok.path("vocab_size").asInt(), tok.path("train_documents").asLong()));
            return;
        }
        h.append(String.format(Locale.ROOT, "<p>%s, %d ids, trained on %,d documents; compression measured on %,d held-out bytes (higher = fewer tokens for the same text).</p>",
                tok.path("type").asText(), tok.path("vocab_size").asInt(), tok.path("train_documents").asLong(), tok.path("heldout_bytes").asLong()));
        List<String> names = new ArrayList<>(List.of("ours"));
        names.addAll(TokenizerStage.REFERENCE_ENCODINGS);
        double max = 0;
        for (String n : names) max = Math.max(max, tok.path("compression").path(n).asDouble());
        h.append("<table><tr><th>tokenizer</th><th>vocabulary</th><th>tokens</th><th>bytes/token</th><th></th></tr>");
        for (String n : names) {
            double bpt = tok.path("compression").path(n).asDouble();
            String vocab = n.equals("ours") ? Integer.toString(tok.path("vocab_size").asInt()) : n.equals("r50k_base") ? "50,257 (GPT-2)" : "100,277 (GPT-4)";
            int w = max > 0 ? (int) Math.round(300 * bpt / max) : 0;
            h.append("<tr><td>").append(n.equals("ours") ? "this recipe's" : n).append("</td><td>").append(vocab).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%,d", tok.path("heldout_tokens").path(n).asLong())).append("</td><td>").append(fmt(bpt, 3))
                    .append("</td><td><svg width=\"310\" height=\"14\"><rect width=\"").append(w).append("\" height=\"12\" fill=\"")
                    .append(n.equals("ours") ? "#2ca02c" : "#999").append("\"/></svg></td></tr>");
        }
        h.append("</table>");
    }

    private static void stages(StringBuilder h, Map<String, JsonNode> stageJsons) {
        h.append("<h2 id=\"stages\">Wall time per stage</h2><table><tr><th>stage</th><th>wall time</th><th>finished</th><th>fingerprint</th><th></th></tr>");
        double max = 1;
        for (JsonNode s : stageJsons.values()) max = Math.max(max, s.path("wall_seconds").asDouble());
        for (var e : stageJsons.entrySet()) {
            double sec = e.getValue().path("wall_seconds").asDouble();
            h.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(String.format(Locale.ROOT, "%.1f s", sec)).append("</td><td>")
                    .append(esc(e.getValue().path("finished").asText())).append("</td><td><code>").append(esc(e.getValue().path("fingerprint").asText().substring(0, 12)))
                    .append("</code></td><td><svg width=\"310\" height=\"14\"><rect width=\"").append((int) Math.round(300 * sec / max))
                    .append("\" height=\"12\" fill=\"#1f77b4\"/></svg></td></tr>");
        }
        h.append("</table>");
    }

    private static double medianTokensPerSecond(List<JsonNode> metrics) {
        List<Double> v = new ArrayList<>();
        for (JsonNode n : metrics) if (n.path("type").asText().equals("train") && n.has("tokens_per_s")) v.add(n.get("tokens_per_s").asDouble());
        if (v.isEmpty()) return Double.NaN;
        v.sort(null);
        return v.get(v.size() / 2);
    }

    private static JsonNode summary(Map<String, JsonNode> stageJsons, String stage) {
        JsonNode s = stageJsons.get(stage);
        return s == null ? JSON.createObjectNode() : s.path("summary");
    }

    private static void row(StringBuilder h, String k, String v) {
        h.append("<tr><td>").append(esc(k)).append("</td><td style=\"text-align:left\">").append(esc(v)).append("</td></tr>");
    }

    private static String fmt(double v, int digits) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%,." + digits + "f", v) : "–";
    }

    private static String esc(String s) {
        return RunReport.escape(s == null ? "" : s);
    }
}
