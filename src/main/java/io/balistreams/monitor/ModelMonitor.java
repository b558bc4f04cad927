package io.balistreams.monitor;

import java.util.Arrays;
import java.util.Optional;

/**
 * Everything that watches one model besides the model itself: a drift detector on its prequential loss, a
 * feature-drift detector on the rate of out-of-distribution flags, the calibrated out-of-distribution
 * threshold, and the adaptive-forgetting schedule that answers a drift alarm. Plain Java, used both by the
 * Kafka learner and by {@code bali eval drift}, so that what is measured is what the service does.
 *
 * <p>Call order, per model:
 * <ul>
 *   <li>{@link #scored} for every scored event (labelled or not), in stream order, with its OOD score;
 *       {@link #oodThreshold()} and {@link #isOutOfDistribution} say whether it is flagged;</li>
 *   <li>{@link #trained} for each labelled event of a mini-batch, in order, just before the update, with
 *       its prequential loss and OOD score (the threshold is the {@code oodQuantile} of these training
 *       scores, forgetting at the model's rate: decay 1 − 1/N_eff per value);</li>
 *   <li>{@link #betaForUpdate()} for the β of that update, then {@link #updated()} after it.</li>
 * </ul>
 * Adaptive forgetting (docs/method.md §4): a DRIFT from either detector shrinks the memory N_eff to a fraction
 * {@code alarmMemory} of it, β_alarm = 1 − (1 − β)/alarmMemory; after each update the gap to the configured β
 * shrinks geometrically, β_now = β − (β − β_alarm)·0.01^{k/K} after k of
 * K = {@code recoveryUpdates} updates, and β_now = β again after K. A DRIFT within {@code cooldown} values of
 * the same detector's previous DRIFT re-arms the schedule without a new alarm (ADWIN drops old buckets over
 * a few checks and may fire several times for one change). While β is lowered the feature-drift detector
 * pauses, because the wider posterior raises every leverage score by itself; it restarts on a fresh window
 * when β is back. It starts only after 2 N_eff training scores (at least {@code oodMinCount}), when the
 * threshold has forgotten the first, unsettled scores of a young model. Only rises count: an ADWIN DRIFT
 * whose recent mean is lower than before (the error falling as the model learns) is ignored.
 *
 * <p>The whole state exports to a {@code double[]} and restores exactly ({@link #exportState()},
 * {@link #restore}), so a restarted service continues bit-identically.
 */
public final class ModelMonitor {
    private static final double FORMAT_TAG = 0x30A1;
    private static final double EVENT_TAG = 0x30A2;
    private static final double LABEL_TAG = 0x30A3;
    /** Gap left after {@code recoveryUpdates} updates, as a fraction of the initial gap. */
    private static final double RECOVERY_RESIDUAL = 0.01;

    /** Which detector watches the loss. */
    public enum Detector { ADWIN, PAGE_HINKLEY, NONE }

