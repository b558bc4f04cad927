package io.balistreams.eval;

import io.balistreams.bali.BaliMixture;
import java.util.List;
import java.util.Map;

/**
 * A drift signal read from a mixture over memories (docs/method.md §11): when the data changes, the weight
 * moves to the short memories. The signal is the mixture's expected log-memory m = Σ_k w_k ln N_k, read at every
 * scored event; its baseline b is an exponential moving average of m over {@code horizon} events. A DRIFT alarm
 * is raised when m falls below b by more than {@code fraction} of the grid's log-range ln(N_max/N_min) (for the
 * default grid, 0.3 × ln 80 ≈ 1.3 nats: the preferred memory shorter by a factor of about 3.7); the detector then
 * waits until m is back within a quarter of that distance and at least {@code cooldown} events have passed.
 * Nothing is raised during the first {@code warmUp} events (the weights start uniform).
 *
 * <p>An evaluation instrument ({@code eval drift} with a mixture), measured against the service's ADWIN on the
 * prequential loss (docs/results.md, "A mixture over memories"); not a detector of the service.
 */
public final class MemoryShiftDetector {
    /** Defaults: horizon 1,000 events, fraction 0.3, warm-up 500, cooldown 1,000. */
    public static final double DEFAULT_HORIZON = 1000;
    public static final double DEFAULT_FRACTION = 0.3;
    public static final long DEFAULT_WARM_UP = 500;
    public static final long DEFAULT_COOLDOWN = 1000;

    private final String[] names;
    private final double[] logMemories;
    private final double horizon;
    private final double threshold;
    private final long warmUp;
    private final long cooldown;
    private double baseline = Double.NaN;
    private boolean armed = true;
    private long quietUntil;

    public MemoryShiftDetector(final List<BaliMixture.Expert> experts, final double horizon, final double fraction,
                               final long warmUp, final long cooldown) {
        if (experts.size() < 2) {
            throw new IllegalArgumentException("a memory shift needs at least two memories, got " + experts);
        }
        if (!(horizon >= 1) || !(fraction > 0) || warmUp < 0 || cooldown < 0) {
            throw new IllegalArgumentException("need horizon >= 1, fraction > 0, warm-up and cooldown >= 0");
        }
        names = new String[experts.size()];
        logMemories = new double[experts.size()];
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < names.length; k++) {
            names[k] = experts.get(k).toString();
            logMemories[k] = Math.log(experts.get(k).memory());
            lo = Math.min(lo, logMemories[k]);
            hi = Math.max(hi, logMemories[k]);
        }
        if (!(hi > lo)) {
            throw new IllegalArgumentException("a memory shift needs memories of different lengths, got " + experts);
        }
        this.horizon = horizon;
        this.threshold = fraction * (hi - lo);
        this.warmUp = warmUp;
        this.cooldown = cooldown;
    }

    /** With the defaults. */
    public MemoryShiftDetector(final List<BaliMixture.Expert> experts) {
        this(experts, DEFAULT_HORIZON, DEFAULT_FRACTION, DEFAULT_WARM_UP, DEFAULT_COOLDOWN);
    }

    /** The expected log-memory Σ_k w_k ln N_k of these weights (keyed MEMORYxBATCH). */
    double expectedLogMemory(final Map<String, Double> weights) {
        double m = 0;
        for (int k = 0; k < names.length; k++) {
            final Double w = weights.get(names[k]);
            if (w == null) {
                throw new IllegalArgumentException("no weight for expert " + names[k] + " in " + weights);
            }
            m += w * logMemories[k];
        }
        return m;
    }

    /**
     * Reads the weights that served event {@code position} (positions increase by one per call).
     *
     * @return true if this event raises a DRIFT alarm
     */
    public boolean observe(final long position, final Map<String, Double> weights) {
        final double m = expectedLogMemory(weights);
        baseline = Double.isNaN(baseline) ? m : baseline + (m - baseline) / horizon;
        final double drop = baseline - m;
        if (position < warmUp) {
            return false;
        }
        if (armed && drop > threshold && position >= quietUntil) {
            armed = false;
            quietUntil = position + cooldown;
            return true;
        }
        if (!armed && drop < threshold / 4) {
            armed = true;
        }
        return false;
    }
}
