package io.balistreams.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pins {@link Adwin} to MOA's ADWIN ({@code moa.classifiers.core.driftdetection.ADWIN}, MOA 2024.07.0,
 * {@code new ADWIN(0.002)}: δ = 0.002, clock 32, checks while the width is &gt; 10, M = 5 buckets per row,
 * minimum sub-window length 5). Each checked-in stream {@code adwin-golden/stream-NAME.csv} was fed to MOA
 * outside this build (MOA is GPL and is not a dependency: only its output is checked in, see
 * {@code adwin-golden/README.md}); {@code expected-NAME.txt} holds the 1-based positions of the values at
 * which MOA's {@code setInput} reported a change, and MOA's window width, estimate (mean) and variance after
 * every 500th value, the last value and each detection.
 *
 * <p>Our detector, with the same δ and clock (the defaults), must return {@link DriftLevel#DRIFT} at exactly
 * those positions and nowhere else (WARNING, which MOA lacks, drops nothing and is ignored here), and must
 * have the same width (exactly) and mean and variance (to 1e-9, relative) at the recorded points; today they
 * are bit-identical, as the arithmetic is done in MOA's order.
 *
 * <p>The streams: a Bernoulli error rate stepping 0.2 → 0.5 at value 2,001; bounded values whose mean ramps
 * 0.3 → 0.6 over values 2,001–3,000; a stationary bounded stream (MOA: no detection); squared errors whose
 * scale jumps ×6 at value 2,001, with rare outliers; and unbounded values around a level that jumps often
 * and far. The last one pins the minimum sub-window rule: MOA tests a split only when both sides hold more
 * than 5 + 1 values; with "≥ 5" (as River's {@code adwin_c} does, and as this class did before the test
 * was written) the 5 newest values of a new level fire a cut at value 736, which MOA does not report.
 */
class AdwinGoldenTest {

    private static final String DIR = "/adwin-golden/";

    @ParameterizedTest
    @ValueSource(strings = {"bernoulli-step", "gradual", "stationary", "squared-errors", "level-shifts"})
    void detectsAtTheSamePositionsAsMoa(final String name) throws IOException {
        final double[] stream = readStream(name);
        final Expected expected = readExpected(name);
        final Adwin adwin = new Adwin(0.002, Adwin.DEFAULT_WARNING_DELTA, 32);
        final List<Integer> detections = new ArrayList<>();
        int next = 0;
        for (int i = 1; i <= stream.length; i++) {
            if (adwin.add(stream[i - 1]) == DriftLevel.DRIFT) {
                detections.add(i);
            }
            if (next < expected.states.size() && expected.states.get(next).index == i) {
                final State s = expected.states.get(next++);
                assertThat(adwin.width()).as("%s: width after value %d", name, i).isEqualTo(s.width);
                assertThat(adwin.mean()).as("%s: mean after value %d", name, i)
                        .isCloseTo(s.mean, within(1e-9 * Math.max(1.0, Math.abs(s.mean))));
                assertThat(adwin.variance()).as("%s: variance after value %d", name, i)
                        .isCloseTo(s.variance, within(1e-9 * Math.max(1.0, Math.abs(s.variance))));
            }
        }
        assertThat(next).as("%s: every recorded state was reached", name).isEqualTo(expected.states.size());
        assertThat(detections).as("%s: DRIFT positions (MOA's detections)", name).isEqualTo(expected.detections);
        assertThat(adwin.driftCount()).isEqualTo(expected.detections.size());
    }

    private record State(int index, long width, double mean, double variance) { }

    private record Expected(List<Integer> detections, List<State> states) { }

    private static double[] readStream(final String name) throws IOException {
        final List<String> lines = lines("stream-" + name + ".csv");
        assertThat(lines.get(0)).isEqualTo("value");
        final double[] xs = new double[lines.size() - 1];
        for (int i = 1; i < lines.size(); i++) {
            xs[i - 1] = Double.parseDouble(lines.get(i));
        }
        assertThat(xs.length).isGreaterThanOrEqualTo(4_000);
        return xs;
    }

    private static Expected readExpected(final String name) throws IOException {
        List<Integer> detections = null;
        final List<State> states = new ArrayList<>();
        for (final String line : lines("expected-" + name + ".txt")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final String[] f = line.trim().split("\\s+");
            switch (f[0]) {
                case "detections" -> {
                    detections = new ArrayList<>();
                    for (int k = 1; k < f.length; k++) {
                        detections.add(Integer.parseInt(f[k]));
                    }
                }
                case "state" -> states.add(new State(Integer.parseInt(f[1]), Long.parseLong(f[2]),
                        Double.parseDouble(f[3]), Double.parseDouble(f[4])));
                default -> throw new IllegalStateException(name + ": unexpected line " + line);
            }
        }
        assertThat(detections).as("%s: a detections line", name).isNotNull();
        assertThat(states).isNotEmpty();
        return new Expected(detections, states);
    }

    private static List<String> lines(final String file) throws IOException {
        try (InputStream in = AdwinGoldenTest.class.getResourceAsStream(DIR + file)) {
            assertThat(in).as("resource %s%s", DIR, file).isNotNull();
            final BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            return r.lines().toList();
        }
    }
}
