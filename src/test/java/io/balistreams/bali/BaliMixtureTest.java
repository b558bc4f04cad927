package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The mixture over memories (docs/method.md §11): its weight update against hand computations, its predictive
 * against the experts' own, its buffering and memory factor against plain {@link BaliModel}s, and its switching
 * after an abrupt change.
 */
class BaliMixtureTest {

    private static BaliConfig classifier(final long seed) {
        return BaliConfig.classification(2, 6, 2).activation(Activation.TANH).batchSize(4).effectiveMemory(40)
                .seed(seed).build();
    }

    private static BaliConfig regression() {
        return BaliConfig.regression(2, 6, 1).activation(Activation.TANH).batchSize(4).effectiveMemory(40).seed(3)
                .build();
    }

    /** x ∈ [−1, 1]², y = [x₀ + x₁ > 0], flipped when {@code flipped}. */
    private static int label(final double[] x, final boolean flipped) {
        final int y = x[0] + x[1] > 0 ? 1 : 0;
        return flipped ? 1 - y : y;
    }

    private static double[] point(final Rng rng) {
        return new double[] {2 * rng.nextDouble() - 1, 2 * rng.nextDouble() - 1};
    }

    @Test
    void weightsFollowBayesRuleThenTheFixedShare() {
        final BaliMixture m = new BaliMixture(classifier(1), List.of(new BaliMixture.Expert(20, 2),
                new BaliMixture.Expert(80, 8)), 0.1);
        assertThat(m.weights()).containsExactly(0.5, 0.5);
        // Bayes: (0.5·0.8, 0.5·0.2)/0.5 = (0.8, 0.2); share: 0.9·(0.8, 0.2) + 0.05 = (0.77, 0.23)
        m.reweigh(new double[] {Math.log(0.8), Math.log(0.2)});
        assertThat(m.weights()[0]).isCloseTo(0.77, within(1e-15));
        assertThat(m.weights()[1]).isCloseTo(0.23, within(1e-15));
        // again with likelihoods 0.5, 0.5: Bayes leaves (0.77, 0.23); share: 0.9·0.77 + 0.05 = 0.743
        m.reweigh(new double[] {Math.log(0.5), Math.log(0.5)});
        assertThat(m.weights()[0]).isCloseTo(0.743, within(1e-15));
        // an expert that cannot explain the record loses all but the floor α/K
        m.reweigh(new double[] {Double.NEGATIVE_INFINITY, Math.log(0.3)});
        assertThat(m.weights()[0]).isCloseTo(0.05, within(1e-15));
        assertThat(m.weights()[1]).isCloseTo(0.95, within(1e-15));
        // both impossible (or NaN): only the share moves the weights
        m.reweigh(new double[] {Double.NaN, Double.NEGATIVE_INFINITY});
        assertThat(m.weights()[0]).isCloseTo(0.9 * 0.05 + 0.05, within(1e-15));
    }

    @Test
    void oneExpertWithoutShareIsExactlyThatExpertsModel() {
        final BaliConfig base = classifier(7);
        final BaliMixture.Expert e = new BaliMixture.Expert(30, 3);
        final BaliMixture mixture = new BaliMixture(base, List.of(e), 0.0);
        final BaliModel alone = new BaliModel(BaliMixture.expertConfig(base, e, 0));
        final Rng rng = new Rng(11);
        final double[][] batch = new double[3][];
        final int[] labels = new int[3];
        for (int i = 0; i < 60; i++) {
            final double[] x = point(rng);
            final int y = label(x, false);
            assertThat(mixture.classify(x).probabilities()).containsExactly(alone.classify(x).probabilities());
            mixture.learn(new double[][] {x}, new int[] {y}, mixture.config().beta(), false);
            batch[i % 3] = x;
            labels[i % 3] = y;
            if (i % 3 == 2) {
                alone.learn(batch, labels);
            }
        }
        assertThat(mixture.weights()).containsExactly(1.0);
        assertThat(mixture.step()).isEqualTo(20).isEqualTo(alone.step());
        final double[] x = {0.3, -0.2};
        assertThat(mixture.classify(x).probabilities()).containsExactly(alone.classify(x).probabilities());
    }

