package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.balistreams.avro.BaliModelState;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Export/import, determinism and the refusal of updates that would corrupt the state. */
class ModelStateTest {

    /** A reproducible stream of regression batches (4 features). */
    private static final class RegressionStream {
        private final Rng rng;

        RegressionStream(final long seed) {
            rng = new Rng(seed);
        }

        double[][] x = new double[16][4];
        double[] y = new double[16];

        void next() {
            for (int n = 0; n < 16; n++) {
                for (int j = 0; j < 4; j++) {
                    x[n][j] = 10 * rng.nextGaussian() + j;
                }
                y[n] = 3 * Math.tanh(x[n][0] / 10) - x[n][1] * x[n][2] / 50 + 100 + rng.nextGaussian();
            }
        }
    }

    private static BaliConfig regressionConfig() {
        return BaliConfig.regression(4, 12, 8, 1).activations(Activation.TANH, Activation.RELU).batchSize(16)
                .effectiveMemory(400).monteCarloSamples(5).seed(123).build();
    }

    private static BaliConfig classificationConfig() {
        return BaliConfig.classification(3, 10, 4).activation(Activation.TANH).batchSize(8).dataScale(1000)
                .seed(5).build();
    }

    @Test
    void roundTripIsBitExactAndRestoredModelContinuesExactlyAsTheOriginal() {
        final BaliModel original = new BaliModel(regressionConfig());
        final RegressionStream stream = new RegressionStream(1);
        for (int t = 0; t < 10; t++) {
            stream.next();
            original.learn(stream.x, stream.y);
        }
        final byte[] saved = ModelStateCodec.encode(original);
        final BaliModel restored = ModelStateCodec.decode(saved);
        assertThat(ModelStateCodec.encode(restored)).isEqualTo(saved);
        assertThat(restored.config()).isEqualTo(original.config());
        assertThat(restored.step()).isEqualTo(10);

        final double[] probe = {1, 2, 3, 4};
        assertThat(restored.predict(probe)).usingRecursiveComparison().isEqualTo(original.predict(probe));
        assertThat(restored.predictMonteCarlo(probe)).usingRecursiveComparison().isEqualTo(original.predictMonteCarlo(probe));

        for (int t = 0; t < 10; t++) {
            stream.next();
            final UpdateResult a = original.learn(stream.x, stream.y);
            final UpdateResult b = restored.learn(stream.x, stream.y);
            assertThat(b).isEqualTo(a);
        }
        assertThat(ModelStateCodec.encode(restored)).isEqualTo(ModelStateCodec.encode(original));
        assertThat(Double.doubleToRawLongBits(restored.predictMonteCarlo(probe).mean()))
                .isEqualTo(Double.doubleToRawLongBits(original.predictMonteCarlo(probe).mean()));
    }

    @Test
    void freshModelRoundTripsBeforeAnyUpdate() {
        final BaliModel fresh = new BaliModel(classificationConfig());
        final BaliModel restored = ModelStateCodec.decode(ModelStateCodec.encode(fresh));
        final double[] probe = {0.1, -0.2, 0.3};
        assertThat(restored.classify(probe)).usingRecursiveComparison().isEqualTo(fresh.classify(probe));
        final double[][] x = {{1, 2, 3}, {3, 2, 1}, {0, 0, 1}, {1, 1, 1}, {2, 0, 2}, {0, 2, 0}, {1, 0, 0}, {0, 1, 1}};
        final int[] labels = {0, 1, 2, 3, 0, 1, 2, 3};
        fresh.learn(x, labels);
        restored.learn(x, labels);
        assertThat(ModelStateCodec.encode(restored)).isEqualTo(ModelStateCodec.encode(fresh));
    }

    @Test
    void stateSizeIsTheNaturalParametersPlusASmallHeader() {
        final BaliModel model = new BaliModel(regressionConfig());
        final int[] sizes = {4, 12, 8, 1};
        long doubles = 0;
        for (int l = 0; l < 3; l++) {
            final long p = sizes[l] + 1;
            final long q = sizes[l + 1];
            doubles += p * p + 2 * q * p + (l == 2 ? 0 : q * q);
        }
        doubles += 4 * 2 + 2; // standardisers
        final int bytes = ModelStateCodec.encode(model).length;
        assertThat(bytes).isBetween((int) (8 * doubles), (int) (8 * doubles) + 400);
    }

