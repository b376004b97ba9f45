package dev.anvil.data.pipeline;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options of one YAML mapping, read with types and defaults. Every problem names the full
 * path of the field ({@code steps[2].gopher_quality.min_doc_words}); {@link #finish} rejects keys
 * that were never read, so a typo cannot silently fall back to a default.
 */
final class OptionMap {
    private final String path;
    private final Map<String, Object> values;
    private final Set<String> read = new LinkedHashSet<>();

    OptionMap(String path, Map<String, Object> values) {
        this.path = path;
        this.values = values == null ? Map.of() : values;
    }

    String field(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
        read.add(key);
        return values.containsKey(key);
    }

    Object raw(String key) {
        read.add(key);
        return values.get(key);
    }

    /** A number, or null when the field is present and null (a switched-off rule), or the default when absent. */
    Double number(String key, Double dflt) {
        read.add(key);
        if (!values.containsKey(key)) return dflt;
        Object v = values.get(key);
        if (v == null) return null;
        if (v instanceof Number n) return n.doubleValue();
        throw new PipelineDefinitionException(field(key), "expected a number, got '" + v + "'");
    }

    Integer integer(String key, Integer dflt) {
        Double d = number(key, dflt == null ? null : dflt.doubleValue());
        if (d == null) return null;
        if (d != Math.rint(d)) throw new PipelineDefinitionException(field(key), "expected a whole number, got " + d);
        return d.intValue();
    }

    int requiredInt(String key, int dflt) {
        Integer v = integer(key, dflt);
        if (v == null) throw new PipelineDefinitionException(field(key), "must not be null");
        return v;
    }

    double requiredNumber(String key, double dflt) {
        Double v = number(key, dflt);
        if (v == null) throw new PipelineDefinitionException(field(key), "must not be null");
        return v;
    }

    boolean bool(String key, boolean dflt) {
        read.add(key);
        if (!values.containsKey(key)) return dflt;
        Object v = values.get(key);
        if (v instanceof Boolean b) return b;
        throw new PipelineDefinitionException(field(key), "expected true or false, got '" + v + "'");
    }

    String string(String key, String dflt) {
        read.add(key);
        if (!values.containsKey(key) || values.get(key) == null) return dflt;
        Object v = values.get(key);
        if (v instanceof String || v instanceof Number) return v.toString();
        throw new PipelineDefinitionException(field(key), "expected a string, got '" + v + "'");
    }

    List<String> strings(String key, List<String> dflt) {
        read.add(key);
        if (!values.containsKey(key) || values.get(key) == null) return dflt;
        Object v = values.get(key);
        if (v instanceof String s) return List.of(s);
        if (!(v instanceof Collection<?> c)) throw new PipelineDefinitionException(field(key), "expected a list of strings, got '" + v + "'");
        List<String> out = new ArrayList<>();
        for (Object o : c) {
            if (!(o instanceof String || o instanceof Number)) throw new PipelineDefinitionException(field(key), "expected a list of strings, got element '" + o + "'");
            out.add(o.toString());
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    OptionMap child(String key) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) return new OptionMap(field(key), Map.of());
        if (!(v instanceof Map<?, ?>)) throw new PipelineDefinitionException(field(key), "expected a mapping of options, got '" + v + "'");
        return new OptionMap(field(key), (Map<String, Object>) v);
    }

    void finish() {
        for (String key : values.keySet()) {
            if (!read.contains(key)) {
                throw new PipelineDefinitionException(field(key), "unknown field (known here: " + new TreeSet<>(read) + ")");
            }
        }
    }
}
