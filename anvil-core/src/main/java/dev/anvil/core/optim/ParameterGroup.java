package dev.anvil.core.optim;

import dev.anvil.core.tensor.ParameterBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A set of parameters that share optimizer settings, as contiguous spans of the flat parameter
 * buffer (neighbouring tensors in the same group merge into one span, so the update loops run
 * over long stretches of memory). Parameters that belong to no group are frozen: the optimizer
 * leaves them alone, which is how LoRA keeps the base weights fixed.
 */
public record ParameterGroup(String name, double weightDecay, List<Span> spans, List<String> parameterNames) {

    /** Elements [start, end) of the flat buffer. */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
        }

        public int length() {
            return end - start;
        }
    }

    public ParameterGroup {
        spans = List.copyOf(spans);
        parameterNames = List.copyOf(parameterNames);
        if (weightDecay < 0 || !Double.isFinite(weightDecay)) throw new IllegalArgumentException("group '" + name + "': weight decay " + weightDecay);
    }

    /** The parameters of {@code layout} whose names satisfy {@code members}, in layout order. */
    public static ParameterGroup of(String name, double weightDecay, ParameterBuffer.Layout layout, Predicate<String> members) {
        List<Span> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (ParameterBuffer.Layout.Entry e : layout.entries()) {
            if (!members.test(e.name())) continue;
            names.add(e.name());
            int start = e.offset(), end = e.offset() + e.shape().size();
            if (!spans.isEmpty() && spans.getLast().end() == start) {
                spans.set(spans.size() - 1, new Span(spans.getLast().start(), end));
            } else if (end > start) {
                spans.add(new Span(start, end));
            }
        }
        return new ParameterGroup(name, weightDecay, spans, names);
    }

    /**
     * The usual split: parameters named by {@code decayed} (the weight matrices) get
     * {@code weightDecay}; all others (norm gains, biases, and embeddings if so chosen) get none.
     */
    public static List<ParameterGroup> decayAndNoDecay(ParameterBuffer.Layout layout, Predicate<String> decayed, double weightDecay) {
        return List.of(of("decay", weightDecay, layout, decayed), of("no_decay", 0.0, layout, decayed.negate()));
    }

    /** Everything in one group with the same weight decay. */
    public static List<ParameterGroup> all(ParameterBuffer.Layout layout, double weightDecay) {
        return List.of(of("all", weightDecay, layout, name -> true));
    }

    public int elementCount() {
        int n = 0;
        for (Span s : spans) n += s.length();
        return n;
    }

    /** Fails if groups overlap or run past a buffer of {@code size} floats. */
    static void checkDisjoint(List<ParameterGroup> groups, int size) {
        boolean[] seen = null;
        for (ParameterGroup g : groups) {
            for (Span s : g.spans()) {
                if (s.end() > size) throw new IllegalArgumentException("group '" + g.name() + "' span " + s + " is outside a buffer of " + size);
                if (seen == null) seen = new boolean[size];
                for (int i = s.start(); i < s.end(); i++) {
                    if (seen[i]) throw new IllegalArgumentException("parameter groups overlap at element " + i + " (group '" + g.name() + "')");
                    seen[i] = true;
                }
            }
        }
    }
}
