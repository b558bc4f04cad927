package io.balistreams.eval;

import io.balistreams.metrics.Metrics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.Rng;
import io.balistreams.eval.DriftEvaluation.Comparison;
import io.balistreams.eval.DriftEvaluation.Run;
import io.balistreams.eval.DriftMetrics.Alarm;
import io.balistreams.eval.DriftEvaluation.Settings;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.testing.SharedDatasets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link DriftEvaluation}: the metric functions on hand-made alarms, the generators against their
 * definitions, and short SEA runs through the service's monitor.
 */
class DriftEvaluationTest {
    private static final double R = Math.sqrt(0.5);

    private static Alarm drift(final long position) {
        return new Alarm(position, "ADWIN/loss", DriftLevel.DRIFT);
    }

    private static BaliConfig seaModel(final long seed) {
        return DriftStreams.tabularModel(3, 2, 32, 2000, seed);
    }

    /** The service's monitor defaults, with another loss detector and the feature-drift ADWIN on or off. */
    private static ModelMonitor.Settings monitor(final ModelMonitor.Detector detector, final boolean featureDrift) {
        final ModelMonitor.Settings d = ModelMonitor.Settings.defaults();
        return new ModelMonitor.Settings(detector, d.adwinDelta(), d.adwinWarningDelta(), d.phDelta(), d.phLambda(),
                d.phWarningLambda(), d.adaptiveForgetting(), d.alarmMemory(), d.recoveryUpdates(), d.cooldown(),
                featureDrift, d.oodQuantile(), d.oodMinCount());
    }

    // ---------------------------------------------------------------------------------------------
    // Metrics on a hand-made alarm list

