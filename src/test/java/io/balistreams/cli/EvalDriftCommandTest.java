package io.balistreams.cli;

import io.balistreams.testing.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.testing.SharedDatasets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code bali eval drift} end to end, and the flag rates that {@code bali eval ood} reports. */
@Slow
class EvalDriftCommandTest {

    /** The JSON object that is the value of {@code field} (balanced braces; no braces inside strings here). */
    private static String object(final String json, final String field) {
        final int start = json.indexOf("\"" + field + "\":{");
        assertThat(start).as("object %s in %s", field, json).isNotNegative();
        int depth = 0;
        for (int i = json.indexOf('{', start); i < json.length(); i++) {
            depth += json.charAt(i) == '{' ? 1 : json.charAt(i) == '}' ? -1 : 0;
            if (depth == 0) {
                return json.substring(json.indexOf('{', start), i + 1);
            }
        }
        throw new AssertionError("unbalanced JSON: " + json);
    }

    @Test
    void driftOnSeaPrintsTheComparisonAsJson() {
        final CliRun r = CliRun.of("eval", "drift", "--stream", "sea", "--events", "20000", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        final String json = r.out().trim();
        assertThat(json).startsWith("{\"stream\":\"sea\",\"events\":20000,\"drift_points\":[10000],");
        for (final String run : new String[]{"adaptive", "fixed"}) {
            final String o = object(json, run);
            assertThat(CliRun.number(o, "accuracy")).as(run).isBetween(0.8, 0.95);
            assertThat(CliRun.number(o, "records_per_second")).isPositive();
            assertThat(CliRun.number(o, "missed")).isBetween(0.0, 1.0);
            assertThat(CliRun.number(o, "false_alarms_per_10k")).isNotNegative();
            assertThat(CliRun.number(o, "drift_alarms")).isNotNegative();
            final Matcher delays = Pattern.compile("\"detection_delays\":\\[(null|[0-9]+)]").matcher(o);
            assertThat(delays.find()).as("one delay (or null) per drift point in %s", o).isTrue();
            final Matcher recovery = Pattern.compile("\"recovery_accuracy\":\\[([0-9.eE-]+)]").matcher(o);
            assertThat(recovery.find()).as(o).isTrue();
            assertThat(Double.parseDouble(recovery.group(1))).isBetween(0.5, 1.0);
            final Matcher alarm = Pattern.compile(
                    "\\{\"position\":([0-9]+),\"detector\":\"([A-Z_]+/[a-z-]+)\",\"level\":\"(WARNING|DRIFT)\"}").matcher(o);
            assertThat(alarm.find()).as("alarms in %s", o).isTrue();
            assertThat(Long.parseLong(alarm.group(1))).isBetween(0L, 19_999L);
            assertThat(Pattern.compile("\"end\":").matcher(o).results().count()).as("windows of 1,000").isEqualTo(20);
        }
    }

    @Test
    void driftRunsAMixtureOverMemoriesAndNamesIt() {
        final CliRun r = CliRun.of("eval", "drift", "--stream", "sea", "--events", "4000", "--segment", "2000",
                "--hidden", "4", "--experts", "20x2,400x16", "--share", "0.05");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("mixture 3→4→2 tanh over memories 20x2, 400x16 (share 0.05), seed 1;");
        assertThat(r.out().lines()).anyMatch(l -> l.startsWith("memory shift: missed"))
                .anyMatch(l -> l.startsWith("memory shift: false / 10k"));
        final CliRun json = CliRun.of("eval", "drift", "--stream", "sea", "--events", "4000", "--segment", "2000",
                "--hidden", "4", "--experts", "20x2,400x16", "--json");
        assertThat(json.code()).as(json.err()).isZero();
        assertThat(json.out()).contains("\"experts\":[\"20x2\",\"400x16\"]");
        final String adaptive = object(json.out(), "adaptive");
        assertThat(CliRun.number(adaptive, "accuracy")).isBetween(0.75, 0.95);
        final String shift = object(adaptive, "memory_shift");
        assertThat(CliRun.number(shift, "missed")).isBetween(0.0, 1.0);
        assertThat(CliRun.number(shift, "false_alarms_per_10k")).isNotNegative();
        final CliRun bad = CliRun.of("eval", "drift", "--stream", "sea", "--experts", "20x2,big");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).startsWith("error: ").contains("'big'");
    }

    @Test
    void driftPrintsAReadableReport() {
        final CliRun r = CliRun.of("eval", "drift", "--stream", "hyperplane", "--events", "3000", "--segment", "1000");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("hyperplane: 3,000 events, 10 features, 2 classes; drift points 1,000, 2,000")
                .contains("adaptive forgetting").contains("fixed beta").contains("detection delays")
                .contains("accuracy after 2,000");
    }

    @Test
    void badOptionsAreOneErrorLineAndExitCodeOne() {
        final String[][] cases = {
                {"--stream", "nope"},
                {"--stream", "sea", "--detector", "cusum"},
                {"--stream", "sea", "--memory", "16"},
                {"--stream", "sea", "--events", "0"},
                {"--stream", "sea", "--batch", "0"},
                {"--stream", "sea", "--tolerance", "0"},
                {"--stream", "elec2", "--segment", "100"},
                {"--stream", "fmnist-classes", "--data", "/nothing/here"},
        };
        final String[] expected = {"--stream must be", "--detector must be", "--memory", "--events", "--batch",
                "--tolerance", "--segment", "/nothing/here"};
        for (int i = 0; i < cases.length; i++) {
            final String[] args = new String[cases[i].length + 2];
            args[0] = "eval";
            args[1] = "drift";
            System.arraycopy(cases[i], 0, args, 2, cases[i].length);
            final CliRun r = CliRun.of(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.err()).as(String.join(" ", args)).startsWith("error: ").contains(expected[i]);
        }
    }

    @Test
    void oodReportsTheCalibratedFlagRates() {
        final Path fashion = SharedDatasets.require("fashion-mnist");
        final Path mnist = SharedDatasets.require("mnist-10k");
        final CliRun r = CliRun.of("eval", "ood",
                "--train", fashion.resolve("train-images-idx3-ubyte.gz").toString(),
                fashion.resolve("train-labels-idx1-ubyte.gz").toString(),
                "--test", fashion.resolve("t10k-images-idx3-ubyte.gz").toString(),
                fashion.resolve("t10k-labels-idx1-ubyte.gz").toString(),
                "--ood", mnist.resolve("mnist-10k-images-idx3-ubyte.gz").toString(),
                "--limit", "2000", "--hidden", "32", "--batch", "100", "--epochs", "1", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        // the existing fields first, unchanged
        assertThat(r.out()).startsWith("{\"accuracy\":").contains("\"auroc\":{\"entropy\":").contains("\"train_seconds\":");
        assertThat(CliRun.number(r.out(), "leverage_threshold")).isPositive();
        final String flagged = object(r.out(), "flagged");
        assertThat(flagged).startsWith("{\"in_distribution\":");
        final double in = CliRun.number(flagged, "in_distribution");
        final double ood = CliRun.number(flagged, "ood");
        assertThat(in).as("test images flagged (about 1% by construction)").isBetween(0.0, 0.05);
        // a small, briefly trained model (0.73 accuracy): 0.45% of the test images and 7.5% of the digits are flagged
        assertThat(ood).as("MNIST digits flagged").isGreaterThan(3 * in).isGreaterThan(0.03);
    }
}
