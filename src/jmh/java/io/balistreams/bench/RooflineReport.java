package io.balistreams.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link RooflineBenchmark} and prints, per workload, records per second, the achieved GFLOP/s from
 * {@link io.balistreams.bali.FlopModel} and its share of the peak measured in the same run (a Markdown table):
 * <pre>
 *   mvn -q -B -Pjmh package -DskipTests
 *   java -cp target/bali-benchmarks.jar io.balistreams.bench.RooflineReport [JMH options, e.g. -p network=8-32-32-2]
 *   (a benchmark pattern among the options replaces the default: all of RooflineBenchmark; keep the peaks in it)
 * </pre>
 */
public final class RooflineReport {
    private RooflineReport() {
    }

    public static void main(final String[] args) throws RunnerException {
        final CommandLineOptions commandLine;
        try {
            commandLine = new CommandLineOptions(args);
        } catch (final CommandLineOptionException e) {
            System.err.println("error: " + e.getMessage() + " (the options are JMH's: java -jar target/bali-benchmarks.jar -h)");
            System.exit(2);
            return;
        }
        final OptionsBuilder builder = new OptionsBuilder();
        builder.parent(commandLine);
        if (commandLine.getIncludes().isEmpty()) {
            builder.include(RooflineBenchmark.class.getName() + ".*");
        }
        final Options options = builder.build();
        final Collection<RunResult> results = new Runner(options).run();
        double ejmlPeak = Double.NaN;
        double tiledPeak = Double.NaN;
        final List<String[]> rows = new ArrayList<>();
        for (final RunResult r : results) {
            final String name = r.getParams().getBenchmark();
            final double gflops = r.getPrimaryResult().getScore() * RooflineBenchmark.peakFlops() / 1e9;
            if (name.endsWith(".peak")) {
                ejmlPeak = gflops;
            } else if (name.endsWith(".peakTiled")) {
                tiledPeak = gflops;
            }
        }
        final double peak = Double.isNaN(ejmlPeak) ? tiledPeak : Double.isNaN(tiledPeak) ? ejmlPeak : Math.max(ejmlPeak, tiledPeak);
        for (final RunResult r : results) {
            final String name = r.getParams().getBenchmark();
            final double opsPerSecond = r.getPrimaryResult().getScore();
            final double error = r.getPrimaryResult().getScoreError();
            final String network = r.getParams().getParam("network");
            if (name.endsWith(".learn")) {
                final int batch = Integer.parseInt(r.getParams().getParam("batch"));
                final double gflops = opsPerSecond * RooflineBenchmark.learnFlops(network, batch) / 1e9;
                rows.add(row("learn", network, String.valueOf(batch), opsPerSecond * batch, error * batch,
                        RooflineBenchmark.learnFlops(network, batch) / (double) batch, gflops, peak));
            } else if (name.endsWith(".score")) {
                final double gflops = opsPerSecond * RooflineBenchmark.scoreFlops(network) / 1e9;
                rows.add(row("score", network, "–", opsPerSecond, error, RooflineBenchmark.scoreFlops(network), gflops,
                        peak));
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "Peak, same run: EJML dense 256 x 256 product %.2f GFLOP/s, tiled plain-Java product %.2f GFLOP/s;"
                + " shares below are of %.2f%n%n", ejmlPeak, tiledPeak, peak);
        System.out.println("| work | network | B | records/s | ± | flops per record | GFLOP/s | share of peak |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (final String[] row : rows) {
            System.out.println("| " + String.join(" | ", row) + " |");
        }
    }

    private static String[] row(final String work, final String network, final String batch, final double recordsPerSecond,
                                final double error, final double flopsPerRecord, final double gflops, final double peak) {
        return new String[] {work, network, batch, String.format(Locale.ROOT, "%,.0f", recordsPerSecond),
                String.format(Locale.ROOT, "%,.0f", error), String.format(Locale.ROOT, "%,.0f", flopsPerRecord),
                String.format(Locale.ROOT, "%.2f", gflops), String.format(Locale.ROOT, "%.0f %%", 100 * gflops / peak)};
    }
}
