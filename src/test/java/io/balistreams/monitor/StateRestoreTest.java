package io.balistreams.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.balistreams.bali.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Export/restore: a copy restored at any point of a stream and fed the rest of it produces bit-identical
 * outputs (levels, statistics, thresholds, window, quantiles) and ends in a bit-identical state.
 */
class StateRestoreTest {

    private static long bits(final double v) {
        return Double.doubleToRawLongBits(v);
    }

    /** A loss stream with two changes: 0/1 errors at rate 0.2, then 0.6, then squared Gaussian errors. */
    private static double[] lossStream(final long seed, final int n) {
        final Rng rng = Rng.forStream(seed, 0);
        final double[] xs = new double[n];
        for (int t = 0; t < n; t++) {
            if (t < n / 3) {
                xs[t] = rng.nextDouble() < 0.2 ? 1.0 : 0.0;
            } else if (t < 2 * n / 3) {
                xs[t] = rng.nextDouble() < 0.6 ? 1.0 : 0.0;
            } else {
                final double z = rng.nextGaussian();
                xs[t] = 2.0 * z * z;
            }
        }
        return xs;
    }

    private static void assertSameOutputs(final DriftDetector original, final DriftDetector copy, final double[] xs,
                                          final int from) {
        int alarms = 0;
        for (int t = from; t < xs.length; t++) {
            final DriftLevel a = original.add(xs[t]);
            final DriftLevel b = copy.add(xs[t]);
            assertThat(b).as("t %d", t).isEqualTo(a);
            assertThat(bits(copy.statistic())).as("t %d", t).isEqualTo(bits(original.statistic()));
            assertThat(bits(copy.threshold())).as("t %d", t).isEqualTo(bits(original.threshold()));
            assertThat(copy.level()).isEqualTo(original.level());
            assertThat(copy.count()).isEqualTo(original.count());
            if (a != DriftLevel.STABLE) {
                alarms++;
            }
        }
        assertThat(copy.driftCount()).isEqualTo(original.driftCount());
        assertThat(copy.exportState()).isEqualTo(original.exportState());
        assertThat(alarms).as("the remaining stream must exercise the alarms").isPositive();
    }

    @Test
    void adwinContinuesBitIdentically() {
        final double[] xs = lossStream(21, 12_000);
        for (final int cut : new int[] {0, 7, 3_999, 4_040, 4_100, 8_000}) {
            final Adwin original = new Adwin(0.002, 0.05, 32);
            for (int t = 0; t < cut; t++) {
                original.add(xs[t]);
            }
            final double[] state = original.exportState();
            final Adwin copy = Adwin.restore(state);
            assertThat(copy.exportState()).isEqualTo(state);
            assertThat(copy.width()).isEqualTo(original.width());
            assertThat(bits(copy.mean())).isEqualTo(bits(original.mean()));
            for (int t = cut; t < xs.length; t++) {
                original.add(xs[t]);
                copy.add(xs[t]);
                assertThat(copy.width()).isEqualTo(original.width());
                assertThat(bits(copy.mean())).isEqualTo(bits(original.mean()));
                assertThat(bits(copy.variance())).isEqualTo(bits(original.variance()));
            }
            assertThat(copy.exportState()).isEqualTo(original.exportState());
            assertThat(original.driftCount()).isGreaterThanOrEqualTo(cut < 4_000 ? 2 : 1);
        }
        // and through the generic interface, checking levels and statistics value by value
        final Adwin original = new Adwin();
        for (int t = 0; t < 3_000; t++) {
            original.add(xs[t]);
        }
        final DriftDetector copy = DriftDetector.restore(original.exportState());
        assertThat(copy).isInstanceOf(Adwin.class);
        assertSameOutputs(original, copy, xs, 3_000);
    }

    @Test
    void pageHinkleyContinuesBitIdentically() {
        final double[] xs = lossStream(22, 12_000);
        for (final int cut : new int[] {0, 10, 4_000, 4_050, 9_000}) {
            final PageHinkley original = new PageHinkley(0.05, 30, 15, 0.999, 30);
            for (int t = 0; t < cut; t++) {
                original.add(xs[t]);
            }
            final double[] state = original.exportState();
            final DriftDetector copy = DriftDetector.restore(state);
            assertThat(copy).isInstanceOf(PageHinkley.class);
            assertThat(copy.exportState()).isEqualTo(state);
            assertSameOutputs(original, copy, xs, cut);
            assertThat(bits(((PageHinkley) copy).mean())).isEqualTo(bits(original.mean()));
        }
    }

