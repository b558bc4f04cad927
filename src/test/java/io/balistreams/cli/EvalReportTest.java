package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bali eval prequential|drift|ood|uci --report}: the HTML holds every plot, and what the plots draw is what the run's JSON
 * says (windows, alarms), read from the SVG itself: the metric's line has one segment per pair of consecutive
 * windows, and the dashed lines in the alarm colours are the alarms. The page needs nothing from the network.
 */
class EvalReportTest {
    private static final String DRIFT_LINE = "<line [^>]*stroke:rgb\\(213,94,0\\);[^']*stroke-dasharray:4.0,3.0";
    private static final String WARNING_LINE = "<line [^>]*stroke:rgb\\(230,159,0\\);[^']*stroke-dasharray:4.0,3.0";
    private static final String FIRST_SERIES_SEGMENT = "<line [^>]*stroke-width:1.7999[0-9]*;stroke:rgb\\(0,114,178\\)";

    @Test
    void thePrequentialReportDrawsTheRunsWindowsAlarmsAndWeights(@TempDir final Path dir) throws Exception {
        final Path html = dir.resolve("sea.html");
        final CliRun r = CliRun.of("eval", "prequential", "--csv", "docs/examples/sea.csv", "--target", "class",
                "--window", "250", "--json", "--report", html.toString());
        assertThat(r.code()).as(r.err()).isZero();
        final int windows = (int) Pattern.compile("\"end\":").matcher(r.out()).results().count();
        final long driftAlarms = (long) CliRun.number(r.out(), "drift_alarms");
        assertThat(windows).isEqualTo(16);
        assertThat(r.err()).contains("wrote the report " + html);

        final String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>").doesNotContain("<script").doesNotContain("src=\"http")
                .doesNotContain("href=\"http").doesNotContain("@import").contains("sea.csv (4000 records, 3 features");
        final List<String> figures = List.of("windowed-accuracy", "windowed-nll", "uncertainty", "weights");
        for (final String id : figures) {
            final String figure = figure(page, id);
            assertThat(figure).as(id).contains("data-points=\"" + windows + "\"").contains("<svg")
                    .contains("records scored");
            assertThat(count(figure, FIRST_SERIES_SEGMENT)).as("segments of the first line of %s", id)
                    .isEqualTo(windows - 1);
        }
        final String accuracy = figure(page, "windowed-accuracy");
        final Matcher warnings = Pattern.compile("data-warning-alarms=\"(\\d+)\"").matcher(accuracy);
        assertThat(warnings.find()).isTrue();
        assertThat(accuracy).contains("data-drift-alarms=\"" + driftAlarms + "\"")
                .contains("data-y-axis=\"accuracy (fraction correct)\"");
        assertThat(count(accuracy, DRIFT_LINE)).as("DRIFT lines").isEqualTo(driftAlarms);
        assertThat(count(accuracy, WARNING_LINE)).as("WARNING lines").isEqualTo(Long.parseLong(warnings.group(1)));
        assertThat(figure(page, "weights")).contains("data-experts=\"3\"").contains("memory 50x4")
                .contains("memory 500x8").contains("memory 4000x32");
        assertThat(figure(page, "uncertainty")).contains("data-y-axis=\"mean entropy of the prediction (nats)\"");
    }

    @Test
    void aSingleModelHasNoWeightsAndARegressionReportDrawsRmse(@TempDir final Path dir) throws Exception {
        final Path csv = dir.resolve("line.csv");
        final StringBuilder b = new StringBuilder("x,y\n");
        for (int i = 0; i < 600; i++) {
            final double x = (i % 37) / 37.0;
            b.append(x).append(',').append(2 * x + 0.01 * (i % 5)).append('\n');
        }
        Files.writeString(csv, b.toString());
        final Path html = dir.resolve("line.html");
        final CliRun r = CliRun.of("eval", "prequential", "--csv", csv.toString(), "--target", "y", "--task",
                "regression", "--experts", "none", "--window", "100", "--report", html.toString());
        assertThat(r.code()).as(r.err()).isZero();
        final String page = Files.readString(html);
        assertThat(page).contains("id=\"windowed-rmse\"").contains("data-y-axis=\"RMSE (target units)\"")
                .contains("data-y-axis=\"mean predictive standard deviation (target units)\"")
                .doesNotContain("id=\"weights\"");
        assertThat(count(figure(page, "windowed-rmse"), FIRST_SERIES_SEGMENT)).isEqualTo(5);
    }

    @Test
    void theDriftReportDrawsTheKnownDriftPointsAndTheAdaptiveRunsAlarms(@TempDir final Path dir) throws Exception {
        final Path html = dir.resolve("sea-drift.html");
        final CliRun r = CliRun.of("eval", "drift", "--stream", "sea", "--events", "20000", "--segment", "5000",
                "--experts", "50x4,2000x32", "--json", "--report", html.toString());
        assertThat(r.code()).as(r.err()).isZero();
        final String adaptive = r.out().substring(r.out().indexOf("\"adaptive\":"), r.out().indexOf("\"fixed\":"));
        final long windows = Pattern.compile("\"end\":").matcher(adaptive).results().count();
        final long drifts = (long) CliRun.number(adaptive, "drift_alarms");
        final long warnings = Pattern.compile("\"level\":\"WARNING\"").matcher(adaptive).results().count();
        assertThat(windows).isEqualTo(20);

        final String page = Files.readString(html);
        assertThat(page).doesNotContain("<script").contains("<th>drift point (event)</th>")
                .contains("<td>5,000</td>").contains("<td>15,000</td>");
        final String figure = figure(page, "windowed-accuracy");
        assertThat(figure).contains("data-points=\"" + windows + "\"").contains("data-known-drift-points=\"3\"")
                .contains("data-drift-alarms=\"" + drifts + "\"").contains("data-warning-alarms=\"" + warnings + "\"");
        assertThat(count(figure, FIRST_SERIES_SEGMENT)).as("segments of the adaptive run's line").isEqualTo(windows - 1);
        assertThat(count(figure, "<line [^>]*stroke-width:1.5;stroke:rgb\\(0,0,0\\)")).as("known drift points")
                .isEqualTo(3);
        assertThat(count(figure, DRIFT_LINE)).as("DRIFT lines").isEqualTo(drifts);
        assertThat(count(figure, WARNING_LINE)).as("WARNING lines").isEqualTo(warnings);
        final Matcher shifts = Pattern.compile("\"memory_shift\":\\{\"alarms\":\\[([0-9,]*)\\]").matcher(adaptive);
        assertThat(shifts.find()).isTrue();
        final long memoryShifts = shifts.group(1).isEmpty() ? 0 : shifts.group(1).split(",").length;
        assertThat(figure).contains("data-memory-shifts=\"" + memoryShifts + "\"");
        assertThat(count(figure, "<line [^>]*stroke:rgb\\(86,180,233\\);[^']*stroke-dasharray")).as("memory shifts")
                .isEqualTo(memoryShifts);
        assertThat(figure(page, "uncertainty")).contains("data-points=\"" + windows + "\"");
        assertThat(count(figure(page, "uncertainty"), FIRST_SERIES_SEGMENT)).isEqualTo(windows - 1);
        assertThat(figure(page, "weights")).contains("data-experts=\"2\"").contains("memory 50x4")
                .contains("memory 2000x32");
        assertThat(count(figure(page, "weights"), FIRST_SERIES_SEGMENT)).isEqualTo(windows - 1);
    }

    @Test
    void theOodReportsCurvesHaveTheAreasAndTheCalibrationTheRunReports(@TempDir final Path dir) throws Exception {
        final Path fashion = io.balistreams.testing.SharedDatasets.require("fashion-mnist");
        final Path mnist = io.balistreams.testing.SharedDatasets.require("mnist-10k");
        final Path html = dir.resolve("ood.html");
        final CliRun r = CliRun.of("eval", "ood",
                "--train", fashion.resolve("train-images-idx3-ubyte.gz").toString(),
                fashion.resolve("train-labels-idx1-ubyte.gz").toString(),
                "--test", fashion.resolve("t10k-images-idx3-ubyte.gz").toString(),
                fashion.resolve("t10k-labels-idx1-ubyte.gz").toString(),
                "--ood", mnist.resolve("mnist-10k-images-idx3-ubyte.gz").toString(),
                "--limit", "1500", "--hidden", "32", "--batch", "100", "--epochs", "1", "--ensemble", "2", "--json",
                "--report", html.toString());
        assertThat(r.code()).as(r.err()).isZero();
        final String page = Files.readString(html);
        for (final String score : List.of("entropy", "mutual_information", "leverage")) {
            assertThat(figure(page, "histogram-" + score)).contains("data-in-distribution=\"1500\"")
                    .contains("data-out-of-distribution=\"1500\"");
            final Matcher auc = Pattern.compile("data-auc-" + score.replace('_', '-') + "=\"([0-9.]+)\"")
                    .matcher(figure(page, "roc"));
            assertThat(auc.find()).isTrue();
            assertThat(Double.parseDouble(auc.group(1))).as("area under the drawn ROC of %s", score)
                    .isCloseTo(CliRun.number(r.out(), score), org.assertj.core.api.Assertions.within(1e-6));
        }
        final Matcher ece = Pattern.compile("data-ece=\"([0-9.]+)\"").matcher(figure(page, "reliability"));
        assertThat(ece.find()).isTrue();
        assertThat(Double.parseDouble(ece.group(1))).as("ECE of the drawn bins")
                .isCloseTo(CliRun.number(r.out(), "ece"), org.assertj.core.api.Assertions.within(1e-6));
        assertThat(count(figure(page, "histogram-leverage"), "<line [^>]*stroke:rgb\\(213,94,0\\);[^']*stroke-dasharray"))
                .as("the flag threshold").isEqualTo(1);
    }

    @Test
    void theUciReportDrawsEachSplitAgainstTheAnchorAndTheCoverageOfTheRun(@TempDir final Path dir) throws Exception {
        final Path boston = io.balistreams.testing.SharedDatasets.require("uci", "bostonHousing");
        final Path html = dir.resolve("uci.html");
        final CliRun r = CliRun.of("eval", "uci", "--dir", boston.toString(), "--splits", "2", "--epochs", "20",
                "--ensemble", "2", "--json", "--report", html.toString());
        assertThat(r.code()).as(r.err()).isZero();
        final String page = Files.readString(html);
        assertThat(page).contains("<td>MC dropout, published anchor</td><td>2.90 ± 0.18</td><td>-2.40 ± 0.04</td>");
        for (final String id : List.of("rmse", "log-likelihood")) {
            final String figure = figure(page, id);
            assertThat(figure).contains("data-points=\"2\"");
            assertThat(count(figure, FIRST_SERIES_SEGMENT)).as("segments of %s", id).isEqualTo(1);
            assertThat(count(figure, "<line [^>]*stroke-width:1.6[0-9]*;stroke:rgb\\(0,0,0\\)")).as("anchor of %s", id)
                    .isEqualTo(1);
        }
        assertThat(figure(page, "rmse")).contains("data-anchor=\"2.9\"");
        final Matcher json = Pattern.compile("\"0.95\":([0-9.]+)").matcher(r.out());
        assertThat(json.find()).isTrue();
        final Matcher drawn = Pattern.compile("data-coverage-95=\"([0-9.]+)\"").matcher(figure(page, "calibration"));
        assertThat(drawn.find()).isTrue();
        assertThat(Double.parseDouble(drawn.group(1))).isCloseTo(Double.parseDouble(json.group(1)),
                org.assertj.core.api.Assertions.within(1e-6));
        assertThat(count(figure(page, "calibration"), FIRST_SERIES_SEGMENT)).isEqualTo(11);
    }

    @Test
    void aReportThatCannotBeWrittenIsOneErrorLine(@TempDir final Path dir) {
        final Path missing = dir.resolve("no-such-directory").resolve("sea.html");
        final CliRun r = CliRun.of("eval", "prequential", "--csv", "docs/examples/sea.csv", "--target", "class",
                "--report", missing.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines().filter(l -> l.startsWith("error:")).toList()).containsExactly("error: cannot write "
                + missing + ": the directory " + missing.getParent() + " does not exist");
    }

    private static String figure(final String page, final String id) {
        final int start = page.indexOf("<figure id=\"" + id + "\"");
        assertThat(start).as("figure %s", id).isNotNegative();
        return page.substring(start, page.indexOf("</figure>", start));
    }

    private static long count(final String text, final String regex) {
        return Pattern.compile(regex).matcher(text).results().count();
    }
}
