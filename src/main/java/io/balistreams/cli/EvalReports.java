package io.balistreams.cli;

import io.balistreams.bali.BaliMixture;
import io.balistreams.eval.DriftEvaluation;
import io.balistreams.eval.DriftMetrics;
import io.balistreams.eval.OodEvaluation;
import io.balistreams.eval.PrequentialEvaluation;
import io.balistreams.eval.WindowTrace;
import io.balistreams.monitor.DriftLevel;
import io.balistreams.monitor.ModelMonitor;
import io.balistreams.report.HtmlReport;
import io.balistreams.report.LineChart;

import java.awt.Color;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTML reports of the {@code bali eval} commands ({@code --report FILE.html}): what each run measured, drawn
 * with {@link LineChart} into a {@link HtmlReport}. Every figure's {@code data-*} attributes state what it shows
 * (points per series, marks per kind), so that they can be checked against the run's JSON.
 */
final class EvalReports {
    static final Color WARNING = new Color(0xE69F00);
    static final Color DRIFT = new Color(0xD55E00);
    static final Color FORGETTING = new Color(0xCC79A7);
    static final Color KNOWN_DRIFT = new Color(0x000000);
    static final Color MEMORY_SHIFT = new Color(0x56B4E9);
    static final int WIDTH = 900;
    static final int HEIGHT = 380;

    private EvalReports() {
    }

