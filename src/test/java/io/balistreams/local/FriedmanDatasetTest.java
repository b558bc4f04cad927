package io.balistreams.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.eval.UciDataset;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Friedman data set in the UCI layout: readable by the protocol's reader, with the documented target. */
class FriedmanDatasetTest {

    @Test
    void writesAUciSetThatTheReaderTakesWithTheFormulasTargetsAndDisjointSplits(@TempDir final Path dir) {
        FriedmanDataset.write(dir, 200, 3, 5);
        final UciDataset data = UciDataset.read(dir);
        assertThat(data.rows()).isEqualTo(200);
        assertThat(data.numFeatures()).isEqualTo(FriedmanDataset.FEATURES);
        assertThat(data.numSplits()).isEqualTo(3);
        // the noise is N(0, 1): the residuals of the formula have mean ≈ 0 and variance ≈ 1
        final double[] residuals = IntStream.range(0, 200)
                .mapToDouble(i -> data.targets()[i] - FriedmanDataset.mean(data.features()[i])).toArray();
        final double mean = Arrays.stream(residuals).average().orElseThrow();
        final double variance = Arrays.stream(residuals).map(r -> (r - mean) * (r - mean)).sum() / 199;
        assertThat(mean).isCloseTo(0.0, within(0.25));
        assertThat(variance).isCloseTo(1.0, within(0.3));
        assertThat(Arrays.stream(data.features()).flatMapToDouble(Arrays::stream).allMatch(v -> v >= 0 && v < 1))
                .isTrue();
        for (int s = 0; s < 3; s++) {
            final int[] train = data.trainIndices(s);
            final int[] test = data.testIndices(s);
            assertThat(test).hasSize(20);
            assertThat(train).hasSize(180);
            assertThat(IntStream.concat(Arrays.stream(train), Arrays.stream(test)).sorted().toArray())
                    .isEqualTo(IntStream.range(0, 200).toArray());
        }
        assertThat(data.testIndices(0)).isNotEqualTo(data.testIndices(1));
        assertThat(FriedmanDataset.mean(new double[] {0.5, 1, 0.5, 1, 1, 0, 0, 0, 0, 0})).isCloseTo(25.0, within(1e-12));
        assertThatThrownBy(() -> FriedmanDataset.write(dir, 5, 1, 1)).hasMessageContaining("at least 10 records");
    }
}