    /**
     * Monitoring settings.
     *
     * @param detector           detector on the prequential loss
     * @param adwinDelta         ADWIN confidence δ of the drift level
     * @param adwinWarningDelta  ADWIN δ of the warning level (≥ adwinDelta)
     * @param phDelta            Page-Hinkley magnitude δ (about half the smallest rise worth detecting)
     * @param phLambda           Page-Hinkley drift threshold λ
     * @param phWarningLambda    Page-Hinkley warning threshold (≤ λ)
     * @param adaptiveForgetting whether a DRIFT lowers β for a while
     * @param alarmMemory        memory right after a DRIFT as a fraction of N_eff: β_alarm = 1 − (1 − β)/alarmMemory
     *                           (floored at 0.05)
     * @param recoveryUpdates    updates to return to the configured β
     * @param cooldown           values fed to a detector after a DRIFT during which a new DRIFT is not alarmed
     * @param featureDrift       whether an ADWIN watches the out-of-distribution flags (0/1 per scored event)
     * @param oodQuantile        quantile of the training scores used as the flag threshold
     * @param oodMinCount        training scores needed before the threshold is used
     */
    public record Settings(Detector detector, double adwinDelta, double adwinWarningDelta, double phDelta,
                           double phLambda, double phWarningLambda, boolean adaptiveForgetting, double alarmMemory,
                           int recoveryUpdates, long cooldown, boolean featureDrift,
                           double oodQuantile, int oodMinCount) {
        public Settings {
            if (detector == null) {
                throw new IllegalArgumentException("detector must be set");
            }
            // the detectors validate their own parameters
            if (detector == Detector.ADWIN || featureDrift) {
                new Adwin(adwinDelta, adwinWarningDelta);
            }
            if (detector == Detector.PAGE_HINKLEY) {
                new PageHinkley(phDelta, phLambda, phWarningLambda, PageHinkley.DEFAULT_ALPHA,
                        PageHinkley.DEFAULT_MIN_INSTANCES);
            }
            if (!(alarmMemory > 0 && alarmMemory < 1)) {
                throw new IllegalArgumentException("alarmMemory (a fraction of N_eff) must be in (0, 1), got "
                        + alarmMemory);
            }
            if (recoveryUpdates < 1) {
                throw new IllegalArgumentException("recoveryUpdates must be >= 1, got " + recoveryUpdates);
            }
            if (cooldown < 0) {
                throw new IllegalArgumentException("cooldown must be >= 0, got " + cooldown);
            }
            if (!(oodQuantile > 0 && oodQuantile < 1)) {
                throw new IllegalArgumentException("oodQuantile must be in (0, 1), got " + oodQuantile);
            }
            if (oodMinCount < 1) {
                throw new IllegalArgumentException("oodMinCount must be >= 1, got " + oodMinCount);
            }
        }

        /** ADWIN δ = 0.002 (warning 0.01), adaptive forgetting to half the memory recovering over 20 updates, 500-value
         * cooldown, feature drift on, threshold at the 99th percentile after 200 training scores. */
        public static Settings defaults() {
            return new Settings(Detector.ADWIN, Adwin.DEFAULT_DELTA, Adwin.DEFAULT_WARNING_DELTA,
                    PageHinkley.DEFAULT_DELTA, PageHinkley.DEFAULT_LAMBDA, PageHinkley.DEFAULT_WARNING_LAMBDA,
                    true, 0.5, 20, 500, true, 0.99, 200);
        }

        /** The settings as numbers, for storing them beside a monitor's state ({@link #fromArray}). */
        public double[] toArray() {
            return new double[]{detector.ordinal(), adwinDelta, adwinWarningDelta, phDelta, phLambda, phWarningLambda,
                    adaptiveForgetting ? 1 : 0, alarmMemory, recoveryUpdates, cooldown, featureDrift ? 1 : 0,
                    oodQuantile, oodMinCount};
        }

        /** Settings from {@link #toArray()}, validated again. */
        public static Settings fromArray(final double[] a) {
            if (a.length != 13) {
                throw new IllegalArgumentException("monitor settings need 13 numbers, got " + a.length);
            }
            return new Settings(Detector.values()[(int) a[0]], a[1], a[2], a[3], a[4], a[5], a[6] != 0, a[7],
                    (int) a[8], (long) a[9], a[10] != 0, a[11], (int) a[12]);
        }

        /** These settings with some fields replaced; null keeps a field. */
        public Settings with(final Detector d, final Double delta, final Boolean adaptive, final Double memory,
                             final Double quantile) {
            final double adwin = delta == null ? adwinDelta : delta;
            return new Settings(d == null ? detector : d, adwin, Math.max(adwin, adwinWarningDelta), phDelta, phLambda,
                    phWarningLambda, adaptive == null ? adaptiveForgetting : adaptive,
                    memory == null ? alarmMemory : memory, recoveryUpdates, cooldown, featureDrift,
                    quantile == null ? oodQuantile : quantile, oodMinCount);
        }

        public Settings withDetector(final Detector d) {
            return new Settings(d, adwinDelta, adwinWarningDelta, phDelta, phLambda, phWarningLambda, adaptiveForgetting,
                    alarmMemory, recoveryUpdates, cooldown, featureDrift, oodQuantile, oodMinCount);
        }

        public Settings withAdaptiveForgetting(final boolean on) {
            return new Settings(detector, adwinDelta, adwinWarningDelta, phDelta, phLambda, phWarningLambda, on,
                    alarmMemory, recoveryUpdates, cooldown, featureDrift, oodQuantile, oodMinCount);
        }

        public Settings withFeatureDrift(final boolean on) {
            return new Settings(detector, adwinDelta, adwinWarningDelta, phDelta, phLambda, phWarningLambda,
                    adaptiveForgetting, alarmMemory, recoveryUpdates, cooldown, on, oodQuantile, oodMinCount);
        }

        /** Whether anything watches the stream: a loss detector or the feature-drift detector. */
        public boolean watching() {
            return detector != Detector.NONE || featureDrift;
        }
    }

