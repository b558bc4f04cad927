package io.balistreams.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX images and labels, raw and gzip, written here and read back; malformed files; real Fashion-MNIST. */
class IdxReaderTest {
    /** Three 2×3 images. */
    private static final int[][] PIXELS = {
        {0, 255, 128, 1, 2, 3},
        {10, 20, 30, 40, 50, 60},
        {255, 254, 0, 0, 127, 200}};
    private static final int[] LABELS = {7, 0, 255};

    @TempDir
    Path tmp;

    private static byte[] images(final int count, final int rows, final int cols, final int[][] pixels) {
        final ByteBuffer b = ByteBuffer.allocate(16 + pixels.length * rows * cols);
        b.putInt(2051).putInt(count).putInt(rows).putInt(cols);
        for (final int[] image : pixels) {
            for (final int p : image) {
                b.put((byte) p);
            }
        }
        return b.array();
    }

    private static byte[] labels(final int[] values) {
        final ByteBuffer b = ByteBuffer.allocate(8 + values.length);
        b.putInt(2049).putInt(values.length);
        for (final int v : values) {
            b.put((byte) v);
        }
        return b.array();
    }

    private static byte[] gzip(final byte[] raw) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(final String name, final byte[] content) throws IOException {
        return Files.write(tmp.resolve(name), content);
    }

    private static void assertImages(final double[][] read, final int count) {
        assertThat(read).hasNumberOfRows(count);
        for (int i = 0; i < count; i++) {
            assertThat(read[i]).hasSize(6);
            for (int j = 0; j < 6; j++) {
                assertThat(read[i][j]).isCloseTo(PIXELS[i][j] / 255.0, offset(0.0));
            }
        }
    }

    @Test
    void readsRawAndGzipFiles() throws IOException {
        final byte[] rawImages = images(3, 2, 3, PIXELS);
        final byte[] rawLabels = labels(LABELS);
        for (final boolean compressed : new boolean[] {false, true}) {
            final String suffix = compressed ? ".gz" : "";
            final Path imageFile = write("images" + suffix, compressed ? gzip(rawImages) : rawImages);
            final Path labelFile = write("labels" + suffix, compressed ? gzip(rawLabels) : rawLabels);
            final double[][] read = IdxReader.readImages(imageFile);
            assertImages(read, 3);
            assertThat(read[0][1]).isEqualTo(1.0);
            assertThat(read[0][2]).isEqualTo(128 / 255.0);
            assertThat(IdxReader.readLabels(labelFile)).containsExactly(7, 0, 255);
            assertImages(IdxReader.readImages(imageFile, 2), 2);
            assertThat(IdxReader.readImages(imageFile, 10)).hasNumberOfRows(3);
            assertThat(IdxReader.readImages(imageFile, 0)).isEmpty();
            assertThat(IdxReader.readLabels(labelFile, 1)).containsExactly(7);
        }
    }

    @Test
    void wrongMagicNamesTheFileAndTheExpectedMagic() throws IOException {
        final Path labelFile = write("labels", labels(LABELS));
        assertThatThrownBy(() -> IdxReader.readImages(labelFile)).isInstanceOf(DataFormatException.class)
                .hasMessage(labelFile + ": expected IDX images magic 2051 (0x00000803), found 2049 (0x00000801)"
                        + " (a label file?)");
        final Path imageFile = write("images.gz", gzip(images(3, 2, 3, PIXELS)));
        assertThatThrownBy(() -> IdxReader.readLabels(imageFile)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(imageFile + ": expected IDX labels magic 2049");
        final Path text = write("notes.txt", "hello, world".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> IdxReader.readImages(text)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(text + ": expected IDX images magic 2051");
    }

    @Test
    void truncatedFilesNameTheFile() throws IOException {
        final byte[] full = images(3, 2, 3, PIXELS);
        final Path cut = write("cut", Arrays.copyOf(full, full.length - 3));
        assertThatThrownBy(() -> IdxReader.readImages(cut)).isInstanceOf(DataFormatException.class)
                .hasMessage(cut + ": truncated: the header announces 3 images of 2×3 bytes,"
                        + " but the data ends inside image 2 (0-based)");
        // The first two images are complete, so a limited read succeeds.
        assertImages(IdxReader.readImages(cut, 2), 2);

        final Path header = write("header", Arrays.copyOf(full, 10));
        assertThatThrownBy(() -> IdxReader.readImages(header)).isInstanceOf(DataFormatException.class)
                .hasMessage(header + ": truncated header: expected 16 bytes for an IDX images header");

        final Path shortLabels = write("labels", Arrays.copyOf(labels(LABELS), 9));
        assertThatThrownBy(() -> IdxReader.readLabels(shortLabels)).isInstanceOf(DataFormatException.class)
                .hasMessage(shortLabels + ": truncated: the header announces 3 labels, but the data ends after 1");

        final byte[] compressed = gzip(full);
        final Path cutGzip = write("cut.gz", Arrays.copyOf(compressed, compressed.length / 2));
        assertThatThrownBy(() -> IdxReader.readImages(cutGzip)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(cutGzip.toString());

        final Path trailing = write("trailing", Arrays.copyOf(full, full.length + 1));
        assertThatThrownBy(() -> IdxReader.readImages(trailing)).isInstanceOf(DataFormatException.class)
                .hasMessage(trailing + ": unexpected bytes after the 3 images announced by the header");

        final Path missing = tmp.resolve("missing.gz");
        assertThatThrownBy(() -> IdxReader.readLabels(missing)).isInstanceOf(DataFormatException.class)
                .hasMessage(missing + ": file not found");
    }

    @Test
    void readsTheRealFashionMnistTestSet() {
        final Path dir = Path.of(System.getProperty("bali.datasets", "../shared/datasets"), "fashion-mnist");
        final Path imageFile = dir.resolve("t10k-images-idx3-ubyte.gz");
        final Path labelFile = dir.resolve("t10k-labels-idx1-ubyte.gz");
        Assumptions.assumeTrue(Files.isRegularFile(imageFile) && Files.isRegularFile(labelFile),
                "shared datasets not found at " + dir.toAbsolutePath() + ": skipped");
        final double[][] images = IdxReader.readImages(imageFile);
        final int[] labels = IdxReader.readLabels(labelFile);
        assertThat(images).hasNumberOfRows(10_000);
        double max = 0;
        for (final double[] image : images) {
            assertThat(image).hasSize(784);
            for (final double p : image) {
                assertThat(p).isBetween(0.0, 1.0);
                max = Math.max(max, p);
            }
        }
        assertThat(max).isEqualTo(1.0);
        // Pixel sum of the first image: 33,456 / 255.
        assertThat(Arrays.stream(images[0]).sum()).isCloseTo(33_456 / 255.0, offset(1e-9));
        assertThat(labels).hasSize(10_000);
        assertThat(Arrays.copyOf(labels, 5)).containsExactly(9, 2, 1, 1, 6);
        final int[] perClass = new int[10];
        for (final int k : labels) {
            assertThat(k).isBetween(0, 9);
            perClass[k]++;
        }
        assertThat(perClass).containsOnly(1000);
    }
}
