package io.balistreams.cli;

import io.balistreams.testing.Slow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.balistreams.testing.SharedDatasets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One small end-to-end run of each {@code bali eval} command on a cut of the real data. */
@Slow
class EvalCommandTest {

    @Test
    void uciOnOneSplitOfBostonHousing() {
        final Path boston = SharedDatasets.require("uci", "bostonHousing");
        final CliRun r = CliRun.of("eval", "uci", "--dir", boston.toString(), "--splits", "2", "--epochs", "20", "--ensemble", "2",
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("{\"dataset\":\"bostonHousing\",\"splits\":2,\"rmse\":{\"mean\":");
        assertThat(CliRun.number(r.out(), "mean")).as("RMSE").isBetween(1.5, 4.5);
        final Matcher ll = Pattern.compile("\"ll\":\\{\"mean\":([-0-9.eE]+),\"se\":([-0-9.eE]+)").matcher(r.out());
        assertThat(ll.find()).isTrue();
        assertThat(Double.parseDouble(ll.group(1))).as("test log-likelihood").isBetween(-3.2, -2.0);
        assertThat(CliRun.number(r.out(), "train_seconds")).isPositive();
    }

    @Test
    void prequentialOnTheFirstRowsOfElec2(@TempDir final Path dir) throws IOException {
        final List<String> lines = Files.readAllLines(SharedDatasets.require("streams", "elec2.csv"));
        final Path cut = dir.resolve("elec2-head.csv");
        Files.write(cut, lines.subList(0, 4001));
        final CliRun r = CliRun.of("eval", "prequential", "--csv", cut.toString(), "--target", "class", "--window", "1000",
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(CliRun.number(r.out(), "n")).isEqualTo(4000);
        assertThat(CliRun.number(r.out(), "records_per_second")).isPositive();
        assertThat(CliRun.number(r.out(), "accuracy")).as("cumulative accuracy").isBetween(0.65, 1.0);
        assertThat(Pattern.compile("\"end\":").matcher(r.out()).results().count()).isEqualTo(4);
        assertThat(CliRun.number(r.out(), "ece")).isBetween(0.0, 0.3);
        // the default is the mixture over memories: its experts and their weights (each summing to 1)
        assertThat(r.out()).contains("\"experts\":[\"50x4\",\"500x8\",\"4000x32\"]");
        for (final String weights : List.of("final_weights", "mean_weights")) {
            final Matcher m = Pattern.compile("\"" + weights + "\":\\[([^\\]]*)\\]").matcher(r.out());
            assertThat(m.find()).as(weights).isTrue();
            assertThat(Arrays.stream(m.group(1).split(",")).mapToDouble(Double::parseDouble).sum())
                    .isCloseTo(1.0, within(1e-9));
        }

        final CliRun badExpert = CliRun.of("eval", "prequential", "--csv", cut.toString(), "--target", "class",
                "--experts", "50x4,4x4");
        assertThat(badExpert.code()).isEqualTo(1);
        assertThat(badExpert.err()).startsWith("error: ").contains("exceed its batch size 4, got 4.0");
    }

    @Test
    void prequentialRegressionOnElec2Demand(@TempDir final Path dir) throws IOException {
        final List<String> lines = Files.readAllLines(SharedDatasets.require("streams", "elec2.csv"));
        final Path cut = dir.resolve("elec2-head.csv");
        Files.write(cut, lines.subList(0, 3001));
        final CliRun r = CliRun.of("eval", "prequential", "--csv", cut.toString(), "--target", "nswdemand", "--task", "regression",
                "--drop", "class", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(CliRun.number(r.out(), "rmse")).isBetween(0.0, 0.2);
        assertThat(CliRun.number(r.out(), "coverage95")).isBetween(0.8, 1.0);
    }

    @Test
    void oodOnSmallCutsOfFashionMnistAndMnist() {
        final Path fashion = SharedDatasets.require("fashion-mnist");
        final Path mnist = SharedDatasets.require("mnist-10k");
        final CliRun r = CliRun.of("eval", "ood",
                "--train", fashion.resolve("train-images-idx3-ubyte.gz").toString(),
                fashion.resolve("train-labels-idx1-ubyte.gz").toString(),
                "--test", fashion.resolve("t10k-images-idx3-ubyte.gz").toString(),
                fashion.resolve("t10k-labels-idx1-ubyte.gz").toString(),
                "--ood", mnist.resolve("mnist-10k-images-idx3-ubyte.gz").toString(),
                "--limit", "3000", "--hidden", "32", "--batch", "100", "--epochs", "2", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(CliRun.number(r.out(), "accuracy")).isBetween(0.72, 1.0);
        assertThat(CliRun.number(r.out(), "entropy")).isBetween(0.0, 1.0);
        assertThat(CliRun.number(r.out(), "mutual_information")).isBetween(0.0, 1.0);
        assertThat(CliRun.number(r.out(), "leverage")).as("leverage AUROC").isGreaterThan(0.6);
    }

    @Test
    void malformedFileGivesAnErrorNamingFileAndLineAndExitCodeOne(@TempDir final Path dir) throws IOException {
        final Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "a,b,class\n1,2,0\n3,4\n");
        final CliRun r = CliRun.of("eval", "prequential", "--csv", csv.toString(), "--target", "class");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains("bad.csv").contains("line 3");

        final Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "a,b,class\n");
        final CliRun noRows = CliRun.of("eval", "prequential", "--csv", empty.toString(), "--target", "class");
        assertThat(noRows.code()).isEqualTo(1);
        assertThat(noRows.err()).startsWith("error: ").contains("empty.csv");

        final CliRun missing = CliRun.of("eval", "uci", "--dir", dir.resolve("nothing-here").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: ").contains("nothing-here");
    }
}