    @Test
    void sketchContinuesBitIdentically() {
        for (final double decay : new double[] {1.0, 0.999, 0.9}) {
            final Rng rng = Rng.forStream(23, 0);
            final double[] xs = new double[20_000];
            for (int t = 0; t < xs.length; t++) {
                xs[t] = Math.exp(rng.nextGaussian()) * (t < 10_000 ? 1.0 : 10.0);
            }
            for (final int cut : new int[] {0, 1, 3_371, 10_000}) {
                final DecayingQuantileSketch original = new DecayingQuantileSketch(0.99, decay);
                for (int t = 0; t < cut; t++) {
                    original.add(xs[t]);
                }
                final double[] state = original.exportState();
                final DecayingQuantileSketch copy = DecayingQuantileSketch.restore(state);
                assertThat(copy.exportState()).isEqualTo(state);
                assertThat(bits(copy.quantile(0.5))).isEqualTo(bits(original.quantile(0.5)));
                for (int t = cut; t < xs.length; t++) {
                    original.add(xs[t]);
                    copy.add(xs[t]);
                    if (t % 7 == 0) {
                        assertThat(bits(copy.quantile())).as("decay %s t %d", decay, t)
                                .isEqualTo(bits(original.quantile()));
                        assertThat(bits(copy.effectiveCount())).isEqualTo(bits(original.effectiveCount()));
                    }
                }
                assertThat(copy.exportState()).isEqualTo(original.exportState());
                assertThat(copy.count()).isEqualTo(xs.length);
            }
        }
    }

    @Test
    void rejectsInconsistentStates() {
        final Adwin adwin = new Adwin();
        for (int t = 0; t < 1_000; t++) {
            adwin.add(t % 3);
        }
        final double[] a = adwin.exportState();
        assertThatThrownBy(() -> Adwin.restore(Arrays.copyOf(a, a.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        final double[] badWidth = a.clone();
        badWidth[5] += 1;
        assertThatThrownBy(() -> Adwin.restore(badWidth)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("width");
        final double[] badDelta = a.clone();
        badDelta[1] = 2.0;
        assertThatThrownBy(() -> Adwin.restore(badDelta)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("delta");
        assertThatThrownBy(() -> Adwin.restore(new PageHinkley().exportState()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ADWIN");

        final double[] p = new PageHinkley().exportState();
        final double[] badCount = p.clone();
        badCount[6] = 1.5;
        assertThatThrownBy(() -> PageHinkley.restore(badCount)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("count");
        assertThatThrownBy(() -> PageHinkley.restore(Arrays.copyOf(p, 3))).isInstanceOf(IllegalArgumentException.class);

        final DecayingQuantileSketch sketch = new DecayingQuantileSketch();
        sketch.add(1.0);
        final double[] s = sketch.exportState();
        final double[] negative = s.clone();
        negative[9 + 256] = -1.0;
        assertThatThrownBy(() -> DecayingQuantileSketch.restore(negative)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight");
        assertThatThrownBy(() -> DecayingQuantileSketch.restore(Arrays.copyOf(s, s.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);

        assertThatThrownBy(() -> DriftDetector.restore(s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tag");
        assertThatThrownBy(() -> DriftDetector.restore(new double[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DriftDetector.restore(null)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The monitor's state in two parts: scoring changes only the small event part (β, the feature-drift
     * detector), training also the label part (loss detector, threshold sketch); the parts joined restore a
     * monitor that continues exactly as the original, and swapped parts are refused.
     */
    @Test
    void monitorPartsChangeAtTheirOwnRateAndJoinToTheWholeState() {
        final ModelMonitor.Settings settings = ModelMonitor.Settings.defaults();
        final ModelMonitor monitor = new ModelMonitor(settings, 0.9, 320);
        final Rng rng = Rng.forStream(24, 0);
        for (int t = 0; t < 2_000; t++) {
            final double score = Math.abs(rng.nextGaussian());
            monitor.scored(score, t, 0);
            monitor.trained(rng.nextDouble() < 0.2 ? 1 : 0, score, t, 0);
            if (t % 32 == 31) {
                monitor.updated();
            }
        }
        final long labelChanges = monitor.labelStateChanges();
        final long eventChanges = monitor.eventStateChanges();
        final double[] labelPart = monitor.exportLabelState();
        for (int t = 0; t < 100; t++) {
            monitor.scored(Math.abs(rng.nextGaussian()), 2_000 + t, 0);
        }
        assertThat(monitor.labelStateChanges()).isEqualTo(labelChanges);
        assertThat(monitor.eventStateChanges()).as("the feature-drift detector is calibrated after 2 N_eff")
                .isEqualTo(eventChanges + 100);
        assertThat(monitor.exportLabelState()).isEqualTo(labelPart);
        assertThat(monitor.exportEventState().length).isLessThan(labelPart.length);

        final double[] joined = ModelMonitor.joinState(monitor.exportLabelState(), monitor.exportEventState());
        assertThat(joined).isEqualTo(monitor.exportState());
        final ModelMonitor copy = ModelMonitor.restore(settings, 0.9, 320, joined);
        for (int t = 0; t < 3_000; t++) {
            final double score = Math.abs(rng.nextGaussian()) * (t > 1_500 ? 3 : 1);
            final double loss = rng.nextDouble() < (t > 1_500 ? 0.6 : 0.2) ? 1 : 0;
            assertThat(copy.scored(score, t, 0)).isEqualTo(monitor.scored(score, t, 0));
            assertThat(copy.trained(loss, score, t, 0)).isEqualTo(monitor.trained(loss, score, t, 0));
            assertThat(bits(copy.betaForUpdate())).isEqualTo(bits(monitor.betaForUpdate()));
            monitor.updated();
            copy.updated();
        }
        assertThat(copy.exportState()).isEqualTo(monitor.exportState());
        assertThatThrownBy(() -> ModelMonitor.joinState(monitor.exportEventState(), monitor.exportLabelState()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the label part");
    }
}