    @Test
    void eachExpertUpdatesWhenItsOwnBatchIsFullAndAFlushEmptiesEveryBuffer() {
        final BaliMixture m = new BaliMixture(classifier(1), List.of(new BaliMixture.Expert(20, 2),
                new BaliMixture.Expert(80, 8)), 0.01);
        assertThat(m.config().batchSize()).isEqualTo(2);
        final Rng rng = new Rng(5);
        for (int i = 0; i < 5; i++) {
            final double[] x = point(rng);
            m.learn(new double[][] {x}, new int[] {label(x, false)}, m.config().beta(), false);
        }
        assertThat(m.expert(0).step()).isEqualTo(2);
        assertThat(m.buffered(0)).isEqualTo(1);
        assertThat(m.expert(1).step()).isZero();
        assertThat(m.buffered(1)).isEqualTo(5);
        final double[] x = point(rng);
        final UpdateResult r = m.learn(new double[][] {x}, new int[] {label(x, false)}, m.config().beta(), true);
        assertThat(r.accepted()).isTrue();
        assertThat(m.expert(0).step()).isEqualTo(3);
        assertThat(m.expert(1).step()).isEqualTo(1);
        assertThat(m.buffered(0)).isZero();
        assertThat(m.buffered(1)).isZero();
        assertThat(r.step()).isEqualTo(4).isEqualTo(m.step());
        assertThat(m.expert(1).recordsSeen()).isEqualTo(6);
    }

    @Test
    void aLowerBetaShrinksEveryExpertsMemoryByTheSameFactor() {
        final BaliConfig base = classifier(2);
        final List<BaliMixture.Expert> experts = List.of(new BaliMixture.Expert(20, 2), new BaliMixture.Expert(60, 2));
        final BaliMixture m = new BaliMixture(base, experts, 0.0);
        final BaliModel[] alone = {new BaliModel(BaliMixture.expertConfig(base, experts.get(0), 0)),
                new BaliModel(BaliMixture.expertConfig(base, experts.get(1), 1))};
        // the mixture's configured β: B = 2 (smallest), memory 40 → β = 0.95; an alarm's β 0.9 halves the memory
        assertThat(m.config().beta()).isCloseTo(0.95, within(1e-15));
        final double factor = (1 - m.config().beta()) / (1 - 0.9);
        final Rng rng = new Rng(9);
        for (int i = 0; i < 10; i++) {
            final double[][] x = {point(rng), point(rng)};
            final int[] y = {label(x[0], false), label(x[1], false)};
            m.learn(x, y, 0.9, false);
            for (int k = 0; k < 2; k++) {
                final double betaK = 1 - (1 - alone[k].config().beta()) / factor;
                alone[k].learn(x, y, betaK);
            }
        }
        final double[] probe = {0.1, 0.4};
        for (int k = 0; k < 2; k++) {
            assertThat(m.expert(k).classify(probe).probabilities()).containsExactly(alone[k].classify(probe).probabilities());
        }
        // N_k = 20 → 10 and 60 → 30 records: β_k = 1 − 2/10 and 1 − 2/30
        assertThat(1 - (1 - alone[0].config().beta()) / factor).isCloseTo(0.8, within(1e-12));
        assertThat(1 - (1 - alone[1].config().beta()) / factor).isCloseTo(1 - 2.0 / 30, within(1e-12));
    }

    @Test
    void classificationPredictiveIsTheWeightedMixtureWithTheExpertsDisagreementAsEpistemic() {
        final BaliMixture m = new BaliMixture(classifier(4), List.of(new BaliMixture.Expert(10, 2),
                new BaliMixture.Expert(200, 8)), 0.05);
        final Rng rng = new Rng(3);
        for (int i = 0; i < 200; i++) {
            final double[] x = point(rng);
            // the first 150 records in one concept, then flipped: the experts disagree afterwards
            m.learn(new double[][] {x}, new int[] {label(x, i >= 150)}, m.config().beta(), false);
        }
        final double[] w = m.weights();
        assertThat(w[0] + w[1]).isCloseTo(1.0, within(1e-14));
        final double[] x = {0.5, 0.2};
        final ClassificationPrediction p = m.classify(x);
        final ClassificationPrediction a = m.expert(0).classify(x);
        final ClassificationPrediction b = m.expert(1).classify(x);
        double expectedEntropy = 0;
        double entropy = 0;
        for (int c = 0; c < 2; c++) {
            final double pc = w[0] * a.probabilities()[c] + w[1] * b.probabilities()[c];
            assertThat(p.probabilities()[c]).isCloseTo(pc, within(1e-15));
            entropy -= pc * Math.log(pc);
        }
        expectedEntropy += w[0] * (a.entropy() - a.mutualInformation()) + w[1] * (b.entropy() - b.mutualInformation());
        assertThat(p.probabilities()[0] + p.probabilities()[1]).isCloseTo(1.0, within(1e-14));
        assertThat(p.entropy()).isCloseTo(entropy, within(1e-14));
        assertThat(p.mutualInformation()).isCloseTo(entropy - expectedEntropy, within(1e-14));
        // disagreement: the mixture's MI exceeds the weighted MI of its experts (Jensen, the entropy is concave)
        assertThat(p.mutualInformation()).isGreaterThan(w[0] * a.mutualInformation() + w[1] * b.mutualInformation());
        assertThat(p.leverage()).isCloseTo(w[0] * a.leverage() + w[1] * b.leverage(), within(1e-15));
        assertThat(p.predictedClass()).isEqualTo(p.probabilities()[1] > p.probabilities()[0] ? 1 : 0);
    }

