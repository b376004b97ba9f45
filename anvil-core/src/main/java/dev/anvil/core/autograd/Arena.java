package dev.anvil.core.autograd;

import dev.anvil.core.tensor.Shape;
import dev.anvil.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Activation and gradient buffers that are reused from step to step. A training step asks for
 * the same buffers in the same order every time, so the arena hands out buffer number i of this
 * step as the array it handed out as number i last step (growing it only if the shape grew).
 * After the first step of a fixed-shape loop, {@link #reset()} + the same allocations create no
 * garbage at all.
 */
public final class Arena {

    private final List<float[]> slots = new ArrayList<>();
    private int next;
    private long arraysCreated;

    /** A tensor whose contents are unspecified (forward kernels overwrite their outputs). */
    public Tensor allocate(Shape shape) {
        int n = shape.size();
        float[] slot;
        if (next < slots.size() && slots.get(next).length >= n) {
            slot = slots.get(next);
        } else {
            slot = new float[n];
            arraysCreated++;
            if (next < slots.size()) slots.set(next, slot);
            else slots.add(slot);
        }
        next++;
        return new Tensor(slot, 0, shape);
    }

    public Tensor allocate(int... dims) {
        return allocate(Shape.of(dims));
    }

    /** A zero-filled tensor (gradients, which backward kernels accumulate into). */
    public Tensor zeros(Shape shape) {
        Tensor t = allocate(shape);
        Arrays.fill(t.data(), 0, t.size(), 0f);
        return t;
    }

    /** Makes every buffer available again; tensors handed out before must no longer be used. */
    public void reset() {
        next = 0;
    }

    /** How many arrays the arena has created since it was made: flat across steady-state steps. */
    public long arraysCreated() {
        return arraysCreated;
    }

    /** Bytes held by the arena's buffers. */
    public long bytesHeld() {
        long n = 0;
        for (float[] s : slots) n += (long) s.length * Float.BYTES;
        return n;
    }
}
