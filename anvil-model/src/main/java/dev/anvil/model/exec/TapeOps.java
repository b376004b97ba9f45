package dev.anvil.model.exec;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.kernels.Rope;
import dev.anvil.model.ModelConfig;

import java.util.List;
import java.util.Map;

/**
 * {@link Ops} on the autograd tape, over B windows of T tokens each ({@code tokens[off, off + B·T)},
 * positions 0…T−1 in every window): what training, evaluation and the libtorch pin run. Activations
 * are [B, T, width] tape variables; weights resolve to the model's (and its attachments') parameter
 * variables, frozen ones as constants, so the backward computes no gradient for them.
 */
public final class TapeOps implements Ops<Var> {

    private final Tape tape;
    private final Map<String, Var> vars;
    private final Map<String, List<LinearAttachment>> attachments;
    private final int[] tokens;
    private final int off, B, T;
    private final int headDim;
    private final Rope.Table rope;
    private final Rope.Style ropeStyle;
    private final float scale;
    private int[] positions;

    public TapeOps(Tape tape, Map<String, Var> vars, Map<String, List<LinearAttachment>> attachments,
                   int[] tokens, int off, int B, int T, int headDim, Rope.Table rope, Rope.Style ropeStyle) {
        this.tape = tape;
        this.vars = vars;
        this.attachments = attachments;
        this.tokens = tokens;
        this.off = off;
        this.B = B;
        this.T = T;
        this.headDim = headDim;
        this.rope = rope;
        this.ropeStyle = ropeStyle;
        this.scale = (float) (1 / Math.sqrt(headDim));
    }

    public Tape tape() {
        return tape;
    }

    private Var p(String name) {
        Var v = vars.get(name);
        if (v == null) throw new IllegalStateException("no parameter " + name + " in this model (known: " + vars.size() + " tensors)");
        return v;
    }

    private Var optional(String name) {
        return name == null ? null : p(name);
    }

    @Override
    public Var tokenEmbedding(String table) {
        return tape.embedding(p(table), tokens, off, B, T);
    }

    @Override
    public Var addPositionEmbedding(Var x, String table) {
        if (positions == null) {
            positions = new int[B * T];
            for (int i = 0; i < positions.length; i++) positions[i] = i % T;
        }
        return tape.add(x, tape.embedding(p(table), positions, 0, B, T));
    }

    @Override
    public Var linear(Var x, String weight, String bias) {
        Var y = tape.linear(x, p(weight), optional(bias));
        List<LinearAttachment> attached = attachments.get(weight);
        if (attached != null) for (LinearAttachment a : attached) y = a.apply(this, weight, x, y);
        return y;
    }

    @Override
    public Var layerNorm(Var x, String weight, String bias, float eps) {
        return tape.layerNorm(x, p(weight), optional(bias), eps);
    }

    @Override
    public Var rmsNorm(Var x, String weight, float eps) {
        return tape.rmsNorm(x, p(weight), eps);
    }

    @Override
    public Var gelu(Var x, ModelConfig.Activation form) {
        return form == ModelConfig.Activation.GELU ? tape.geluErf(x) : tape.gelu(x);
    }

    @Override
    public Var swiglu(Var gate, Var up) {
        return tape.swiglu(gate, up);
    }

    @Override
    public Var add(Var a, Var b) {
        return tape.add(a, b);
    }

    @Override
    public Var scale(Var x, float s) {
        return tape.scale(x, s);
    }

    @Override
    public Var dropout(Var x, float p, long seed) {
        return tape.dropout(x, p, seed);
    }

    @Override
    public Var[] split(Var x, int... widths) {
        return tape.split(x, widths);
    }

    @Override
    public Var rope(Var x, int heads) {
        return tape.rope(x.reshape(B, T, heads, headDim), rope, ropeStyle, 0).reshape(B, T, heads * headDim);
    }

    @Override
    public Var attention(int layer, Var q, Var k, Var v, int heads, int kvHeads) {
        return tape.causalAttention(q.reshape(B, T, heads, headDim), k.reshape(B, T, kvHeads, headDim), v.reshape(B, T, kvHeads, headDim), scale)
                .reshape(B, T, heads * headDim);
    }

    @Override
    public Var blockOutput(Var x) {
        return x;
    }

    @Override
    public Var rows(Var x, int[] rowIndices) {
        return tape.selectRows(x.reshape(x.size() / x.dim(-1), x.dim(-1)), rowIndices);
    }
}
