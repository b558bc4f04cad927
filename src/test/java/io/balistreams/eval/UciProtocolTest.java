package io.balistreams.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.balistreams.bali.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The pieces of the UCI protocol that choose its settings: the folds and the variance scale ρ. */
class UciProtocolTest {

    @Test
    void foldsPartitionTheRecordsIntoNearlyEqualParts() {
        final int[] fold = UciProtocol.foldAssignment(23, 5, new Rng(7));
        final int[] sizes = new int[5];
        for (final int f : fold) {
            assertThat(f).isBetween(0, 4);
            sizes[f]++;
        }
        // 23 = 5 + 5 + 5 + 4 + 4: every record in exactly one fold, sizes differing by at most one.
        assertThat(Arrays.stream(sizes).sum()).isEqualTo(23);
        assertThat(Arrays.stream(sizes).max().getAsInt() - Arrays.stream(sizes).min().getAsInt()).isLessThanOrEqualTo(1);
        assertThat(UciProtocol.foldAssignment(23, 5, new Rng(7))).isEqualTo(fold);
        assertThat(UciProtocol.foldAssignment(23, 5, new Rng(8))).isNotEqualTo(fold);
    }

    @Test
    void crossValidationTrainsTheFewestFirstFoldsThatHoldEnoughRecords() {
        // 23 records in folds of 5, 5, 5, 4 and 4: the first folds hold 5, 10, 15, 19 and 23 records
        final int[] fold = UciProtocol.foldAssignment(23, 5, new Rng(7));
        assertThat(UciProtocol.foldsToTrain(fold, 5, 1)).isEqualTo(1);
        assertThat(UciProtocol.foldsToTrain(fold, 5, 5)).isEqualTo(1);
        assertThat(UciProtocol.foldsToTrain(fold, 5, 6)).isEqualTo(2);
        assertThat(UciProtocol.foldsToTrain(fold, 5, 10)).isEqualTo(2);
        assertThat(UciProtocol.foldsToTrain(fold, 5, 11)).isEqualTo(3);
        assertThat(UciProtocol.foldsToTrain(fold, 5, 19)).isEqualTo(4);
        assertThat(UciProtocol.foldsToTrain(fold, 5, 20)).isEqualTo(5);
        // fewer records than asked for: every fold
        assertThat(UciProtocol.foldsToTrain(fold, 5, 1000)).isEqualTo(5);
        // Boston's 455 training records and Concrete's 927 train all five folds at the default
        final int dflt = UciProtocol.Settings.DEFAULT_OUT_OF_FOLD_RECORDS;
        assertThat(UciProtocol.foldsToTrain(UciProtocol.foldAssignment(455, 5, new Rng(1)), 5, dflt)).isEqualTo(5);
        assertThat(UciProtocol.foldsToTrain(UciProtocol.foldAssignment(927, 5, new Rng(1)), 5, dflt)).isEqualTo(5);
        // 9,000 training records: one fold of 1,800
        assertThat(UciProtocol.foldsToTrain(UciProtocol.foldAssignment(9000, 5, new Rng(1)), 5, dflt)).isEqualTo(1);
    }

