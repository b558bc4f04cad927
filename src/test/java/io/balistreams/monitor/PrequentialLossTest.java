package io.balistreams.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.bali.ClassificationPrediction;
import io.balistreams.bali.RegressionPrediction;
import org.junit.jupiter.api.Test;

/** The losses a drift detector watches, against values worked out by hand. */
class PrequentialLossTest {

    @Test
    void classificationLossIsTheErrorOrMinusTheLogProbabilityOfTheLabel() {
        final ClassificationPrediction p = new ClassificationPrediction(new double[] {0.7, 0.2, 0.1}, 0, 0.8, 0.05, 0.3);
        assertThat(PrequentialLoss.ERROR.of(p, 0)).isZero();
        assertThat(PrequentialLoss.ERROR.of(p, 2)).isEqualTo(1.0);
        assertThat(PrequentialLoss.NLL.of(p, 0)).isCloseTo(-Math.log(0.7), within(1e-15));
        assertThat(PrequentialLoss.NLL.of(p, 2)).isCloseTo(Math.log(10), within(1e-15));
    }

    @Test
    void regressionLossIsTheStandardisedSquaredResidualOrTheGaussianNll() {
        // μ = 1, σ² = 3 + 1 = 4, y = 5: residual 4, (y − μ)²/σ² = 16/4 = 4; NLL = ½ log(2π·4) + 16/8 = ½ log(8π) + 2
        final RegressionPrediction p = new RegressionPrediction(1.0, 3.0, 1.0, 0.2, null);
        assertThat(PrequentialLoss.ERROR.of(p, 5.0)).isCloseTo(4.0, within(1e-15));
        assertThat(PrequentialLoss.NLL.of(p, 5.0)).isCloseTo(0.5 * Math.log(8 * Math.PI) + 2, within(1e-12));
    }
}
