package dev.anvil.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The {@code anvil} command: one subcommand per pipeline stage.
 *
 * <p>Exit codes: 0 done; 1 failure (bad input, a run that cannot go on, a bug); 2 usage error
 * (unknown or missing options, unparsable values — picocli's own — and {@link UsageException}s a
 * command throws for values it rejects). Every error is printed as one sentence
 * ({@code anvil: error: ...}), the stack trace only with {@code --debug}.
 */
@Command(name = "anvil",
        mixinStandardHelpOptions = true,
        version = "anvil 0.1.0-SNAPSHOT",
        description = "Build your own large language model on the JVM, end to end.",
        subcommands = {QuickstartCommand.class, RunCommand.class, DataCommand.class, TokenizerCommand.class, TokenizeCommand.class, TrainCommand.class, EvalCommand.class, GenerateCommand.class, ChatCommand.class, ExportCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Global options (--threads, --quiet, --json, --debug) go before or after",
                "the subcommand. Exit codes: 0 ok, 1 failure, 2 usage error.", "",
                "Examples:",
                "  bin/anvil tokenize --tokenizer tok --input corpus.txt --output shards",
                "  bin/anvil train --config recipes/shakespeare-char.yaml --threads 2",
                "  bin/anvil eval --model runs/shakespeare-char --data shards --json"})
public final class Main implements Runnable {

    @Option(names = "--threads", scope = CommandLine.ScopeType.INHERIT, paramLabel = "N",
            description = "Compute threads (default: all cores).")
    void setThreads(int threads) {
        if (threads < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        ComputePool.setDefaultThreads(threads);
    }

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    @Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "No progress bars or running commentary: results and errors only.")
    void setQuiet(boolean quiet) {
        if (quiet && Output.mode() != Output.Mode.JSON) Output.setMode(Output.Mode.QUIET);
    }

    @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT,
            description = "Machine-readable: the result as one JSON object on stdout, progress and errors as JSON lines on stderr.")
    void setJson(boolean json) {
        if (json) Output.setMode(Output.Mode.JSON);
    }

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
        Output.setMode(Output.Mode.TEXT);
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setUsageHelpAutoWidth(true);
        cl.setParameterExceptionHandler((ex, ignoredArgs) -> {
            CommandLine cmd = ex.getCommandLine();
            String hint = "see '" + cmd.getCommandSpec().qualifiedName() + " --help'";
            StringBuilder message = new StringBuilder(ex.getMessage());
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                message.append(" (did you mean ").append(String.join(" or ", u.getSuggestions())).append("?)");
            }
            return report(cmd, main.debug, ex, message + "; " + hint, CommandLine.ExitCode.USAGE);
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof UsageException) {
                return report(cmd, main.debug, ex, ex.getMessage() + "; see '" + cmd.getCommandSpec().qualifiedName() + " --help'", CommandLine.ExitCode.USAGE);
            }
            return report(cmd, main.debug, ex, describe(ex, main.debug), CommandLine.ExitCode.SOFTWARE);
        });
        return cl.execute(args);
    }

    private static int report(CommandLine cmd, boolean debug, Throwable ex, String message, int exitCode) {
        PrintWriter err = cmd.getErr();
        if (debug) ex.printStackTrace(err);
        if (Output.json()) {
            ObjectNode e = Output.object().put("type", "error").put("message", message).put("exit_code", exitCode);
            err.println(e);
        } else {
            err.println("anvil: error: " + message);
        }
        err.flush();
        return exitCode;
    }

    /**
     * One sentence for an exception. Bad input (our own exception types, IllegalArgumentException,
     * IOException and its file-system subtypes) carries a message written for the user; anything
     * else is a bug, said as such.
     */
    static String describe(Throwable ex, boolean debug) {
        if (ex instanceof UncheckedIOException u && u.getCause() != null) return describe(u.getCause(), debug);
        if (ex instanceof NoSuchFileException e) return "no such file or directory: " + e.getFile() + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
        if (ex instanceof AccessDeniedException e) return "permission denied: " + e.getFile();
        if (ex instanceof FileAlreadyExistsException e) return "already exists: " + e.getFile() + "; remove it or choose another path";
        if (ex instanceof NotDirectoryException e) return "not a directory: " + e.getFile();
        if (ex instanceof DirectoryNotEmptyException e) return "directory not empty: " + e.getFile();
        if (ex instanceof CharacterCodingException) return "a file is not valid UTF-8 text (" + ex + "); convert it to UTF-8 first";
        if (ex instanceof OutOfMemoryError) {
            return "out of memory; give the JVM more heap (e.g. ANVIL_JAVA_OPTS=-Xmx16g) or use a smaller model, batch or context";
        }
        String message = ex.getMessage();
        boolean userFacing = ex instanceof IllegalArgumentException || ex instanceof IOException
                || ex instanceof UnsupportedOperationException || ex instanceof IllegalStateException
                || ex.getClass().getName().startsWith("dev.anvil.");
        if (userFacing && message != null && !message.isBlank()) return message;
        return "internal error: " + ex + (debug ? "" : " (run with --debug for the stack trace, and please report it)");
    }
}
