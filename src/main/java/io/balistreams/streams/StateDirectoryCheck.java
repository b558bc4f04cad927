package io.balistreams.streams;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The service's local state directory ({@code state.dir}) as an operator sees it: whether it can be written before
 * anything starts, and what a failure of the stream threads that came from the disk (full, read-only, gone) means.
 * Kafka Streams says either as "base state directory [...] doesn't exist and couldn't be created" or as a RocksDB
 * error two causes down; the operator needs the directory, the reason and that a restart recovers.
 */
public final class StateDirectoryCheck {
    private StateDirectoryCheck() {
    }

    /**
     * Creates {@code directory} if needed and writes and deletes a small file in it.
     *
     * @throws IllegalStateException if that fails: "the state directory D cannot be written: REASON (…)"
     */
    public static void requireWritable(final Path directory) {
        try {
            Files.createDirectories(directory);
            final Path probe = Files.createTempFile(directory, ".bali-write-check-", ".tmp");
            try {
                Files.write(probe, new byte[]{1});
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (final IOException e) {
            throw new IllegalStateException("the state directory " + directory + " cannot be written: " + reason(e)
                    + " (state.dir must be a directory this user can write, on a disk with free space; the service "
                    + "keeps its models there and restores them from Kafka when it is empty)", e);
        }
    }

    /**
     * What a failure of the service means if it came from writing to the state directory (a RocksDB or file error
     * such as "No space left on device" or "Read-only file system"): one line that names the directory, the reason,
     * and what a restart does; empty if the failure has another cause.
     */
    public static Optional<String> explain(final Throwable failure, final Path directory) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            final String message = String.valueOf(t.getMessage());
            final String lower = message.toLowerCase(Locale.ROOT);
            if (t instanceof org.rocksdb.RocksDBException || t instanceof IOException) {
                for (final String known : new String[]{"no space left on device", "read-only file system",
                        "permission denied", "disk quota exceeded"}) {
                    if (lower.contains(known)) {
                        return Optional.of("the state directory " + directory + " could not be written ("
                                + known + ": " + message + "); the service stopped without committing the work in "
                                + "progress. Free space or fix the directory and start it again: it restores its state "
                                + "from the changelog topics and continues exactly once");
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String reason(final IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason().toLowerCase(Locale.ROOT);
        }
        return String.valueOf(e.getMessage());
    }
}
