package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Runs a recipe's stages in order in a run directory, re-using every stage whose inputs did not change.
 *
 * <p>A stage's fingerprint is the SHA-256 of its name, its recipe section (canonical JSON: sorted
 * keys, defaults filled in), the output ids of the stages it consumes and its external inputs (the
 * built-in corpus: the packaged file's SHA-256; corpus files: path, size and modification time of
 * every file, as make and Gradle do, since hashing a large corpus each run would cost more than the
 * data stage saves). The stage writes into {@code <run>/<stage>/} and, only once it succeeded,
 * {@code stage.json} (fingerprint, output id, start, end, wall seconds, outputs, summary numbers),
 * written to a temporary file and renamed, so a stage killed halfway is run again, never half
 * reused. The output id is fresh each time a stage runs, so a stage that ran (changed or forced)
 * makes every stage that consumes it run too.
 *
 * <p>{@code <run>/stages.log} gets one line per stage and invocation: {@code ran}, {@code reused}
 * or {@code forced}, with the fingerprint. {@code --from S} re-runs S and every later stage (the
 * earlier ones must be up to date), {@code --until S} stops after S, {@code --force S} re-runs S.
 */
public final class StageRunner {
    static final List<Stage> STAGES = List.of(new DataStage(), new TokenizerStage(), new TokenizeStage(), new TrainStage(),
            new EvalStage(), new SampleStage(), new ExportStage(), new ReportStage());
    public static final List<String> STAGE_NAMES = STAGES.stream().map(Stage::name).toList();
    static final String STAGE_FILE = "stage.json", STAGES_LOG = "stages.log";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    /** What to run: a stage range and stages to re-run even if up to date. Null ends mean the first / last stage. */
    public record Options(String from, String until, Set<String> force) {
        public Options {
            force = force == null ? Set.of() : Set.copyOf(force);
            for (String s : force) check("--force", s);
            if (from != null) check("--from", from);
            if (until != null) check("--until", until);
            if (from != null && until != null && STAGE_NAMES.indexOf(from) > STAGE_NAMES.indexOf(until))
                throw new IllegalArgumentException("--from " + from + " comes after --until " + until);
        }

        private static void check(String option, String stage) {
            if (!STAGE_NAMES.contains(stage)) throw new IllegalArgumentException(option + ": no stage '" + stage + "' (stages: " + String.join(", ", STAGE_NAMES) + ")");
        }

        public static Options all() {
            return new Options(null, null, Set.of());
        }
    }

    /** What happened to one stage in this invocation. */
    public record Outcome(String stage, String action, String fingerprint, double seconds, JsonNode summary) {}

    private final Recipe recipe;
    private final Path runDir;
    private final String shownRunDir;
    private final Options options;
    private final PrintStream console;
    private final boolean animate;

    /**
     * @param console where the stage lines go (the bar too, when {@code animate})
     * @param animate redraw a progress bar in place ({@code \r}); off for --quiet, --json and logs
     */
    public StageRunner(Recipe recipe, Path runDir, Options options, PrintStream console, boolean animate) {
        this.recipe = recipe;
        this.runDir = runDir.toAbsolutePath().normalize();
        this.shownRunDir = runDir.toString();
        this.options = options;
        this.console = console;
        this.animate = animate;
    }

    public List<Outcome> run() throws Exception {
        int from = options.from() == null ? 0 : STAGE_NAMES.indexOf(options.from());
        int until = options.until() == null ? STAGES.size() - 1 : STAGE_NAMES.indexOf(options.until());
        if (from == 0) DataStage.checkInputs(recipe); // a missing corpus path stops the run before any stage starts
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("recipe.yaml"), RecipeYaml.write(recipe.resolved()));
        appendLog("# " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " run " + recipe.source()
                + (options.from() != null ? " --from " + options.from() : "") + (options.until() != null ? " --until " + options.until() : "")
                + (options.force().isEmpty() ? "" : " --force " + String.join(",", options.force())));

