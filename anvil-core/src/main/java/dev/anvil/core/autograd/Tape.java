package dev.anvil.core.autograd;

import dev.anvil.core.kernels.Activations;
import dev.anvil.core.kernels.Attention;
import dev.anvil.core.kernels.Dropout;
import dev.anvil.core.kernels.Embedding;
import dev.anvil.core.kernels.Gemm;
import dev.anvil.core.kernels.LayerNorm;
import dev.anvil.core.kernels.Linear;
import dev.anvil.core.kernels.Residual;
import dev.anvil.core.kernels.RmsNorm;
import dev.anvil.core.kernels.Rope;
import dev.anvil.core.kernels.Softmax;
import dev.anvil.core.kernels.SoftmaxCrossEntropy;
import dev.anvil.core.tensor.Shape;
import dev.anvil.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Reverse-mode automatic differentiation over coarse ops. Each op method runs one forward kernel
 * right away and, if any input needs a gradient, records the matching backward as a closure;
 * {@link #backward(Var)} runs the closures in reverse order. Backward kernels accumulate, so a Var
 * used twice (a tied embedding, a residual stream) simply receives both contributions.
 *
 * <p>Buffers for outputs, saved statistics and activation gradients come from an {@link Arena};
 * {@link #reset()} at the start of each step recycles them, so a fixed-shape training loop
 * allocates nothing large after its first step. Parameter gradients live in the caller's gradient
 * buffer and are not zeroed here.
 *
 * <p>Arrays passed by reference (token ids, targets) are read again during backward: do not
 * change them between the forward op and {@link #backward}.
 */
public final class Tape {

    private final Arena arena;
    private final List<Runnable> backwardSteps = new ArrayList<>();
    private boolean gradEnabled = true;

    public Tape() {
        this(new Arena());
    }

    public Tape(Arena arena) {
        this.arena = arena;
    }

    public Arena arena() {
        return arena;
    }

    /** Forgets the recorded graph and recycles every activation buffer: call at the start of a step. */
    public void reset() {
        backwardSteps.clear();
        arena.reset();
    }

    /** With gradients disabled (evaluation, sampling) ops only run forward and record nothing. */
    public void setGradEnabled(boolean enabled) {
        this.gradEnabled = enabled;
    }

    public boolean gradEnabled() {
        return gradEnabled;
    }

    /** Number of backward steps recorded since the last reset or backward. */
    public int recordedOps() {
        return backwardSteps.size();
    }

    /** An input tensor; with {@code requiresGrad} its gradient is collected in an arena buffer. */
    public Var input(Tensor value, boolean requiresGrad) {
        return requiresGrad ? Var.leaf(value) : Var.constant(value);
    }

    /** A new arena tensor for the caller to fill, e.g. a batch of inputs. */
    public Tensor allocate(int... dims) {
        return arena.allocate(dims);
    }

    /** Seeds d(loss)/d(loss) = 1 and runs every recorded backward step, newest first. */
    public void backward(Var loss) {
        if (loss.size() != 1) throw new IllegalArgumentException("backward: loss must have one element, got shape " + loss.shape());
        if (!loss.requiresGrad()) throw new IllegalArgumentException("backward: the loss does not depend on anything that requires a gradient");
        Tensor seed = loss.gradForAccumulation(arena);
        seed.data()[seed.offset()] += 1f;
        for (int i = backwardSteps.size() - 1; i >= 0; i--) backwardSteps.get(i).run();
        backwardSteps.clear();
    }

    // ---------------------------------------------------------------- model layers

    /** Rows of {@code table[vocab, C]} picked by {@code ids[idsOff, idsOff + B·T)}: out[B, T, C]. */
    public Var embedding(Var table, int[] ids, int idsOff, int B, int T) {
        requireRank("embedding", table, 2);
        int V = table.dim(0), C = table.dim(1), n = B * T;
        if (idsOff < 0 || (long) idsOff + n > ids.length) {
            throw new IllegalArgumentException("embedding: " + n + " ids from offset " + idsOff + " but the id array has " + ids.length);
        }
        Var out = output(Shape.of(B, T, C), table);
        Tensor o = out.value(), w = table.value();
        Embedding.forward(o.data(), o.offset(), ids, idsOff, n, w.data(), w.offset(), V, C);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dW = table.gradForAccumulation(arena);
            Embedding.backward(dW.data(), dW.offset(), ids, idsOff, n, dOut.data(), dOut.offset(), V, C);
        });
        return out;
    }

    /** out[…, OC] = x[…, C] · W[OC, C]ᵀ + bias[OC] (bias may be null). */
    public Var linear(Var x, Var w, Var bias) {
        requireRank("linear", w, 2);
        int OC = w.dim(0), C = w.dim(1);
        if (x.rank() == 0 || x.dim(-1) != C) throw new IllegalArgumentException("linear: input " + x.shape() + " does not end in " + C + " for weight " + w.shape());
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != OC)) throw new IllegalArgumentException("linear: bias " + bias.shape() + " for weight " + w.shape());
        int N = x.size() / C;
        Var out = output(withLastDim(x.shape(), OC), x, w, bias);
        Tensor o = out.value(), in = x.value(), wt = w.value(), b = bias == null ? null : bias.value();
        Linear.forward(o.data(), o.offset(), in.data(), in.offset(), wt.data(), wt.offset(),
                b == null ? null : b.data(), b == null ? 0 : b.offset(), N, C, OC);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = gradOrNull(x), dW = gradOrNull(w), dB = bias == null ? null : gradOrNull(bias);
            Linear.backward(dIn == null ? null : dIn.data(), dIn == null ? 0 : dIn.offset(),
                    dW == null ? null : dW.data(), dW == null ? 0 : dW.offset(),
                    dB == null ? null : dB.data(), dB == null ? 0 : dB.offset(),
                    dOut.data(), dOut.offset(), in.data(), in.offset(), wt.data(), wt.offset(), N, C, OC);
        });
        return out;
    }

    /** LayerNorm over the last axis with weight and (optional) bias. */
    public Var layerNorm(Var x, Var weight, Var bias, float eps) {
        int C = x.dim(-1), N = x.size() / C;
        requireVector("layerNorm weight", weight, C);
        if (bias != null) requireVector("layerNorm bias", bias, C);
        Var out = output(x.shape(), x, weight, bias);
        Tensor mean = arena.allocate(N), rstd = arena.allocate(N);
        Tensor o = out.value(), in = x.value(), w = weight.value(), b = bias == null ? null : bias.value();
        LayerNorm.forward(o.data(), o.offset(), mean.data(), mean.offset(), rstd.data(), rstd.offset(),
                in.data(), in.offset(), w.data(), w.offset(), b == null ? null : b.data(), b == null ? 0 : b.offset(), N, C, eps);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = gradOrNull(x), dW = gradOrNull(weight), dB = bias == null ? null : gradOrNull(bias);
            LayerNorm.backward(dIn == null ? null : dIn.data(), dIn == null ? 0 : dIn.offset(),
                    dW == null ? null : dW.data(), dW == null ? 0 : dW.offset(),
                    dB == null ? null : dB.data(), dB == null ? 0 : dB.offset(),
                    dOut.data(), dOut.offset(), in.data(), in.offset(), w.data(), w.offset(),
                    mean.data(), mean.offset(), rstd.data(), rstd.offset(), N, C);
        });
        return out;
    }

    /** RMSNorm over the last axis: x·rstd·weight. */
    public Var rmsNorm(Var x, Var weight, float eps) {
        int C = x.dim(-1), N = x.size() / C;
        requireVector("rmsNorm weight", weight, C);
        Var out = output(x.shape(), x, weight);
        Tensor rstd = arena.allocate(N);
        Tensor o = out.value(), in = x.value(), w = weight.value();
        RmsNorm.forward(o.data(), o.offset(), rstd.data(), rstd.offset(), in.data(), in.offset(), w.data(), w.offset(), N, C, eps);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = gradOrNull(x), dW = gradOrNull(weight);
            RmsNorm.backward(dIn == null ? null : dIn.data(), dIn == null ? 0 : dIn.offset(),
                    dW == null ? null : dW.data(), dW == null ? 0 : dW.offset(),
                    dOut.data(), dOut.offset(), in.data(), in.offset(), w.data(), w.offset(),
                    rstd.data(), rstd.offset(), N, C);
        });
        return out;
    }

    /** GELU, tanh approximation (GPT-2). */
    public Var gelu(Var x) {
        Var out = output(x.shape(), x);
        Tensor o = out.value(), in = x.value();
        Activations.geluForward(o.data(), o.offset(), in.data(), in.offset(), x.size());
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            Activations.geluBackward(dIn.data(), dIn.offset(), in.data(), in.offset(), dOut.data(), dOut.offset(), x.size());
        });
        return out;
    }

    /** GELU with erf, x·Φ(x): PyTorch's {@code nn.GELU()} (nanoGPT's MLP). */
    public Var geluErf(Var x) {
        Var out = output(x.shape(), x);
        Tensor o = out.value(), in = x.value();
        Activations.geluErfForward(o.data(), o.offset(), in.data(), in.offset(), x.size());
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            Activations.geluErfBackward(dIn.data(), dIn.offset(), in.data(), in.offset(), dOut.data(), dOut.offset(), x.size());
        });
        return out;
    }

    /** SiLU: x·sigmoid(x). */
    public Var silu(Var x) {
        Var out = output(x.shape(), x);
        Tensor o = out.value(), in = x.value();
        Activations.siluForward(o.data(), o.offset(), in.data(), in.offset(), x.size());
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            Activations.siluBackward(dIn.data(), dIn.offset(), in.data(), in.offset(), dOut.data(), dOut.offset(), x.size());
        });
        return out;
    }

    /** SwiGLU's gated product silu(gate)·up. */
    public Var swiglu(Var gate, Var up) {
        requireSameShape("swiglu", gate, up);
        Var out = output(gate.shape(), gate, up);
        Tensor o = out.value(), g = gate.value(), u = up.value();
        Activations.swigluForward(o.data(), o.offset(), g.data(), g.offset(), u.data(), u.offset(), gate.size());
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dG = gradOrNull(gate), dU = gradOrNull(up);
            Activations.swigluBackward(dG == null ? null : dG.data(), dG == null ? 0 : dG.offset(),
                    dU == null ? null : dU.data(), dU == null ? 0 : dU.offset(),
                    g.data(), g.offset(), u.data(), u.offset(), dOut.data(), dOut.offset(), gate.size());
        });
        return out;
    }

    /** Inverted dropout with the counter-based mask of {@link Dropout}; identity when p = 0. */
    public Var dropout(Var x, float p, long seed) {
        if (p == 0f) return x;
        Var out = output(x.shape(), x);
        Tensor o = out.value(), in = x.value();
        Dropout.forward(o.data(), o.offset(), in.data(), in.offset(), x.size(), p, seed);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            Dropout.backward(dIn.data(), dIn.offset(), dOut.data(), dOut.offset(), x.size(), p, seed);
        });
        return out;
    }

    /** Rotary position embedding of x[B, T, H, D] at positions pos0 … pos0 + T − 1. */
    public Var rope(Var x, Rope.Table table, Rope.Style style, int pos0) {
        requireRank("rope", x, 4);
        int B = x.dim(0), T = x.dim(1), H = x.dim(2), D = x.dim(3);
        Var out = output(x.shape(), x);
        Tensor o = out.value(), in = x.value();
        Rope.forward(o.data(), o.offset(), in.data(), in.offset(), B, T, H, D, pos0, table, style);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            Rope.backward(dIn.data(), dIn.offset(), dOut.data(), dOut.offset(), B, T, H, D, pos0, table, style);
        });
        return out;
    }

    /**
     * Causal attention: q[B, T, H, D] against k, v[B, Tk, Hkv, D] (Hkv divides H: grouped-query
     * attention), softmax(q·kᵀ·scale + causal mask)·v, out[B, T, H, D].
     */
    public Var causalAttention(Var q, Var k, Var v, float scale) {
        requireRank("attention q", q, 4);
        requireRank("attention k", k, 4);
        requireSameShape("attention k/v", k, v);
        int B = q.dim(0), T = q.dim(1), H = q.dim(2), D = q.dim(3), Tk = k.dim(1), Hkv = k.dim(2);
        if (k.dim(0) != B || k.dim(3) != D) throw new IllegalArgumentException("attention: q " + q.shape() + " with k " + k.shape());
        Var out = output(q.shape(), q, k, v);
        Tensor lse = arena.allocate(B, H, T);
        Tensor o = out.value(), qt = q.value(), kt = k.value(), vt = v.value();
        Attention.forward(o.data(), o.offset(), lse.data(), lse.offset(), qt.data(), qt.offset(), kt.data(), kt.offset(),
                vt.data(), vt.offset(), B, T, Tk, H, Hkv, D, scale);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dq = gradOrNull(q), dk = gradOrNull(k), dv = gradOrNull(v);
            Attention.backward(dq == null ? null : dq.data(), dq == null ? 0 : dq.offset(),
                    dk == null ? null : dk.data(), dk == null ? 0 : dk.offset(),
                    dv == null ? null : dv.data(), dv == null ? 0 : dv.offset(),
                    dOut.data(), dOut.offset(), o.data(), o.offset(), lse.data(), lse.offset(),
                    qt.data(), qt.offset(), kt.data(), kt.offset(), vt.data(), vt.offset(), B, T, Tk, H, Hkv, D, scale);
        });
        return out;
    }

    /** Softmax over the last axis. */
    public Var softmax(Var x) {
        int C = x.dim(-1), N = x.size() / C;
        Var out = output(x.shape(), x);
        Tensor o = out.value(), in = x.value();
        Softmax.forward(o.data(), o.offset(), in.data(), in.offset(), N, C);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            Softmax.backward(dIn.data(), dIn.offset(), o.data(), o.offset(), dOut.data(), dOut.offset(), N, C);
        });
        return out;
    }

    // ---------------------------------------------------------------- losses and log-probabilities

    /**
     * Mean cross-entropy of logits[…, V] against targets[targetsOff, targetsOff + N), skipping rows
     * whose target is {@code ignoreIndex}: a scalar, Σ_counted (logsumexp − logit[target]) / count
     * (0 if no row counts).
     */
    public Var crossEntropy(Var logits, int[] targets, int targetsOff, int ignoreIndex) {
        int V = logits.dim(-1), N = logits.size() / V;
        requireIndexRange("crossEntropy", targets, targetsOff, N);
        Var out = output(Shape.of(), logits);
        Tensor losses = arena.allocate(N), lse = arena.allocate(N), x = logits.value();
        int count = SoftmaxCrossEntropy.forward(losses.data(), losses.offset(), lse.data(), lse.offset(), x.data(), x.offset(),
                targets, targetsOff, N, V, ignoreIndex);
        out.value().set(0, count == 0 ? 0f : (float) (sum(losses.data(), losses.offset(), N) / count));
        if (out.requiresGrad() && count > 0) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dX = logits.gradForAccumulation(arena);
            SoftmaxCrossEntropy.backward(dX.data(), dX.offset(), x.data(), x.offset(), lse.data(), lse.offset(),
                    targets, targetsOff, N, V, ignoreIndex, dOut.get(0) / count);
        });
        return out;
    }

    /**
     * Per-row log-probability of the target, log softmax(logits_i)[t_i], for logits[N, V] (any
     * leading shape, flattened): out has the logits' leading shape, 0 where the target is
     * {@code ignoreIndex}. Summed over a sequence it is the sequence log-likelihood DPO and RL use.
     */
    public Var tokenLogProbs(Var logits, int[] targets, int targetsOff, int ignoreIndex) {
        int V = logits.dim(-1), N = logits.size() / V;
        requireIndexRange("tokenLogProbs", targets, targetsOff, N);
        int[] lead = logits.shape().dims();
        Var out = output(Shape.of(java.util.Arrays.copyOf(lead, lead.length - 1)), logits);
        Tensor lse = arena.allocate(N), x = logits.value(), o = out.value();
        // The kernel's per-row loss is −log p(target); ignored rows come back as 0.
        SoftmaxCrossEntropy.forward(o.data(), o.offset(), lse.data(), lse.offset(), x.data(), x.offset(),
                targets, targetsOff, N, V, ignoreIndex);
        for (int i = 0; i < N; i++) o.data()[o.offset() + i] = -o.data()[o.offset() + i];
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dX = logits.gradForAccumulation(arena);
            // d log p_t / d logits = onehot(t) − softmax: the cross-entropy gradient with scale −dOut_i.
            for (int i = 0; i < N; i++) {
                float g = dOut.data()[dOut.offset() + i];
                if (g == 0f) continue;
                SoftmaxCrossEntropy.backward(dX.data(), dX.offset() + i * V, x.data(), x.offset() + i * V, lse.data(), lse.offset() + i,
                        targets, targetsOff + i, 1, V, ignoreIndex, -g);
            }
        });
        return out;
    }

    /**
     * Σ_t log p(target_t) per sequence for logits[B, T, V] and targets[B·T] (ignored positions,
     * e.g. the prompt, contribute nothing): out[B].
     */
    public Var sequenceLogProbs(Var logits, int[] targets, int targetsOff, int ignoreIndex) {
        requireRank("sequenceLogProbs", logits, 3);
        return sumLastAxis(tokenLogProbs(logits, targets, targetsOff, ignoreIndex));
    }

    // ---------------------------------------------------------------- generic tensor ops

    /** Elementwise a + b (the residual connection). */
    public Var add(Var a, Var b) {
        requireSameShape("add", a, b);
        Var out = output(a.shape(), a, b);
        Tensor o = out.value(), at = a.value(), bt = b.value();
        Residual.forward(o.data(), o.offset(), at.data(), at.offset(), bt.data(), bt.offset(), a.size());
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dA = gradOrNull(a), dB = gradOrNull(b);
            Residual.backward(dA == null ? null : dA.data(), dA == null ? 0 : dA.offset(),
                    dB == null ? null : dB.data(), dB == null ? 0 : dB.offset(), dOut.data(), dOut.offset(), a.size());
        });
        return out;
    }

    /** Elementwise a − b. */
    public Var sub(Var a, Var b) {
        requireSameShape("sub", a, b);
        Var out = output(a.shape(), a, b);
        float[] o = out.value().data(), x = a.value().data(), y = b.value().data();
        int oo = out.value().offset(), xo = a.value().offset(), yo = b.value().offset(), n = a.size();
        for (int i = 0; i < n; i++) o[oo + i] = x[xo + i] - y[yo + i];
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            accumulateScaled(gradOrNull(a), dOut, 1f);
            accumulateScaled(gradOrNull(b), dOut, -1f);
        });
        return out;
    }

    /** Elementwise product a ⊙ b. */
    public Var mul(Var a, Var b) {
        requireSameShape("mul", a, b);
        Var out = output(a.shape(), a, b);
        float[] o = out.value().data(), x = a.value().data(), y = b.value().data();
        int oo = out.value().offset(), xo = a.value().offset(), yo = b.value().offset(), n = a.size();
        for (int i = 0; i < n; i++) o[oo + i] = x[xo + i] * y[yo + i];
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            float[] d = dOut.data();
            int dOff = dOut.offset();
            Tensor dA = gradOrNull(a), dB = gradOrNull(b);
            if (dA != null) for (int i = 0; i < n; i++) dA.data()[dA.offset() + i] += d[dOff + i] * y[yo + i];
            if (dB != null) for (int i = 0; i < n; i++) dB.data()[dB.offset() + i] += d[dOff + i] * x[xo + i];
        });
        return out;
    }

    /** s · x for a constant s. */
    public Var scale(Var x, float s) {
        Var out = output(x.shape(), x);
        float[] o = out.value().data(), in = x.value().data();
        int oo = out.value().offset(), io = x.value().offset(), n = x.size();
        for (int i = 0; i < n; i++) o[oo + i] = s * in[io + i];
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            accumulateScaled(x.gradForAccumulation(arena), dOut, s);
        });
        return out;
    }

    /** Elementwise log σ(x) = −log(1 + e^(−x)), computed without overflow (DPO's loss). */
    public Var logSigmoid(Var x) {
        Var out = output(x.shape(), x);
        float[] o = out.value().data(), in = x.value().data();
        int oo = out.value().offset(), io = x.value().offset(), n = x.size();
        for (int i = 0; i < n; i++) {
            double v = in[io + i];
            // log σ(v) = min(v, 0) − log(1 + e^(−|v|))
            o[oo + i] = (float) (Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))));
        }
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            for (int i = 0; i < n; i++) {
                double v = in[io + i];
                double sigmoidOfMinusV = 1.0 / (1.0 + Math.exp(v)); // d/dv log σ(v) = 1 − σ(v) = σ(−v)
                dIn.data()[dIn.offset() + i] += (float) (dOut.data()[dOut.offset() + i] * sigmoidOfMinusV);
            }
        });
        return out;
    }

    /** Σ of all elements: a scalar. */
    public Var sum(Var x) {
        return reduceAll(x, 1f);
    }

    /** Mean of all elements: a scalar. */
    public Var mean(Var x) {
        return reduceAll(x, 1f / x.size());
    }

    private Var reduceAll(Var x, float factor) {
        Var out = output(Shape.of(), x);
        Tensor in = x.value();
        out.value().set(0, (float) (sum(in.data(), in.offset(), x.size()) * factor));
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            float g = dOut.get(0) * factor;
            for (int i = 0; i < x.size(); i++) dIn.data()[dIn.offset() + i] += g;
        });
        return out;
    }

    /** Σ over the last axis: x[…, C] → out[…]. */
    public Var sumLastAxis(Var x) {
        int C = x.dim(-1), N = x.size() / C;
        int[] d = x.shape().dims();
        Var out = output(Shape.of(java.util.Arrays.copyOf(d, d.length - 1)), x);
        Tensor in = x.value(), o = out.value();
        for (int r = 0; r < N; r++) o.data()[o.offset() + r] = (float) sum(in.data(), in.offset() + r * C, C);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            for (int r = 0; r < N; r++) {
                float g = dOut.data()[dOut.offset() + r];
                int base = dIn.offset() + r * C;
                for (int c = 0; c < C; c++) dIn.data()[base + c] += g;
            }
        });
        return out;
    }

    /**
     * Matrix product over the last axis: a[…, K] · b[K, N], or a[…, K] · b[N, K]ᵀ when
     * {@code transposeB} (as a Linear weight or a tied embedding is stored). out[…, N].
     */
    public Var matmul(Var a, Var b, boolean transposeB) {
        requireRank("matmul b", b, 2);
        int K = a.dim(-1), M = a.size() / K;
        int N = transposeB ? b.dim(0) : b.dim(1);
        if ((transposeB ? b.dim(1) : b.dim(0)) != K) {
            throw new IllegalArgumentException("matmul: a " + a.shape() + " · b" + (transposeB ? "ᵀ " : " ") + b.shape() + ": inner sizes differ");
        }
        Var out = output(withLastDim(a.shape(), N), a, b);
        Tensor o = out.value(), at = a.value(), bt = b.value();
        Gemm.sgemm(false, transposeB, M, N, K, 1f, at.data(), at.offset(), K, bt.data(), bt.offset(), transposeB ? K : N,
                0f, o.data(), o.offset(), N);
        if (out.requiresGrad()) record(() -> {
            Tensor dC = out.grad();
            if (dC == null) return;
            Tensor dA = gradOrNull(a), dB = gradOrNull(b);
            if (dA != null) {
                // dA[M, K] += dC[M, N] · op(B)ᵀ
                Gemm.sgemm(false, !transposeB, M, K, N, 1f, dC.data(), dC.offset(), N, bt.data(), bt.offset(), transposeB ? K : N,
                        1f, dA.data(), dA.offset(), K);
            }
            if (dB != null) {
                if (transposeB) {
                    // dB[N, K] += dCᵀ · A
                    Gemm.sgemm(true, false, N, K, M, 1f, dC.data(), dC.offset(), N, at.data(), at.offset(), K, 1f, dB.data(), dB.offset(), K);
                } else {
                    // dB[K, N] += Aᵀ · dC
                    Gemm.sgemm(true, false, K, N, M, 1f, at.data(), at.offset(), K, dC.data(), dC.offset(), N, 1f, dB.data(), dB.offset(), N);
                }
            }
        });
        return out;
    }

    /** Columns [start, start + width) of the last axis, copied: x[…, W] → out[…, width]. */
    public Var columns(Var x, int start, int width) {
        int W = x.dim(-1), rows = x.size() / Math.max(W, 1);
        if (start < 0 || width < 0 || start + width > W) throw new IllegalArgumentException("columns(" + start + ", " + width + ") of shape " + x.shape());
        Var out = output(withLastDim(x.shape(), width), x);
        Tensor in = x.value(), o = out.value();
        for (int r = 0; r < rows; r++) System.arraycopy(in.data(), in.offset() + r * W + start, o.data(), o.offset() + r * width, width);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            for (int r = 0; r < rows; r++) {
                int src = dOut.offset() + r * width, dst = dIn.offset() + r * W + start;
                for (int c = 0; c < width; c++) dIn.data()[dst + c] += dOut.data()[src + c];
            }
        });
        return out;
    }

    /** Splits the last axis into consecutive pieces, e.g. a fused qkv projection into q, k, v. */
    public Var[] split(Var x, int... widths) {
        int total = 0;
        for (int w : widths) total += w;
        if (total != x.dim(-1)) throw new IllegalArgumentException("split: widths sum to " + total + " but the last axis of " + x.shape() + " is " + x.dim(-1));
        Var[] parts = new Var[widths.length];
        int start = 0;
        for (int i = 0; i < widths.length; i++) {
            parts[i] = columns(x, start, widths[i]);
            start += widths[i];
        }
        return parts;
    }

    /** Rows of x[N, C] picked by index (e.g. the last token of each sequence for a reward head): out[n, C]. */
    public Var selectRows(Var x, int... rowIndices) {
        requireRank("selectRows", x, 2);
        int N = x.dim(0), C = x.dim(1);
        int[] idx = rowIndices.clone();
        for (int r : idx) if (r < 0 || r >= N) throw new IllegalArgumentException("selectRows: row " + r + " outside " + x.shape());
        Var out = output(Shape.of(idx.length, C), x);
        Tensor in = x.value(), o = out.value();
        for (int i = 0; i < idx.length; i++) System.arraycopy(in.data(), in.offset() + idx[i] * C, o.data(), o.offset() + i * C, C);
        if (out.requiresGrad()) record(() -> {
            Tensor dOut = out.grad();
            if (dOut == null) return;
            Tensor dIn = x.gradForAccumulation(arena);
            for (int i = 0; i < idx.length; i++) {
                int src = dOut.offset() + i * C, dst = dIn.offset() + idx[i] * C;
                for (int c = 0; c < C; c++) dIn.data()[dst + c] += dOut.data()[src + c];
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- plumbing

    private Var output(Shape shape, Var... inputs) {
        boolean needsGrad = false;
        if (gradEnabled) for (Var v : inputs) if (v != null && v.requiresGrad()) needsGrad = true;
        return Var.result(arena.allocate(shape), needsGrad);
    }

    private void record(Runnable backwardStep) {
        backwardSteps.add(backwardStep);
    }

    private Tensor gradOrNull(Var v) {
        return v.requiresGrad() ? v.gradForAccumulation(arena) : null;
    }

    private static void accumulateScaled(Tensor dst, Tensor src, float s) {
        if (dst == null) return;
        float[] d = dst.data(), x = src.data();
        int dOff = dst.offset(), xOff = src.offset(), n = src.size();
        for (int i = 0; i < n; i++) d[dOff + i] += s * x[xOff + i];
    }

    /** Sum in float64 so a loss over many rows does not lose low bits. */
    private static double sum(float[] a, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += a[off + i];
        return s;
    }

    private static Shape withLastDim(Shape s, int last) {
        int[] d = s.dims();
        d[d.length - 1] = last;
        return Shape.of(d);
    }

    private static void requireRank(String op, Var x, int rank) {
        if (x.rank() != rank) throw new IllegalArgumentException(op + ": expected rank " + rank + ", got shape " + x.shape());
    }

    private static void requireVector(String what, Var x, int n) {
        if (x.rank() != 1 || x.dim(0) != n) throw new IllegalArgumentException(what + ": expected [" + n + "], got " + x.shape());
    }

    private static void requireSameShape(String op, Var a, Var b) {
        if (!a.shape().equals(b.shape())) throw new IllegalArgumentException(op + ": shapes differ, " + a.shape() + " vs " + b.shape());
    }

    private static void requireIndexRange(String op, int[] targets, int off, int n) {
        if (off < 0 || (long) off + n > targets.length) {
            throw new IllegalArgumentException(op + ": " + n + " targets from offset " + off + " but the array has " + targets.length);
        }
    }
}
