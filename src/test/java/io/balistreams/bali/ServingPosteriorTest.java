package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.balistreams.avro.ModelPosterior;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The serving posterior (docs/method.md §5, docs/state-format.md): bit-identical closed-form predictions,
 * before and after the Avro round trip, immutability, thread safety, size, and the refusal of bad records.
 */
class ServingPosteriorTest {
    private static final int PROBES = 300;

    // ---------------------------------------------------------------------------------------------
    // Networks and data (fixed seeds)

    private static BaliConfig regressionReluTwoHidden() {
        return BaliConfig.regression(8, 64, 64, 1).activations(Activation.RELU, Activation.RELU).batchSize(16)
                .effectiveMemory(500).seed(11).build();
    }

    private static BaliConfig regressionTanhRelu() {
        return BaliConfig.regression(4, 12, 8, 1).activations(Activation.TANH, Activation.RELU).batchSize(16)
                .effectiveMemory(400).monteCarloSamples(5).seed(123).build();
    }

    /** No standardisation and a fixed noise: the posterior holds no standardiser at all. */
    private static BaliConfig regressionRaw() {
        return BaliConfig.regression(4, 16, 1).activation(Activation.TANH).batchSize(16).dataScale(2000)
                .fixedNoiseVariance(0.25).standardizeInputs(false).standardizeTargets(false).seed(3).build();
    }

    private static BaliConfig classificationReluTwoHidden() {
        return BaliConfig.classification(3, 32, 32, 2).activations(Activation.RELU, Activation.RELU).batchSize(16)
                .effectiveMemory(500).monteCarloSamples(20).seed(7).build();
    }

    private static BaliConfig classificationTanh() {
        return BaliConfig.classification(3, 10, 4).activation(Activation.TANH).batchSize(8).dataScale(1000).seed(5)
                .build();
    }

    private static BaliConfig classificationMnistShape() {
        return BaliConfig.classification(784, 128, 10).activation(Activation.RELU).batchSize(32).effectiveMemory(2000)
                .seed(19).build();
    }

