package dev.anvil.train;

/**
 * Text from the model being trained, shown every eval.sample_interval steps. Like an
 * {@link Evaluation} it must not touch the trainer's generators: its randomness comes from the
 * seed and the step, so a resumed run shows the same samples.
 */
@FunctionalInterface
public interface SampleGenerator {
    String sample(long step);
}
