package dev.anvil.model;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.kernels.Rope;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.model.exec.LinearAttachment;
import dev.anvil.model.exec.TapeOps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A decoder-only transformer on the autograd tape: its parameters, which of them train, its
 * heads and attachments; the forward itself is {@link TransformerBody}'s, run by {@link TapeOps}.
 *
 * <p>Parameters are split by a trainable set: the trainable tensors live in one flat
 * {@link #parameters()} buffer with a parallel {@link #gradients()} buffer (llm.c's
 * ParameterTensors; the optimizer's moments are sized to it), the frozen ones are plain tensors
 * that get no gradient (they are constants on the tape) and no optimizer state, and may be shared
 * with other models. When everything trains (pretraining), {@link #parameters()} holds every tensor
 * in layout order, which is the checkpoint's order.
 */
public final class Transformer {

    private final ModelConfig config;
    private final Heads heads;
    private final ParameterBuffer.Layout layout;
    private final TransformerLayout.Names names;
    private final ParameterBuffer params;
    private final ParameterBuffer grads;
    private final Map<String, Tensor> tensors;
    private final Map<String, Var> vars = new LinkedHashMap<>();
    private final Map<String, List<LinearAttachment>> attachments = new LinkedHashMap<>();
    private final List<ParameterBuffer> attachmentGradients = new ArrayList<>();
    private final Rope.Table rope;
    /** The buffer this model's weights were given in, if any (a loaded, frozen model). */
    private ParameterBuffer source;

    /** A causal LM with every parameter trainable (zero until {@link #initialize}). */
    public Transformer(ModelConfig config) {
        this(config, Heads.languageModel());
    }

    /** A model with the given heads, every parameter trainable. */
    public Transformer(ModelConfig config, Heads heads) {
        this(config, heads, name -> true, Map.of());
    }

    /**
     * A forward-only model over weights loaded elsewhere (a checkpoint, GGUF, HF directory): the
     * parameters are shared, not copied, and frozen — no gradient buffer is allocated, so
     * {@link #gradients()} is null and a backward pass computes nothing for them.
     */
    public Transformer(ModelConfig config, ParameterBuffer weights) {
        this(config, headsOf(config, weights.layout()), name -> false, weights.views());
        this.source = weights;
    }

    /**
     * @param trainable names of the parameters that train; the rest are frozen
     * @param given     tensors to use as they are (shared) instead of fresh ones, by name; a given
     *                  tensor that trains is copied into the trainable buffer
     */
    private Transformer(ModelConfig config, Heads heads, Predicate<String> trainable, Map<String, Tensor> given) {
        this.config = config;
        this.heads = heads;
        this.layout = TransformerLayout.of(config, heads);
        this.names = TransformerLayout.names(config);
        ParameterBuffer.Layout trainableLayout = new ParameterBuffer.Layout();
        for (ParameterBuffer.Layout.Entry e : layout.entries()) {
            Tensor t = given.get(e.name());
            if (t != null && !t.shape().equals(e.shape())) {
                throw new IllegalArgumentException("tensor " + e.name() + " has shape " + t.shape() + ", " + config.summary() + " needs " + e.shape());
            }
            if (!given.isEmpty() && t == null) throw new IllegalArgumentException("the weights have no tensor " + e.name() + " (" + config.summary() + ")");
            if (trainable.test(e.name())) trainableLayout.add(e.name(), e.shape().dims());
        }
        if (!given.isEmpty() && given.size() != layout.entries().size()) {
            List<String> extra = new ArrayList<>(given.keySet());
            extra.removeIf(n -> layout.entries().stream().anyMatch(e -> e.name().equals(n)));
            throw new IllegalArgumentException("the weights (" + given.size() + " tensors) do not have the layout of " + config.summary()
                    + " with " + heads.describe() + (extra.isEmpty() ? "" : "; unexpected: " + extra));
        }
        boolean anyTrainable = !trainableLayout.entries().isEmpty();
        this.params = trainableLayout.allocate();
        this.grads = anyTrainable ? trainableLayout.allocate() : null;
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (ParameterBuffer.Layout.Entry e : layout.entries()) {
            Tensor given1 = given.get(e.name());
            if (trainable.test(e.name())) {
                Tensor mine = params.get(e.name());
                if (given1 != null) System.arraycopy(given1.data(), given1.offset(), mine.data(), mine.offset(), mine.size());
                all.put(e.name(), mine);
                vars.put(e.name(), Var.parameter(mine, grads.get(e.name())));
            } else {
                Tensor t = given1 != null ? given1 : new Tensor(new float[e.shape().size()], 0, e.shape());
                all.put(e.name(), t);
                vars.put(e.name(), Var.constant(t));
            }
        }
        this.tensors = Collections.unmodifiableMap(all);
        this.rope = config.family() == ModelConfig.Family.LLAMA ? new Rope.Table(config.contextLength(), config.headDim(), config.ropeTheta()) : null;
    }

    /** The heads a layout holds beyond the body (an untied lm_head, score, value). */
    static Heads headsOf(ModelConfig config, ParameterBuffer.Layout layout) {
        boolean lm = config.tiedEmbeddings(), value = false;
        int labels = 0;
        for (ParameterBuffer.Layout.Entry e : layout.entries()) {
            switch (e.name()) {
                case "lm_head.weight" -> lm = true;
                case TransformerLayout.SCORE_HEAD -> labels = e.shape().dims()[0];
                case TransformerLayout.VALUE_HEAD -> value = true;
                default -> { }
            }
        }
        return new Heads(lm, labels, value);
    }

    /**
     * This model with only the named parameters trainable: frozen tensors are shared with this
     * model (no copy), trainable ones are copied into the new model's buffer (with its own
     * gradients). Attachments are not carried over.
     */
    public Transformer withTrainable(Predicate<String> trainable) {
        return new Transformer(config, heads, trainable, tensors);
    }

    /**
     * A frozen copy, e.g. DPO's reference model: tensors that are frozen here are shared, trainable
     * ones are snapshotted (they will move as this model trains), so the copy costs only the
     * trainable part.
     */
    public Transformer frozenCopy() {
        Map<String, Tensor> snapshot = new LinkedHashMap<>();
        for (var e : tensors.entrySet()) {
            boolean moving = vars.get(e.getKey()).requiresGrad();
            Tensor t = e.getValue();
            snapshot.put(e.getKey(), moving ? new Tensor(Arrays.copyOfRange(t.data(), t.offset(), t.offset() + t.size()), 0, t.shape()) : t);
        }
        return new Transformer(config, heads, name -> false, snapshot);
    }

    public ModelConfig config() {
        return config;
    }

    public Heads heads() {
        return heads;
    }

    public TransformerLayout.Names names() {
        return names;
    }

    /** The full layout (body and heads) in checkpoint order. */
    public ParameterBuffer.Layout layout() {
        return layout;
    }

    /** The trainable parameters in one buffer (every parameter, when all train). */
    public ParameterBuffer parameters() {
        return params;
    }

    /** Gradients parallel to {@link #parameters()}; null when nothing trains. */
    public ParameterBuffer gradients() {
        return grads;
    }

    /** Every tensor, trainable or frozen, by name in layout order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor " + name + " in " + config.summary());
        return t;
    }

    public boolean isTrainable(String name) {
        Var v = vars.get(name);
        return v != null && v.requiresGrad();
    }

    /** Every parameter as one buffer in layout order: the trainable buffer itself when all train, else a copy. */
    public ParameterBuffer allParameters() {
        if (params.layout().entries().size() == layout.entries().size()) return params;
        if (source != null) return source;
        ParameterBuffer all = layout.allocate();
        for (var e : tensors.entrySet()) {
            Tensor src = e.getValue(), dst = all.get(e.getKey());
            System.arraycopy(src.data(), src.offset(), dst.data(), dst.offset(), src.size());
        }
        return all;
    }

    /**
     * Attaches a module to the {@code Linear} whose weight is {@code weight}; its tensors
     * ({@code params}, names distinct from the model's) become resolvable by that name, trainable
     * when {@code grads} is given (the caller owns their optimizer), frozen when it is null.
     */
    public void attach(String weight, LinearAttachment attachment, ParameterBuffer params, ParameterBuffer grads) {
        Tensor w = tensors.get(weight);
        if (w == null || w.shape().rank() != 2) throw new IllegalArgumentException("attach: " + weight + " is not a Linear weight of " + config.summary());
        Map<String, Var> own = grads == null ? constants(params) : Var.parameters(params, grads);
        for (String n : own.keySet()) if (vars.containsKey(n)) throw new IllegalArgumentException("attach: parameter " + n + " already exists");
        vars.putAll(own);
        attachments.computeIfAbsent(weight, k -> new ArrayList<>()).add(attachment);
        if (grads != null) attachmentGradients.add(grads);
    }

    private static Map<String, Var> constants(ParameterBuffer params) {
        Map<String, Var> m = new LinkedHashMap<>();
        for (var e : params.views().entrySet()) m.put(e.getKey(), Var.constant(e.getValue()));
        return m;
    }

    public void zeroGradients() {
        if (grads == null && attachmentGradients.isEmpty()) throw new IllegalStateException("a forward-only Transformer (frozen weights) has no gradients");
        if (grads != null) Arrays.fill(grads.data(), 0f);
        for (ParameterBuffer g : attachmentGradients) Arrays.fill(g.data(), 0f);
    }

    /**
     * GPT-2 / nanoGPT initialization: every matrix and embedding ~ N(0, 0.02), the projections into
     * the residual stream ~ N(0, 0.02/√(2·layers)) so the stream's variance does not grow with
     * depth, biases 0, norm gains 1. Tensors are filled in layout order from one generator.
     */
    public void initialize(Rng rng) {
        double residualStd = 0.02 / Math.sqrt(2.0 * config.layers());
        for (ParameterBuffer.Layout.Entry e : layout.entries()) {
            Tensor t = tensors.get(e.name());
            if (e.shape().rank() == 2) {
                rng.fillNormal(t.data(), t.offset(), t.size(), 0, TransformerLayout.isResidualProjection(e.name()) ? residualStd : 0.02);
            } else if (e.name().endsWith(".bias")) {
                t.fill(0f);
            } else {
                t.fill(1f);
            }
        }
    }

    /** The tape executor for B windows of T tokens. */
    public TapeOps ops(Tape tape, int[] tokens, int off, int B, int T) {
        if (T > config.contextLength()) {
            throw new IllegalArgumentException("sequence length " + T + " is longer than the model's context of " + config.contextLength());
        }
        return new TapeOps(tape, vars, attachments, tokens, off, B, T, config.headDim(), rope, Rope.Style.HALF);
    }

    /** Hidden states [B, T, C] after the final norm, for {@code tokens[off, off + B·T)}. */
    public Var hidden(Tape tape, int[] tokens, int off, int B, int T, float dropout, long dropoutSeed) {
        return TransformerBody.hiddenStates(ops(tape, tokens, off, B, T), config, names, dropout, dropoutSeed);
    }

    /**
     * Logits[B, T, vocab] for {@code tokens[off, off + B·T)}. {@code dropout} &gt; 0 drops after the
     * embedding and after each residual branch (not inside attention), with masks derived from
     * {@code dropoutSeed}, so a step can be replayed exactly.
     */
    public Var forward(Tape tape, int[] tokens, int off, int B, int T, float dropout, long dropoutSeed) {
        if (!heads.lm()) throw Heads.missing("LM head", config.summary(), heads);
        TapeOps ops = ops(tape, tokens, off, B, T);
        return Heads.logits(ops, names, TransformerBody.hiddenStates(ops, config, names, dropout, dropoutSeed));
    }

    /** Mean cross-entropy of the next-token predictions: a scalar on the tape. */
    public Var loss(Tape tape, int[] tokens, int[] targets, int off, int B, int T, float dropout, long dropoutSeed) {
        return tape.crossEntropy(forward(tape, tokens, off, B, T, dropout, dropoutSeed), targets, off, -1);
    }
}
