package dev.anvil.data.pipeline;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.anvil.data.DocumentStep;
import dev.anvil.data.clean.PiiRedactor;
import dev.anvil.data.clean.UnicodeNormalizer;
import dev.anvil.data.dedup.MinHashDeduplicator;
import dev.anvil.data.dedup.SentenceDeduplicator;
import dev.anvil.data.filter.C4QualityFilter;
import dev.anvil.data.filter.FineWebQualityFilter;
import dev.anvil.data.filter.GopherQualityFilter;
import dev.anvil.data.filter.GopherRepetitionFilter;
import dev.anvil.data.filter.LanguageFilter;
import dev.anvil.data.read.InputFormat;
import dev.anvil.data.read.ReaderOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a pipeline YAML file into a {@link Pipeline}, validating every field before any work:
 *
 * <pre>{@code
 * inputs: [raw/]            # files or directories, relative to this file
 * output: clean/
 * format: auto              # or text | paragraphs | lines | jsonl | email | html | csv | parquet
 * jsonl: {text_field: text, id_field: id}
 * table:                    # csv and parquet columns (defaults: the jsonl fields)
 *   text_columns: [title, text]
 *   id_column: id
 *   metadata_columns: [url] # default: every other column
 *   header: auto            # csv: true | false | auto (a first row naming the text columns)
 *   delimiter: ","          # csv: default tab for .tsv, comma otherwise
 * shard_mb: 64
 * task_mb: 32               # larger uncompressed jsonl/lines/paragraphs files are read as several tasks
 * threads: 0                # 0 = all cores
 * steps:                    # a name alone takes the defaults
 *   - normalize: {form: NFC}
 *   - language: {keep: [en], min_confidence: 0.65}
 *   - gopher_repetition
 *   - gopher_quality: {min_doc_words: 50}
 *   - c4_quality
 *   - fineweb_quality
 *   - pii: {phone_numbers: true}
 *   - exact_dedup
 *   - minhash_dedup: {shingle_size: 5, bands: 14, rows: 8}
 *   - sentence_dedup: {span_sentences: 3, split: sentences, min_doc_words: 50}
 * }</pre>
 *
 * A threshold set to {@code null} switches its rule off. Deduplication runs over the whole corpus
 * after all per-document steps, so dedup entries must come last.
 */
public final class PipelineYaml {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    public static final List<String> STEP_NAMES = List.of("normalize", "language", "gopher_repetition", "gopher_quality",
            "c4_quality", "fineweb_quality", "pii", "exact_dedup", "minhash_dedup", "sentence_dedup");

    private PipelineYaml() {}

    public static Pipeline load(Path file) throws IOException {
        String text = Files.readString(file);
        return parse(text, file.toAbsolutePath().getParent());
    }

