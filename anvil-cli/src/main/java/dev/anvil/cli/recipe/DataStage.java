package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.data.exec.LocalExecutor;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.stats.PipelineStats;
import dev.anvil.data.stats.StepStats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * {@code anvil data run} on the recipe's corpus: the built-in one is first written out as JSON
 * lines ({@code data/input/}), files are read where they are. Clean shards and stats.json go to
 * {@code data/clean/}; the executor resumes an interrupted run of the same stage.
 */
final class DataStage implements Stage {
    private static final Map<String, String> CORPUS_HASHES = new ConcurrentHashMap<>();

    /** Documents per input file of the built-in corpus: one executor task each, so every core works. */
    private static final int DOCUMENTS_PER_FILE = 1500;

    @Override
    public String name() {
        return "data";
    }

    @Override
    public List<String> consumes() {
        return List.of();
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved().get("data");
    }

    /** The packaged corpus by content hash; files by path, size and modification time. */
    @Override
    public String externalInputs(Recipe recipe) throws IOException {
        if (recipe.data().corpus() != null) {
            String c = recipe.data().corpus();
            String h = CORPUS_HASHES.get(c);
            if (h == null) CORPUS_HASHES.put(c, h = BuiltinCorpus.sha256(c));
            return c + " sha256:" + h;
        }
        StringBuilder sb = new StringBuilder();
        for (Path input : recipe.data().inputs()) {
            try (Stream<Path> s = Files.isDirectory(input) ? Files.walk(input) : Stream.of(input)) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList())
                    sb.append(f).append(' ').append(Files.size(f)).append(' ').append(Files.getLastModifiedTime(f).toMillis()).append('\n');
            }
        }
        return sb.toString();
    }

    /** A corpus path that does not exist, named with its stage, before anything runs. */
    static void checkInputs(Recipe recipe) {
        for (Path p : recipe.data().inputs()) {
            if (!Files.exists(p)) throw new MissingInputException("stage data: corpus path " + p + " does not exist (data.inputs in " + recipe.source() + ")");
        }
    }

    /** A corpus path that is not there. */
    static final class MissingInputException extends IllegalArgumentException {
        MissingInputException(String message) {
            super(message);
        }
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        return 3 + inputBytes(ctx.recipe()) / 0.8e6; // language id dominates: ~0.4 MB/s per core measured on Europarl
    }

    static long inputBytes(Recipe r) {
        if (r.data().corpus() != null) {
            long all = BuiltinCorpus.approximateBytes(r.data().corpus());
            int docs = BuiltinCorpus.documents(r.data().corpus());
            return r.data().maxDocuments() == 0 ? all : all * Math.min(docs, r.data().maxDocuments()) / docs;
        }
        long n = 0;
        for (Path input : r.data().inputs()) {
            try (Stream<Path> s = Files.isDirectory(input) ? Files.walk(input) : Stream.of(input)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) n += Files.size(f);
            } catch (IOException e) {
                // no estimate for unreadable inputs; the stage reports them
            }
        }
        return n;
    }

    @Override
    public Result run(StageContext ctx) throws IOException {
        Recipe r = ctx.recipe();
        List<Path> inputs = r.data().inputs();
        if (r.data().corpus() != null) {
            ctx.progress().update(0, "unpacking " + r.data().corpus());
            inputs = BuiltinCorpus.writeJsonl(r.data().corpus(), r.data().maxDocuments(), ctx.dir().resolve("input"), DOCUMENTS_PER_FILE);
        }
        Path clean = ctx.dir().resolve("clean");
        Pipeline pipeline = r.data().pipeline(inputs, clean).withThreads(ComputePool.shared().threads());
        LocalExecutor.Result result = new LocalExecutor(pipeline, (phase, done, total) -> {
            double f = total <= 0 ? 0 : (double) done / total;
            ctx.progress().update(phase.equals("documents") ? 0.9 * f : 0.9 + 0.1 * f, phase);
        }).run();
        PipelineStats stats = result.stats();
        ctx.log().print(stats.summaryTable());
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        StepStats read = stats.steps.get("read"), write = stats.steps.get("write");
        s.put("files", stats.files);
        s.put("documents_in", read == null ? 0 : read.docsOut);
        s.put("documents_out", write == null ? 0 : write.docsOut);
        s.put("bytes_in", read == null ? stats.inputBytes : read.bytesOut);
        s.put("bytes_out", write == null ? 0 : write.bytesOut);
        s.put("shards", result.shards().size());
        s.put("bad_input", stats.badInput.size());
        if (result.shards().isEmpty() || (write != null && write.docsOut == 0)) {
            throw new IllegalStateException("stage data: no document survived the pipeline (see " + clean.resolve("stats.json") + ")");
        }
        List<String> outputs = new ArrayList<>();
        for (Path p : result.shards()) outputs.add(ctx.runDir().relativize(p.toAbsolutePath()).toString());
        outputs.add(ctx.runDir().relativize(clean.resolve("stats.json").toAbsolutePath()).toString());
        return new Result(s, outputs);
    }

    /** The clean shards of a finished data stage, in order. */
    static List<Path> shards(Path runDir) throws IOException {
        try (Stream<Path> s = Files.list(runDir.resolve("data").resolve("clean"))) {
            return s.filter(p -> p.getFileName().toString().matches("shard-\\d+\\.jsonl\\.zst")).sorted().toList();
        }
    }
}
