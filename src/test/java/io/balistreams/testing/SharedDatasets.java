package io.balistreams.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the shared real data sets (../shared/datasets, or the system property {@code bali.datasets}
 * that the build sets). Tests that need them are skipped, with a message saying where they looked, in
 * a clone without them; in CI they are present and the tests run.
 */
public final class SharedDatasets {
    private SharedDatasets() {
    }

    /** The path of a file or folder under the datasets root; skips the calling test if it is absent. */
    public static Path require(final String... parts) {
        final Path path = Path.of(System.getProperty("bali.datasets", "../shared/datasets"), parts);
        Assumptions.assumeTrue(Files.exists(path),
                "shared dataset " + path.toAbsolutePath() + " not found: test skipped (it runs where ../shared/datasets exists)");
        return path;
    }
}