    @Test
    void sameConfigurationSeedAndDataGiveBitIdenticalStateWhateverWasPredictedInBetween() {
        final BaliModel a = new BaliModel(regressionConfig());
        final BaliModel b = new BaliModel(regressionConfig());
        final RegressionStream sa = new RegressionStream(9);
        final RegressionStream sb = new RegressionStream(9);
        final double[] probe = {0, 1, 0, 1};
        for (int t = 0; t < 15; t++) {
            sa.next();
            sb.next();
            a.learn(sa.x, sa.y);
            b.learn(sb.x, sb.y);
            if (t % 3 == 0) {
                b.predictMonteCarlo(probe); // draws weight samples; must not disturb anything
                b.predict(probe);
            }
        }
        assertThat(ModelStateCodec.encode(b)).isEqualTo(ModelStateCodec.encode(a));
        assertThat(b.predictMonteCarlo(probe)).usingRecursiveComparison().isEqualTo(a.predictMonteCarlo(probe));

        final BaliModel otherSeed = new BaliModel(regressionConfig().toBuilder().seed(124).build());
        final RegressionStream so = new RegressionStream(9);
        for (int t = 0; t < 15; t++) {
            so.next();
            otherSeed.learn(so.x, so.y);
        }
        assertThat(ModelStateCodec.encode(otherSeed)).isNotEqualTo(ModelStateCodec.encode(a));
    }

    @Test
    void updateThatWouldOverflowIsRejectedAndLeavesTheStateUntouched() {
        final BaliConfig config = regressionConfig().toBuilder().standardizeInputs(false).build();
        final BaliModel model = new BaliModel(config);
        final RegressionStream stream = new RegressionStream(4);
        for (int t = 0; t < 5; t++) {
            stream.next();
            assertThat(model.learn(stream.x, stream.y).accepted()).isTrue();
        }
        final byte[] before = ModelStateCodec.encode(model);
        final double[] probe = {1, 2, 3, 4};
        final RegressionPrediction predictionBefore = model.predict(probe);

        final double[][] huge = new double[16][];
        for (int n = 0; n < 16; n++) {
            huge[n] = new double[]{1e200, -1e200, 1e200, 1};
        }
        final UpdateResult result = model.learn(huge, stream.y);
        assertThat(result.accepted()).isFalse();
        assertThat(result.reason()).isNotBlank();
        assertThat(result.step()).isEqualTo(5);
        assertThat(ModelStateCodec.encode(model)).isEqualTo(before);
        assertThat(model.predict(probe)).usingRecursiveComparison().isEqualTo(predictionBefore);

        stream.next();
        assertThat(model.learn(stream.x, stream.y).accepted()).isTrue();
        assertThat(model.step()).isEqualTo(6);
    }

    @Test
    void corruptOrForeignBytesAreRefusedWithAClearError() {
        final byte[] good = ModelStateCodec.encode(new BaliModel(classificationConfig()));
        assertThatThrownBy(() -> ModelStateCodec.decode(new byte[]{1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a BALI model state");
        assertThatThrownBy(() -> ModelStateCodec.decode(Arrays.copyOf(good, good.length / 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a BALI model state");

        final BaliModelState state = ModelStateCodec.toRecord(new BaliModel(classificationConfig()));
        state.setFormatVersion(99);
        assertThatThrownBy(() -> ModelStateCodec.fromRecord(state)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format version 99");

        final BaliModelState wrongShape = ModelStateCodec.toRecord(new BaliModel(classificationConfig()));
        wrongShape.getLayers().get(0).setMean(wrongShape.getLayers().get(1).getMean());
        assertThatThrownBy(() -> ModelStateCodec.fromRecord(wrongShape)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("layer 1 M is 4x11, expected 10x4");

        final BaliModelState badConfig = ModelStateCodec.toRecord(new BaliModel(classificationConfig()));
        badConfig.getConfig().setBeta(1.5);
        assertThatThrownBy(() -> ModelStateCodec.fromRecord(badConfig)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("beta must be in (0, 1)");
    }
}
