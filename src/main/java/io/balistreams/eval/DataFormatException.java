package io.balistreams.eval;

import java.nio.file.Path;

/**
 * A data file that cannot be read as the format it should have: missing, unreadable, truncated, or with
 * content that does not fit the layout. Thrown by every reader of this package ({@link UciDataset},
 * {@link CsvTable}, {@link IdxReader}).
 *
 * <p>The message always names the file, then — when the problem sits on a particular line of a text
 * file — the 1-based line number, then the problem, e.g.
 * {@code .../bostonHousing/data.txt line 17: expected 14 numbers, found 13}.
 */
public final class DataFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message the complete message: file, line where relevant, and problem */
    public DataFormatException(final String message) {
        super(message);
    }

    /**
     * @param message the complete message: file, line where relevant, and problem
     * @param cause   the underlying failure (an I/O error, a number format error, …)
     */
    public DataFormatException(final String message, final Throwable cause) {
        super(message, cause);
    }

    /** A problem with a file as a whole: message {@code "<file>: <problem>"}. */
    static DataFormatException inFile(final Path file, final String problem) {
        return new DataFormatException(file + ": " + problem);
    }

    /** A problem on one line of a text file: message {@code "<file> line <line>: <problem>"}. */
    static DataFormatException atLine(final Path file, final long line, final String problem) {
        return new DataFormatException(file + " line " + line + ": " + problem);
    }
}