    @SuppressWarnings("unchecked")
    public static Pipeline parse(String yaml, Path baseDir) {
        Object root;
        try {
            root = YAML.readValue(yaml, Object.class);
        } catch (JacksonException e) {
            throw new PipelineDefinitionException("(file)", "not valid YAML: " + e.getOriginalMessage());
        }
        if (!(root instanceof Map<?, ?>)) throw new PipelineDefinitionException("(file)", "expected a mapping at the top level");
        OptionMap top = new OptionMap("", (Map<String, Object>) root);
        List<String> inputs = top.strings("inputs", null);
        if (inputs == null || inputs.isEmpty()) throw new PipelineDefinitionException("inputs", "at least one input path is required");
        List<Path> inputPaths = inputs.stream().map(p -> baseDir.resolve(p).normalize()).toList();
        for (int i = 0; i < inputPaths.size(); i++) {
            if (!Files.exists(inputPaths.get(i))) throw new PipelineDefinitionException("inputs[" + i + "]", "no such file or directory: " + inputPaths.get(i));
        }
        String output = top.string("output", null);
        if (output == null) throw new PipelineDefinitionException("output", "an output directory is required");
        String formatName = top.string("format", "auto");
        InputFormat format;
        try {
            format = formatName.equalsIgnoreCase("auto") ? null : InputFormat.parse(formatName);
        } catch (IllegalArgumentException e) {
            throw new PipelineDefinitionException("format", e.getMessage());
        }
        OptionMap jsonl = top.child("jsonl");
        String textField = jsonl.string("text_field", "text");
        String idField = jsonl.string("id_field", "id");
        jsonl.finish();
        ReaderOptions reader = new ReaderOptions(format, textField, idField, table(top.child("table")));
        double shardMb = top.requiredNumber("shard_mb", Pipeline.DEFAULT_SHARD_BYTES / (double) (1 << 20));
        if (shardMb <= 0) throw new PipelineDefinitionException("shard_mb", "must be positive, got " + shardMb);
        double taskMb = top.requiredNumber("task_mb", Pipeline.DEFAULT_TASK_BYTES / (double) (1 << 20));
        if (taskMb <= 0) throw new PipelineDefinitionException("task_mb", "must be positive, got " + taskMb);
        int threads = top.requiredInt("threads", 0);
        if (threads < 0) throw new PipelineDefinitionException("threads", "must be >= 0, got " + threads);

        List<DocumentStep> steps = new ArrayList<>();
        boolean exact = false;
        MinHashDeduplicator.Config minhash = null;
        SentenceDeduplicator.Config sentences = null;
        Object rawSteps = top.raw("steps");
        if (!top.has("steps")) {
            steps.addAll(Pipeline.defaultSteps());
            exact = true;
            minhash = MinHashDeduplicator.Config.DEFAULT;
        } else {
            if (!(rawSteps instanceof List<?> list)) throw new PipelineDefinitionException("steps", "expected a list of steps");
            boolean dedupSeen = false;
            HashSet<String> names = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                Object entry = list.get(i);
                String name;
                Map<String, Object> opts;
                if (entry instanceof String s) {
                    name = s;
                    opts = Map.of();
                } else if (entry instanceof Map<?, ?> m && m.size() == 1) {
                    var e = m.entrySet().iterator().next();
                    name = String.valueOf(e.getKey());
                    if (e.getValue() != null && !(e.getValue() instanceof Map<?, ?>)) {
                        throw new PipelineDefinitionException("steps[" + i + "]." + name, "expected a mapping of options, got '" + e.getValue() + "'");
                    }
                    opts = e.getValue() == null ? Map.of() : (Map<String, Object>) e.getValue();
                } else {
                    throw new PipelineDefinitionException("steps[" + i + "]", "expected a step name or {name: {options}}, got '" + entry + "'");
                }
                String field = "steps[" + i + "]." + name;
                if (!STEP_NAMES.contains(name)) throw new PipelineDefinitionException("steps[" + i + "]", "unknown step '" + name + "', expected one of " + STEP_NAMES);
                if (!names.add(name)) throw new PipelineDefinitionException(field, "step appears twice");
                OptionMap o = new OptionMap(field, opts);
                boolean isDedup = name.endsWith("_dedup");
                if (!isDedup && dedupSeen) throw new PipelineDefinitionException(field, "per-document steps must come before exact_dedup/minhash_dedup (dedup runs over the whole corpus at the end)");
                dedupSeen |= isDedup;
                try {
                    switch (name) {
                        case "exact_dedup" -> exact = true;
                        case "minhash_dedup" -> minhash = minhash(o);
                        case "sentence_dedup" -> sentences = sentenceDedup(o);
                        default -> steps.add(step(name, o));
                    }
                } catch (PipelineDefinitionException e) {
                    throw e;
                } catch (IllegalArgumentException e) {
                    throw new PipelineDefinitionException(field, e.getMessage());
                }
                o.finish();
            }
        }
        top.finish();
        return new Pipeline(inputPaths, baseDir.resolve(output).normalize(), reader, steps, exact, minhash,
                (long) (shardMb * (1 << 20)), threads, sentences, (long) (taskMb * (1 << 20)));
    }

    private static ReaderOptions.TableColumns table(OptionMap o) {
        List<String> text = o.strings("text_columns", null);
        if (text != null && text.isEmpty()) throw new PipelineDefinitionException(o.field("text_columns"), "must name at least one column");
        String id = o.string("id_column", null);
        List<String> meta = o.strings("metadata_columns", null);
        String header = o.has("header") ? String.valueOf(o.raw("header")).toLowerCase(Locale.ROOT) : "auto";
        Boolean hasHeader = switch (header) {
            case "auto", "null" -> null;
            case "true" -> true;
            case "false" -> false;
            default -> throw new PipelineDefinitionException(o.field("header"), "expected true, false or auto, got '" + header + "'");
        };
        String delimiter = o.string("delimiter", null);
        if (delimiter != null && delimiter.equals("\\t")) delimiter = "\t";
        if (delimiter != null && delimiter.length() != 1) throw new PipelineDefinitionException(o.field("delimiter"), "expected one character, got '" + delimiter + "'");
        o.finish();
        return new ReaderOptions.TableColumns(text, id, meta, hasHeader, delimiter == null ? null : delimiter.charAt(0));
    }

    private static SentenceDeduplicator.Config sentenceDedup(OptionMap o) {
        SentenceDeduplicator.Config d = SentenceDeduplicator.Config.DEFAULT;
        int span = o.requiredInt("span_sentences", d.spanSentences());
        if (span < 1) throw new PipelineDefinitionException(o.field("span_sentences"), "must be >= 1");
        String split = o.string("split", d.splitLines() ? "lines" : "sentences");
        if (!split.equals("sentences") && !split.equals("lines")) throw new PipelineDefinitionException(o.field("split"), "expected sentences or lines, got '" + split + "'");
        int minWords = o.requiredInt("min_doc_words", d.minDocWords());
        if (minWords < 0) throw new PipelineDefinitionException(o.field("min_doc_words"), "must be >= 0");
        return new SentenceDeduplicator.Config(span, split.equals("lines"), minWords);
    }

    private static MinHashDeduplicator.Config minhash(OptionMap o) {
        MinHashDeduplicator.Config d = MinHashDeduplicator.Config.DEFAULT;
        int shingle = o.requiredInt("shingle_size", d.shingleSize());
        if (shingle < 1) throw new PipelineDefinitionException(o.field("shingle_size"), "must be >= 1");
        int bands = o.requiredInt("bands", d.bands());
        if (bands < 1) throw new PipelineDefinitionException(o.field("bands"), "must be >= 1");
        int rows = o.requiredInt("rows", d.rows());
        if (rows < 1) throw new PipelineDefinitionException(o.field("rows"), "must be >= 1");
        Double verify = o.number("verify_jaccard", d.verifyJaccard());
        if (verify != null && verify > 1) throw new PipelineDefinitionException(o.field("verify_jaccard"), "must be <= 1");
        return new MinHashDeduplicator.Config(shingle, bands, rows, verify == null ? 0 : verify, o.requiredInt("seed", (int) d.seed()));
    }

    private static DocumentStep step(String name, OptionMap o) {
        return switch (name) {
            case "normalize" -> {
                String form = o.string("form", "NFC").toUpperCase(Locale.ROOT);
                if (!form.equals("NFC") && !form.equals("NFKC")) throw new PipelineDefinitionException(o.field("form"), "expected NFC or NFKC, got " + form);
                yield new UnicodeNormalizer(Normalizer.Form.valueOf(form));
            }
            case "language" -> {
                LanguageFilter d = LanguageFilter.defaults();
                double min = o.requiredNumber("min_confidence", d.minConfidence());
                if (min < 0 || min > 1) throw new PipelineDefinitionException(o.field("min_confidence"), "must be in [0, 1], got " + min);
                yield new LanguageFilter(new HashSet<>(o.strings("candidates", List.copyOf(d.candidates()))),
                        new HashSet<>(o.strings("keep", List.of())), min, o.bool("low_accuracy", d.lowAccuracy()));
            }
            case "gopher_quality" -> {
                GopherQualityFilter d = GopherQualityFilter.defaults();
                yield new GopherQualityFilter(o.integer("min_doc_words", d.minDocWords()), o.integer("max_doc_words", d.maxDocWords()),
                        o.number("min_avg_word_length", d.minAvgWordLength()), o.number("max_avg_word_length", d.maxAvgWordLength()),
                        o.number("max_symbol_word_ratio", d.maxSymbolWordRatio()), o.number("max_bullet_lines_ratio", d.maxBulletLinesRatio()),
                        o.number("max_ellipsis_lines_ratio", d.maxEllipsisLinesRatio()), o.number("min_alpha_words_ratio", d.minAlphaWordsRatio()),
                        o.integer("min_stop_words", d.minStopWords()), new HashSet<>(o.strings("stop_words", List.copyOf(d.stopWords()))));
            }
            case "gopher_repetition" -> {
                GopherRepetitionFilter d = GopherRepetitionFilter.defaults();
                yield new GopherRepetitionFilter(o.number("dup_line_frac", d.dupLineFrac()), o.number("dup_para_frac", d.dupParaFrac()),
                        o.number("dup_line_char_frac", d.dupLineCharFrac()), o.number("dup_para_char_frac", d.dupParaCharFrac()),
                        nGramMap(o, "top_n_grams", d.topNGramCharFrac()), nGramMap(o, "dup_n_grams", d.dupNGramCharFrac()));
            }
            case "c4_quality" -> {
                C4QualityFilter d = C4QualityFilter.defaults();
                yield new C4QualityFilter(o.bool("remove_citations", d.removeCitations()), o.bool("filter_no_terminal_punct", d.filterNoTerminalPunct()),
                        o.requiredInt("min_num_sentences", d.minNumSentences()), o.requiredInt("min_words_per_line", d.minWordsPerLine()),
                        o.requiredInt("max_word_length", d.maxWordLength()), o.bool("filter_lorem_ipsum", d.filterLoremIpsum()),
                        o.bool("filter_javascript", d.filterJavascript()), o.bool("filter_curly_bracket", d.filterCurlyBracket()),
                        o.bool("filter_policy", d.filterPolicy()));
            }
            case "fineweb_quality" -> {
                FineWebQualityFilter d = FineWebQualityFilter.defaults();
                yield new FineWebQualityFilter(o.requiredNumber("line_punct_thr", d.linePunctThreshold()), o.bool("line_punct_exclude_zero", d.linePunctExcludeZero()),
                        o.requiredNumber("short_line_thr", d.shortLineThreshold()), o.requiredInt("short_line_length", d.shortLineLength()),
                        o.requiredNumber("char_duplicates_ratio", d.charDuplicatesRatio()), o.requiredNumber("new_line_ratio", d.newLineRatio()));
            }
            case "pii" -> new PiiRedactor(o.bool("emails", true), o.bool("ip_addresses", true), o.bool("phone_numbers", false));
            default -> throw new IllegalStateException(name);
        };
    }

    /** {@code {2: 0.2, 3: 0.18}} — n-gram size to character fraction; null disables all. */
    @SuppressWarnings("unchecked")
    private static Map<Integer, Double> nGramMap(OptionMap o, String key, Map<Integer, Double> dflt) {
        if (!o.has(key)) return dflt;
        Object v = o.raw(key);
        if (v == null) return null;
        if (!(v instanceof Map<?, ?> m)) throw new PipelineDefinitionException(o.field(key), "expected a mapping of n-gram size to fraction, e.g. {2: 0.2}");
        Map<Integer, Double> out = new TreeMap<>();
        for (var e : ((Map<Object, Object>) m).entrySet()) {
            try {
                int n = Integer.parseInt(String.valueOf(e.getKey()));
                if (n < 1 || !(e.getValue() instanceof Number f)) throw new NumberFormatException();
                out.put(n, f.doubleValue());
            } catch (NumberFormatException ex) {
                throw new PipelineDefinitionException(o.field(key) + "." + e.getKey(), "expected a positive n-gram size mapped to a number");
            }
        }
        return new LinkedHashMap<>(out);
    }
}
