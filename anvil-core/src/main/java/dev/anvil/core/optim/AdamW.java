package dev.anvil.core.optim;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.tensor.ParameterBuffer;

import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), step for step the formula of
 * PyTorch's {@code torch.optim.AdamW}:
 * <pre>
 *   θ ← θ·(1 − lr·λ)                       (decay the weights, not the gradient)
 *   m ← β₁·m + (1 − β₁)·g
 *   v ← β₂·v + (1 − β₂)·g²
 *   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * </pre>
 * The moments m and v are flat buffers parallel to the parameter buffer, so the update is one
 * pass over each group's spans.
 */
public final class AdamW {

    /** β₁, β₂ and ε; the learning rate comes per step from a schedule. */
    public record Config(double beta1, double beta2, double eps) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("AdamW betas must be in [0, 1): " + beta1 + ", " + beta2);
            if (!(eps > 0)) throw new IllegalArgumentException("AdamW eps must be positive: " + eps);
        }

        /** PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8. */
        public static Config defaults() {
            return new Config(0.9, 0.999, 1e-8);
        }
    }

    /** Everything needed to resume: the step count and both moments (copies). */
    public record State(long step, float[] m, float[] v) {}

    private static final int GRAIN = 1 << 14;

    private final ParameterBuffer params;
    private final ParameterBuffer grads;
    private final List<ParameterGroup> groups;
    private final Config config;
    private final float[] m;
    private final float[] v;
    private long step;

    public AdamW(ParameterBuffer params, ParameterBuffer grads, List<ParameterGroup> groups, Config config) {
        if (params.data().length != grads.data().length) {
            throw new IllegalArgumentException("AdamW: parameter buffer of " + params.data().length + " floats but gradients of " + grads.data().length);
        }
        ParameterGroup.checkDisjoint(groups, params.data().length);
        this.params = params;
        this.grads = grads;
        this.groups = List.copyOf(groups);
        this.config = config;
        this.m = new float[params.data().length];
        this.v = new float[params.data().length];
    }

    /** One update with learning rate {@code lr}; increments the step count first (t starts at 1). */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(config.beta1(), step);
        double bc2 = 1 - Math.pow(config.beta2(), step);
        float stepSize = (float) (lr / bc1);
        float sqrtBc2 = (float) Math.sqrt(bc2);
        float b1 = (float) config.beta1(), b2 = (float) config.beta2();
        float oneMinusB1 = (float) (1 - config.beta1()), oneMinusB2 = (float) (1 - config.beta2());
        float eps = (float) config.eps();
        float[] p = params.data(), g = grads.data(), mm = m, vv = v;
        for (ParameterGroup group : groups) {
            float decay = (float) (1 - lr * group.weightDecay());
            for (ParameterGroup.Span span : group.spans()) {
                int base = span.start();
                ComputePool.shared().parallelFor(span.length(), GRAIN, (s, e) -> {
                    for (int i = base + s; i < base + e; i++) {
                        float gi = g[i];
                        float mi = b1 * mm[i] + oneMinusB1 * gi;
                        float vi = b2 * vv[i] + oneMinusB2 * gi * gi;
                        mm[i] = mi;
                        vv[i] = vi;
                        float denom = (float) Math.sqrt(vi) / sqrtBc2 + eps;
                        p[i] = p[i] * decay - stepSize * (mi / denom);
                    }
                });
            }
        }
    }

    /** Steps taken so far (the t of the bias correction). */
    public long stepCount() {
        return step;
    }

    public List<ParameterGroup> groups() {
        return groups;
    }

    public State exportState() {
        return new State(step, m.clone(), v.clone());
    }

    public void importState(State state) {
        if (state.m().length != m.length || state.v().length != v.length) {
            throw new IllegalArgumentException("AdamW state for " + state.m().length + " parameters, this optimizer has " + m.length);
        }
        if (state.step() < 0) throw new IllegalArgumentException("AdamW step count " + state.step());
        System.arraycopy(state.m(), 0, m, 0, m.length);
        System.arraycopy(state.v(), 0, v, 0, v.length);
        step = state.step();
    }
}