    @Test
    void regressionPredictiveHasTheMixturesMeanAndTotalVariance() {
        final BaliMixture m = new BaliMixture(regression(), List.of(new BaliMixture.Expert(12, 4),
                new BaliMixture.Expert(100, 4)), 0.05);
        final Rng rng = new Rng(8);
        for (int i = 0; i < 120; i++) {
            final double[] x = point(rng);
            final double y = (i < 80 ? 3 : -3) * x[0] + 0.1 * rng.nextGaussian();
            m.learn(new double[][] {x}, new double[] {y}, m.config().beta(), false);
        }
        final double[] w = m.weights();
        final double[] x = {0.7, -0.1};
        final RegressionPrediction p = m.predict(x);
        final RegressionPrediction a = m.expert(0).predict(x);
        final RegressionPrediction b = m.expert(1).predict(x);
        final double mean = w[0] * a.mean() + w[1] * b.mean();
        final double second = w[0] * (a.totalVariance() + a.mean() * a.mean())
                + w[1] * (b.totalVariance() + b.mean() * b.mean());
        assertThat(p.mean()).isCloseTo(mean, within(1e-12));
        assertThat(p.totalVariance()).isCloseTo(second - mean * mean, within(1e-9));
        assertThat(p.aleatoricVariance()).isCloseTo(w[0] * a.aleatoricVariance() + w[1] * b.aleatoricVariance(),
                within(1e-12));
        // the experts disagree after the change: the spread of their means adds to the epistemic part
        assertThat(p.epistemicVariance()).isGreaterThan(w[0] * a.epistemicVariance() + w[1] * b.epistemicVariance());
        // the predictive itself is the weighted mixture of the experts' Gaussians: its density is the likelihood
        // (the same one the weights follow) and its quantiles the interval
        assertThat(p.mixture()).isEqualTo(new GaussianMixture(w, new double[] {a.mean(), b.mean()},
                new double[] {a.totalVariance(), b.totalVariance()}));
        final double y = 1.1;
        assertThat(p.logLikelihood(y)).isCloseTo(Math.log(w[0] * Math.exp(a.logLikelihood(y))
                + w[1] * Math.exp(b.logLikelihood(y))), within(1e-12));
        assertThat(p.mixture().cdf(p.lower95())).isCloseTo(0.025, within(1e-12));
        assertThat(p.mixture().cdf(p.upper95())).isCloseTo(0.975, within(1e-12));
        assertThat(p.covers95(p.lower95() + 1e-9)).isTrue();
        assertThat(p.covers95(p.lower95() - 1e-9)).isFalse();
        assertThat(p.covers95(p.upper95() + 1e-9)).isFalse();
    }

    @Test
    void afterAnAbruptChangeTheWeightMovesToTheShortMemoryAndBackWhenTheStreamSettles() {
        final BaliMixture m = new BaliMixture(classifier(6), List.of(new BaliMixture.Expert(20, 2),
                new BaliMixture.Expert(400, 16)), 0.01);
        final Rng rng = new Rng(21);
        final int n = 5000;
        final double[] shortWeight = new double[n];
        for (int i = 0; i < n; i++) {
            final double[] x = point(rng);
            final int clean = label(x, i >= 1500);
            // 10 % label noise: a long memory averages it out, a short one chases it
            final int y = rng.nextDouble() < 0.1 ? 1 - clean : clean;
            m.learn(new double[][] {x}, new int[] {y}, m.config().beta(), false);
            shortWeight[i] = m.weights()[0];
        }
        // the weights move with every record; their means over stretches of the stream tell the story (seeds
        // 21..26 give 0.11..0.28, 0.87..0.96 and 0.11..0.18)
        assertThat(mean(shortWeight, 1000, 1500)).as("before the flip").isLessThan(0.35);
        // right after the flip the long memory still predicts the old concept: the short one takes the weight
        assertThat(mean(shortWeight, 1500, 1800)).as("after the flip").isGreaterThan(0.8);
        // once the long memory has forgotten the old concept its weight comes back (the share kept it alive)
        assertThat(mean(shortWeight, 4000, 5000)).as("settled").isLessThan(0.25);
    }

