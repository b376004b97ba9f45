package dev.anvil.core.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All parameters (or all gradients, or one optimizer moment) of a model in one {@code float[]},
 * with a named view per tensor — llm.c's {@code ParameterTensors}. One allocation, one pass for
 * the optimizer and for gradient-norm clipping, and a checkpoint is one contiguous write.
 *
 * <p>Build a layout with {@link Layout}, then allocate as many buffers as needed (parameters,
 * gradients, Adam's m and v) that share it.
 */
public final class ParameterBuffer {

    /** The order, names and shapes of the tensors in a buffer. */
    public static final class Layout {
        private final Map<String, Entry> entries = new LinkedHashMap<>();
        private long total;

        /** One tensor's place in the buffer. */
        public record Entry(String name, Shape shape, int offset) {}

        public Layout add(String name, int... dims) {
            if (entries.containsKey(name)) throw new IllegalArgumentException("parameter '" + name + "' declared twice");
            Shape s = Shape.of(dims);
            if (total + s.elementCount() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("parameter '" + name + "' " + s + " makes the buffer larger than one float[] can hold");
            }
            entries.put(name, new Entry(name, s, (int) total));
            total += s.elementCount();
            return this;
        }

        public int totalSize() {
            return (int) total;
        }

        public List<Entry> entries() {
            return Collections.unmodifiableList(new ArrayList<>(entries.values()));
        }

        public Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) throw new IllegalArgumentException("no parameter named '" + name + "'; known: " + entries.keySet());
            return e;
        }

        public ParameterBuffer allocate() {
            return new ParameterBuffer(this, new float[totalSize()]);
        }
    }

    private final Layout layout;
    private final float[] data;
    private final Map<String, Tensor> views = new LinkedHashMap<>();

    public ParameterBuffer(Layout layout, float[] data) {
        if (data.length != layout.totalSize()) throw new IllegalArgumentException("buffer of " + data.length + " floats does not match layout of " + layout.totalSize());
        this.layout = layout;
        this.data = data;
        for (Layout.Entry e : layout.entries.values()) views.put(e.name(), new Tensor(data, e.offset(), e.shape()));
    }

    public Layout layout() {
        return layout;
    }

    /** The whole buffer: every tensor back to back in layout order. */
    public float[] data() {
        return data;
    }

    public Tensor get(String name) {
        Tensor t = views.get(name);
        if (t == null) throw new IllegalArgumentException("no parameter named '" + name + "'; known: " + views.keySet());
        return t;
    }

    public Map<String, Tensor> views() {
        return Collections.unmodifiableMap(views);
    }
}
