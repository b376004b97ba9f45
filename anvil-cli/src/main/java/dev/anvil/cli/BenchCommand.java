package dev.anvil.cli;

import picocli.CommandLine.Command;

/** {@code anvil bench ...}: measurements of Anvil's own kernels and stages. */
@Command(name = "bench", description = "Benchmarks of Anvil's compute core and stages.",
        mixinStandardHelpOptions = true,
        subcommands = {GemmBenchCommand.class, TrainBenchCommand.class, DecodeBenchCommand.class})
public final class BenchCommand {}
