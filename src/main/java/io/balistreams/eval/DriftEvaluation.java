package io.balistreams.eval;

import static io.balistreams.eval.DriftMetrics.checkDriftPoints;
import static io.balistreams.eval.DriftMetrics.detectionDelays;
import static io.balistreams.eval.DriftMetrics.falseAlarmsPer10k;
import static io.balistreams.eval.DriftMetrics.missed;

import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliMixture;
import io.balistreams.bali.Task;
import io.balistreams.eval.DriftMetrics.Alarm;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.monitor.OodScore;
import io.balistreams.monitor.PrequentialLoss;
import io.balistreams.online.LearnerSettings;
import io.balistreams.online.OnlineLearner;
import io.balistreams.online.ScoredEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Drift detection and adaptive forgetting, measured: test-then-train over a stream with a
 * {@link ModelMonitor} in the service's own {@link OnlineLearner} (docs/method.md §4), on streams whose
 * drift points are known.
 *
 * <p><b>The loop</b> is the service's: one {@link OnlineLearner} (all events labelled, OOD score = the
 * last-layer leverage āᵀΛ_L⁻¹ā, the prequential loss of {@link Settings#loss()}: by default the 0/1 error,
 * or for regression the squared standardised residual (y − μ)²/σ²_total; or the negative log-likelihood),
 * driven by {@link PrequentialEvaluation#run}: score, label, learn every B labels at the monitor's β. A
 * partial batch at the end of the stream is not learned. Every alarm the monitor returns is recorded with
 * the position it carries: a feature-drift alarm the position of the scored event, a loss alarm the
 * position of the labelled event whose loss fired it (the alarm itself is raised when that event's batch
 * is learned, at most B − 1 events later).
 *
 * <p><b>Metrics</b>, over the DRIFT alarms of all detectors, for known drift points d₁ &lt; d₂ &lt; …:
 * <ul>
 *   <li>detection delays, missed drifts and false alarms per 10,000 events, each with a tolerance interval
 *       after every drift point ({@link DriftMetrics});</li>
 *   <li>recovery accuracy of dᵢ = accuracy over [dᵢ, min(dᵢ + W, dᵢ₊₁, events)), W = the recovery window;</li>
 *   <li>prequential accuracy overall and in consecutive windows.</li>
 * </ul>
 * {@link #compare} runs the same stream twice with the same seed, adaptive forgetting on and off
 * ({@link ModelMonitor.Settings#withAdaptiveForgetting(boolean)}), so the difference is the forgetting alone.
 *
 * <p><b>Streams</b> with known drift points, and their models: {@link DriftStreams}.
 */
public final class DriftEvaluation {
    /** Default tolerance: a drift counts as detected by a DRIFT alarm within this many events after it. */
    public static final int DEFAULT_TOLERANCE = 2_000;
    /** Default recovery window W: accuracy over the W events after each drift point. */
    public static final int DEFAULT_RECOVERY_WINDOW = 1_000;
    /** Default window of the windowed prequential accuracy. */
    public static final int DEFAULT_WINDOW = 1_000;

    private DriftEvaluation() {
    }

    // ---------------------------------------------------------------------------------------------
    // Records

    /**
     * How a run is measured.
     *
     * @param monitor        the monitor's settings ({@link #compare} overrides their adaptive-forgetting switch)
     * @param tolerance      events after a drift point within which a DRIFT alarm detects it (≥ 1)
     * @param recoveryWindow W, events after each drift point over which the recovery accuracy is taken (≥ 1)
     * @param window         events per window of the windowed prequential accuracy (≥ 1)
     * @param loss           the loss the detector watches (the service's {@code bali.drift.loss})
     */
    public record Settings(ModelMonitor.Settings monitor, int tolerance, int recoveryWindow, int window,
                           PrequentialLoss loss, List<BaliMixture.Expert> experts, double share) {
        public Settings {
            Objects.requireNonNull(monitor, "monitor");
            Objects.requireNonNull(loss, "loss");
            experts = List.copyOf(experts);
            if (tolerance < 1) {
                throw new IllegalArgumentException("tolerance must be >= 1, got " + tolerance);
            }
            if (recoveryWindow < 1) {
                throw new IllegalArgumentException("recovery window must be >= 1, got " + recoveryWindow);
            }
            if (window < 1) {
                throw new IllegalArgumentException("window must be >= 1, got " + window);
            }
        }

        /** A single model (no mixture over memories). */
        public Settings(final ModelMonitor.Settings monitor, final int tolerance, final int recoveryWindow,
                        final int window, final PrequentialLoss loss) {
            this(monitor, tolerance, recoveryWindow, window, loss, List.of(), BaliMixture.DEFAULT_SHARE);
        }

        /**
         * The same settings with a mixture over these memories and share (docs/method.md §11) instead of a single
         * model; the configuration of a run is then the experts' base. An empty list means a single model.
         */
        public Settings withExperts(final List<BaliMixture.Expert> mixtureExperts, final double mixtureShare) {
            return new Settings(monitor, tolerance, recoveryWindow, window, loss, mixtureExperts, mixtureShare);
        }

        /** The service's monitor defaults and loss (0/1 error), tolerance 2,000, recovery window 1,000, windows of 1,000. */
        public static Settings defaults() {
            return new Settings(ModelMonitor.Settings.defaults(), DEFAULT_TOLERANCE, DEFAULT_RECOVERY_WINDOW,
                    DEFAULT_WINDOW, PrequentialLoss.ERROR);
        }

        public Settings withMonitor(final ModelMonitor.Settings m) {
            return new Settings(m, tolerance, recoveryWindow, window, loss, experts, share);
        }
    }


    /**
     * The outcome of one run.
     *
     * @param adaptiveForgetting whether a DRIFT alarm lowered β
     * @param metric             "accuracy" (classification) or "mse" (regression, in target units): what
     *                           {@code overall}, {@code windows} and {@code recovery} measure
     * @param events             events scored
     * @param overall            the metric over all events
     * @param windowEnds         end position (exclusive) of each window
     * @param windows            the metric per window
     * @param alarms             every alarm, WARNINGs included, in the order raised
     * @param driftPoints        the known drift points (null if unknown)
     * @param delays             detection delay per drift point, null where missed (empty if none known)
     * @param missed             drift points without a DRIFT alarm within the tolerance
     * @param falseAlarmsPer10k  DRIFT alarms outside every tolerance interval per 10,000 events outside
     *                           them; null if the drift points are unknown
     * @param recovery           the metric over the W events after each drift point
     * @param rejectedUpdates    updates the model refused (non-finite)
     * @param seconds            wall time of scoring, monitoring and learning
     * @param windowUncertainty  per window, the mean uncertainty of the predictions as served: the predictive
     *                           entropy (nats) for classification, the predictive standard deviation for regression
     * @param windowWeights      per expert of a mixture (by its memory), its mean weight per window; null for one model
     */
    public record Run(boolean adaptiveForgetting, String metric, long events, double overall, long[] windowEnds,
                      double[] windows, List<Alarm> alarms, long[] driftPoints, Long[] delays, int missed,
                      Double falseAlarmsPer10k, double[] recovery, long rejectedUpdates, double seconds,
                      Detection memoryShift, double[] windowUncertainty, Map<String, double[]> windowWeights) {
        public double recordsPerSecond() {
            return events / seconds;
        }

        /** Number of DRIFT alarms (of any detector). */
        public long driftAlarms() {
            return alarms.stream().filter(a -> a.level() == DriftLevel.DRIFT).count();
        }
    }

    /**
     * What a detector found: its DRIFT alarms, the delay per drift point (null: missed), the number missed and the
     * false alarms per 10,000 events (null where the drift points are unknown).
     */
    public record Detection(List<Alarm> alarms, Long[] delays, int missed, Double falseAlarmsPer10k) {
    }

    /** The same stream and seed with adaptive forgetting on and off. */
    public record Comparison(ClassificationStream stream, BaliConfig config, Settings settings, Run adaptive,
                             Run fixed) {
    }

    // ---------------------------------------------------------------------------------------------
    // Runs

    /**
     * Runs {@code stream} twice with {@code config} (same seed): adaptive forgetting on, then off.
     *
     * @param progress called with the events done over both runs (0 .. 2·events), about every 1,000 (may be null)
     */
    public static Comparison compare(final BaliConfig config, final ClassificationStream stream, final Settings settings,
                                     final LongConsumer progress) {
        final long n = stream.events();
        final Run on = classification(config, stream, settings.withMonitor(settings.monitor().withAdaptiveForgetting(true)),
                progress);
        final Run off = classification(config, stream, settings.withMonitor(settings.monitor().withAdaptiveForgetting(false)),
                progress == null ? null : done -> progress.accept(n + done));
        return new Comparison(stream, config, settings, on, off);
    }

    /** One prequential run of a classification stream with the monitor (see the class comment). */
    public static Run classification(final BaliConfig config, final ClassificationStream stream, final Settings settings,
                                     final LongConsumer progress) {
        requireTask(config, Task.CLASSIFICATION);
        if (config.inputSize() != stream.dimension() || config.numClasses() < stream.classes()) {
            throw new IllegalArgumentException("model " + config.inputSize() + " inputs / " + config.numClasses()
                    + " classes cannot take stream " + stream.name() + " (" + stream.dimension() + " features, "
                    + stream.classes() + " classes)");
        }
        final int[] y = stream.labels();
        final double[] targets = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            targets[i] = y[i];
        }
        return run(config, stream.features(), targets, stream.driftPoints(), settings, progress, "accuracy",
                (i, e) -> e.classification().predictedClass() == y[i] ? 1 : 0);
    }

    /**
     * One prequential run of a regression stream with the monitor: loss = (y − μ)²/σ²_total, metric = mean
     * squared error in target units.
     *
     * @param driftPoints known drift points, or null if unknown
     */
    public static Run regression(final BaliConfig config, final double[][] features, final double[] targets,
                                 final long[] driftPoints, final Settings settings, final LongConsumer progress) {
        requireTask(config, Task.REGRESSION);
        if (features.length != targets.length || features.length == 0) {
            throw new IllegalArgumentException(features.length + " feature rows but " + targets.length + " targets");
        }
        if (driftPoints != null) {
            checkDriftPoints(driftPoints, features.length);
        }
        return run(config, features, targets, driftPoints, settings, progress, "mse", (i, e) -> {
            final double r = targets[i] - e.regression().mean();
            return r * r;
        });
    }

    /** The per-event metric of a run: 1/0 for a hit/miss, or the squared error. */
    private interface PerEventMetric {
        double of(int index, ScoredEvent scored);
    }

    /**
     * The run: the {@link OnlineLearner} of the service with these monitor settings and loss (OOD score = the
     * leverage), driven by {@link PrequentialEvaluation#run}; then the drift metrics over its alarms.
     */
    private static Run run(final BaliConfig config, final double[][] features, final double[] targets,
                           final long[] driftPoints, final Settings settings, final LongConsumer progress,
                           final String metric, final PerEventMetric perEventMetric) {
        final int n = features.length;
        final double[] perEvent = new double[n];
        final LearnerSettings learnerSettings = new LearnerSettings(settings.monitor(), settings.loss(),
                OodScore.LEVERAGE, settings.window());
        final OnlineLearner learner = settings.experts().isEmpty()
                ? OnlineLearner.create("drift", config, List.of(), learnerSettings)
                : OnlineLearner.create("drift", new BaliMixture(config, settings.experts(), settings.share()), List.of(),
                        learnerSettings);
        final MemoryShiftDetector shift = settings.experts().size() < 2 ? null
                : new MemoryShiftDetector(settings.experts());
        final List<Alarm> shiftAlarms = new ArrayList<>();
        final WindowTrace trace = new WindowTrace(settings.window());
        final PrequentialEvaluation.Result result = PrequentialEvaluation.run(learner, features, targets, progress,
                (i, scored) -> {
                    perEvent[i] = perEventMetric.of(i, scored);
                    trace.scored(i, scored);
                    if (shift != null && shift.observe(i, scored.memoryWeights())) {
                        shiftAlarms.add(new Alarm(i, "MEMORY_SHIFT/weights", DriftLevel.DRIFT));
                    }
                });
        final List<Alarm> alarms = new ArrayList<>(result.alarms().size());
        for (final ModelMonitor.Alarm a : result.alarms()) {
            alarms.add(of(a));
        }

        final int windowCount = (n + settings.window() - 1) / settings.window();
        final long[] windowEnds = new long[windowCount];
        final double[] windows = new double[windowCount];
        for (int w = 0; w < windowCount; w++) {
            final int from = w * settings.window();
            final int to = Math.min(n, from + settings.window());
            windowEnds[w] = to;
            windows[w] = mean(perEvent, from, to);
        }
        final boolean known = driftPoints != null;
        final long[] drifts = known ? driftPoints : new long[0];
        final double[] recovery = new double[drifts.length];
        for (int k = 0; k < drifts.length; k++) {
            final long end = Math.min(drifts[k] + settings.recoveryWindow(), k + 1 < drifts.length ? drifts[k + 1] : n);
            recovery[k] = mean(perEvent, (int) drifts[k], (int) Math.min(end, n));
        }
        final List<Alarm> all = Collections.unmodifiableList(alarms);
        return new Run(settings.monitor().adaptiveForgetting(), metric, n, mean(perEvent, 0, n), windowEnds, windows, all,
                known ? driftPoints.clone() : null, detectionDelays(all, drifts, n, settings.tolerance()),
                missed(all, drifts, n, settings.tolerance()),
                known ? falseAlarmsPer10k(all, drifts, n, settings.tolerance()) : null, recovery,
                result.rejectedUpdates(), result.seconds(), shift == null ? null
                        : new Detection(List.copyOf(shiftAlarms), detectionDelays(shiftAlarms, drifts, n,
                                settings.tolerance()), missed(shiftAlarms, drifts, n, settings.tolerance()),
                                known ? falseAlarmsPer10k(shiftAlarms, drifts, n, settings.tolerance()) : null),
                trace.uncertainty(true), trace.weights(true));
    }

    private static Alarm of(final ModelMonitor.Alarm a) {
        return new Alarm(a.position(), a.detector(), a.level());
    }

    private static double mean(final double[] v, final int from, final int to) {
        if (to <= from) {
            return Double.NaN;
        }
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    private static void requireTask(final BaliConfig config, final Task task) {
        if (config.task() != task) {
            throw new IllegalArgumentException("a " + task + " run needs a " + task + " model configuration");
        }
    }
}
