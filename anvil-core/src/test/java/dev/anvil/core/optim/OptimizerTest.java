package dev.anvil.core.optim;

import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class OptimizerTest {

    /** A little model: a weight matrix, a norm gain, a bias, an embedding. */
    private static ParameterBuffer.Layout layout() {
        return new ParameterBuffer.Layout()
                .add("wte", 5, 3)
                .add("h0.ln.weight", 3)
                .add("h0.fc.weight", 4, 3)
                .add("h0.fc.bias", 4)
                .add("h1.fc.weight", 2, 4);
    }

    private static boolean isMatrix(String name) {
        return name.endsWith("fc.weight");
    }

    private static void fill(ParameterBuffer b, Rng rng, double std) {
        rng.fillNormal(b.data(), 0, b.data().length, 0, std);
    }

    @Test
    void groupsMergeNeighbouringTensorsAndCoverTheirMembers() {
        List<ParameterGroup> groups = ParameterGroup.decayAndNoDecay(layout(), OptimizerTest::isMatrix, 0.1);
        ParameterGroup decay = groups.get(0), noDecay = groups.get(1);
        assertThat(decay.parameterNames()).containsExactly("h0.fc.weight", "h1.fc.weight");
        assertThat(decay.spans()).containsExactly(new ParameterGroup.Span(18, 30), new ParameterGroup.Span(34, 42));
        assertThat(noDecay.parameterNames()).containsExactly("wte", "h0.ln.weight", "h0.fc.bias");
        assertThat(noDecay.spans()).containsExactly(new ParameterGroup.Span(0, 18), new ParameterGroup.Span(30, 34));
        assertThat(decay.elementCount() + noDecay.elementCount()).isEqualTo(layout().totalSize());
        ParameterBuffer p = layout().allocate();
        assertThatThrownBy(() -> new AdamW(p, layout().allocate(), List.of(decay, decay), AdamW.Config.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
    }

    @Test
    void adamWMatchesTheFloat64FormulaWithPerGroupDecayAndFrozenParameters() {
        ParameterBuffer.Layout layout = layout();
        ParameterBuffer p = layout.allocate(), g = layout.allocate();
        Rng rng = new Rng(11);
        fill(p, rng, 1.0);
        // Matrices decay, the norm and bias don't, the embedding is frozen (in no group).
        List<ParameterGroup> groups = List.of(
                ParameterGroup.of("decay", 0.1, layout, OptimizerTest::isMatrix),
                ParameterGroup.of("no_decay", 0.0, layout, n -> n.startsWith("h0.ln") || n.endsWith("bias")));
        AdamW.Config cfg = new AdamW.Config(0.9, 0.95, 1e-8);
        AdamW opt = new AdamW(p, g, groups, cfg);
        int n = p.data().length;
        double[] theta = toDoubles(p.data()), m = new double[n], v = new double[n];
        double[] wd = new double[n];
        boolean[] frozen = new boolean[n];
        var wte = layout.entry("wte");
        for (int i = wte.offset(); i < wte.offset() + wte.shape().size(); i++) frozen[i] = true;
        for (String name : List.of("h0.fc.weight", "h1.fc.weight")) {
            var e = layout.entry(name);
            for (int i = e.offset(); i < e.offset() + e.shape().size(); i++) wd[i] = 0.1;
        }
        double[] lrs = {1e-3, 3e-3, 2e-3, 5e-4, 1e-2};
        for (int t = 1; t <= lrs.length; t++) {
            fill(g, rng, 0.5);
            double lr = lrs[t - 1];
            opt.step(lr);
            for (int i = 0; i < n; i++) {
                if (frozen[i]) continue;
                double gi = g.data()[i];
                theta[i] *= 1 - lr * wd[i];
                m[i] = 0.9 * m[i] + 0.1 * gi;
                v[i] = 0.95 * v[i] + 0.05 * gi * gi;
                double mHat = m[i] / (1 - Math.pow(0.9, t)), vHat = v[i] / (1 - Math.pow(0.95, t));
                theta[i] -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
            }
            for (int i = 0; i < n; i++) assertThat((double) p.data()[i]).as("step %d element %d", t, i).isCloseTo(theta[i], within(2e-6 * (1 + Math.abs(theta[i]))));
        }
        assertThat(opt.stepCount()).isEqualTo(5);
        // Frozen parameters did not move at all.
        for (int i = 0; i < n; i++) if (frozen[i]) assertThat(p.data()[i]).isEqualTo((float) theta[i]);
    }

    @Test
    void adamWStateRoundTripsSoAResumedRunIsIdentical() {
        ParameterBuffer.Layout layout = layout();
        ParameterBuffer p1 = layout.allocate(), g = layout.allocate();
        fill(p1, new Rng(5), 1.0);
        ParameterBuffer p2 = new ParameterBuffer(layout, p1.data().clone());
        List<ParameterGroup> groups = ParameterGroup.decayAndNoDecay(layout, OptimizerTest::isMatrix, 0.05);
        AdamW a = new AdamW(p1, g, groups, AdamW.Config.defaults());
        Rng gradRng = new Rng(6);
        for (int t = 0; t < 3; t++) {
            fill(g, gradRng, 1);
            a.step(1e-2);
        }
        AdamW.State saved = a.exportState();
        System.arraycopy(p1.data(), 0, p2.data(), 0, p1.data().length);
        AdamW b = new AdamW(p2, g, groups, AdamW.Config.defaults());
        b.importState(new AdamW.State(saved.step(), saved.m().clone(), saved.v().clone()));
        for (int t = 0; t < 3; t++) {
            fill(g, gradRng, 1);
            a.step(1e-2);
            b.step(1e-2);
        }
        assertThat(p2.data()).containsExactly(p1.data());
        assertThat(b.stepCount()).isEqualTo(6);
        assertThatThrownBy(() -> b.importState(new AdamW.State(1, new float[3], new float[3]))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sgdMomentumAndNesterovMatchTheFloat64Formula() {
        for (boolean nesterov : new boolean[] {false, true}) {
            ParameterBuffer.Layout layout = layout();
            ParameterBuffer p = layout.allocate(), g = layout.allocate();
            Rng rng = new Rng(nesterov ? 21 : 22);
            fill(p, rng, 1.0);
            List<ParameterGroup> groups = ParameterGroup.decayAndNoDecay(layout, OptimizerTest::isMatrix, 0.01);
            Sgd opt = new Sgd(p, g, groups, Sgd.Config.momentum(0.9, nesterov));
            int n = p.data().length;
            double[] theta = toDoubles(p.data()), buf = new double[n], wd = new double[n];
            for (String name : List.of("h0.fc.weight", "h1.fc.weight")) {
                var e = layout.entry(name);
                for (int i = e.offset(); i < e.offset() + e.shape().size(); i++) wd[i] = 0.01;
            }
            for (int t = 1; t <= 4; t++) {
                fill(g, rng, 0.5);
                double lr = 0.1;
                opt.step(lr);
                for (int i = 0; i < n; i++) {
                    double d = g.data()[i] + wd[i] * theta[i];
                    buf[i] = t == 1 ? d : 0.9 * buf[i] + d;
                    d = nesterov ? d + 0.9 * buf[i] : buf[i];
                    theta[i] -= lr * d;
                }
                for (int i = 0; i < n; i++) assertThat((double) p.data()[i]).isCloseTo(theta[i], within(2e-6 * (1 + Math.abs(theta[i]))));
            }
            Sgd.State s = opt.exportState();
            assertThat(s.step()).isEqualTo(4);
            assertThat(toDoubles(s.momentumBuffer())).containsExactly(toFloatsAsDoubles(buf), within(1e-5));
        }
    }

    @Test
    void plainSgdIsGradientDescent() {
        ParameterBuffer.Layout layout = layout();
        ParameterBuffer p = layout.allocate(), g = layout.allocate();
        fill(p, new Rng(1), 1);
        fill(g, new Rng(2), 1);
        float[] before = p.data().clone();
        new Sgd(p, g, ParameterGroup.all(layout, 0), Sgd.Config.plain()).step(0.5);
        for (int i = 0; i < before.length; i++) assertThat(p.data()[i]).isEqualTo(before[i] - 0.5f * g.data()[i]);
        assertThatThrownBy(() -> new Sgd.Config(0, 0, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void clippingScalesToMaxNormAndReportsThePreClipNorm() {
        float[] g = {3, 4, 0, 0};
        assertThat(GradientClipping.globalNorm(g)).isEqualTo(5.0);
        double norm = GradientClipping.clipGlobalNorm(g, 1.0);
        assertThat(norm).isEqualTo(5.0);
        assertThat(GradientClipping.globalNorm(g)).isCloseTo(1.0, within(1e-6));
        assertThat(g[0]).isCloseTo(0.6f, within(1e-6f));
        // Below the threshold nothing changes.
        float[] small = {0.1f, 0.2f};
        assertThat(GradientClipping.clipGlobalNorm(small, 1.0)).isCloseTo(Math.sqrt(0.05), within(1e-7));
        assertThat(small).containsExactly(0.1f, 0.2f);
    }

    @Test
    void clippingAManyBlockBufferIsDeterministicAndMatchesFloat64() {
        float[] g = new float[100_003];
        new Rng(8).fillNormal(g, 0, g.length, 0, 1);
        double expected = 0;
        for (float x : g) expected += (double) x * x;
        expected = Math.sqrt(expected);
        double first = GradientClipping.globalNorm(g);
        assertThat(first).isCloseTo(expected, within(1e-9 * expected));
        assertThat(GradientClipping.globalNorm(g)).isEqualTo(first);
        double pre = GradientClipping.clipGlobalNorm(g, 2.0);
        assertThat(pre).isEqualTo(first);
        assertThat(GradientClipping.globalNorm(g)).isCloseTo(2.0, within(1e-4));
    }

    @Test
    void nonFiniteNormsAreReportedAndLeaveGradientsAlone() {
        float[] withNan = {1, Float.NaN, 2};
        assertThat(GradientClipping.clipGlobalNorm(withNan, 1.0)).isNaN();
        assertThat(withNan[0]).isEqualTo(1f);
        float[] withInf = {1, Float.POSITIVE_INFINITY};
        assertThat(GradientClipping.clipGlobalNorm(withInf, 1.0)).isInfinite();
        assertThat(withInf[0]).isEqualTo(1f);
        // Overflow of the float32 square is avoided by summing in float64.
        float[] huge = {3e20f, 4e20f};
        assertThat(GradientClipping.clipGlobalNorm(huge, 1.0)).isCloseTo(5e20, within(1e14));
    }

    @Test
    void warmupCosineSchedule() {
        LearningRateSchedule s = LearningRateSchedule.warmupCosine(1e-3, 10, 110, 1e-4);
        assertThat(s.at(0)).isCloseTo(1e-4, within(1e-15));
        assertThat(s.at(4)).isCloseTo(5e-4, within(1e-15));
        assertThat(s.at(9)).isCloseTo(1e-3, within(1e-15));   // warmup end reaches the peak
        assertThat(s.at(10)).isCloseTo(1e-3, within(1e-15));  // decay starts at the peak
        assertThat(s.at(60)).isCloseTo(5.5e-4, within(1e-15)); // halfway: the mean of peak and floor
        assertThat(s.at(35)).isCloseTo(1e-4 + 9e-4 * 0.5 * (1 + Math.cos(Math.PI / 4)), within(1e-15));
        assertThat(s.at(110)).isEqualTo(1e-4);
        assertThat(s.at(10_000)).isEqualTo(1e-4);
        for (long t = 10; t < 110; t++) assertThat(s.at(t + 1)).isLessThanOrEqualTo(s.at(t));
    }

    @Test
    void warmupLinearAndConstantSchedules() {
        LearningRateSchedule lin = LearningRateSchedule.warmupLinear(2.0, 4, 24, 0.0);
        assertThat(lin.at(3)).isEqualTo(2.0);
        assertThat(lin.at(14)).isCloseTo(1.0, within(1e-12));
        assertThat(lin.at(19)).isCloseTo(0.5, within(1e-12));
        assertThat(lin.at(24)).isEqualTo(0.0);
        assertThat(LearningRateSchedule.constant(3e-4).at(123)).isEqualTo(3e-4);
        LearningRateSchedule wc = LearningRateSchedule.warmupConstant(1.0, 2);
        assertThat(wc.at(0)).isEqualTo(0.5);
        assertThat(wc.at(1_000_000)).isEqualTo(1.0);
        LearningRateSchedule noWarmup = LearningRateSchedule.warmupCosine(1.0, 0, 10, 0.1);
        assertThat(noWarmup.at(0)).isEqualTo(1.0);
        assertThatThrownBy(() -> LearningRateSchedule.warmupCosine(1.0, 10, 5, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static double[] toDoubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    private static double[] toFloatsAsDoubles(double[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = (float) x[i];
        return d;
    }
}
