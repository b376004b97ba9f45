package dev.anvil.data.pipeline;

import dev.anvil.data.filter.GopherQualityFilter;
import dev.anvil.data.filter.LanguageFilter;
import dev.anvil.data.read.InputFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineYamlTest {
    @TempDir
    Path dir;

    private Pipeline parse(String yaml) throws IOException {
        Files.createDirectories(dir.resolve("raw"));
        return PipelineYaml.parse(yaml, dir);
    }

    private void assertRejected(String yaml, String field, String problem) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(PipelineDefinitionException.class)
                .satisfies(e -> assertThat(((PipelineDefinitionException) e).field()).isEqualTo(field))
                .hasMessageContaining(problem);
    }

    @Test
    void fullDefinition() throws IOException {
        Pipeline p = parse("""
                inputs: [raw]
                output: clean
                format: jsonl
                jsonl: {text_field: body, id_field: key}
                shard_mb: 1
                threads: 2
                steps:
                  - normalize: {form: NFKC}
                  - language: {keep: [en, de], min_confidence: 0.5}
                  - gopher_quality: {min_doc_words: 20, max_avg_word_length: null}
                  - c4_quality
                  - exact_dedup
                  - minhash_dedup: {bands: 20, rows: 5, verify_jaccard: null}
                """);
        assertThat(p.inputs()).containsExactly(dir.resolve("raw"));
        assertThat(p.output()).isEqualTo(dir.resolve("clean"));
        assertThat(p.reader().format()).isEqualTo(InputFormat.JSONL);
        assertThat(p.reader().textField()).isEqualTo("body");
        assertThat(p.shardBytes()).isEqualTo(1 << 20);
        assertThat(p.steps()).extracting(s -> s.name()).containsExactly("normalize", "language", "gopher_quality", "c4_quality");
        GopherQualityFilter g = (GopherQualityFilter) p.steps().get(2);
        assertThat(g.minDocWords()).isEqualTo(20);
        assertThat(g.maxAvgWordLength()).isNull();
        assertThat(g.minAvgWordLength()).isEqualTo(3.0);
        assertThat(((LanguageFilter) p.steps().get(1)).keep()).containsExactlyInAnyOrder("en", "de");
        assertThat(p.exactDedup()).isTrue();
        assertThat(p.minhash().bands()).isEqualTo(20);
        assertThat(p.minhash().verifyJaccard()).isZero();
    }

    @Test
    void noStepsMeansTheDefaultPipeline() throws IOException {
        Pipeline p = parse("inputs: raw\noutput: out\n");
        assertThat(p.steps()).extracting(s -> s.name())
                .containsExactly("normalize", "language", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality", "pii");
        assertThat(p.exactDedup()).isTrue();
        assertThat(p.minhash()).isEqualTo(dev.anvil.data.dedup.MinHashDeduplicator.Config.DEFAULT);
    }

    @Test
    void badFieldsAreRejectedByName() {
        assertRejected("output: out\n", "inputs", "required");
        assertRejected("inputs: [missing]\noutput: out\n", "inputs[0]", "no such file");
        assertRejected("inputs: raw\n", "output", "required");
        assertRejected("inputs: raw\noutput: out\nformat: pdf\n", "format", "unknown input format");
        assertRejected("inputs: raw\noutput: out\nshard_mb: -1\n", "shard_mb", "positive");
        assertRejected("inputs: raw\noutput: out\nthreads: many\n", "threads", "expected a number");
        assertRejected("inputs: raw\noutput: out\noutptu: x\n", "outptu", "unknown field");
        assertRejected("inputs: raw\noutput: out\nsteps: [frobnicate]\n", "steps[0]", "unknown step 'frobnicate'");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - gopher_quality: {min_doc_wrds: 5}\n", "steps[0].gopher_quality.min_doc_wrds", "unknown field");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - c4_quality: {min_num_sentences: 2.5}\n", "steps[0].c4_quality.min_num_sentences", "whole number");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - normalize: {form: NFD}\n", "steps[0].normalize.form", "NFC or NFKC");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - language: {candidates: [en, xx]}\n", "steps[0].language", "unknown language code 'xx'");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - language: {keep: [sw]}\n", "steps[0].language", "not among the candidates");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - language: {min_confidence: 2}\n", "steps[0].language.min_confidence", "[0, 1]");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - minhash_dedup: {bands: 0}\n", "steps[0].minhash_dedup.bands", ">= 1");
        assertRejected("inputs: raw\noutput: out\nsteps: [exact_dedup, pii]\n", "steps[1].pii", "must come before");
        assertRejected("inputs: raw\noutput: out\nsteps: [pii, pii]\n", "steps[1].pii", "twice");
        assertRejected("inputs: raw\noutput: out\nsteps:\n  - gopher_repetition: {top_n_grams: {two: 0.2}}\n", "steps[0].gopher_repetition.top_n_grams.two", "n-gram size");
        assertRejected("inputs: [raw\n", "(file)", "not valid YAML");
    }

    @Test
    void tableColumnsTaskSizeAndSentenceDedup() throws IOException {
        Pipeline p = parse("""
                inputs: raw
                output: out
                format: csv
                table: {text_columns: [title, body], id_column: key, metadata_columns: [url], header: false, delimiter: ";"}
                task_mb: 8
                steps:
                  - normalize
                  - exact_dedup
                  - sentence_dedup: {span_sentences: 4, split: lines, min_doc_words: 20}
                """);
        assertThat(p.reader().textColumns()).containsExactly("title", "body");
        assertThat(p.reader().idColumn()).isEqualTo("key");
        assertThat(p.reader().table()).isEqualTo(new dev.anvil.data.read.ReaderOptions.TableColumns(
                java.util.List.of("title", "body"), "key", java.util.List.of("url"), false, ';'));
        assertThat(p.reader().readerFor(dev.anvil.data.read.InputFormat.TEXT)).isInstanceOf(dev.anvil.data.read.CsvReader.class);
        assertThat(p.taskBytes()).isEqualTo(8L << 20);
        assertThat(p.sentenceDedup()).isEqualTo(new dev.anvil.data.dedup.SentenceDeduplicator.Config(4, true, 20));
        assertThat(parse("inputs: raw\noutput: out\n").sentenceDedup()).isNull();
        assertRejected("inputs: raw\noutput: out\ntable: {header: maybe}\n", "table.header", "expected true, false or auto");
        assertRejected("inputs: raw\noutput: out\ntable: {text_column: x}\n", "table.text_column", "unknown field");
        assertRejected("inputs: raw\noutput: out\ntask_mb: 0\n", "task_mb", "must be positive");
        assertRejected("inputs: raw\noutput: out\nsteps: [{sentence_dedup: {split: words}}]\n", "steps[0].sentence_dedup.split", "expected sentences or lines");
        assertRejected("inputs: raw\noutput: out\nsteps: [{sentence_dedup: {span_sentences: 0}}]\n", "steps[0].sentence_dedup.span_sentences", "must be >= 1");
    }
}