    /**
     * A detector changed level.
     *
     * @param detector  which detector on which stream, e.g. {@code ADWIN/loss}, {@code ADWIN/ood-rate}
     * @param level     WARNING or DRIFT
     * @param statistic the detector's statistic when it fired
     * @param threshold the bound it crossed
     * @param position  the position passed with the value that triggered it
     * @param eventTime the event time passed with it
     * @param action    what the monitor did, e.g. {@code beta 0.9 -> 0.5, back over 20 updates}
     */
    public record Alarm(String detector, DriftLevel level, double statistic, double threshold, long position,
                        long eventTime, String action) {
    }

    private final Settings settings;
    private final double configuredBeta;
    /** β right after a DRIFT: the memory N_eff shrunk to {@code alarmMemory}·N_eff. */
    private final double alarmBeta;
    /** Training scores after which the threshold has forgotten the first, unsettled scores (2 N_eff). */
    private final long featureDriftStart;
    private final DriftDetector lossDetector;
    private Adwin oodRateDetector;
    private final DecayingQuantileSketch sketch;
    private double betaNow;
    /** Updates since the last DRIFT response, or −1 when β is back at its configured value. */
    private int recovery = -1;
    /**
     * The flag threshold, recomputed on first use after the sketch changed ({@link #trained}): a quantile
     * costs a scan of the sketch's bins, and the threshold is read several times for every scored event.
     */
    private Double threshold;
    private boolean thresholdStale = true;
    /** Detector value counts at the last DRIFT of each detector, −1 if none yet. */
    private long lossValuesAtDrift = -1;
    private long oodValuesAtDrift = -1;
    /** Calls that changed the event part / the label part of the state since this object was built (not state). */
    private long eventChanges;
    private long labelChanges;

    /**
     * @param configuredBeta  the model's β
     * @param effectiveMemory the model's N_eff = B/(1 − β), the memory of the threshold's quantile sketch
     */
    public ModelMonitor(final Settings settings, final double configuredBeta, final double effectiveMemory) {
        this(settings, configuredBeta, effectiveMemory, null);
    }