    @Test
    void foldsNeedAtLeastTwoAndNoMoreThanTheRecords() {
        assertThatThrownBy(() -> UciProtocol.foldAssignment(10, 1, new Rng(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("folds");
        assertThatThrownBy(() -> UciProtocol.foldAssignment(3, 4, new Rng(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("folds");
    }

    @Test
    void varianceScaleOfOneGaussianIsTheMeanSquaredStandardisedResidual() {
        // One member with mean 0 and variance v_i: the log-likelihood Σ −½(log ρv_i + y_i²/(ρv_i)) is
        // maximised at ρ* = mean(y_i²/v_i). The grid is geometric with ratio 2^(9/90), so the chosen ρ
        // lies within that ratio of ρ*.
        final Rng rng = new Rng(11);
        final int n = 4000;
        final double[][] means = new double[n][1];
        final double[][] vars = new double[n][1];
        final double[] y = new double[n];
        double closedForm = 0;
        for (int i = 0; i < n; i++) {
            vars[i][0] = 0.5 + rng.nextDouble();
            y[i] = 3.0 * Math.sqrt(vars[i][0]) * rng.nextGaussian();
            closedForm += y[i] * y[i] / vars[i][0] / n;
        }
        final double chosen = commonScale(means, vars, y);
        final double gridRatio = Math.pow(2, 9.0 / 90);
        assertThat(closedForm).isBetween(8.0, 10.0);
        assertThat(chosen).isBetween(closedForm / gridRatio, closedForm * gridRatio);
    }

    @Test
    void varianceScaleOfAMixtureIsSmallerThanOfItsMeanAlone() {
        // Two members that disagree (means ±1) explain part of the spread by their disagreement, so the
        // mixture needs a smaller ρ than one Gaussian at their average for the same data.
        final Rng rng = new Rng(3);
        final int n = 2000;
        final double[][] mixMeans = new double[n][];
        final double[][] mixVars = new double[n][];
        final double[][] oneMean = new double[n][];
        final double[][] oneVar = new double[n][];
        final double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (rng.nextDouble() < 0.5 ? -1 : 1) + 0.5 * rng.nextGaussian();
            mixMeans[i] = new double[] {-1, 1};
            mixVars[i] = new double[] {0.25, 0.25};
            oneMean[i] = new double[] {0};
            oneVar[i] = new double[] {0.25};
        }
        final double mixture = commonScale(mixMeans, mixVars, y);
        final double single = commonScale(oneMean, oneVar, y);
        assertThat(mixture).isBetween(0.85, 1.2);
        // One Gaussian must absorb the ±1 spread: ρ ≈ (1 + 0.25)/0.25 = 5.
        assertThat(single).isBetween(4.4, 5.6);
    }

    @Test
    void separateScalesRecoverTheNoiseAndEpistemicFactorsOfTheData() {
        // y_i ~ N(0, 2·σ²_i + 4·v_i) with σ²_i = 1 and v_i spread over [0.1, 5]: the pair (2, 4) maximises the
        // expected log-likelihood; with 6,000 records the grid's choice lies within a step or two of it.
        final Rng rng = new Rng(5);
        final int n = 6_000;
        final double[][] means = new double[n][1];
        final double[][] noise = new double[n][1];
        final double[][] epistemic = new double[n][1];
        final double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            noise[i][0] = 1.0;
            epistemic[i][0] = 0.1 + 4.9 * rng.nextDouble();
            y[i] = Math.sqrt(2 * noise[i][0] + 4 * epistemic[i][0]) * rng.nextGaussian();
        }
        final double[] separate = UciProtocol.bestVarianceScales(means, noise, epistemic, y, true);
        assertThat(separate[0]).isBetween(2 / 1.5, 2 * 1.5);
        assertThat(separate[1]).isBetween(4 / 1.25, 4 * 1.25);
        final double[] common = UciProtocol.bestVarianceScales(means, noise, epistemic, y, false);
        assertThat(common[0]).isEqualTo(common[1]);
        // one factor for σ² + v cannot be 2 for one part and 4 for the other: it lands in between
        assertThat(common[0]).isBetween(2.0, 4.0);
    }

    /** The common ρ for variances given whole (no epistemic part). */
    private static double commonScale(final double[][] means, final double[][] vars, final double[] y) {
        return UciProtocol.bestVarianceScales(means, vars, new double[vars.length][vars[0].length], y, false)[0];
    }

    @Test
    void splitsRunOnSeveralThreadsGiveTheSameResultsAsOneAfterTheOther(@org.junit.jupiter.api.io.TempDir
                                                                        final java.nio.file.Path dir)
            throws java.io.IOException {
        // 80 records, y = x0 − 2 x1 + noise; 3 splits of 60 training and 20 test records
        final io.balistreams.bali.Rng rng = new io.balistreams.bali.Rng(4);
        final StringBuilder data = new StringBuilder();
        for (int i = 0; i < 80; i++) {
            final double a = rng.nextGaussian();
            final double b = rng.nextGaussian();
            data.append(a).append(' ').append(b).append(' ').append(a - 2 * b + 0.3 * rng.nextGaussian()).append('\n');
        }
        java.nio.file.Files.writeString(dir.resolve("data.txt"), data);
        java.nio.file.Files.writeString(dir.resolve("index_features.txt"), "0\n1\n");
        java.nio.file.Files.writeString(dir.resolve("index_target.txt"), "2\n");
        java.nio.file.Files.writeString(dir.resolve("n_splits.txt"), "3\n");
        for (int s = 0; s < 3; s++) {
            final StringBuilder train = new StringBuilder();
            final StringBuilder test = new StringBuilder();
            for (int i = 0; i < 80; i++) {
                ((i + s) % 4 == 0 ? test : train).append(i).append('\n');
            }
            java.nio.file.Files.writeString(dir.resolve("index_train_" + s + ".txt"), train);
            java.nio.file.Files.writeString(dir.resolve("index_test_" + s + ".txt"), test);
        }
        final UciDataset set = UciDataset.read(dir);
        final UciProtocol.Settings settings = new UciProtocol.Settings(4, io.balistreams.bali.Activation.TANH,
                java.util.List.of(2, 4), 16, 0.9, 1.0, 1.0, 2, 2, true, true, 3);
        final java.util.List<Integer> reported = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        final UciProtocol.Result serial = UciProtocol.run(set, 3, settings, 1, null);
        final UciProtocol.Result parallel = UciProtocol.run(set, 3, settings, 2, reported::add);
        assertThat(parallel.threads()).isEqualTo(2);
        assertThat(reported).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(parallel.splits()).hasSize(3);
        for (int s = 0; s < 3; s++) {
            final UciProtocol.SplitResult a = serial.splits().get(s);
            final UciProtocol.SplitResult b = parallel.splits().get(s);
            assertThat(b.split()).isEqualTo(s);
            assertThat(b.rmse()).isEqualTo(a.rmse());
            assertThat(b.logLikelihood()).isEqualTo(a.logLikelihood());
            assertThat(b.epochs()).isEqualTo(a.epochs());
            assertThat(b.noiseScale()).isEqualTo(a.noiseScale());
            assertThat(b.epistemicScale()).isEqualTo(a.epistemicScale());
        }
        assertThat(Arrays.stream(serial.rmse()).allMatch(r -> r > 0.1 && r < 2.0)).as("RMSE of every split").isTrue();
    }
}