        String[] names = STAGE_NAMES.subList(0, until + 1).toArray(String[]::new);
        RunProgress progress = new RunProgress(console, names, animate);
        Map<String, JsonNode> done = new LinkedHashMap<>();   // stage.json of stages run or reused so far
        Map<String, JsonNode> summaries = new HashMap<>();
        for (int i = 0; i <= until; i++) { // first estimates, from whatever earlier runs left
            JsonNode old = readStageJson(runDir.resolve(names[i]));
            if (old != null) summaries.put(names[i], old.get("summary"));
        }
        for (int i = from; i <= until; i++) progress.estimate(i, STAGES.get(i).estimateSeconds(new StageContext(recipe, runDir, shownRunDir, runDir.resolve(names[i]), summaries, progress, null)));
        summaries.clear();

        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i <= until; i++) {
            Stage stage = STAGES.get(i);
            Path dir = runDir.resolve(stage.name());
            String fingerprint = fingerprint(stage, done);
            JsonNode existing = readStageJson(dir);
            boolean upToDate = existing != null && fingerprint.equals(existing.path("fingerprint").asText()) && outputsExist(existing);
            boolean forced = options.force().contains(stage.name()) || (options.from() != null && i >= from);
            if (i < from && !upToDate) {
                throw new IllegalStateException("--from " + options.from() + ": stage " + stage.name() + " has no up-to-date output in " + runDir
                        + " (its inputs or settings changed, or it never ran); run without --from first");
            }
            if (upToDate && !forced) {
                done.put(stage.name(), existing);
                summaries.put(stage.name(), existing.get("summary"));
                progress.estimate(i, 0);
                logStage(stage.name(), "reused", fingerprint, existing.path("wall_seconds").asDouble());
                progress.note(String.format(Locale.ROOT, "  %-9s reused   (up to date, %s)", stage.name(), RunProgress.clock(existing.path("wall_seconds").asDouble())));
                outcomes.add(new Outcome(stage.name(), "reused", fingerprint, 0, existing.get("summary")));
                continue;
            }
            String action = forced ? "forced" : "ran";
            JsonNode result = runStage(stage, i, dir, fingerprint, forced, summaries, progress, action);
            done.put(stage.name(), result);
            summaries.put(stage.name(), result.get("summary"));
            outcomes.add(new Outcome(stage.name(), action, fingerprint, result.get("wall_seconds").asDouble(), result.get("summary")));
        }
        return outcomes;
    }

    private JsonNode runStage(Stage stage, int index, Path dir, String fingerprint, boolean forced, Map<String, JsonNode> summaries,
                              RunProgress progress, String action) throws Exception {
        Path started = dir.resolve(".started");
        // Same fingerprint and not forced: keep a partial output (the data executor and training resume from it).
        boolean resumable = Files.isRegularFile(started) && Files.readString(started).equals(fingerprint) && !forced;
        if (Files.exists(dir) && !resumable) deleteTree(dir);
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(STAGE_FILE));
        Files.writeString(started, fingerprint);
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        Stage.Result r;
        try (PrintStream log = new PrintStream(Files.newOutputStream(dir.resolve("log.txt"), StandardOpenOption.CREATE, StandardOpenOption.APPEND), true, StandardCharsets.UTF_8)) {
            StageContext ctx = new StageContext(recipe, runDir, shownRunDir, dir, summaries, progress, log);
            progress.estimate(index, stage.estimateSeconds(ctx));
            progress.start(index);
            try {
                r = stage.run(ctx);
            } catch (Exception | Error e) {
                progress.finish(String.format(Locale.ROOT, "  %-9s FAILED after %s (log: %s)", stage.name(), RunProgress.clock((System.nanoTime() - t0) / 1e9), dir.resolve("log.txt")));
                logStage(stage.name(), "failed", fingerprint, (System.nanoTime() - t0) / 1e9);
                throw e;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode json = JSON.createObjectNode();
        json.put("stage", stage.name());
        json.put("fingerprint", fingerprint);
        json.put("output_id", sha256(fingerprint + "\n" + Instant.now() + "\n" + System.nanoTime()));
        json.put("started", start.toString());
        json.put("finished", Instant.now().toString());
        json.put("wall_seconds", seconds);
        ArrayNode outs = json.putArray("outputs");
        for (String o : r.outputs()) outs.add(o);
        json.set("summary", r.summary());
        Path tmp = dir.resolve(STAGE_FILE + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), json);
        Files.move(tmp, dir.resolve(STAGE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        logStage(stage.name(), action, fingerprint, seconds);
        progress.finish(String.format(Locale.ROOT, "  %-9s %-8s %s  %s", stage.name(), action, RunProgress.clock(seconds), headline(stage.name(), r.summary())));
        return json;
    }

    /** One line of numbers per stage for the console. */
    private static String headline(String stage, JsonNode s) {
        return switch (stage) {
            case "data" -> String.format(Locale.ROOT, "%,d of %,d documents kept, %.1f MB", s.path("documents_out").asLong(), s.path("documents_in").asLong(), s.path("bytes_out").asDouble() / 1e6);
            case "tokenizer" -> s.path("heldout_bytes").asLong() == 0
                    ? String.format(Locale.ROOT, "%d tokens (no held-out documents to measure compression on)", s.path("vocab_size").asInt())
                    : String.format(Locale.ROOT, "%d tokens, %.2f bytes/token on held-out text", s.path("vocab_size").asInt(), s.path("compression").path("ours").asDouble());
            case "tokenize" -> String.format(Locale.ROOT, "%,d train / %,d val tokens", s.path("train_tokens").asLong(), s.path("val_tokens").asLong());
            case "train" -> String.format(Locale.ROOT, "%d steps, train loss %.3f, val loss %.3f", s.path("steps").asLong(), s.path("train_loss").asDouble(), s.path("val_loss").asDouble());
            case "eval" -> String.format(Locale.ROOT, "val loss %.4f, %.4f bits/byte, perplexity %.1f", s.path("val_loss").asDouble(), s.path("val_bpb").asDouble(), s.path("perplexity").asDouble());
            case "sample" -> s.path("samples").size() + " samples";
            case "export" -> s.path("format").asText().equals("none") ? "(no export in this recipe)" : "wrote " + s.path("path").asText();
            default -> s.path("path").asText("");
        };
    }

    private String fingerprint(Stage stage, Map<String, JsonNode> done) throws IOException {
        StringBuilder sb = new StringBuilder("stage=").append(stage.name()).append('\n');
        sb.append("config=").append(CANONICAL.writeValueAsString(JSON.treeToValue(stage.config(recipe), Object.class))).append('\n');
        sb.append("external=").append(stage.externalInputs(recipe)).append('\n');
        for (String up : stage.consumes()) {
            JsonNode u = done.get(up);
            sb.append(up).append('=').append(u == null ? "missing" : u.path("output_id").asText()).append('\n');
        }
        return sha256(sb.toString());
    }

    private boolean outputsExist(JsonNode stageJson) {
        for (JsonNode o : stageJson.path("outputs")) if (!Files.exists(runDir.resolve(o.asText()))) return false;
        return true;
    }

    static JsonNode readStageJson(Path dir) {
        Path f = dir.resolve(STAGE_FILE);
        if (!Files.isRegularFile(f)) return null;
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            return null; // unreadable = not done
        }
    }

    private void logStage(String stage, String action, String fingerprint, double seconds) throws IOException {
        appendLog(String.format(Locale.ROOT, "%s %-9s %-7s sha256:%s %.1fs", Instant.now().truncatedTo(ChronoUnit.SECONDS), stage, action, fingerprint, seconds));
    }

    private void appendLog(String line) throws IOException {
        try (OutputStream out = Files.newOutputStream(runDir.resolve(STAGES_LOG), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