    private ModelMonitor(final Settings settings, final double configuredBeta, final double effectiveMemory,
                         final double[] state) {
        if (!(configuredBeta > 0 && configuredBeta < 1)) {
            throw new IllegalArgumentException("configuredBeta must be in (0, 1), got " + configuredBeta);
        }
        if (!(effectiveMemory >= 1)) {
            throw new IllegalArgumentException("effectiveMemory must be >= 1, got " + effectiveMemory);
        }
        this.settings = settings;
        this.configuredBeta = configuredBeta;
        this.alarmBeta = Math.max(0.05, 1.0 - (1.0 - configuredBeta) / settings.alarmMemory());
        this.featureDriftStart = Math.max(settings.oodMinCount(), (long) Math.ceil(2 * effectiveMemory));
        if (state == null) {
            lossDetector = switch (settings.detector()) {
                case ADWIN -> new Adwin(settings.adwinDelta(), settings.adwinWarningDelta());
                case PAGE_HINKLEY -> new PageHinkley(settings.phDelta(), settings.phLambda(), settings.phWarningLambda(),
                        PageHinkley.DEFAULT_ALPHA, PageHinkley.DEFAULT_MIN_INSTANCES);
                case NONE -> null;
            };
            oodRateDetector = settings.featureDrift() ? new Adwin(settings.adwinDelta(), settings.adwinWarningDelta()) : null;
            sketch = new DecayingQuantileSketch(settings.oodQuantile(), 1.0 - 1.0 / effectiveMemory);
            betaNow = configuredBeta;
            return;
        }
        if (state.length < 9 || state[0] != FORMAT_TAG) {
            throw new IllegalArgumentException("state: not a ModelMonitor state");
        }
        betaNow = state[1];
        recovery = (int) state[2];
        lossValuesAtDrift = (long) state[5];
        oodValuesAtDrift = (long) state[6];
        int at = 7;
        final int lossLength = (int) state[at++];
        lossDetector = lossLength == 0 ? null : DriftDetector.restore(Arrays.copyOfRange(state, at, at + lossLength));
        at += lossLength;
        final int oodLength = (int) state[at++];
        oodRateDetector = oodLength == 0 ? null : Adwin.restore(Arrays.copyOfRange(state, at, at + oodLength));
        at += oodLength;
        final int sketchLength = (int) state[at++];
        sketch = DecayingQuantileSketch.restore(Arrays.copyOfRange(state, at, at + sketchLength));
        final String expected = settings.detector() == Detector.NONE ? null : settings.detector().name();
        if (!java.util.Objects.equals(lossDetector == null ? null : lossDetector.name(), expected)
                || (oodRateDetector == null) == settings.featureDrift()) {
            throw new IllegalArgumentException("state: its detectors do not match the settings");
        }
    }

    /** A monitor continuing from {@link #exportState()} (same settings, β and memory as the original). */
    public static ModelMonitor restore(final Settings settings, final double configuredBeta,
                                       final double effectiveMemory, final double[] state) {
        return new ModelMonitor(settings, configuredBeta, effectiveMemory, state);
    }

    /** The flag threshold: the {@code oodQuantile} of recent training scores, or null before {@code oodMinCount}. */
    public Double oodThreshold() {
        if (thresholdStale) {
            threshold = sketch.count() < settings.oodMinCount() ? null : sketch.quantile();
            thresholdStale = false;
        }
        return threshold;
    }

    /** True if the threshold is calibrated and {@code score} exceeds it. */
    public boolean isOutOfDistribution(final double score) {
        final Double t = oodThreshold();
        return t != null && score > t;
    }

    /**
     * One scored event. While the threshold is calibrated, feeds its flag (1 if out of distribution, else 0)
     * to the feature-drift detector, so that a shift of the inputs raises an alarm before any label arrives.
     */
    public Optional<Alarm> scored(final double score, final long position, final long eventTime) {
        if (oodRateDetector == null || sketch.count() < featureDriftStart || recovery >= 0) {
            // while β is lowered the posterior widens and every score rises: that is the response to a
            // drift, not a new shift of the inputs, so the feature-drift detector pauses (and restarts after)
            return Optional.empty();
        }
        eventChanges++;
        final DriftLevel before = oodRateDetector.level();
        final double meanBefore = oodRateDetector.mean();
        final DriftLevel level = rising(oodRateDetector.add(isOutOfDistribution(score) ? 1.0 : 0.0), oodRateDetector,
                meanBefore);
        final boolean quiet = oodValuesAtDrift >= 0 && oodRateDetector.count() - oodValuesAtDrift < settings.cooldown();
        if (level == DriftLevel.DRIFT) {
            oodValuesAtDrift = oodRateDetector.count();
        }
        return react("ADWIN/ood-rate", oodRateDetector, before, level, quiet, position, eventTime);
    }

    /**
     * The largest loss the loss detector is given: an event with an absurd target (a standardised squared residual of
     * 10³⁰⁰, or an infinite one) counts as this, a thousand standard deviations off, so that one record can raise an
     * alarm but not overflow the detector's sums.
     */
    static final double MAX_WATCHED_LOSS = 1e6;

