package io.balistreams.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.Rng;
import org.junit.jupiter.api.Test;

/** The ensemble predictive of {@link OodEvaluation}: a mixture whose uncertainty scores follow their definitions. */
class OodEvaluationTest {

    private static BaliModel trained(final long seed) {
        final BaliModel m = new BaliModel(BaliConfig.classification(2, 6, 3).batchSize(16).seed(seed).build());
        final Rng rng = new Rng(seed + 100);
        for (int step = 0; step < 20; step++) {
            final double[][] x = new double[16][];
            final int[] y = new int[16];
            for (int i = 0; i < 16; i++) {
                y[i] = rng.nextInt(3);
                x[i] = new double[] {y[i] - 1 + 0.6 * rng.nextGaussian(), 0.6 * rng.nextGaussian()};
            }
            m.learn(x, y);
        }
        return m;
    }

    @Test
    void anEnsembleOfCopiesPredictsExactlyAsOneMember() {
        final BaliModel a = trained(1);
        final double[] x = {0.3, -0.2};
        final ClassificationPrediction one = a.classify(x);
        final ClassificationPrediction three = OodEvaluation.classify(new BaliModel[] {a, trained(1), trained(1)}, x);
        for (int k = 0; k < 3; k++) {
            assertThat(three.probabilities()[k]).isCloseTo(one.probabilities()[k], within(1e-12));
        }
        assertThat(three.predictedClass()).isEqualTo(one.predictedClass());
        assertThat(three.entropy()).isCloseTo(one.entropy(), within(1e-12));
        // identical members do not disagree: the mutual information is each member's own
        assertThat(three.mutualInformation()).isCloseTo(one.mutualInformation(), within(1e-12));
        assertThat(three.leverage()).isCloseTo(one.leverage(), within(1e-12));
    }

    @Test
    void theMixtureAveragesTheMembersAndItsDisagreementAddsToTheMutualInformation() {
        final BaliModel a = trained(1);
        final BaliModel b = trained(2);
        final double[] x = {2.5, 1.5}; // away from the data, where the members may differ
        final ClassificationPrediction pa = a.classify(x);
        final ClassificationPrediction pb = b.classify(x);
        final ClassificationPrediction mix = OodEvaluation.classify(new BaliModel[] {a, b}, x);
        double entropy = 0;
        double disagreement = 0;
        for (int k = 0; k < 3; k++) {
            final double p = (pa.probabilities()[k] + pb.probabilities()[k]) / 2;
            assertThat(mix.probabilities()[k]).isCloseTo(p, within(1e-12));
            entropy -= p * Math.log(p);
        }
        assertThat(mix.entropy()).isCloseTo(entropy, within(1e-12));
        // MI = H[p̄] − mean_e (H_e − MI_e) = mean_e MI_e + (H[p̄] − mean_e H_e), and H[p̄] ≥ mean_e H_e (concavity)
        disagreement = entropy - (pa.entropy() + pb.entropy()) / 2;
        assertThat(disagreement).isGreaterThanOrEqualTo(0);
        assertThat(mix.mutualInformation())
                .isCloseTo((pa.mutualInformation() + pb.mutualInformation()) / 2 + disagreement, within(1e-12));
        assertThat(mix.leverage()).isCloseTo((pa.leverage() + pb.leverage()) / 2, within(1e-12));
        assertThat(pa.probabilities()).isNotEqualTo(pb.probabilities());
    }
}
