package io.balistreams.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The UCI BNN benchmark layout: a small fixture, malformed variants of it, and the real Boston housing. */
class UciDatasetTest {
    @TempDir
    Path tmp;
    private Path dir;

    /** 5 records × 3 columns; features are columns 2 and 0 (in that order), the target column 1. */
    @BeforeEach
    void writeFixture() throws IOException {
        dir = Files.createDirectory(tmp.resolve("tiny"));
        write("data.txt", " 1.0  10   100\n2.0\t20\t200 \n3.0 30 300\n4.0 40 400\n5.0 50 500\n\n");
        write("index_features.txt", "2.0\n0.0\n");
        write("index_target.txt", "1\n");
        write("n_splits.txt", "2\n");
        write("index_train_0.txt", "0\n1\n2\n");
        write("index_test_0.txt", "3\n4\n");
        write("index_train_1.txt", "4 3\n2\n");
        write("index_test_1.txt", "0.0 1.0\n");
    }

    private void write(final String name, final String content) throws IOException {
        Files.writeString(dir.resolve(name), content);
    }

    private String file(final String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void readsTheFixture() {
        final UciDataset data = UciDataset.read(dir);
        assertThat(data.name()).isEqualTo("tiny");
        assertThat(data.rows()).isEqualTo(5);
        assertThat(data.numFeatures()).isEqualTo(2);
        assertThat(data.features()).isDeepEqualTo(new double[][] {
            {100, 1}, {200, 2}, {300, 3}, {400, 4}, {500, 5}});
        assertThat(data.targets()).containsExactly(10, 20, 30, 40, 50);
        assertThat(data.numSplits()).isEqualTo(2);
        assertThat(data.trainIndices(0)).containsExactly(0, 1, 2);
        assertThat(data.testIndices(0)).containsExactly(3, 4);
        assertThat(data.trainIndices(1)).containsExactly(4, 3, 2);
        assertThat(data.testIndices(1)).containsExactly(0, 1);
        // Copies: changing them does not change the data set.
        data.features()[0][0] = -1;
        data.trainIndices(0)[0] = 99;
        assertThat(data.features()[0][0]).isEqualTo(100);
        assertThat(data.trainIndices(0)[0]).isZero();
        assertThatThrownBy(() -> data.testIndices(2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("split 2 out of range 0..1");
    }

    @Test
    void wrongColumnCountNamesFileAndLine() throws IOException {
        write("data.txt", "1 10 100\n2 20 200\n3 30\n4 40 400\n5 50 500\n");
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(file("data.txt") + " line 3: expected 3 numbers")
                .hasMessageContaining("found 2");
    }

    @Test
    void nonNumberNamesFileAndLine() throws IOException {
        write("data.txt", "1 10 100\n2 abc 200\n3 30 300\n4 40 400\n5 50 500\n");
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessage(file("data.txt") + " line 2: field 2: 'abc' is not a number");
    }

    @Test
    void rowIndexOutOfRangeNamesFileAndLine() throws IOException {
        write("index_test_1.txt", "0\n5\n");
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(file("index_test_1.txt") + " line 2: row 5 out of range 0..4");
    }

    @Test
    void columnIndexOutOfRangeAndFractionalIndexAreErrors() throws IOException {
        write("index_features.txt", "0 3\n");
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(file("index_features.txt") + " line 1: column 3 out of range 0..2");
        write("index_features.txt", "0\n1.5\n");
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessage(file("index_features.txt") + " line 2: '1.5' is not a whole number");
    }

    @Test
    void overlappingTrainAndTestIsAnError() throws IOException {
        write("index_test_0.txt", "3\n4\n1\n");
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessage(file("index_test_0.txt") + " line 3: row 1 is also in index_train_0.txt");
    }

    @Test
    void targetAmongFeaturesIsAnError() throws IOException {
        write("index_target.txt", "0\n");
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessage(file("index_target.txt") + " line 1: target column 0 is also listed in index_features.txt");
    }

    @Test
    void missingFileIsNamed() throws IOException {
        Files.delete(dir.resolve("index_train_1.txt"));
        assertThatThrownBy(() -> UciDataset.read(dir)).isInstanceOf(DataFormatException.class)
                .hasMessage(file("index_train_1.txt") + ": file not found");
        assertThatThrownBy(() -> UciDataset.read(tmp.resolve("nowhere"))).isInstanceOf(DataFormatException.class)
                .hasMessage(tmp.resolve("nowhere") + ": directory not found");
    }

    @Test
    void readsTheRealBostonHousing() {
        final Path boston = Path.of(System.getProperty("bali.datasets", "../shared/datasets"), "uci", "bostonHousing");
        Assumptions.assumeTrue(Files.isDirectory(boston),
                "shared datasets not found at " + boston.toAbsolutePath() + ": skipped");
        final UciDataset data = UciDataset.read(boston);
        assertThat(data.name()).isEqualTo("bostonHousing");
        assertThat(data.rows()).isEqualTo(506);
        assertThat(data.numFeatures()).isEqualTo(13);
        assertThat(data.numSplits()).isEqualTo(20);
        // First record: CRIM 0.00632 … LSTAT 4.98, MEDV 24.00.
        assertThat(data.features()[0][0]).isEqualTo(0.00632);
        assertThat(data.features()[0][12]).isEqualTo(4.98);
        assertThat(data.targets()[0]).isEqualTo(24.0);
        final int[] train = data.trainIndices(0);
        final int[] test = data.testIndices(0);
        assertThat(train.length + test.length).isEqualTo(506);
        final boolean[] seen = new boolean[506];
        for (final int r : train) {
            seen[r] = true;
        }
        for (final int r : test) {
            assertThat(seen[r]).as("row %d in both train and test", r).isFalse();
            seen[r] = true;
        }
        for (int r = 0; r < 506; r++) {
            assertThat(seen[r]).as("row %d covered", r).isTrue();
        }
    }
}