    /**
     * One labelled event entering the next update: feeds its loss to the loss detector (capped at
     * {@link #MAX_WATCHED_LOSS}; a NaN loss is not watched) and its score to the sketch (unless NaN).
     */
    public Optional<Alarm> trained(final double loss, final double score, final long position, final long eventTime) {
        labelChanges++;
        eventChanges++; // a loss DRIFT changes β and its recovery
        if (!Double.isNaN(score)) {
            sketch.add(score);
            thresholdStale = true;
        }
        if (lossDetector == null) {
            return Optional.empty();
        }
        if (Double.isNaN(loss)) {
            return Optional.empty(); // nothing to watch (a prediction that was not a number)
        }
        final DriftLevel before = lossDetector.level();
        final double meanBefore = lossDetector instanceof Adwin a ? a.mean() : Double.NaN;
        final DriftLevel level = rising(lossDetector.add(Math.min(loss, MAX_WATCHED_LOSS)), lossDetector, meanBefore);
        final boolean quiet = lossValuesAtDrift >= 0 && lossDetector.count() - lossValuesAtDrift < settings.cooldown();
        if (level == DriftLevel.DRIFT) {
            lossValuesAtDrift = lossDetector.count();
        }
        return react(lossDetector.name() + "/loss", lossDetector, before, level, quiet, position, eventTime);
    }

    /**
     * ADWIN reports any change of the mean; only a rise of the loss (or of the flag rate) is a drift to answer:
     * a falling error is the model learning. After an ADWIN DRIFT the window holds only the recent part, so
     * the change was a rise if the recent mean exceeds the mean of the whole window before the cut.
     * Page-Hinkley is one-sided already.
     */
    private static DriftLevel rising(final DriftLevel level, final DriftDetector d, final double meanBefore) {
        if (level == DriftLevel.DRIFT && d instanceof Adwin a && !(a.mean() > meanBefore)) {
            return DriftLevel.STABLE;
        }
        return level;
    }

    private Optional<Alarm> react(final String name, final DriftDetector d, final DriftLevel before,
                                  final DriftLevel level, final boolean quiet, final long position, final long eventTime) {
        if (level == DriftLevel.DRIFT) {
            final double from = betaNow;
            if (settings.adaptiveForgetting()) {
                betaNow = Math.min(betaNow, alarmBeta);
                recovery = 0;
            }
            if (quiet) {
                return Optional.empty();
            }
            final String action = settings.adaptiveForgetting()
                    ? "beta " + brief(from) + " -> " + brief(betaNow) + ", back to " + brief(configuredBeta) + " over "
                    + settings.recoveryUpdates() + " updates"
                    : "none (adaptive forgetting is off)";
            return Optional.of(new Alarm(name, level, d.statistic(), d.threshold(), position, eventTime, action));
        }
        if (level == DriftLevel.WARNING && before == DriftLevel.STABLE && !quiet) {
            return Optional.of(new Alarm(name, level, d.statistic(), d.threshold(), position, eventTime, "none (warning)"));
        }
        return Optional.empty();
    }

