package dev.anvil.core.autograd;

import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Shape;
import dev.anvil.core.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A value in the computation graph: a {@link Tensor} and, if it takes part in differentiation,
 * its gradient. Parameters carry a fixed gradient tensor (a view into the gradient
 * {@link ParameterBuffer}); activations get theirs from the tape's arena the first time an op
 * accumulates into it; a view (reshape or row range) shares its base's value and gradient storage.
 */
public final class Var {

    private final Tensor value;
    private final boolean requiresGrad;
    private final Var base;         // non-null for views: the Var whose storage this one shares
    private final int offsetInBase; // element offset of this view inside base's value
    private Tensor grad;

    private Var(Tensor value, Tensor grad, boolean requiresGrad, Var base, int offsetInBase) {
        this.value = value;
        this.grad = grad;
        this.requiresGrad = requiresGrad;
        this.base = base;
        this.offsetInBase = offsetInBase;
    }

    /** A trainable tensor whose gradient accumulates into {@code grad} (same shape). */
    public static Var parameter(Tensor value, Tensor grad) {
        if (!value.shape().equals(grad.shape())) {
            throw new IllegalArgumentException("parameter of shape " + value.shape() + " with a gradient of shape " + grad.shape());
        }
        return new Var(value, grad, true, null, 0);
    }

    /** A frozen parameter (e.g. a LoRA base weight) or an input: no gradient is computed for it. */
    public static Var constant(Tensor value) {
        return new Var(value, null, false, null, 0);
    }

    /** An input that needs a gradient, allocated by the tape when first written. */
    static Var leaf(Tensor value) {
        return new Var(value, null, true, null, 0);
    }

    /** The output of an op; it needs a gradient iff any input did. */
    static Var result(Tensor value, boolean requiresGrad) {
        return new Var(value, null, requiresGrad, null, 0);
    }

    /**
     * One Var per parameter: values from {@code params}, gradients into the same-named views of
     * {@code grads} (a missing name or a shape mismatch throws).
     */
    public static Map<String, Var> parameters(ParameterBuffer params, ParameterBuffer grads) {
        Map<String, Var> vars = new LinkedHashMap<>();
        for (var e : params.views().entrySet()) vars.put(e.getKey(), parameter(e.getValue(), grads.get(e.getKey())));
        return vars;
    }

    public Tensor value() {
        return value;
    }

    /** The accumulated gradient, or null if nothing has flowed into this Var (yet). */
    public Tensor grad() {
        if (grad == null && base != null && base.grad() != null) grad = viewOf(base.grad());
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public Shape shape() {
        return value.shape();
    }

    public int dim(int axis) {
        return value.dim(axis);
    }

    public int rank() {
        return value.rank();
    }

    public int size() {
        return value.size();
    }

    /** The gradient to accumulate into, created zeroed in {@code arena} on first use. */
    Tensor gradForAccumulation(Arena arena) {
        if (!requiresGrad) throw new IllegalStateException("gradient requested for a Var that does not require one");
        if (grad == null) {
            grad = base != null ? viewOf(base.gradForAccumulation(arena)) : arena.zeros(value.shape());
        }
        return grad;
    }

    private Tensor viewOf(Tensor baseGrad) {
        return new Tensor(baseGrad.data(), baseGrad.offset() + offsetInBase, value.shape());
    }

    /** Same storage, another shape with the same element count. */
    public Var reshape(int... dims) {
        return view(value.reshape(dims), 0);
    }

    /** Rows [start, start + count) along the first axis, sharing storage (and gradient) with this Var. */
    public Var rows(int start, int count) {
        int[] d = value.shape().dims();
        if (d.length == 0 || start < 0 || count < 0 || start + count > d[0]) {
            throw new IllegalArgumentException("rows(" + start + ", " + count + ") of shape " + value.shape());
        }
        int inner = d[0] == 0 ? 0 : value.size() / d[0];
        d[0] = count;
        return view(new Tensor(value.data(), value.offset() + start * inner, Shape.of(d)), start * inner);
    }

    private Var view(Tensor viewValue, int extraOffset) {
        Var root = base != null ? base : this;
        int offset = (base != null ? offsetInBase : 0) + extraOffset;
        return new Var(viewValue, null, requiresGrad, root, offset);
    }

    @Override
    public String toString() {
        return "Var" + value.shape() + (requiresGrad ? " (grad)" : "");
    }
}
