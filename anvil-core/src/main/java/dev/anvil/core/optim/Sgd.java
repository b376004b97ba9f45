package dev.anvil.core.optim;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.tensor.ParameterBuffer;

import java.util.List;

/**
 * Stochastic gradient descent with momentum, as PyTorch's {@code torch.optim.SGD}:
 * <pre>
 *   d ← g + λ·θ                                   (L2 weight decay, coupled to the gradient)
 *   b ← d at the first step, else μ·b + (1 − τ)·d  (momentum buffer, τ = dampening)
 *   d ← d + μ·b if Nesterov, else b
 *   θ ← θ − lr·d
 * </pre>
 * With μ = 0 it is plain gradient descent and keeps no buffer.
 */
public final class Sgd {

    public record Config(double momentum, double dampening, boolean nesterov) {
        public Config {
            if (!(momentum >= 0) || !(dampening >= 0 && dampening <= 1)) throw new IllegalArgumentException("SGD momentum " + momentum + ", dampening " + dampening);
            if (nesterov && (momentum == 0 || dampening != 0)) throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and no dampening");
        }

        public static Config plain() {
            return new Config(0, 0, false);
        }

        public static Config momentum(double momentum, boolean nesterov) {
            return new Config(momentum, 0, nesterov);
        }
    }

    /** The step count and momentum buffer (a copy; empty when momentum is 0). */
    public record State(long step, float[] momentumBuffer) {}

    private static final int GRAIN = 1 << 14;

    private final ParameterBuffer params;
    private final ParameterBuffer grads;
    private final List<ParameterGroup> groups;
    private final Config config;
    private final float[] buffer;
    private long step;

    public Sgd(ParameterBuffer params, ParameterBuffer grads, List<ParameterGroup> groups, Config config) {
        if (params.data().length != grads.data().length) {
            throw new IllegalArgumentException("SGD: parameter buffer of " + params.data().length + " floats but gradients of " + grads.data().length);
        }
        ParameterGroup.checkDisjoint(groups, params.data().length);
        this.params = params;
        this.grads = grads;
        this.groups = List.copyOf(groups);
        this.config = config;
        this.buffer = new float[config.momentum() == 0 ? 0 : params.data().length];
    }

    public void step(double lr) {
        boolean first = step == 0;
        step++;
        float[] p = params.data(), g = grads.data(), b = buffer;
        float rate = (float) lr, mu = (float) config.momentum(), keep = (float) (1 - config.dampening());
        boolean useMomentum = config.momentum() != 0, nesterov = config.nesterov();
        for (ParameterGroup group : groups) {
            float wd = (float) group.weightDecay();
            for (ParameterGroup.Span span : group.spans()) {
                int base = span.start();
                ComputePool.shared().parallelFor(span.length(), GRAIN, (s, e) -> {
                    for (int i = base + s; i < base + e; i++) {
                        float d = wd == 0f ? g[i] : g[i] + wd * p[i];
                        if (useMomentum) {
                            float bi = first ? d : mu * b[i] + keep * d;
                            b[i] = bi;
                            d = nesterov ? d + mu * bi : bi;
                        }
                        p[i] -= rate * d;
                    }
                });
            }
        }
    }

    public long stepCount() {
        return step;
    }

    public State exportState() {
        return new State(step, buffer.clone());
    }

    public void importState(State state) {
        if (state.momentumBuffer().length != buffer.length) {
            throw new IllegalArgumentException("SGD state with a momentum buffer of " + state.momentumBuffer().length + ", this optimizer has " + buffer.length);
        }
        if (state.step() < 0) throw new IllegalArgumentException("SGD step count " + state.step());
        System.arraycopy(state.momentumBuffer(), 0, buffer, 0, buffer.length);
        step = state.step();
    }
}