    @Test
    void delaysMissedAndFalseAlarmsOnAHandMadeAlarmList() {
        // drift points 1,000, 5,000, 6,000 in 10,000 events, tolerance 2,000:
        // intervals [1000, 3000), [5000, 6000) (cut at the next drift point), [6000, 8000)
        final long[] drifts = {1000, 5000, 6000};
        assertThat(DriftMetrics.toleranceEnds(drifts, 10_000, 2000)).containsExactly(3000, 6000, 8000);
        final List<Alarm> alarms = List.of(
                new Alarm(200, "ADWIN/loss", DriftLevel.WARNING), // a warning: never counts
                drift(500),                                        // before any drift: false
                new Alarm(1200, "ADWIN/loss", DriftLevel.WARNING), // a warning inside: not a detection
                drift(1500),                                       // detects 1,000 after 500
                new Alarm(2500, "ADWIN/ood-rate", DriftLevel.DRIFT), // a second alarm inside: neither detection nor false
                drift(3000),                                       // the interval's end is exclusive: false
                drift(6100),                                       // detects 6,000 after 100, not 5,000 (cut at 6,000)
                drift(9000));                                      // false
        assertThat(DriftMetrics.detectionDelays(alarms, drifts, 10_000, 2000)).containsExactly(500L, null, 100L);
        assertThat(DriftMetrics.missed(alarms, drifts, 10_000, 2000)).isEqualTo(1);
        // 3 false alarms over the 10,000 − (2,000 + 1,000 + 2,000) = 5,000 events outside the intervals
        assertThat(DriftMetrics.falseAlarmsPer10k(alarms, drifts, 10_000, 2000)).isCloseTo(6.0, within(1e-12));

        // an alarm at the drift point itself is a delay of 0; the last interval is cut at the end of the stream
        assertThat(DriftMetrics.detectionDelays(List.of(drift(1000), drift(9999)), new long[]{1000, 9500}, 10_000, 2000))
                .containsExactly(0L, 499L);
        assertThat(DriftMetrics.toleranceEnds(new long[]{9500}, 10_000, 2000)).containsExactly(10_000);
        // no drift points: every DRIFT alarm is false, per 10,000 events of the whole stream
        assertThat(DriftMetrics.falseAlarmsPer10k(alarms, new long[0], 20_000, 2000)).isCloseTo(3.0, within(1e-12));
        assertThat(DriftMetrics.detectionDelays(alarms, new long[0], 20_000, 2000)).isEmpty();
        // intervals covering all but event 0: one false alarm there is 10,000 per 10,000 events
        assertThat(DriftMetrics.falseAlarmsPer10k(List.of(drift(0), drift(50)), new long[]{1}, 100, 2000))
                .isCloseTo(10_000.0, within(1e-9));

        assertThatThrownBy(() -> DriftMetrics.missed(alarms, new long[]{5000, 1000}, 10_000, 2000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strictly increasing");
        assertThatThrownBy(() -> DriftMetrics.missed(alarms, new long[]{10_000}, 10_000, 2000))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DriftMetrics.missed(alarms, new long[]{0}, 10_000, 2000))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DriftMetrics.missed(alarms, drifts, 10_000, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tolerance");
    }

    // ---------------------------------------------------------------------------------------------
    // Generators

    @Test
    void hyperplaneLabelsFollowTheDefinitionOnHandComputedPoints() {
        // label = 1 iff Σ wᵢxᵢ ≥ Σ wᵢ / 2; w = (1, 2, 3, 0, …): the threshold is 3
        final double[] w = new double[10];
        w[0] = 1;
        w[1] = 2;
        w[2] = 3;
        assertThat(RotatingHyperplane.label(w, point(0.5, 0.5, 0.4))).isZero();  // 0.5 + 1.0 + 1.2 = 2.7
        assertThat(RotatingHyperplane.label(w, point(0.9, 0.5, 0.6))).isOne();   // 0.9 + 1.0 + 1.8 = 3.7
        assertThat(RotatingHyperplane.label(w, point(0.5, 0.5, 0.5))).isOne();   // exactly 3: ≥ counts

        // u = e₁, v = e₂; segments of 100 events, rotation over the first 50 of each later segment by π/2
        final double[] u = new double[10];
        final double[] v = new double[10];
        u[0] = 1;
        v[1] = 1;
        final RotatingHyperplane h = new RotatingHyperplane(u, v, 7, 100, 50, Math.PI / 2, 0.0);
        assertThat(h.driftPoints(350)).containsExactly(100, 200, 300);
        assertThat(h.angleAt(0)).isZero();
        assertThat(h.angleAt(100)).isZero();
        assertThat(h.angleAt(125)).isCloseTo(Math.PI / 4, within(1e-12));
        assertThat(h.angleAt(150)).isCloseTo(Math.PI / 2, within(1e-12));
        assertThat(h.angleAt(199)).isCloseTo(Math.PI / 2, within(1e-12));
        assertThat(h.angleAt(225)).isCloseTo(3 * Math.PI / 4, within(1e-12));
        // θ = 0: w = e₁, label = [x₁ ≥ 0.5]
        assertThat(h.labelAt(0, point(0.6, 0.1))).isOne();
        assertThat(h.labelAt(99, point(0.4, 0.9))).isZero();
        // θ = π/4: w = (√½, √½, 0, …), label = [x₁ + x₂ ≥ 1]
        assertThat(h.weightsAt(125)[0]).isCloseTo(R, within(1e-12));
        assertThat(h.weightsAt(125)[1]).isCloseTo(R, within(1e-12));
        assertThat(h.labelAt(125, point(0.3, 0.8))).isOne();
        assertThat(h.labelAt(125, point(0.3, 0.6))).isZero();
        // θ = π/2: w = e₂, label = [x₂ ≥ 0.5]
        assertThat(h.labelAt(170, point(0.1, 0.7))).isOne();
        assertThat(h.labelAt(170, point(0.9, 0.3))).isZero();
        // θ = 3π/4: w = (−√½, √½, 0, …), Σw = 0, label = [x₂ ≥ x₁]
        assertThat(h.labelAt(225, point(0.2, 0.3))).isOne();
        assertThat(h.labelAt(225, point(0.3, 0.2))).isZero();

        // without noise the stream's labels are exactly the definition at each event's position
        final double[] x = new double[10];
        for (int i = 0; i < 400; i++) {
            final long p = h.position();
            final int y = h.next(x);
            assertThat(y).as("event %d", p).isEqualTo(h.labelAt(p, x));
            for (final double xi : x) {
                assertThat(xi).isBetween(0.0, 1.0);
            }
        }
    }

    @Test
    void hyperplaneNoiseAndDriftSize() {
        final RotatingHyperplane noisy = new RotatingHyperplane(3, 10_000, 2_000, Math.PI / 4, 0.05);
        final double[] x = new double[10];
        int flipped = 0;
        int ones = 0;
        for (int i = 0; i < 20_000; i++) {
            final long p = noisy.position();
            final int y = noisy.next(x);
            ones += y;
            if (y != noisy.labelAt(p, x)) {
                flipped++;
            }
        }
        assertThat(flipped / 20_000.0).as("label noise").isBetween(0.04, 0.06);
        assertThat(ones / 20_000.0).as("the hyperplane passes through the centre: balanced classes").isBetween(0.45, 0.55);
        // one rotation phase (π/4) changes the label of about a quarter of the inputs (Δθ/π)
        final Rng rng = new Rng(11);
        int changed = 0;
        for (int i = 0; i < 20_000; i++) {
            for (int j = 0; j < 10; j++) {
                x[j] = rng.nextDouble();
            }
            if (noisy.labelAt(0, x) != noisy.labelAt(12_000, x)) {
                changed++;
            }
        }
        assertThat(changed / 20_000.0).isBetween(0.2, 0.3);
        final ClassificationStream s = DriftStreams.hyperplane(3, 40_000, 10_000);
        assertThat(s.driftPoints()).containsExactly(10_000, 20_000, 30_000);
        assertThat(s.dimension()).isEqualTo(10);
    }

    @Test
    void classIncrementalRevealsTwoClassesPerSegment() {
        final int[] labels = new int[200];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 10;
        }
        final ClassIncremental c = new ClassIncremental(labels, 5, 100, 2, 2);
        assertThat(c.revealedAt(0)).isEqualTo(2);
        assertThat(c.revealedAt(99)).isEqualTo(2);
        assertThat(c.revealedAt(100)).isEqualTo(4);
        assertThat(c.revealedAt(400)).isEqualTo(10);
        assertThat(c.revealedAt(1_000_000)).isEqualTo(10);
        assertThat(c.driftPoints(1000)).containsExactly(100, 200, 300, 400);
        assertThat(c.driftPoints(250)).containsExactly(100, 200);
        final int[] order = c.classOrder();
        assertThat(order).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        final Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            final long p = i;
            final int label = labels[c.next()];
            final int revealed = c.revealedAt(p);
            boolean allowed = false;
            for (int k = 0; k < revealed; k++) {
                allowed |= order[k] == label;
            }
            assertThat(allowed).as("event %d has class %d, revealed %d", p, label, revealed).isTrue();
            if (p >= 400) {
                seen.add(label);
            }
        }
        assertThat(seen).hasSize(10);
        assertThatThrownBy(() -> new ClassIncremental(new int[]{0, 0, 2}, 1, 10, 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("class 1");
    }

    @Test
    void classIncrementalFashionMnistStartsWithTwoClasses() {
        final Path dir = SharedDatasets.require("fashion-mnist");
        final double[][] images = IdxReader.readImages(dir.resolve("train-images-idx3-ubyte.gz"), 3000);
        final int[] labels = IdxReader.readLabels(dir.resolve("train-labels-idx1-ubyte.gz"), 3000);
        final ClassificationStream s = DriftStreams.classIncremental(images, labels, 1, 2000, 400);
        assertThat(s.driftPoints()).containsExactly(400, 800, 1200, 1600);
        assertThat(s.classes()).isEqualTo(10);
        assertThat(s.dimension()).isEqualTo(784);
        final Set<Integer> first = new HashSet<>();
        final Set<Integer> last = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            (i < 400 ? first : i >= 1600 ? last : new HashSet<Integer>()).add(s.labels()[i]);
        }
        assertThat(first).hasSize(2);
        assertThat(last).hasSize(10);
    }

    // ---------------------------------------------------------------------------------------------
    // Runs through the service's monitor

    /**
     * SEA, 30,000 events, abrupt drifts at 10,000 (θ 8 → 9, 8.5% of the labels change) and 20,000
     * (9 → 7, 16%), 10% label noise, the service's defaults (N_eff = 2,000, ADWIN, feature drift, adaptive
     * forgetting to β = 0.5 over 20 updates).
     *
     * <p>What is <em>not</em> asserted, because it is not true: that every drift is detected and that
     * adaptive forgetting raises the accuracy after a drift. BALI recovers from these drifts by itself within
     * a few hundred events (the accuracy dips for about 250–500 events), so the loss rises too briefly for
     * ADWIN to be sure: over seeds 1–12 the 9 → 7 drift was detected within 2,000 events in 8 (adaptive) /
     * 6 (fixed) runs, the 8 → 9 drift in 3 / 8, some of them coincidences (seed 1 "detects" the 8 → 9 drift
     * 15 events after it because the same alarm fires at the same position on a stream without the drift).
     * And by the time an alarm fires the model has mostly recovered, so dropping β to 0.5 (N_eff 64) only
     * adds noise: the accuracy in the 1,000 events after the 9 → 7 drift was lower with adaptive forgetting
     * in 12 of 12 seeds (by 0.002–0.042), overall accuracy lower in 12 of 12 (by 0.001–0.018).
     */
    @Test
    void seaDriftsAreVisibleDetectedAndAdaptiveForgettingCostsLittle() {
        final ClassificationStream s = DriftStreams.sea(1, 30_000, 10_000);
        assertThat(s.driftPoints()).containsExactly(10_000, 20_000);
        final Comparison c = DriftEvaluation.compare(seaModel(1), s, Settings.defaults(), null);
        final Run on = c.adaptive();
        final Run off = c.fixed();
        assertThat(on.adaptiveForgetting()).isTrue();
        assertThat(off.adaptiveForgetting()).isFalse();
        for (final Run r : List.of(on, off)) {
            assertThat(r.events()).isEqualTo(30_000);
            assertThat(r.rejectedUpdates()).isZero();
            assertThat(r.overall()).isBetween(0.83, 0.92);
            assertThat(r.windows()).hasSize(30);
            // the drifts are real: the 1,000 events after each drift point are worse than the 1,000 before
            assertThat(r.recovery()[0]).isLessThan(r.windows()[9]);
            assertThat(r.recovery()[1]).isLessThan(r.windows()[19] - 0.015);
            // the larger drift (9 → 7) is detected within the tolerance (by the flag-rate detector since the
            // start-up step cap of docs/method.md §4: the model recovers before the loss ADWIN is sure)
            assertThat(r.delays()[1]).isNotNull().isBetween(0L, 1000L);
            assertThat(r.alarms()).anyMatch(a -> a.level() == DriftLevel.DRIFT
                    && a.position() == 20_000 + r.delays()[1]);
            assertThat(r.recordsPerSecond()).isPositive();
        }
        // same seed and data: the two runs are identical until the first DRIFT alarm
        final long firstAlarm = on.alarms().stream().filter(a -> a.level() == DriftLevel.DRIFT)
                .mapToLong(Alarm::position).min().orElseThrow();
        for (int w = 0; w < on.windows().length && on.windowEnds()[w] <= firstAlarm; w++) {
            assertThat(on.windows()[w]).as("window %d", w).isEqualTo(off.windows()[w]);
        }
        // adaptive forgetting does not help here (see above); what holds: it costs little
        assertThat(on.overall()).isGreaterThan(off.overall() - 0.02);
        for (int k = 0; k < 2; k++) {
            assertThat(on.recovery()[k]).as("recovery after drift %d", k).isCloseTo(off.recovery()[k], within(0.03));
        }
    }

    /**
     * One SEA concept for 20,000 events, with a one-sided loss detector (Page–Hinkley, which reacts to a rise
     * of the error only) and the feature-drift ADWIN off: no DRIFT alarm (also true for seeds 2–8).
     */
    @Test
    void stationarySeaRaisesNoDriftAlarmWithPageHinkleyOnTheLoss() {
        final ClassificationStream s = DriftStreams.seaStationary(1, 20_000);
        assertThat(s.driftPoints()).isEmpty();
        final Settings settings = Settings.defaults().withMonitor(monitor(ModelMonitor.Detector.PAGE_HINKLEY, false));
        final Run r = DriftEvaluation.classification(seaModel(1), s, settings, null);
        assertThat(r.alarms()).noneMatch(a -> a.level() == DriftLevel.DRIFT);
        assertThat(r.falseAlarmsPer10k()).isZero();
        assertThat(r.missed()).isZero();
        assertThat(r.delays()).isEmpty();
        assertThat(r.recovery()).isEmpty();
        assertThat(r.overall()).isBetween(0.85, 0.92);
    }

    /**
     * With the service defaults (rises only, feature drift after 2 N_eff), eight stationary SEA streams of
     * 20,000 events raise no DRIFT alarm of the loss detector. Before those two fixes every seed raised one
     * to six alarms: the falling error of the learning curve counted as a change, and the feature-drift ADWIN
     * saw the flag rate climb from 0 to 1% while the threshold forgot a young model's large first leverages.
     * The feature-drift ADWIN (on the OOD flag rate) is looser: 1 alarm in all before the start-up step cap
     * of docs/method.md §4, 10 with it (0.6 per 10,000 events, at events 8,600–18,800, long after the
     * start-up), while the accuracy rose from 0.871 to 0.883 (seeds 1–8; seeds 9–16: 1 → 12 alarms, 0.873 →
     * 0.883). The hidden features of the better-trained model keep moving and the flag rate with them; the
     * bound here records that and is to be tightened when the flag-rate detector is revisited.
     */
    @Test
    void stationarySeaRarelyRaisesADriftAlarmWithTheServiceDefaults() {
        long lossDrifts = 0;
        long featureDrifts = 0;
        for (long seed = 1; seed <= 8; seed++) {
            final Run r = DriftEvaluation.classification(seaModel(seed), DriftStreams.seaStationary(seed, 20_000),
                    Settings.defaults(), null);
            lossDrifts += r.alarms().stream()
                    .filter(a -> a.level() == DriftLevel.DRIFT && a.detector().equals("ADWIN/loss")).count();
            featureDrifts += r.alarms().stream()
                    .filter(a -> a.level() == DriftLevel.DRIFT && !a.detector().equals("ADWIN/loss")).count();
        }
        assertThat(lossDrifts).isZero();
        assertThat(featureDrifts).isLessThanOrEqualTo(12);
    }

    @Test
    void aRegressionJumpIsDetectedOnTheSquaredStandardisedResidual() {
        // y = x + 0.1 ε, then y = x + 3 + 0.1 ε from event 4,000
        final int n = 8000;
        final Rng rng = new Rng(3);
        final double[][] x = new double[n][];
        final double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = new double[]{rng.nextDouble()};
            y[i] = x[i][0] + 0.1 * rng.nextGaussian() + (i >= 4000 ? 3 : 0);
        }
        final BaliConfig config = BaliConfig.regression(1, 16, 1).activation(Activation.TANH).batchSize(16)
                .effectiveMemory(1000).seed(2).build();
        final Run r = DriftEvaluation.regression(config, x, y, new long[]{4000}, Settings.defaults(), null);
        assertThat(r.metric()).isEqualTo("mse");
        assertThat(r.delays()[0]).isNotNull().isLessThan(200L);
        assertThat(r.alarms()).anyMatch(a -> a.detector().equals("ADWIN/loss") && a.level() == DriftLevel.DRIFT
                && a.position() >= 4000);
        assertThat(r.recovery()[0]).as("MSE right after the jump").isGreaterThan(r.windows()[7]);
    }

