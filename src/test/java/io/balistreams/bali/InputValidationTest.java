package io.balistreams.bali;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Bad input at the API gets a clear error and never reaches the state. */
class InputValidationTest {
    private final BaliModel regression = new BaliModel(BaliConfig.regression(3, 4, 1).batchSize(2).build());
    private final BaliModel classifier = new BaliModel(BaliConfig.classification(3, 4, 3).batchSize(2).build());

    @Test
    void wrongDimensionIsRefused() {
        assertThatThrownBy(() -> regression.predict(new double[]{1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("record 0: 2 features, the model expects 3");
        assertThatThrownBy(() -> regression.learn(new double[][]{{1, 2, 3}, {1, 2, 3, 4}}, new double[]{1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("record 1: 4 features, the model expects 3");
        assertThatThrownBy(() -> regression.learn(new double[][]{{1, 2, 3}}, new double[]{1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("as many targets as feature rows");
    }

    @Test
    void nonFiniteFeatureOrTargetIsRefused() {
        assertThatThrownBy(() -> regression.predict(new double[]{1, Double.NaN, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("record 0: feature 1 is NaN");
        assertThatThrownBy(() -> classifier.learn(new double[][]{{1, 2, 3}, {1, 2, Double.POSITIVE_INFINITY}}, new int[]{0, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("record 1: feature 2 is Infinity");
        assertThatThrownBy(() -> regression.learn(new double[][]{{1, 2, 3}}, new double[]{Double.NaN}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("record 0: target is NaN");
        assertThat(regression.step()).isZero();
        assertThat(regression.recordsSeen()).isZero();
    }

    @Test
    void labelOutOfRangeIsRefused() {
        assertThatThrownBy(() -> classifier.learn(new double[][]{{1, 2, 3}, {1, 2, 3}}, new int[]{0, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("record 1: label 3 is outside [0, 3)");
        assertThatThrownBy(() -> classifier.learn(new double[][]{{1, 2, 3}}, new int[]{-1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("record 0: label -1 is outside [0, 3)");
        assertThat(classifier.step()).isZero();
    }

    @Test
    void wrongTaskIsRefused() {
        assertThatThrownBy(() -> classifier.predict(new double[]{1, 2, 3}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a REGRESSION model");
        assertThatThrownBy(() -> regression.learn(new double[][]{{1, 2, 3}}, new int[]{0}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a CLASSIFICATION model");
    }

    @Test
    void invalidConfigurationNamesTheKnob() {
        assertThatThrownBy(() -> BaliConfig.regression(3, 2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly 1 output");
        assertThatThrownBy(() -> BaliConfig.classification(3, 1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 2 classes");
        assertThatThrownBy(() -> BaliConfig.regression(3, 4, 1).beta(1.0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("beta must be in (0, 1), got 1.0");
        assertThatThrownBy(() -> BaliConfig.regression(3, 4, 1).priorPrecision(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("priorPrecision must be finite and > 0, got 0.0");
        assertThatThrownBy(() -> BaliConfig.regression(3, 4, 1).activations(Activation.TANH, Activation.TANH).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one per hidden layer (1)");
        assertThatThrownBy(() -> BaliConfig.regression(3, 4, 1).batchSize(32).effectiveMemory(16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must exceed the batch size");
        assertThat(BaliConfig.regression(3, 4, 1).batchSize(32).effectiveMemory(3200).build().beta())
                .isEqualTo(1 - 32 / 3200.0);
    }
}
