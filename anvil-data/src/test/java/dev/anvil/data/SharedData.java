package dev.anvil.data;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shared data folder beside the repository ({@code ../shared/data}), as CI lays it out. */
public final class SharedData {
    private SharedData() {}

    public static Path dir() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) p = p.getParent();
        assumeTrue(p != null, "repository root not found");
        Path data = p.getParent().resolve("shared/data");
        assumeTrue(Files.isDirectory(data), "shared data folder not present at " + data);
        return data;
    }
}
