package io.balistreams.monitor;

import io.balistreams.bali.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ModelMonitorTest {
    private static final double BETA = 0.98;

    /** Feeds a 0/1 error stream (p before, q after the change) as training values; returns the alarms. */
    private static List<ModelMonitor.Alarm> feedErrors(final ModelMonitor m, final Rng rng, final int from, final int to,
                                                       final double p) {
        final List<ModelMonitor.Alarm> alarms = new ArrayList<>();
        for (int i = from; i < to; i++) {
            m.trained(rng.nextDouble() < p ? 1 : 0, 1.0 + rng.nextDouble(), i, 1000L * i).ifPresent(alarms::add);
            if (i % 32 == 31) {
                m.updated();
            }
        }
        return alarms;
    }

    /**
     * One absurd record (found by the hostile-input test: a bit-flipped target of 10^300) must not stop the monitor:
     * an infinite or overflowing loss is watched as MAX_WATCHED_LOSS, a NaN loss or score is not watched, and the
     * detector's mean stays finite.
     */
    @Test
    void absurdLossesAndScoresAreCappedOrSkippedNotThrown() {
        final ModelMonitor m = new ModelMonitor(ModelMonitor.Settings.defaults(), BETA, 1600);
        final ModelMonitor reference = new ModelMonitor(ModelMonitor.Settings.defaults(), BETA, 1600);
        feedErrors(m, Rng.forStream(2, 0), 0, 300, 0.1);
        feedErrors(reference, Rng.forStream(2, 0), 0, 300, 0.1);
        final double[] absurd = {Double.POSITIVE_INFINITY, 1e300, Double.MAX_VALUE};
        for (int i = 0; i < absurd.length; i++) {
            m.trained(absurd[i], 0.5, 300 + i, 7L);
            reference.trained(ModelMonitor.MAX_WATCHED_LOSS, 0.5, 300 + i, 7L);
        }
        // each absurd loss was watched as the cap, and nothing else differs
        assertThat(m.exportState()).containsExactly(reference.exportState());
        assertThatCode(() -> m.trained(Double.NaN, 0.5, 303, 7L)).doesNotThrowAnyException();
        assertThatCode(() -> m.trained(0, Double.NaN, 304, 7L)).doesNotThrowAnyException();
        assertThat(m.oodThreshold()).isNotNull().isFinite();
    }

    @Test
    void aLossDriftLowersBetaWhichReturnsGeometricallyToTheConfiguredValue() {
        final ModelMonitor m = new ModelMonitor(ModelMonitor.Settings.defaults(), BETA, 1600);
        final Rng rng = Rng.forStream(1, 0);
        assertThat(feedErrors(m, rng, 0, 5000, 0.1)).noneMatch(a -> a.level() == DriftLevel.DRIFT);
        assertThat(m.betaForUpdate()).isEqualTo(BETA);
        assertThat(m.state()).isNotEqualTo(DriftLevel.DRIFT);

        // the error rate jumps: a DRIFT alarm within a few hundred values, with the action taken
        ModelMonitor.Alarm drift = null;
        int i = 5000;
        for (; i < 6000 && drift == null; i++) {
            final Optional<ModelMonitor.Alarm> a = m.trained(rng.nextDouble() < 0.6 ? 1 : 0, 1.5, i, 7L);
            if (a.isPresent() && a.get().level() == DriftLevel.DRIFT) {
                drift = a.get();
            }
        }
        assertThat(drift).isNotNull();
        assertThat(drift.position()).isBetween(5000L, 5300L);
        assertThat(drift.detector()).isEqualTo("ADWIN/loss");
        assertThat(drift.statistic()).isGreaterThan(drift.threshold());
        assertThat(drift.action()).contains("0.98 -> 0.96,"); // N_eff/2: 1 − 0.02/0.5
        assertThat(m.betaForUpdate()).isCloseTo(0.96, within(1e-15));
        assertThat(m.state()).isEqualTo(DriftLevel.DRIFT);

        // back to the configured beta after 20 updates, rising monotonically: β − (β − 0.96)·0.01^{k/20}
        double previous = m.betaForUpdate();
        for (int k = 1; k < 20; k++) {
            m.updated();
            assertThat(m.betaForUpdate()).isGreaterThan(previous)
                    .isCloseTo(BETA - (BETA - 0.96) * Math.pow(0.01, k / 20.0), within(1e-14));
            previous = m.betaForUpdate();
        }
        m.updated();
        assertThat(m.betaForUpdate()).isEqualTo(BETA);
        assertThat(m.state()).isNotEqualTo(DriftLevel.DRIFT);
    }

    @Test
    void withAdaptiveForgettingOffAnAlarmChangesNothing() {
        final ModelMonitor m = new ModelMonitor(ModelMonitor.Settings.defaults().withAdaptiveForgetting(false), BETA, 1600);
        final Rng rng = Rng.forStream(2, 0);
        feedErrors(m, rng, 0, 4000, 0.1);
        final List<ModelMonitor.Alarm> alarms = feedErrors(m, rng, 4000, 6000, 0.7);
        assertThat(alarms).anyMatch(a -> a.level() == DriftLevel.DRIFT && a.action().startsWith("none"));
        assertThat(m.betaForUpdate()).isEqualTo(BETA);
    }

    @Test
    void oneChangeGivesOneDriftAlarmWithinTheCooldown() {
        final ModelMonitor m = new ModelMonitor(ModelMonitor.Settings.defaults(), BETA, 1600);
        final Rng rng = Rng.forStream(3, 0);
        feedErrors(m, rng, 0, 5000, 0.2);
        final List<ModelMonitor.Alarm> alarms = feedErrors(m, rng, 5000, 5500, 0.6);
        assertThat(alarms).filteredOn(a -> a.level() == DriftLevel.DRIFT).hasSize(1);
    }

    @Test
    void thresholdIsTheRecentTrainingQuantileAndAShiftOfInputsRaisesAFeatureDriftAlarm() {
        final ModelMonitor m = new ModelMonitor(ModelMonitor.Settings.defaults(), BETA, 1600);
        final Rng rng = Rng.forStream(4, 0);
        assertThat(m.oodThreshold()).isNull();
        assertThat(m.isOutOfDistribution(1e9)).isFalse();
        final List<Double> scores = new ArrayList<>();
        for (int i = 0; i < 199; i++) {
            final double s = -Math.log(rng.nextDouble()); // Exp(1): 99th percentile ln 100 = 4.605
            scores.add(s);
            m.trained(0, s, i, 0);
        }
        assertThat(m.oodThreshold()).as("not before 200 training scores").isNull();
        for (int i = 199; i < 20000; i++) {
            m.trained(0, -Math.log(rng.nextDouble()), i, 0);
        }
        assertThat(m.oodThreshold()).isCloseTo(Math.log(100), within(0.35));

        // scored events: about 1% flagged while inputs look like training, then 4x larger scores
        int flagged = 0;
        for (int i = 0; i < 10000; i++) {
            final double s = -Math.log(rng.nextDouble());
            if (m.isOutOfDistribution(s)) {
                flagged++;
            }
            assertThat(m.scored(s, i, 0).filter(a -> a.level() == DriftLevel.DRIFT)).isEmpty();
        }
        assertThat(flagged / 10000.0).isBetween(0.005, 0.02);
        ModelMonitor.Alarm alarm = null;
        for (int i = 10000; i < 12000 && alarm == null; i++) {
            final Optional<ModelMonitor.Alarm> a = m.scored(4 * -Math.log(rng.nextDouble()), i, 0);
            if (a.isPresent() && a.get().level() == DriftLevel.DRIFT) {
                alarm = a.get();
            }
        }
        assertThat(alarm).isNotNull();
        assertThat(alarm.detector()).isEqualTo("ADWIN/ood-rate");
        assertThat(alarm.position()).isBetween(10000L, 10300L);
        assertThat(m.betaForUpdate()).isCloseTo(0.96, within(1e-15));
    }

    @Test
    void exportAndRestoreContinueBitIdentically() {
        final ModelMonitor.Settings settings = ModelMonitor.Settings.defaults().withDetector(ModelMonitor.Detector.PAGE_HINKLEY);
        final ModelMonitor a = new ModelMonitor(settings, BETA, 800);
        final Rng rng = Rng.forStream(5, 0);
        feedErrors(a, rng, 0, 3000, 0.1);
        final ModelMonitor b = ModelMonitor.restore(settings, BETA, 800, a.exportState());
        final Rng r1 = Rng.forStream(6, 0);
        final Rng r2 = Rng.forStream(6, 0);
        final List<ModelMonitor.Alarm> fromA = feedErrors(a, r1, 3000, 6000, 0.5);
        final List<ModelMonitor.Alarm> fromB = feedErrors(b, r2, 3000, 6000, 0.5);
        assertThat(fromB).isEqualTo(fromA);
        assertThat(fromA).isNotEmpty();
        assertThat(b.exportState()).isEqualTo(a.exportState());
        assertThat(b.betaForUpdate()).isEqualTo(a.betaForUpdate());
        assertThatThrownBy(() -> ModelMonitor.restore(ModelMonitor.Settings.defaults(), BETA, 800, a.exportState()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsAreValidated() {
        final ModelMonitor.Settings d = ModelMonitor.Settings.defaults();
        assertThatThrownBy(() -> new ModelMonitor.Settings(d.detector(), d.adwinDelta(), d.adwinWarningDelta(), d.phDelta(),
                d.phLambda(), d.phWarningLambda(), true, 1.0, 20, 500, true, 0.99, 200))
                .hasMessageContaining("alarmMemory");
        assertThatThrownBy(() -> new ModelMonitor.Settings(d.detector(), d.adwinDelta(), d.adwinWarningDelta(), d.phDelta(),
                d.phLambda(), d.phWarningLambda(), true, 0.5, 20, 500, true, 1.0, 200))
                .hasMessageContaining("oodQuantile");
        assertThatThrownBy(() -> new ModelMonitor.Settings(d.detector(), 2.0, d.adwinWarningDelta(), d.phDelta(),
                d.phLambda(), d.phWarningLambda(), true, 0.5, 20, 500, true, 0.99, 200))
                .hasMessageContaining("delta");
    }
}