    private static String brief(final double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** β for the next update: the configured β, or lower while recovering from a drift alarm. */
    public double betaForUpdate() {
        return betaNow;
    }

    /** Advances the recovery of β by one update. */
    public void updated() {
        if (recovery < 0) {
            return;
        }
        eventChanges++;
        recovery++;
        if (recovery >= settings.recoveryUpdates()) {
            betaNow = configuredBeta;
            recovery = -1;
            if (oodRateDetector != null) {
                oodRateDetector = new Adwin(settings.adwinDelta(), settings.adwinWarningDelta());
                oodValuesAtDrift = -1;
            }
            return;
        }
        final double gap = configuredBeta - alarmBeta;
        betaNow = configuredBeta - gap * Math.pow(RECOVERY_RESIDUAL, recovery / (double) settings.recoveryUpdates());
    }

    /** DRIFT while forgetting faster after an alarm, WARNING while a detector is at its warning level, else STABLE. */
    public DriftLevel state() {
        if (recovery >= 0) {
            return DriftLevel.DRIFT;
        }
        if ((lossDetector != null && lossDetector.level() == DriftLevel.WARNING)
                || (oodRateDetector != null && oodRateDetector.level() == DriftLevel.WARNING)) {
            return DriftLevel.WARNING;
        }
        return DriftLevel.STABLE;
    }

    /**
     * Calls that changed the event part of the state ({@link #exportEventState()}) since this monitor was built
     * or restored: a holder of the exported parts needs to write a part again only when its count moved.
     */
    public long eventStateChanges() {
        return eventChanges;
    }

    /** Calls that changed the label part of the state ({@link #exportLabelState()}): one per trained label. */
    public long labelStateChanges() {
        return labelChanges;
    }

    public Settings settings() {
        return settings;
    }

    /** The whole state, restorable with {@link #restore}; equal to {@link #joinState}(label part, event part). */
    public double[] exportState() {
        return joinState(exportLabelState(), exportEventState());
    }

    /**
     * The part of the state that may change with every scored event: β, its recovery, and the feature-drift
     * detector (a few hundred bytes).
     */
    public double[] exportEventState() {
        final double[] ood = oodRateDetector == null ? new double[0] : oodRateDetector.exportState();
        final double[] s = new double[5 + ood.length];
        s[0] = EVENT_TAG;
        s[1] = betaNow;
        s[2] = recovery;
        s[3] = oodValuesAtDrift;
        s[4] = ood.length;
        System.arraycopy(ood, 0, s, 5, ood.length);
        return s;
    }

    /**
     * The part of the state that changes only when labels are trained (once per update in the service):
     * the loss detector and the OOD threshold's quantile sketch (the bulk of the state, a few KB).
     */
    public double[] exportLabelState() {
        final double[] loss = lossDetector == null ? new double[0] : lossDetector.exportState();
        final double[] sk = sketch.exportState();
        final double[] s = new double[4 + loss.length + sk.length];
        s[0] = LABEL_TAG;
        s[1] = lossValuesAtDrift;
        s[2] = loss.length;
        System.arraycopy(loss, 0, s, 3, loss.length);
        s[3 + loss.length] = sk.length;
        System.arraycopy(sk, 0, s, 4 + loss.length, sk.length);
        return s;
    }

    /**
     * The whole state ({@link #exportState()} format) from its two parts.
     *
     * @throws IllegalArgumentException if a part is not what its export wrote
     */
    public static double[] joinState(final double[] labelState, final double[] eventState) {
        if (labelState.length < 4 || labelState[0] != LABEL_TAG) {
            throw new IllegalArgumentException("labelState: not the label part of a ModelMonitor state");
        }
        if (eventState.length < 5 || eventState[0] != EVENT_TAG) {
            throw new IllegalArgumentException("eventState: not the event part of a ModelMonitor state");
        }
        final int lossLength = (int) labelState[2];
        final int sketchLength = (int) labelState[3 + lossLength];
        final int oodLength = (int) eventState[4];
        if (labelState.length != 4 + lossLength + sketchLength || eventState.length != 5 + oodLength) {
            throw new IllegalArgumentException("monitor state parts have inconsistent lengths");
        }
        final double[] s = new double[10 + lossLength + oodLength + sketchLength];
        s[0] = FORMAT_TAG;
        s[1] = eventState[1];
        s[2] = eventState[2];
        s[3] = 0; // reserved
        s[4] = 0; // reserved
        s[5] = labelState[1];
        s[6] = eventState[3];
        int at = 7;
        s[at++] = lossLength;
        System.arraycopy(labelState, 3, s, at, lossLength);
        at += lossLength;
        s[at++] = oodLength;
        System.arraycopy(eventState, 5, s, at, oodLength);
        at += oodLength;
        s[at++] = sketchLength;
        System.arraycopy(labelState, 4 + lossLength, s, at, sketchLength);
        return s;
    }
}
