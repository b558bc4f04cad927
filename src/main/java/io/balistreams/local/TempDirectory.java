package io.balistreams.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A fresh temporary directory that {@link #close()} deletes with everything in it: the embedded broker's
 * log directory and the state directories of {@code bali demo} and {@code bali bench}.
 */
public final class TempDirectory implements AutoCloseable {
    private final Path path;

    private TempDirectory(final Path path) {
        this.path = path;
    }

    /** Creates a new directory under the system's temporary folder, named {@code prefix} + a random suffix. */
    public static TempDirectory create(final String prefix) {
        try {
            return new TempDirectory(Files.createTempDirectory(prefix));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory " + prefix + "*", e);
        }
    }

    public Path path() {
        return path;
    }

    /** Deletes the directory tree; a file that cannot be deleted is left behind (it is temporary). */
    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(path)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (final IOException ignored) {
            // already gone, or unreadable: nothing more to do for a temporary directory
        }
    }
}
