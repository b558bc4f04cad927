package io.balistreams.eval;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader of IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed: a file whose first two
 * bytes are the gzip magic {@code 0x1f 0x8b} is decompressed, any other is read as is.
 *
 * <p>Layout (all integers big-endian 32-bit):
 * <ul>
 *   <li>images: magic {@value #IMAGE_MAGIC} ({@code 0x00000803}: unsigned bytes, 3 dimensions), count,
 *       rows, columns, then count·rows·columns unsigned bytes, image after image in row-major order;</li>
 *   <li>labels: magic {@value #LABEL_MAGIC} ({@code 0x00000801}: unsigned bytes, 1 dimension), count, then
 *       count unsigned bytes.</li>
 * </ul>
 * Reading the whole file also requires that nothing follows the announced records; the {@code maxCount}
 * overloads read only the first records and ignore the rest.
 *
 * <p>Every problem — missing or unreadable file, corrupt gzip data, wrong magic, impossible dimensions,
 * data ending before the announced records, trailing bytes — is a {@link DataFormatException} whose
 * message names the file and what was expected.
 */
public final class IdxReader {
    /** Magic number of an IDX file of unsigned-byte images (3 dimensions). */
    public static final int IMAGE_MAGIC = 2051;
    /** Magic number of an IDX file of unsigned-byte labels (1 dimension). */
    public static final int LABEL_MAGIC = 2049;

    private IdxReader() {
    }

    /**
     * Reads all images of an IDX image file.
     *
     * @return count × (rows·columns) pixel values, each unsigned byte divided by 255.0 (so in [0, 1]),
     *         pixels of an image in row-major order
     * @throws DataFormatException if the file cannot be read as an IDX image file
     */
    public static double[][] readImages(final Path file) {
        return images(file, Integer.MAX_VALUE, true);
    }

    /**
     * Reads the first {@code min(maxCount, count)} images of an IDX image file, as {@link #readImages(Path)}.
     *
     * @throws IllegalArgumentException if {@code maxCount < 0}
     * @throws DataFormatException      if the header is invalid or the file ends before those images
     */
    public static double[][] readImages(final Path file, final int maxCount) {
        checkMaxCount(maxCount);
        return images(file, maxCount, false);
    }

    /**
     * Reads all labels of an IDX label file.
     *
     * @return one label per record, the unsigned byte value in 0..255
     * @throws DataFormatException if the file cannot be read as an IDX label file
     */
    public static int[] readLabels(final Path file) {
        return labels(file, Integer.MAX_VALUE, true);
    }

    /**
     * Reads the first {@code min(maxCount, count)} labels of an IDX label file, as {@link #readLabels(Path)}.
     *
     * @throws IllegalArgumentException if {@code maxCount < 0}
     * @throws DataFormatException      if the header is invalid or the file ends before those labels
     */
    public static int[] readLabels(final Path file, final int maxCount) {
        checkMaxCount(maxCount);
        return labels(file, maxCount, false);
    }

    private static void checkMaxCount(final int maxCount) {
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must be >= 0, got " + maxCount);
        }
    }

    private static double[][] images(final Path file, final int maxCount, final boolean whole) {
        try (DataInputStream in = open(file)) {
            final int count = header(file, in, IMAGE_MAGIC, "images", 16);
            final int rows = dimension(file, in, "rows");
            final int cols = dimension(file, in, "columns");
            if ((long) rows * cols > Integer.MAX_VALUE - 8) {
                throw DataFormatException.inFile(file, "image size " + rows + "×" + cols + " is too large");
            }
            final int pixels = rows * cols;
            final int n = Math.min(count, maxCount);
            final List<double[]> images = new ArrayList<>(Math.min(n, 1 << 16));
            final byte[] buffer = new byte[pixels];
            for (int i = 0; i < n; i++) {
                final int got = in.readNBytes(buffer, 0, pixels);
                if (got < pixels) {
                    throw DataFormatException.inFile(file, "truncated: the header announces " + count + " images of "
                            + rows + "×" + cols + " bytes, but the data ends inside image " + i + " (0-based)");
                }
                final double[] image = new double[pixels];
                for (int j = 0; j < pixels; j++) {
                    image[j] = (buffer[j] & 0xff) / 255.0;
                }
                images.add(image);
            }
            if (whole && in.read() != -1) {
                throw DataFormatException.inFile(file, "unexpected bytes after the " + count
                        + " images announced by the header");
            }
            return images.toArray(new double[0][]);
        } catch (final IOException e) {
            throw ioFailure(file, e);
        }
    }

    private static int[] labels(final Path file, final int maxCount, final boolean whole) {
        try (DataInputStream in = open(file)) {
            final int count = header(file, in, LABEL_MAGIC, "labels", 8);
            final int n = Math.min(count, maxCount);
            final byte[] bytes = in.readNBytes(n);
            if (bytes.length < n) {
                throw DataFormatException.inFile(file, "truncated: the header announces " + count
                        + " labels, but the data ends after " + bytes.length);
            }
            if (whole && in.read() != -1) {
                throw DataFormatException.inFile(file, "unexpected bytes after the " + count
                        + " labels announced by the header");
            }
            final int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = bytes[i] & 0xff;
            }
            return labels;
        } catch (final IOException e) {
            throw ioFailure(file, e);
        }
    }

    private static DataInputStream open(final Path file) {
        try {
            final BufferedInputStream buffered = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            buffered.mark(2);
            final int b0 = buffered.read();
            final int b1 = buffered.read();
            buffered.reset();
            final InputStream in = b0 == 0x1f && b1 == 0x8b
                    ? new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16)
                    : buffered;
            return new DataInputStream(in);
        } catch (final IOException e) {
            throw ioFailure(file, e);
        }
    }

    /** Reads and checks the magic number and the record count. */
    private static int header(final Path file, final DataInputStream in, final int magic, final String what,
                              final int headerBytes) throws IOException {
        final int found;
        final int count;
        try {
            found = in.readInt();
            if (found != magic) {
                final String hint = found == IMAGE_MAGIC ? " (an image file?)"
                        : found == LABEL_MAGIC ? " (a label file?)" : "";
                throw DataFormatException.inFile(file, "expected IDX " + what + " magic " + magic + " (0x"
                        + String.format("%08x", magic) + "), found " + found + " (0x" + String.format("%08x", found)
                        + ")" + hint);
            }
            count = in.readInt();
        } catch (final EOFException e) {
            throw DataFormatException.inFile(file, "truncated header: expected " + headerBytes
                    + " bytes for an IDX " + what + " header");
        }
        if (count < 0) {
            throw DataFormatException.inFile(file, "negative record count " + count + " in the IDX header");
        }
        return count;
    }

    private static int dimension(final Path file, final DataInputStream in, final String what) throws IOException {
        final int value;
        try {
            value = in.readInt();
        } catch (final EOFException e) {
            throw DataFormatException.inFile(file, "truncated header: expected 16 bytes for an IDX images header");
        }
        if (value < 1) {
            throw DataFormatException.inFile(file, "number of " + what + " must be >= 1, the header says " + value);
        }
        return value;
    }

    private static DataFormatException ioFailure(final Path file, final IOException e) {
        if (e instanceof NoSuchFileException) {
            return new DataFormatException(file + ": file not found", e);
        }
        if (e instanceof ZipException || e instanceof EOFException) {
            return new DataFormatException(file + ": corrupt or truncated gzip data: " + e.getMessage(), e);
        }
        return new DataFormatException(file + ": cannot read: " + e, e);
    }
}