    /**
     * Writes {@code report} to {@code file} and says so on {@code err}.
     *
     * @throws java.io.UncheckedIOException if the file cannot be written (the command's error line names it)
     */
    static void write(final HtmlReport report, final java.nio.file.Path file, final java.io.PrintWriter err) {
        try {
            report.write(file);
        } catch (final java.nio.file.NoSuchFileException e) {
            throw new java.io.UncheckedIOException("cannot write " + file + ": the directory "
                    + file.toAbsolutePath().getParent() + " does not exist", e);
        } catch (final java.nio.file.AccessDeniedException e) {
            throw new java.io.UncheckedIOException("cannot write " + file + ": permission denied", e);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        err.println("wrote the report " + file);
    }

    /**
     * The report of {@code bali eval prequential}: the run's settings and cumulative metrics; the windowed primary
     * metric (accuracy or RMSE) and NLL over the stream, with the monitor's alarms and, after each DRIFT alarm, the
     * period of faster forgetting ({@code forgettingRecords} records: the recovery updates times the batch); the
     * mean predictive uncertainty per window; a mixture's mean weights per window.
     */
    static HtmlReport prequential(final String title, final Map<String, Object> run,
                                  final PrequentialEvaluation.Result r, final WindowTrace trace,
                                  final BaliMixture mixture, final boolean classification, final int forgettingRecords) {
        final HtmlReport report = new HtmlReport(title);
        report.keyValues("Run", run);
        report.keyValues("Cumulative metrics (" + r.records() + " records)", new LinkedHashMap<>(r.cumulative()));
        final List<Map<String, Double>> windows = r.windows();
        final double[] end = windows.stream().mapToDouble(w -> w.get("end")).toArray();
        final String metric = classification ? "accuracy" : "rmse";
        final long warnings = r.alarms().stream().filter(a -> a.level() == DriftLevel.WARNING).count();
        final long drifts = r.alarms().stream().filter(a -> a.level() == DriftLevel.DRIFT).count();
        for (final String name : List.of(metric, "nll")) {
            final LineChart chart = new LineChart((name.equals("nll") ? "Negative log-likelihood" : classification
                    ? "Accuracy" : "RMSE") + " per window of " + (long) (end.length > 0 ? end[0] : 0) + " records",
                    "records scored", name.equals("nll") ? "mean NLL (nats)" : classification ? "accuracy (fraction correct)"
                    : "RMSE (target units)");
            chart.series(name, end, windows.stream().mapToDouble(w -> w.getOrDefault(name, Double.NaN)).toArray());
            markAlarms(chart, r.alarms(), forgettingRecords);
            final Map<String, Object> data = new LinkedHashMap<>();
            data.put("points", end.length);
            data.put("warning-alarms", warnings);
            data.put("drift-alarms", drifts);
            data.put("y-axis", chart.yLabel());
            report.figure("windowed-" + name, (name.equals("nll") ? "NLL" : classification ? "Accuracy" : "RMSE")
                    + " of each window, plotted at its last record; dashed lines: the monitor's alarms (" + warnings
                    + " WARNING, " + drifts + " DRIFT); shaded: faster forgetting after a DRIFT alarm (about "
                    + forgettingRecords + " records).", chart.svg("windowed-" + name, WIDTH, HEIGHT), data);
        }
        final LineChart uncertainty = new LineChart("Predictive uncertainty per window", "records scored",
                classification ? "mean entropy of the prediction (nats)" : "mean predictive standard deviation (target units)");
        uncertainty.series(classification ? "entropy" : "predictive sd", end,
                trace.uncertainty(false));
        markAlarms(uncertainty, r.alarms(), forgettingRecords);
        report.figure("uncertainty", "The mean uncertainty of the predictions as they were served (before their "
                + "label was learned), per window; with the alarms as above.", uncertainty.svg("uncertainty", WIDTH, HEIGHT),
                Map.of("points", end.length, "y-axis", uncertainty.yLabel()));
        if (mixture != null) {
            final LineChart weights = new LineChart("The mixture's weights per window", "records scored",
                    "mean weight of the expert").yRange(0, 1);
            trace.weights(false).forEach((expert, w) -> weights.series("memory " + expert, end, w));
            markAlarms(weights, r.alarms(), forgettingRecords);
            report.figure("weights", "Each expert's posterior weight, averaged over the records of each window as they "
                    + "were scored: which memory the data preferred, and when it changed.",
                    weights.svg("weights", WIDTH, HEIGHT), Map.of("points", end.length,
                            "experts", mixture.experts().size(), "y-axis", weights.yLabel()));
        }
        return report;
    }

    /** Dashed lines at the alarms (WARNING, DRIFT) and a shaded period of faster forgetting after each DRIFT. */
    private static void markAlarms(final LineChart chart, final List<ModelMonitor.Alarm> alarms,
                                   final int forgettingRecords) {
        markLevels(chart, alarms.stream().map(a -> new Alarm(a.position(), a.level())).toList(), forgettingRecords);
    }

    /** An alarm as drawn: where, and which level. */
    private record Alarm(long position, DriftLevel level) {
    }

    private static void markLevels(final LineChart chart, final List<Alarm> alarms, final int forgettingRecords) {
        for (final Alarm a : alarms) {
            if (a.level() == DriftLevel.DRIFT) {
                chart.mark(a.position(), "DRIFT alarm", DRIFT);
                if (forgettingRecords > 0) {
                    chart.period(a.position(), a.position() + forgettingRecords, "faster forgetting", FORGETTING);
                }
            } else {
                chart.mark(a.position(), "WARNING alarm", WARNING);
            }
        }
    }

    /** The known drift points (solid), the run's alarms and forgetting periods, and its memory-shift alarms. */
    private static void markDrift(final LineChart chart, final long[] points, final DriftEvaluation.Run run,
                                  final int forgettingRecords) {
        if (points != null) {
            for (final long p : points) {
                chart.mark(p, "known drift point", KNOWN_DRIFT);
            }
        }
        markLevels(chart, run.alarms().stream().map(a -> new Alarm(a.position(), a.level())).toList(),
                forgettingRecords);
        if (run.memoryShift() != null) {
            for (final DriftMetrics.Alarm a : run.memoryShift().alarms()) {
                chart.mark(a.position(), "memory shift", MEMORY_SHIFT);
            }
        }
    }

    /**
     * The report of {@code bali eval drift}: the settings; detection per known drift point (delay of the first DRIFT
     * alarm, accuracy over the recovery window with and without adaptive forgetting); the windowed accuracy of both
     * runs over the stream with the known drift points, the adaptive run's alarms and its periods of faster
     * forgetting ({@code forgettingRecords} records after each DRIFT alarm), and a mixture's memory-shift alarms;
     * the predictive uncertainty of both runs, and a mixture's weights, per window.
     */
    static HtmlReport drift(final String title, final Map<String, Object> run, final DriftEvaluation.Comparison c,
                            final int forgettingRecords) {
        final HtmlReport report = new HtmlReport(title);
        report.keyValues("Run", run);
        final DriftEvaluation.Run on = c.adaptive();
        final DriftEvaluation.Run off = c.fixed();
        final Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("accuracy, adaptive forgetting", on.overall());
        summary.put("accuracy, fixed forgetting", off.overall());
        summary.put("DRIFT alarms (adaptive run)", on.driftAlarms());
        summary.put("missed drift points", on.driftPoints() == null ? "unknown drift points" : on.missed());
        summary.put("false alarms per 10,000 events", on.falseAlarmsPer10k() == null ? "unknown drift points"
                : on.falseAlarmsPer10k());
        report.keyValues("Summary", summary);
        final long[] points = c.stream().driftPoints();
        if (points != null && points.length > 0) {
            final List<List<?>> rows = new java.util.ArrayList<>();
            for (int i = 0; i < points.length; i++) {
                rows.add(List.of(points[i], on.delays()[i] == null ? "missed" : on.delays()[i],
                        on.recovery()[i], off.recovery()[i]));
            }
            report.table("Known drift points", List.of("drift point (event)", "delay of the DRIFT alarm (events)",
                    "recovery accuracy, adaptive", "recovery accuracy, fixed"), rows);
        }
        final LineChart chart = new LineChart("Accuracy per window of " + c.settings().window() + " events",
                "events", "accuracy (fraction correct)");
        final double[] ends = java.util.Arrays.stream(on.windowEnds()).asDoubleStream().toArray();
        chart.series("adaptive forgetting", ends, on.windows());
        chart.series("fixed forgetting", java.util.Arrays.stream(off.windowEnds()).asDoubleStream().toArray(),
                off.windows());
        markDrift(chart, points, on, forgettingRecords);
        final Map<String, Object> data = new LinkedHashMap<>();
        data.put("points", ends.length);
        data.put("known-drift-points", points == null ? 0 : points.length);
        data.put("warning-alarms", on.alarms().stream().filter(a -> a.level() == DriftLevel.WARNING).count());
        data.put("drift-alarms", on.driftAlarms());
        data.put("memory-shifts", on.memoryShift() == null ? 0 : on.memoryShift().alarms().size());
        data.put("y-axis", chart.yLabel());
        report.figure("windowed-accuracy", "Accuracy of each window, plotted at its last event, with adaptive "
                + "forgetting (the service's monitor) and without (the same seed); solid black lines: the stream's "
                + "known drift points; dashed: the adaptive run's alarms; shaded: faster forgetting after a DRIFT "
                + "alarm (about " + forgettingRecords + " events).", chart.svg("windowed-accuracy", WIDTH, HEIGHT), data);

        final LineChart uncertainty = new LineChart("Predictive uncertainty per window", "events",
                "mean entropy of the prediction (nats)");
        uncertainty.series("adaptive forgetting", ends, on.windowUncertainty());
        uncertainty.series("fixed forgetting", java.util.Arrays.stream(off.windowEnds()).asDoubleStream().toArray(),
                off.windowUncertainty());
        markDrift(uncertainty, points, on, forgettingRecords);
        report.figure("uncertainty", "The mean entropy of the predictions as they were served, per window, in both "
                + "runs; marks as above.", uncertainty.svg("uncertainty", WIDTH, HEIGHT),
                Map.of("points", ends.length, "y-axis", uncertainty.yLabel()));
        if (on.windowWeights() != null) {
            final LineChart weights = new LineChart("The mixture's weights per window (adaptive run)", "events",
                    "mean weight of the expert").yRange(0, 1);
            on.windowWeights().forEach((expert, w) -> weights.series("memory " + expert, ends, w));
            markDrift(weights, points, on, forgettingRecords);
            report.figure("weights", "Each expert's posterior weight averaged over the events of each window as "
                    + "they were scored: which memory the data preferred, before and after each drift point.",
                    weights.svg("weights", WIDTH, HEIGHT), Map.of("points", ends.length, "experts",
                            on.windowWeights().size(), "y-axis", weights.yLabel()));
        }
        return report;
    }

    /** Bins of the score histograms. */
    static final int HISTOGRAM_BINS = 40;

    /**
     * The report of {@code bali eval ood}: the metrics; per score, the histogram (as a density) of the test inputs
     * and of the out-of-distribution inputs, the leverage's with the flag threshold; the ROC curve of each score with
     * its AUROC (the area under the drawn curve, which must equal the metric); the reliability diagram of the test
     * set (accuracy against mean confidence in the ECE's 15 equal-width bins) with the ECE.
     */
    static HtmlReport ood(final String title, final Map<String, Object> run, final OodEvaluation.Result r) {
        final HtmlReport report = new HtmlReport(title);
        report.keyValues("Run", run);
        final Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("test accuracy", r.accuracy());
        metrics.put("test NLL (nats)", r.nll());
        metrics.put("test ECE", r.ece());
        r.auroc().forEach((k, v) -> metrics.put("AUROC, " + k.replace('_', ' '), v));
        metrics.put("leverage flag threshold", r.leverageThreshold());
        metrics.put("flagged, test", r.flagged().get("in_distribution"));
        metrics.put("flagged, out of distribution", r.flagged().get("ood"));
        report.keyValues("Metrics", metrics);
        final OodEvaluation.Scores s = r.scores();
        final boolean[] out = s.outOfDistribution();
        for (final Map.Entry<String, double[]> e : s.scores().entrySet()) {
            final String name = e.getKey().replace('_', ' ');
            final double[] v = e.getValue();
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (final double x : v) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
            final double width = hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1;
            final long[] in = new long[HISTOGRAM_BINS];
            final long[] ood = new long[HISTOGRAM_BINS];
            for (int i = 0; i < v.length; i++) {
                final int b = Math.min(HISTOGRAM_BINS - 1, (int) ((v[i] - lo) / width));
                (out[i] ? ood : in)[b]++;
            }
            final long nIn = java.util.Arrays.stream(in).sum();
            final long nOut = java.util.Arrays.stream(ood).sum();
            final double[] x = new double[2 * HISTOGRAM_BINS];
            final double[] yIn = new double[x.length];
            final double[] yOut = new double[x.length];
            for (int b = 0; b < HISTOGRAM_BINS; b++) { // a step line: both edges of each bin
                x[2 * b] = lo + b * width;
                x[2 * b + 1] = lo + (b + 1) * width;
                yIn[2 * b] = yIn[2 * b + 1] = in[b] / (nIn * width);
                yOut[2 * b] = yOut[2 * b + 1] = ood[b] / (nOut * width);
            }
            final LineChart histogram = new LineChart("Histogram of the " + name + " score", name
                    + (e.getKey().equals("leverage") ? " (last layer)" : " (nats)"), "density (per unit of score)");
            histogram.series("test (in distribution)", x, yIn).series("out of distribution", x, yOut);
            if (e.getKey().equals("leverage")) {
                histogram.mark(r.leverageThreshold(), "flag threshold (99th percentile of training)", DRIFT);
            }
            report.figure("histogram-" + e.getKey(), "Density of the " + name + " score over " + nIn + " test and "
                    + nOut + " out-of-distribution inputs (" + HISTOGRAM_BINS + " bins)" + (e.getKey().equals("leverage")
                    ? "; dashed: the flag threshold" : "") + ".", histogram.svg("histogram-" + e.getKey(), WIDTH, HEIGHT),
                    Map.of("in-distribution", nIn, "out-of-distribution", nOut, "bins", HISTOGRAM_BINS,
                            "y-axis", histogram.yLabel()));
        }
        final LineChart roc = new LineChart("ROC: out-of-distribution inputs as positives", "false positive rate",
                "true positive rate").yRange(0, 1);
        final Map<String, Object> rocData = new LinkedHashMap<>();
        for (final Map.Entry<String, double[]> e : s.scores().entrySet()) {
            final double[][] curve = rocCurve(e.getValue(), out);
            final double[][] drawn = thin(curve, 400);
            roc.series(e.getKey().replace('_', ' ') + String.format(java.util.Locale.ROOT, " (AUROC %.3f)",
                    r.auroc().get(e.getKey())), drawn[0], drawn[1]);
            rocData.put("auc-" + e.getKey().replace('_', '-'), String.format(java.util.Locale.ROOT, "%.6f",
                    trapezoid(curve[0], curve[1])));
        }
        roc.series("chance", new double[]{0, 1}, new double[]{0, 1});
        rocData.put("y-axis", roc.yLabel());
        report.figure("roc", "ROC curve of each score (higher score = more likely out of distribution); the area "
                + "under each curve is its AUROC.", roc.svg("roc", WIDTH, 480), rocData);

        final int bins = io.balistreams.metrics.ClassificationScorer.ECE_BINS;
        final long[] count = new long[bins];
        final double[] confidenceSum = new double[bins];
        final long[] correct = new long[bins];
        for (int i = 0; i < s.confidence().length; i++) {
            final int b = Math.min(bins - 1, (int) (s.confidence()[i] * bins));
            count[b]++;
            confidenceSum[b] += s.confidence()[i];
            if (s.correct()[i]) {
                correct[b]++;
            }
        }
        final List<Double> meanConfidence = new java.util.ArrayList<>();
        final List<Double> accuracy = new java.util.ArrayList<>();
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                meanConfidence.add(confidenceSum[b] / count[b]);
                accuracy.add(correct[b] / (double) count[b]);
                ece += count[b] * Math.abs(correct[b] / (double) count[b] - confidenceSum[b] / count[b]);
            }
        }
        ece /= s.confidence().length;
        final LineChart reliability = new LineChart(String.format(java.util.Locale.ROOT,
                "Reliability diagram of the test set (ECE %.4f)", r.ece()), "mean confidence in the bin (largest "
                + "predictive probability)", "accuracy in the bin (fraction correct)").yRange(0, 1);
        reliability.series("model", meanConfidence.stream().mapToDouble(Double::doubleValue).toArray(),
                accuracy.stream().mapToDouble(Double::doubleValue).toArray());
        reliability.series("perfect calibration", new double[]{0, 1}, new double[]{0, 1});
        report.figure("reliability", "Accuracy against confidence over the ECE's " + bins + " equal-width bins (empty bins "
                + "left out); the ECE is the count-weighted mean distance from the diagonal.",
                reliability.svg("reliability", WIDTH, 480), Map.of("bins", meanConfidence.size(), "ece",
                        String.format(java.util.Locale.ROOT, "%.6f", ece), "y-axis", reliability.yLabel()));
        return report;
    }

    /**
     * The ROC curve of {@code scores} with {@code positive} as the positives: false and true positive rates as the
     * threshold falls through the distinct scores (ties in one step), from (0, 0) to (1, 1).
     */
    static double[][] rocCurve(final double[] scores, final boolean[] positive) {
        final Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        long positives = 0;
        for (final boolean p : positive) {
            positives += p ? 1 : 0;
        }
        final long negatives = scores.length - positives;
        final List<double[]> points = new java.util.ArrayList<>();
        points.add(new double[]{0, 0});
        long tp = 0;
        long fp = 0;
        for (int k = 0; k < order.length; k++) {
            if (positive[order[k]]) {
                tp++;
            } else {
                fp++;
            }
            if (k + 1 == order.length || scores[order[k + 1]] != scores[order[k]]) {
                points.add(new double[]{fp / (double) negatives, tp / (double) positives});
            }
        }
        final double[][] curve = new double[2][points.size()];
        for (int i = 0; i < points.size(); i++) {
            curve[0][i] = points.get(i)[0];
            curve[1][i] = points.get(i)[1];
        }
        return curve;
    }

    /**
     * At most about {@code points} points of a curve, evenly spaced along it, its first and last kept (what is
     * drawn; at this width more points add bytes, not detail).
     */
    static double[][] thin(final double[][] curve, final int points) {
        final int n = curve[0].length;
        if (n <= points) {
            return curve;
        }
        final double[][] thinned = new double[2][points];
        for (int i = 0; i < points; i++) {
            final int k = (int) Math.round(i * (n - 1) / (double) (points - 1));
            thinned[0][i] = curve[0][k];
            thinned[1][i] = curve[1][k];
        }
        return thinned;
    }

    /** The area under a curve through the points (x[i], y[i]), x non-decreasing. */
    static double trapezoid(final double[] x, final double[] y) {
        double area = 0;
        for (int i = 1; i < x.length; i++) {
            area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
        }
        return area;
    }

    /**
     * Published results of the UCI protocol for comparison (as listed with the benchmark data: MC dropout with grid
     * search, one hidden layer of 50 units, 20 splits; Gal and Ghahramani, 2016): RMSE and test log-likelihood, each
     * mean and standard error.
     */
    record UciAnchor(double rmse, double rmseSe, double ll, double llSe) {
    }

    static final Map<String, UciAnchor> UCI_ANCHORS = Map.of(
            "bostonHousing", new UciAnchor(2.90, 0.18, -2.40, 0.04),
            "concrete", new UciAnchor(4.82, 0.16, -2.93, 0.02));

    /** The nominal levels of the central intervals whose coverage the UCI report draws. */
    static final double[] COVERAGE_LEVELS = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99};

    /** Observed coverage of each level of {@link #COVERAGE_LEVELS}, pooled over the splits' test targets. */
    static double[] pooledCoverage(final io.balistreams.eval.UciProtocol.Result r) {
        final double[] observed = new double[COVERAGE_LEVELS.length];
        long n = 0;
        for (final io.balistreams.eval.UciProtocol.SplitResult split : r.splits()) {
            for (int l = 0; l < COVERAGE_LEVELS.length; l++) {
                observed[l] += split.coverage(COVERAGE_LEVELS[l]) * split.pit().length;
            }
            n += split.pit().length;
        }
        for (int l = 0; l < observed.length; l++) {
            observed[l] /= n;
        }
        return observed;
    }

    /**
     * The report of {@code bali eval uci}: the settings and summary (with the published anchor where one is known);
     * the RMSE and the test log-likelihood of each split against the anchor's mean ± standard error; the observed
     * coverage of central predictive intervals against their nominal level, pooled over the splits.
     */
    static HtmlReport uci(final String title, final Map<String, Object> run, final io.balistreams.eval.UciProtocol.Result r) {
        final HtmlReport report = new HtmlReport(title);
        report.keyValues("Run", run);
        final UciAnchor anchor = UCI_ANCHORS.get(r.dataset());
        final double[] rmse = r.rmse();
        final double[] ll = r.logLikelihood();
        final List<List<?>> rows = new java.util.ArrayList<>();
        rows.add(List.of("BALI (this run)", meanSe(rmse), meanSe(ll)));
        if (anchor != null) {
            rows.add(List.of("MC dropout, published anchor", String.format(java.util.Locale.ROOT, "%.2f ± %.2f",
                    anchor.rmse(), anchor.rmseSe()), String.format(java.util.Locale.ROOT, "%.2f ± %.2f", anchor.ll(),
                    anchor.llSe())));
        }
        report.table(r.splits().size() + " splits (mean ± standard error)", List.of("", "test RMSE",
                "test log-likelihood"), rows);
        final double[] split = r.splits().stream().mapToDouble(sp -> sp.split()).toArray();
        for (final boolean isRmse : new boolean[]{true, false}) {
            final String id = isRmse ? "rmse" : "log-likelihood";
            final LineChart chart = new LineChart(isRmse ? "Test RMSE per split" : "Test log-likelihood per split",
                    "split", isRmse ? "RMSE (target units; lower is better)"
                    : "mean test log-likelihood (nats; higher is better)");
            chart.series("BALI", split, isRmse ? rmse : ll);
            if (anchor != null) {
                chart.level(isRmse ? anchor.rmse() : anchor.ll(), isRmse ? anchor.rmseSe() : anchor.llSe(),
                        "MC dropout anchor (mean ± s.e.)", KNOWN_DRIFT);
            }
            final Map<String, Object> data = new LinkedHashMap<>();
            data.put("points", split.length);
            data.put("anchor", anchor == null ? "none" : isRmse ? anchor.rmse() : anchor.ll());
            data.put("y-axis", chart.yLabel());
            report.figure(id, (isRmse ? "RMSE" : "Log-likelihood") + " of each split's test part"
                    + (anchor == null ? "" : "; black: the published anchor, shaded: its standard error") + ".",
                    chart.svg(id, WIDTH, HEIGHT), data);
        }
        final double[] observed = pooledCoverage(r);
        final LineChart calibration = new LineChart("Calibration: coverage of central predictive intervals",
                "nominal coverage (level of the central interval)", "observed coverage (fraction of test targets)")
                .yRange(0, 1);
        calibration.series("BALI (pooled over the splits)", COVERAGE_LEVELS, observed);
        calibration.series("perfect calibration", new double[]{0, 1}, new double[]{0, 1});
        final Map<String, Object> data = new LinkedHashMap<>();
        data.put("points", COVERAGE_LEVELS.length);
        data.put("coverage-95", String.format(java.util.Locale.ROOT, "%.6f", observed[10]));
        data.put("y-axis", calibration.yLabel());
        report.figure("calibration", "The fraction of test targets inside the central interval of each nominal level "
                + "of their predictive distribution (the ensemble's Gaussian mixture), over all splits; on the diagonal "
                + "the intervals are honest, above it too wide, below it too narrow.",
                calibration.svg("calibration", WIDTH, 480), data);
        return report;
    }

    private static String meanSe(final double[] v) {
        return String.format(java.util.Locale.ROOT, "%.3f ± %.3f", io.balistreams.metrics.Metrics.mean(v),
                io.balistreams.metrics.Metrics.standardError(v));
    }
}
