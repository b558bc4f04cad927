package io.balistreams.cli;

import io.balistreams.bali.BaliMixture;
import io.balistreams.eval.DriftEvaluation;
import io.balistreams.eval.DriftMetrics;
import io.balistreams.eval.PrequentialEvaluation;
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
     * The report of {@code bali eval prequential}: the run's settings and cumulative metrics; the windowed primary
     * metric (accuracy or RMSE) and NLL over the stream, with the monitor's alarms and, after each DRIFT alarm, the
     * period of faster forgetting ({@code forgettingRecords} records: the recovery updates times the batch); the
     * mean predictive uncertainty per window; a mixture's mean weights per window.
     */
    static HtmlReport prequential(final String title, final Map<String, Object> run,
                                  final PrequentialEvaluation.Result r, final EvalPrequentialCommand.StreamTrace trace,
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
                trace.uncertainty.stream().mapToDouble(Double::doubleValue).limit(end.length).toArray());
        markAlarms(uncertainty, r.alarms(), forgettingRecords);
        report.figure("uncertainty", "The mean uncertainty of the predictions as they were served (before their "
                + "label was learned), per window; with the alarms as above.", uncertainty.svg("uncertainty", WIDTH, HEIGHT),
                Map.of("points", end.length, "y-axis", uncertainty.yLabel()));
        if (mixture != null) {
            final LineChart weights = new LineChart("The mixture's weights per window", "records scored",
                    "mean weight of the expert").yRange(0, 1);
            for (int k = 0; k < mixture.experts().size(); k++) {
                final int expert = k;
                weights.series("memory " + mixture.experts().get(k), end,
                        trace.weights.stream().limit(end.length).mapToDouble(w -> w[expert]).toArray());
            }
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

    /**
     * The report of {@code bali eval drift}: the settings; detection per known drift point (delay of the first DRIFT
     * alarm, accuracy over the recovery window with and without adaptive forgetting); the windowed accuracy of both
     * runs over the stream with the known drift points, the adaptive run's alarms and its periods of faster
     * forgetting ({@code forgettingRecords} records after each DRIFT alarm), and a mixture's memory-shift alarms.
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
        if (points != null) {
            for (final long p : points) {
                chart.mark(p, "known drift point", KNOWN_DRIFT);
            }
        }
        markLevels(chart, on.alarms().stream().map(a -> new Alarm(a.position(), a.level())).toList(),
                forgettingRecords);
        if (on.memoryShift() != null) {
            for (final DriftMetrics.Alarm a : on.memoryShift().alarms()) {
                chart.mark(a.position(), "memory shift", MEMORY_SHIFT);
            }
        }
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
        return report;
    }
}
