package dev.anvil.data.read;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Expands input paths (files or directories, walked recursively, hidden entries skipped) into a
 * sorted list of files, each with a stable source name: the file's name for a file given
 * directly, {@code dirName/relative/path} for files found under a directory.
 */
public final class InputFiles {
    public record InputFile(Path path, String source) {}

    private InputFiles() {}

    public static List<InputFile> list(List<Path> inputs, Path exclude) throws IOException {
        List<InputFile> files = new ArrayList<>();
        Path excluded = exclude == null ? null : exclude.toAbsolutePath().normalize();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                Path root = input.toAbsolutePath().normalize();
                String prefix = root.getFileName() == null ? "" : root.getFileName() + "/";
                try (Stream<Path> walk = Files.walk(root)) {
                    walk.filter(p -> !Files.isDirectory(p))
                            .filter(p -> excluded == null || !p.toAbsolutePath().normalize().startsWith(excluded))
                            .filter(p -> !hidden(root.relativize(p)))
                            .forEach(p -> files.add(new InputFile(p, prefix + root.relativize(p).toString().replace('\\', '/'))));
                }
            } else {
                // Kept even if missing or unreadable: the executor reports it as bad input instead of failing the run.
                files.add(new InputFile(input, input.getFileName().toString()));
            }
        }
        files.sort(Comparator.comparing(InputFile::source).thenComparing(f -> f.path().toString()));
        return files;
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) if (part.toString().startsWith(".")) return true;
        return false;
    }
}