    private static double mean(final double[] values, final int from, final int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }

    @Test
    void learningAScoredArrayUsesTheKeptPredictivesAndGivesTheSameBitsAsScoringAgain() {
        final List<BaliMixture.Expert> experts = List.of(new BaliMixture.Expert(20, 2), new BaliMixture.Expert(80, 4));
        final BaliMixture kept = new BaliMixture(classifier(3), experts, 0.02);
        final BaliMixture rescored = new BaliMixture(classifier(3), experts, 0.02);
        final Rng rng = new Rng(4);
        for (int i = 0; i < 400; i++) {
            final double[][] x = {point(rng), point(rng)};
            final int[] y = {label(x[0], i > 200), label(x[1], i > 200)};
            for (final double[] row : x) {
                assertThat(kept.classify(row).probabilities()).containsExactly(rescored.classify(row).probabilities());
            }
            kept.learn(x, y, kept.config().beta(), false);
            // copies: not the arrays that were scored, so the mixture scores them again
            rescored.learn(new double[][] {x[0].clone(), x[1].clone()}, y, rescored.config().beta(), false);
            assertThat(kept.weights()).containsExactly(rescored.weights());
        }
        // the kept predictives are those of the posteriors at scoring time: after an update they are not used
        final BaliMixture stale = new BaliMixture(classifier(3), experts, 0.02);
        final BaliMixture fresh = new BaliMixture(classifier(3), experts, 0.02);
        final double[][] first = {point(rng), point(rng)};
        final double[] probe = point(rng);
        stale.classify(probe);
        stale.learn(first, new int[] {1, 0}, stale.config().beta(), false);
        fresh.learn(first, new int[] {1, 0}, fresh.config().beta(), false);
        stale.learn(new double[][] {probe}, new int[] {1}, stale.config().beta(), false);
        fresh.learn(new double[][] {probe}, new int[] {1}, fresh.config().beta(), false);
        assertThat(stale.weights()).containsExactly(fresh.weights());
    }

    @Test
    void theServingFormPredictsBitForBitAsTheMixtureAndSurvivesItsRecord() {
        final List<BaliMixture.Expert> experts = List.of(new BaliMixture.Expert(20, 2), new BaliMixture.Expert(200, 8));
        final BaliMixture classifier = new BaliMixture(classifier(5), experts, 0.02);
        final BaliMixture regression = new BaliMixture(regression(), experts, 0.02);
        final Rng rng = new Rng(12);
        for (int i = 0; i < 90; i++) {
            final double[] x = point(rng);
            classifier.learn(new double[][] {x}, new int[] {label(x, i > 60)}, classifier.config().beta(), false);
            regression.learn(new double[][] {x}, new double[] {2 * x[0] - x[1]}, regression.config().beta(), false);
        }
        final MixturePosterior c = classifier.servingPosterior();
        final MixturePosterior r = regression.servingPosterior();
        final ServingModel cDecoded = ServingPosteriorCodec.servingModel(ServingPosteriorCodec.toRecord("c",
                List.of("no", "yes"), c));
        final ServingModel rDecoded = ServingPosteriorCodec.servingModel(ServingPosteriorCodec.toRecord("r", List.of(),
                (ServingModel) r));
        assertThat(c.version()).isEqualTo(classifier.step()).isEqualTo(cDecoded.version());
        assertThat(cDecoded.memoryWeights()).isEqualTo(classifier.memoryWeights());
        assertThat(cDecoded.memoryWeights().keySet()).containsExactly("20x2", "200x8");
        final PredictionScratch cs = cDecoded.newScratch();
        final PredictionScratch rs = rDecoded.newScratch();
        for (int i = 0; i < 20; i++) {
            final double[] x = point(rng);
            final ClassificationPrediction expected = classifier.classify(x);
            for (final ClassificationPrediction p : List.of(c.classify(x, c.newScratch()), cDecoded.classify(x, cs))) {
                assertThat(p.probabilities()).containsExactly(expected.probabilities());
                assertThat(p.mutualInformation()).isEqualTo(expected.mutualInformation());
                assertThat(p.leverage()).isEqualTo(expected.leverage());
            }
            final RegressionPrediction mean = regression.predict(x);
            assertThat(rDecoded.predict(x, rs)).isEqualTo(mean);
        }
        // a record whose weights do not sum to one is refused
        final io.balistreams.avro.ModelPosterior broken = ServingPosteriorCodec.toRecord("c", List.of(), c);
        broken.getMixture().setWeights(List.of(0.5, 0.6));
        assertThatThrownBy(() -> ServingPosteriorCodec.servingModel(broken)).hasMessageContaining("sum to 1.1");
    }

