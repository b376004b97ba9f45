package dev.anvil.cli;

import dev.anvil.core.compute.ComputePool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code anvil} command: one subcommand per pipeline stage. */
@Command(name = "anvil",
        mixinStandardHelpOptions = true,
        version = "anvil 0.1.0-SNAPSHOT",
        description = "Build your own large language model on the JVM, end to end.",
        subcommands = {QuickstartCommand.class, RunCommand.class, DataCommand.class, TokenizerCommand.class, TokenizeCommand.class, TrainCommand.class, GenerateCommand.class, ChatCommand.class, ExportCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Option(names = "--threads", scope = CommandLine.ScopeType.INHERIT, paramLabel = "N",
            description = "Compute threads (default: all cores).")
    void setThreads(int threads) {
        if (threads < 1) throw new CommandLine.ParameterException(new CommandLine(this), "--threads must be at least 1, got " + threads);
        ComputePool.setDefaultThreads(threads);
    }

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (main.debug) ex.printStackTrace(commandLine.getErr());
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            commandLine.getErr().println("anvil: error: " + msg + (main.debug ? "" : " (run with --debug for the stack trace)"));
            return 1;
        });
        return cl.execute(args);
    }
}