    private static double[][] inputs(final Rng rng, final int n, final int d, final double scale) {
        final double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = scale * rng.nextGaussian() + j;
            }
        }
        return x;
    }

    private static double target(final double[] x) {
        double s = 0;
        for (int j = 0; j < x.length; j++) {
            s += Math.sin(x[j] + j) * (j % 3 - 1);
        }
        return 50 + 4 * s + x[0] * x[x.length - 1] / 10;
    }

    private static int label(final double[] x, final int k) {
        double s = 0;
        for (int j = 0; j < x.length; j++) {
            s += (j % 2 == 0 ? 1 : -1) * x[j];
        }
        return Math.floorMod((int) Math.floor(s / 2), k);
    }

    /** A regression model after {@code batches} accepted updates on a fixed stream. */
    private static BaliModel trainedRegression(final BaliConfig config, final int batches, final long seed) {
        final BaliModel model = new BaliModel(config);
        learnRegression(model, batches, new Rng(seed));
        return model;
    }

    private static void learnRegression(final BaliModel model, final int batches, final Rng rng) {
        final int d = model.config().inputSize();
        for (int t = 0; t < batches; t++) {
            final double[][] x = inputs(rng, model.config().batchSize(), d, 3);
            final double[] y = new double[x.length];
            for (int n = 0; n < x.length; n++) {
                y[n] = target(x[n]) + rng.nextGaussian();
            }
            assertThat(model.learn(x, y).accepted()).isTrue();
        }
    }

    private static BaliModel trainedClassifier(final BaliConfig config, final int batches, final long seed) {
        final BaliModel model = new BaliModel(config);
        learnClassifier(model, batches, new Rng(seed));
        return model;
    }

    private static void learnClassifier(final BaliModel model, final int batches, final Rng rng) {
        final int d = model.config().inputSize();
        final int k = model.config().numClasses();
        for (int t = 0; t < batches; t++) {
            final double[][] x = inputs(rng, model.config().batchSize(), d, 3);
            final int[] labels = new int[x.length];
            for (int n = 0; n < x.length; n++) {
                labels[n] = label(x[n], k);
            }
            assertThat(model.learn(x, labels).accepted()).isTrue();
        }
    }

    /** In-distribution probes, and far-out ones (×30) where ReLU/tanh saturate and the leverage is large. */
    private static double[][] probes(final int d, final long seed) {
        final Rng rng = new Rng(seed);
        final double[][] near = inputs(rng, PROBES - 20, d, 3);
        final double[][] far = inputs(rng, 20, d, 90);
        final double[][] all = Arrays.copyOf(near, PROBES);
        System.arraycopy(far, 0, all, PROBES - 20, 20);
        return all;
    }

    // ---------------------------------------------------------------------------------------------
    // Bit-exact comparison of every field

    private static void assertBitIdentical(final RegressionPrediction actual, final RegressionPrediction expected) {
        assertThat(Double.doubleToRawLongBits(actual.mean())).isEqualTo(Double.doubleToRawLongBits(expected.mean()));
        assertThat(Double.doubleToRawLongBits(actual.aleatoricVariance()))
                .isEqualTo(Double.doubleToRawLongBits(expected.aleatoricVariance()));
        assertThat(Double.doubleToRawLongBits(actual.epistemicVariance()))
                .isEqualTo(Double.doubleToRawLongBits(expected.epistemicVariance()));
        assertThat(Double.doubleToRawLongBits(actual.leverage()))
                .isEqualTo(Double.doubleToRawLongBits(expected.leverage()));
        assertThat(actual.sampleMeans()).isNull();
        assertThat(expected.sampleMeans()).isNull();
    }

    private static void assertBitIdentical(final ClassificationPrediction actual, final ClassificationPrediction expected) {
        assertThat(bits(actual.probabilities())).containsExactly(bits(expected.probabilities()));
        assertThat(actual.predictedClass()).isEqualTo(expected.predictedClass());
        assertThat(Double.doubleToRawLongBits(actual.entropy())).isEqualTo(Double.doubleToRawLongBits(expected.entropy()));
        assertThat(Double.doubleToRawLongBits(actual.mutualInformation()))
                .isEqualTo(Double.doubleToRawLongBits(expected.mutualInformation()));
        assertThat(Double.doubleToRawLongBits(actual.leverage()))
                .isEqualTo(Double.doubleToRawLongBits(expected.leverage()));
    }

    private static long[] bits(final double[] values) {
        final long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Double.doubleToRawLongBits(values[i]);
        }
        return out;
    }

    private static void assertRegressionIdentical(final BaliModel model, final ServingPosterior posterior, final long seed) {
        assertThat(posterior.version()).isEqualTo(model.step());
        assertThat(posterior.config()).isEqualTo(model.config());
        final PredictionScratch scratch = posterior.newScratch();
        for (final double[] x : probes(model.config().inputSize(), seed)) {
            final RegressionPrediction expected = model.predict(x);
            assertBitIdentical(posterior.predict(x), expected);
            assertBitIdentical(posterior.predict(x, scratch), expected);
        }
    }

    private static void assertClassificationIdentical(final BaliModel model, final ServingPosterior posterior,
                                                      final long seed) {
        assertThat(posterior.version()).isEqualTo(model.step());
        assertThat(posterior.config()).isEqualTo(model.config());
        final PredictionScratch scratch = posterior.newScratch();
        for (final double[] x : probes(model.config().inputSize(), seed)) {
            final ClassificationPrediction expected = model.classify(x);
            assertBitIdentical(posterior.classify(x), expected);
            assertBitIdentical(posterior.classify(x, scratch), expected);
        }
    }

    private static ServingPosterior roundTrip(final ServingPosterior posterior, final List<String> classNames) {
        final byte[] bytes = ServingPosteriorCodec.encode("model-a", classNames, posterior);
        final ModelPosterior record = ServingPosteriorCodec.decodeRecord(bytes);
        assertThat(record.getModelId()).isEqualTo("model-a");
        assertThat(record.getModelVersion()).isEqualTo(posterior.version());
        assertThat(record.getFormatVersion()).isEqualTo(ServingPosteriorCodec.FORMAT_VERSION);
        assertThat(record.getClassNames()).isEqualTo(classNames);
        final ServingPosterior decoded = ServingPosteriorCodec.fromRecord(record);
        assertThat(ServingPosteriorCodec.encode("model-a", classNames, decoded)).isEqualTo(bytes);
        return decoded;
    }

    // ---------------------------------------------------------------------------------------------
    // Bit identity with the model, directly and after the Avro round trip

    @Test
    void regressionPredictionsAreBitIdenticalToTheModelsBeforeAndAfterTheRoundTrip() {
        for (final BaliConfig config : List.of(regressionReluTwoHidden(), regressionTanhRelu(), regressionRaw())) {
            final BaliModel model = trainedRegression(config, 12, 1);
            final ServingPosterior posterior = model.servingPosterior();
            assertRegressionIdentical(model, posterior, 100);
            assertRegressionIdentical(model, roundTrip(posterior, List.of()), 101);
        }
    }

    @Test
    void classificationPredictionsAreBitIdenticalToTheModelsBeforeAndAfterTheRoundTrip() {
        for (final BaliConfig config : List.of(classificationReluTwoHidden(), classificationTanh())) {
            final BaliModel model = trainedClassifier(config, 12, 2);
            if (config.streaming()) {
                assertThat(model.logitScale()).as("a learned logit scale takes part").isNotEqualTo(1.0);
            }
            final ServingPosterior posterior = model.servingPosterior();
            assertClassificationIdentical(model, posterior, 200);
            final List<String> names = new ArrayList<>();
            for (int k = 0; k < config.numClasses(); k++) {
                names.add("class-" + k);
            }
            assertClassificationIdentical(model, roundTrip(posterior, names), 201);
            assertClassificationIdentical(model, roundTrip(posterior, List.of()), 202);
        }
    }

    @Test
    void wideClassifierIsBitIdenticalToo() {
        final BaliModel model = trainedClassifier(classificationMnistShape(), 2, 3);
        final ServingPosterior decoded = roundTrip(model.servingPosterior(), List.of());
        final Rng rng = new Rng(300);
        for (final double[] x : inputs(rng, 20, 784, 3)) {
            assertBitIdentical(decoded.classify(x), model.classify(x));
        }
    }

    @Test
    void freshModelsServeTheirInitialPosterior() {
        final BaliModel regression = new BaliModel(regressionTanhRelu());
        assertRegressionIdentical(regression, roundTrip(regression.servingPosterior(), List.of()), 400);
        final BaliModel classifier = new BaliModel(classificationTanh());
        assertClassificationIdentical(classifier, roundTrip(classifier.servingPosterior(), List.of()), 401);
        assertThat(regression.servingPosterior().version()).isZero();
    }

    @Test
    void aModelRestoredFromItsStateServesTheSamePosterior() {
        final BaliModel model = trainedClassifier(classificationReluTwoHidden(), 6, 4);
        final BaliModel restored = ModelStateCodec.decode(ModelStateCodec.encode(model));
        assertThat(ServingPosteriorCodec.encode("m", List.of(), restored.servingPosterior()))
                .isEqualTo(ServingPosteriorCodec.encode("m", List.of(), model.servingPosterior()));
    }

    // ---------------------------------------------------------------------------------------------
    // Immutability and threads

    @Test
    void aPosteriorTakenAtVersionTKeepsPredictingLikeVersionTWhileTheModelLearns() {
        final BaliModel regression = trainedRegression(regressionReluTwoHidden(), 5, 5);
        final ServingPosterior atFive = regression.servingPosterior();
        final double[][] x = probes(8, 500);
        final RegressionPrediction[] expected = new RegressionPrediction[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = regression.predict(x[i]);
        }
        learnRegression(regression, 5, new Rng(6));
        assertThat(regression.step()).isEqualTo(10);
        assertThat(atFive.version()).isEqualTo(5);
        int changed = 0;
        for (int i = 0; i < x.length; i++) {
            assertBitIdentical(atFive.predict(x[i]), expected[i]);
            changed += regression.predict(x[i]).mean() != expected[i].mean() ? 1 : 0;
        }
        assertThat(changed).as("the model itself moved on").isGreaterThan(x.length / 2);
        assertRegressionIdentical(regression, regression.servingPosterior(), 501);

        final BaliModel classifier = trainedClassifier(classificationReluTwoHidden(), 5, 7);
        final ServingPosterior classifierAtFive = classifier.servingPosterior();
        final double[][] cx = probes(3, 502);
        final ClassificationPrediction[] cExpected = new ClassificationPrediction[cx.length];
        for (int i = 0; i < cx.length; i++) {
            cExpected[i] = classifier.classify(cx[i]);
        }
        learnClassifier(classifier, 5, new Rng(8));
        for (int i = 0; i < cx.length; i++) {
            assertBitIdentical(classifierAtFive.classify(cx[i]), cExpected[i]);
        }
        assertClassificationIdentical(classifier, classifier.servingPosterior(), 503);
    }

    @Test
    void concurrentScoringOfOneSharedPosteriorGivesTheSerialResults() throws Exception {
        final BaliModel model = trainedClassifier(classificationReluTwoHidden(), 8, 9);
        final ServingPosterior posterior = ServingPosteriorCodec.decode(
                ServingPosteriorCodec.encode("m", List.of(), model.servingPosterior()));
        final double[][] x = probes(3, 600);
        final ClassificationPrediction[] serial = new ClassificationPrediction[x.length];
        for (int i = 0; i < x.length; i++) {
            serial[i] = model.classify(x[i]);
        }
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            final List<Future<ClassificationPrediction[]>> results = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                final boolean ownScratch = thread % 2 == 0;
                results.add(pool.submit(() -> {
                    final PredictionScratch scratch = posterior.newScratch();
                    final ClassificationPrediction[] out = new ClassificationPrediction[x.length];
                    for (int rep = 0; rep < 20; rep++) {
                        for (int i = 0; i < x.length; i++) {
                            out[i] = ownScratch ? posterior.classify(x[i], scratch) : posterior.classify(x[i]);
                        }
                    }
                    return out;
                }));
            }
            for (final Future<ClassificationPrediction[]> f : results) {
                final ClassificationPrediction[] out = f.get();
                for (int i = 0; i < x.length; i++) {
                    assertBitIdentical(out[i], serial[i]);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Size

    /** Encoded sizes of the full state and of the serving posterior, after a few updates. */
    private static long[] sizes(final BaliModel model) {
        return new long[]{ModelStateCodec.encode(model).length,
                ServingPosteriorCodec.encode("model", List.of(), model.servingPosterior()).length};
    }

    /** Doubles the serving posterior holds: Σ_l q_l p_l, p_L(p_L+1)/2, σ² or S·K, standardisers. */
    private static long servingDoubles(final BaliConfig config) {
        final int[] sizes = config.layerSizes();
        long doubles = 0;
        for (int l = 0; l + 1 < sizes.length; l++) {
            doubles += (long) sizes[l + 1] * (sizes[l] + 1);
        }
        final long p = sizes[sizes.length - 2] + 1;
        doubles += p * (p + 1) / 2;
        doubles += config.task() == Task.REGRESSION ? 1 : (long) config.monteCarloSamples() * config.numClasses();
        doubles += config.standardizeInputs() ? 2L * config.inputSize() : 0;
        doubles += config.task() == Task.REGRESSION && config.standardizeTargets() ? 2 : 0;
        return doubles;
    }

    @Test
    void theServingPosteriorIsMuchSmallerThanTheFullState() {
        final BaliModel small = trainedClassifier(classificationReluTwoHidden(), 3, 10);
        final BaliModel regression = trainedRegression(regressionReluTwoHidden(), 3, 11);
        final BaliModel mnist = trainedClassifier(classificationMnistShape(), 2, 12);
        final long[] s = sizes(small);
        final long[] r = sizes(regression);
        final long[] m = sizes(mnist);
        System.out.printf("serving posterior size (bytes, full state -> serving posterior):%n"
                        + "  3->32->32->2   %,d -> %,d (x%.1f)%n  8->64->64->1   %,d -> %,d (x%.1f)%n"
                        + "  784->128->10   %,d -> %,d (x%.1f)%n",
                s[0], s[1], (double) s[0] / s[1], r[0], r[1], (double) r[0] / r[1], m[0], m[1], (double) m[0] / m[1]);
        for (final Object[] c : new Object[][]{{small, s}, {regression, r}, {mnist, m}}) {
            final long doubles = servingDoubles(((BaliModel) c[0]).config());
            assertThat(((long[]) c[1])[1]).isBetween(8 * doubles, 8 * doubles + 600);
        }
        assertThat(m[1] * 6).as("784->128->10").isLessThan(m[0]);
        assertThat(r[1] * 3).as("8->64->64->1").isLessThan(r[0]);
        assertThat(s[1] * 3).as("3->32->32->2").isLessThan(s[0]);
    }

    // ---------------------------------------------------------------------------------------------
    // Refusals

    @Test
    void aRecordOfAnotherFormatVersionIsRefusedWithAClearMessage() {
        final ModelPosterior record = ServingPosteriorCodec.toRecord("m", List.of(),
                new BaliModel(classificationTanh()).servingPosterior());
        record.setFormatVersion(2);
        assertThatThrownBy(() -> ServingPosteriorCodec.fromRecord(record)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model posterior format version 2 is not supported (this build reads version 1)");
    }

    @Test
    void corruptForeignOrInconsistentRecordsAreRefused() {
        final ServingPosterior posterior = trainedRegression(regressionTanhRelu(), 2, 13).servingPosterior();
        final byte[] good = ServingPosteriorCodec.encode("m", List.of(), posterior);
        assertThatThrownBy(() -> ServingPosteriorCodec.decode(Arrays.copyOf(good, good.length / 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a BALI model posterior");
        assertThatThrownBy(() -> ServingPosteriorCodec.decode(ModelStateCodec.encode(new BaliModel(regressionTanhRelu()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a BALI model posterior");

        final ModelPosterior wrongShape = ServingPosteriorCodec.toRecord("m", List.of(), posterior);
        wrongShape.getLayerMeans().set(0, wrongShape.getLayerMeans().get(1));
        assertThatThrownBy(() -> ServingPosteriorCodec.fromRecord(wrongShape))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layer 1 M is 8x13, expected 12x5");

        final ModelPosterior noNoise = ServingPosteriorCodec.toRecord("m", List.of(), posterior);
        noNoise.setNoiseVariance(null);
        assertThatThrownBy(() -> ServingPosteriorCodec.fromRecord(noNoise))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("noise variance");

        final ModelPosterior noStandardiser = ServingPosteriorCodec.toRecord("m", List.of(), posterior);
        noStandardiser.setInputStandardizer(null);
        assertThatThrownBy(() -> ServingPosteriorCodec.fromRecord(noStandardiser))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input standardiser");

        assertThatThrownBy(() -> ServingPosteriorCodec.toRecord("m", List.of("a", "b"),
                new BaliModel(classificationTanh()).servingPosterior()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 class names for a model with 4 classes");
    }

    @Test
    void scoringRefusesTheWrongTaskAndBadFeaturesLikeTheModel() {
        final ServingPosterior regression = new BaliModel(regressionTanhRelu()).servingPosterior();
        final ServingPosterior classifier = new BaliModel(classificationTanh()).servingPosterior();
        assertThatThrownBy(() -> regression.classify(new double[4])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("classify needs a CLASSIFICATION model");
        assertThatThrownBy(() -> classifier.predict(new double[3])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("predict needs a REGRESSION model");
        assertThatThrownBy(() -> regression.predict(new double[3])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 features, the model expects 4");
        assertThatThrownBy(() -> regression.predict(new double[]{1, Double.NaN, 0, 0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("feature 1 is NaN");
        assertThatThrownBy(() -> regression.predict(new double[4], classifier.newScratch()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scratch");
    }
}
