package dev.anvil.model.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SamplerTest {

    /** logits whose softmax is exactly the given probabilities. */
    private static float[] logitsOf(double... probs) {
        float[] z = new float[probs.length];
        for (int i = 0; i < probs.length; i++) z[i] = (float) Math.log(probs[i]);
        return z;
    }

    private static double[] frequencies(Sampler s, float[] logits, int draws) {
        double[] f = new double[logits.length];
        for (int i = 0; i < draws; i++) f[s.sample(logits)] += 1.0 / draws;
        return f;
    }

    @Test
    void greedyTakesTheArgmaxAndTiesGoToTheLowestId() {
        Sampler s = new Sampler(SamplingParams.greedy(), 5);
        assertThat(s.sample(new float[] {0.1f, 3f, -2f, 2.9f, 1f})).isEqualTo(1);
        assertThat(s.sample(new float[] {1f, 4f, 4f, 0f, 4f})).isEqualTo(1);
    }

    @Test
    void temperatureSamplesTheSoftmaxOfScaledLogits() {
        float[] z = {2f, 1f, 0f, -1f};
        for (double T : new double[] {1.0, 0.5, 2.0}) {
            double[] f = frequencies(new Sampler(SamplingParams.temperature(T, 42), 4), z, 40_000);
            double total = 0;
            double[] expected = new double[4];
            for (int i = 0; i < 4; i++) total += expected[i] = Math.exp(z[i] / T);
            for (int i = 0; i < 4; i++) assertThat(f[i]).as("T=%s token %d", T, i).isCloseTo(expected[i] / total, within(0.012));
        }
    }

    @Test
    void topKKeepsTheKMostProbableRenormalised() {
        float[] z = logitsOf(0.1, 0.4, 0.2, 0.3);
        double[] f = frequencies(new Sampler(SamplingParams.temperature(1, 7).withTopK(2), 4), z, 40_000);
        assertThat(f[0]).isZero();
        assertThat(f[2]).isZero();
        assertThat(f[1]).isCloseTo(0.4 / 0.7, within(0.012));
        assertThat(f[3]).isCloseTo(0.3 / 0.7, within(0.012));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] z = logitsOf(0.15, 0.5, 0.05, 0.3);
        double[] f = frequencies(new Sampler(SamplingParams.temperature(1, 3).withTopP(0.75), 4), z, 40_000);
        assertThat(f[0]).isZero();
        assertThat(f[2]).isZero();
        assertThat(f[1]).isCloseTo(0.5 / 0.8, within(0.012));
        f = frequencies(new Sampler(SamplingParams.temperature(1, 3).withTopP(0.85), 4), z, 40_000);
        assertThat(f[2]).isZero();
        assertThat(f[0]).isCloseTo(0.15 / 0.95, within(0.012));
        // A tiny p still keeps the top token.
        f = frequencies(new Sampler(SamplingParams.temperature(1, 3).withTopP(0.01), 4), z, 1000);
        assertThat(f[1]).isEqualTo(1.0, within(1e-9));
    }

    @Test
    void topPAppliesToTheTopKSet() {
        // Top-2 renormalised: 0.5/0.8 = 0.625 and 0.375; p = 0.6 keeps only the first.
        float[] z = logitsOf(0.15, 0.5, 0.05, 0.3);
        double[] f = frequencies(new Sampler(SamplingParams.temperature(1, 3).withTopK(2).withTopP(0.6), 4), z, 2000);
        assertThat(f[1]).isEqualTo(1.0, within(1e-9));
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheTopProbability() {
        float[] z = logitsOf(0.15, 0.5, 0.05, 0.3);
        // threshold 0.35 · 0.5 = 0.175: keeps 0.5 and 0.3.
        double[] f = frequencies(new Sampler(SamplingParams.temperature(1, 11).withMinP(0.35), 4), z, 40_000);
        assertThat(f[0]).isZero();
        assertThat(f[2]).isZero();
        assertThat(f[3]).isCloseTo(0.3 / 0.8, within(0.012));
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens() {
        Sampler s = new Sampler(SamplingParams.greedy().withPenalties(1.5, 0, 0), 3);
        s.accept(0);
        assertThat(s.sample(new float[] {2f, 1.5f, -5f})).isEqualTo(1); // 2 / 1.5 = 1.33 < 1.5
        assertThat(s.sample(new float[] {2f, 1.2f, -5f})).isEqualTo(0); // 1.33 > 1.2
        Sampler neg = new Sampler(SamplingParams.greedy().withPenalties(1.5, 0, 0), 3);
        neg.accept(0);
        assertThat(neg.sample(new float[] {-1f, -1.4f, -5f})).isEqualTo(1); // −1 · 1.5 = −1.5 < −1.4
    }

    @Test
    void presenceAndFrequencyPenaltiesSubtractPerSeenTokenAndPerOccurrence() {
        float[] z = {1f, 0.5f};
        Sampler presence = new Sampler(SamplingParams.greedy().withPenalties(1, 0.6, 0), 2);
        presence.accept(0);
        presence.accept(0);
        assertThat(presence.sample(z)).isEqualTo(1); // 1 − 0.6 = 0.4
        Sampler weakFrequency = new Sampler(SamplingParams.greedy().withPenalties(1, 0, 0.2), 2);
        weakFrequency.accept(new int[] {0, 0}, 0, 2);
        assertThat(weakFrequency.sample(z)).isEqualTo(0); // 1 − 2·0.2 = 0.6
        Sampler frequency = new Sampler(SamplingParams.greedy().withPenalties(1, 0, 0.3), 2);
        frequency.accept(new int[] {0, 0}, 0, 2);
        assertThat(frequency.sample(z)).isEqualTo(1); // 1 − 2·0.3 = 0.4
        frequency.clearHistory();
        assertThat(frequency.sample(z)).isEqualTo(0);
    }

    @Test
    void sameSeedSameTokensAndAnotherSeedOthers() {
        float[] z = new float[50];
        for (int i = 0; i < z.length; i++) z[i] = (float) Math.sin(i);
        SamplingParams p = SamplingParams.temperature(1.3, 2024).withTopK(30).withTopP(0.95).withMinP(0.01);
        int[] a = draws(new Sampler(p, 50), z), b = draws(new Sampler(p, 50), z), c = draws(new Sampler(p.withSeed(2025), 50), z);
        assertThat(a).containsExactly(b);
        assertThat(Arrays.equals(a, c)).isFalse();
    }

    private static int[] draws(Sampler s, float[] z) {
        int[] out = new int[200];
        for (int i = 0; i < out.length; i++) out[i] = s.sample(z);
        return out;
    }

    @Test
    void idsPastTheSamplingVocabularyAreNeverProduced() {
        float[] padded = {0f, 0f, 0f, 50f, 50f}; // the model's vocab is padded to 5; the tokenizer has 3
        Sampler s = new Sampler(SamplingParams.temperature(1, 1), 3);
        for (int i = 0; i < 1000; i++) assertThat(s.sample(padded)).isLessThan(3);
        assertThat(new Sampler(SamplingParams.greedy(), 3).sample(padded)).isLessThan(3);
    }

    @Test
    void badParametersAndLogitsAreClearErrors() {
        assertThatThrownBy(() -> SamplingParams.temperature(-1, 0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplingParams.greedy().withTopP(0)).hasMessageContaining("top-p");
        assertThatThrownBy(() -> SamplingParams.greedy().withTopK(-2)).hasMessageContaining("top-k");
        assertThatThrownBy(() -> SamplingParams.greedy().withMinP(1.5)).hasMessageContaining("min-p");
        assertThatThrownBy(() -> new Sampler(SamplingParams.temperature(1, 0), 2).sample(new float[] {Float.NaN, 0f}))
                .hasMessageContaining("NaN");
    }
}
