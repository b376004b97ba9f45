package dev.anvil.core.reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;

import java.util.Map;

/** A tiny model written twice: with Anvil's tape and with libtorch ops. */
interface ReferenceModel {

    int IGNORE_INDEX = -100;

    record Output<T>(T logits, T loss) {}

    ParameterBuffer.Layout layout();

    int vocab();

    /** Fills the parameters: N(0, 0.02²)-ish weights, norm gains near 1, small biases. */
    void initialize(ParameterBuffer params, Rng rng);

    Output<Var> anvil(Tape tape, Map<String, Var> p, int[] tokens, int[] targets, int B, int T);

    Output<NDArray> torch(NDManager manager, Map<String, NDArray> p, int[] tokens, int[] targets, int B, int T);

    /** Which parameters get weight decay: the matrices. */
    default boolean decays(String name) {
        return layout().entry(name).shape().rank() >= 2;
    }

    /**
     * Elements [from, to) of a parameter whose gradient is zero in exact arithmetic, so only
     * rounding noise reaches the optimizer; null if none.
     */
    default int[] zeroGradientRange(String name) {
        return null;
    }

    static void fill(ParameterBuffer params, String name, Rng rng, double mean, double std) {
        var t = params.get(name);
        rng.fillNormal(t.data(), t.offset(), t.size(), mean, std);
    }
}