    @Test
    void theWeightsMapIsASnapshotInTheExpertsOrderThatCannotBeChanged() {
        final BaliMixture m = new BaliMixture(classifier(1), List.of(new BaliMixture.Expert(20, 2),
                new BaliMixture.Expert(80, 8)), 0.1);
        final java.util.Map<String, Double> before = m.memoryWeights();
        m.reweigh(new double[] {Math.log(0.8), Math.log(0.2)});
        assertThat(before).containsExactly(java.util.Map.entry("20x2", 0.5), java.util.Map.entry("80x8", 0.5));
        final java.util.Map<String, Double> after = m.memoryWeights();
        final java.util.Map<String, Double> expected = new java.util.LinkedHashMap<>();
        expected.put("20x2", m.weights()[0]);
        expected.put("80x8", m.weights()[1]);
        assertThat(after).isEqualTo(expected).hasSameHashCodeAs(expected);
        assertThat(after.get("20x2")).isCloseTo(0.77, within(1e-15));
        assertThat(after.get("50x4")).isNull();
        assertThat(after.keySet()).containsExactly("20x2", "80x8");
        assertThatThrownBy(() -> after.put("20x2", 1.0)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void badArgumentsAreRefusedWithTheReason() {
        assertThat(BaliMixture.Expert.parse(" 50x4 ")).isEqualTo(new BaliMixture.Expert(50, 4));
        assertThat(BaliMixture.Expert.parse("2000×32").toString()).isEqualTo("2000x32");
        assertThatThrownBy(() -> BaliMixture.Expert.parse("50")).hasMessageContaining("MEMORYxBATCH");
        assertThatThrownBy(() -> BaliMixture.Expert.parse("ax4")).hasMessageContaining("'ax4'");
        assertThatThrownBy(() -> new BaliMixture.Expert(4, 4)).hasMessageContaining("exceed its batch size 4");
        final BaliConfig base = classifier(1);
        assertThatThrownBy(() -> new BaliMixture(base, List.of(), 0.01)).hasMessageContaining("at least one");
        assertThatThrownBy(() -> new BaliMixture(base, List.of(new BaliMixture.Expert(50, 4),
                new BaliMixture.Expert(50, 4)), 0.01)).hasMessageContaining("must differ");
        assertThatThrownBy(() -> new BaliMixture(base, List.of(new BaliMixture.Expert(50, 4)), 1.0))
                .hasMessageContaining("[0, 1)");
        final BaliMixture m = new BaliMixture(base, BaliMixture.DEFAULT_EXPERTS, BaliMixture.DEFAULT_SHARE);
        assertThatThrownBy(() -> m.predict(new double[] {0, 0})).hasMessageContaining("classification");
        assertThatThrownBy(() -> m.learn(new double[][] {{0, 0}}, new int[] {2}, m.config().beta(), false))
                .hasMessageContaining("class index 2");
        // a bad record anywhere in a batch changes nothing: the good records before it are not weighed either
        final double[][] batch = {{0.1, 0.2}, {0.3, Double.NaN}};
        assertThatThrownBy(() -> m.learn(batch, new int[] {1, 0}, m.config().beta(), false))
                .hasMessageContaining("record 1: a feature is NaN");
        assertThatThrownBy(() -> m.learn(new double[][] {{0.1, 0.2}, {0.3}}, new int[] {1, 0}, m.config().beta(), false))
                .hasMessageContaining("record 1: 1 features, the model takes 2");
        assertThat(m.weights()).containsExactly(1.0 / 3, 1.0 / 3, 1.0 / 3);
        assertThat(m.buffered(0)).isZero();
    }
}
