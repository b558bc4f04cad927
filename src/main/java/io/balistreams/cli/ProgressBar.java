package io.balistreams.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * A one-line progress bar on a command's error writer (stderr), shown only once a run has taken more than
 * two seconds (short runs stay quiet), only on a terminal and without {@code --quiet} ({@link OutputOptions}),
 * and redrawn at most four times a second. Results go to the output
 * writer (stdout), never here. Updates may come from several threads (an ensemble trained in parallel).
 */
final class ProgressBar {
    private static final long QUIET_NANOS = 2_000_000_000L;
    private static final long REDRAW_NANOS = 250_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean shown;

    ProgressBar(final PrintWriter err, final String label, final long total) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
    }

    synchronized void update(final long done) {
        final long now = System.nanoTime();
        if (now - start < QUIET_NANOS || now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        shown = true;
        final double fraction = Math.min(1.0, done / (double) total);
        final int filled = (int) Math.round(fraction * WIDTH);
        final double elapsed = (now - start) / 1e9;
        final double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : Double.NaN;
        err.printf(Locale.ROOT, "\r%s [%s%s] %3.0f%%  %,d/%,d  %.0fs elapsed, ~%.0fs left ", label,
                "#".repeat(filled), " ".repeat(WIDTH - filled), 100 * fraction, done, total, elapsed, eta);
        err.flush();
    }

    /**
     * Runs {@code work} with a progress bar on {@code err} (a command's {@code spec.commandLine().getErr()}) if
     * {@code show}, handing it the bar's update function, and clears the bar afterwards whatever happens.
     */
    static <T> T around(final PrintWriter err, final boolean show, final String label, final long total,
                        final java.util.function.Function<LongConsumer, T> work) {
        if (!show) {
            return work.apply(done -> { });
        }
        final ProgressBar bar = new ProgressBar(err, label, total);
        try {
            return work.apply(bar::update);
        } finally {
            bar.finish();
        }
    }

    synchronized void finish() {
        if (shown) {
            err.print("\r" + " ".repeat(100) + "\r");
            err.flush();
        }
    }
}