    @Test
    void elec2HasNoKnownDriftPoints() {
        final ClassificationStream all = DriftStreams.elec2(SharedDatasets.require("streams", "elec2.csv"));
        assertThat(all.events()).isEqualTo(45_312);
        assertThat(all.driftPoints()).isNull();
        final ClassificationStream head = all.head(3000);
        final Run r = DriftEvaluation.classification(DriftStreams.tabularModel(head.dimension(), 2, 32, 2000, 1), head,
                Settings.defaults(), null);
        assertThat(r.driftPoints()).isNull();
        assertThat(r.falseAlarmsPer10k()).isNull();
        assertThat(r.delays()).isEmpty();
        assertThat(r.overall()).isBetween(0.6, 0.95);
    }

    @Test
    void badInputsAreRefused() {
        assertThatThrownBy(() -> new Settings(ModelMonitor.Settings.defaults(), 0, 1000, 1000, io.balistreams.monitor.PrequentialLoss.ERROR))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tolerance");
        assertThatThrownBy(() -> DriftStreams.sea(1, 0, 100)).isInstanceOf(IllegalArgumentException.class);
        final ClassificationStream s = DriftStreams.sea(1, 100, 50);
        assertThatThrownBy(() -> DriftEvaluation.classification(DriftStreams.tabularModel(4, 2, 8, 100, 1), s,
                Settings.defaults(), null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 features");
        assertThatThrownBy(() -> s.head(101)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.head(60).driftPoints()).containsExactly(50);
        assertThat(s.head(50).driftPoints()).isEmpty();
    }

    private static double[] point(final double... first) {
        final double[] x = new double[10];
        System.arraycopy(first, 0, x, 0, first.length);
        return x;
    }
}
