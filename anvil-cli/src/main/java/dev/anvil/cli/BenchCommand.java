package dev.anvil.cli;

import picocli.CommandLine.Command;

/** {@code anvil bench ...}: measurements of Anvil's own kernels and stages. */
@Command(name = "bench", description = "Benchmarks of Anvil's compute core and stages.",
        mixinStandardHelpOptions = true,
        subcommands = {GemmBenchCommand.class, TrainBenchCommand.class, DecodeBenchCommand.class},
        footer = {"", "Examples:", "  bin/anvil bench gemm --m 256 --n 2304 --k 768 --layout NT --threads 2",
                "  bin/anvil bench train --model gpt2 --batch-size 4 --seq-len 64",
                "  bin/anvil bench decode --model stories15m --json"})
public final class BenchCommand {}
