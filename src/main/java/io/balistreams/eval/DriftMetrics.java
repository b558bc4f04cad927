package io.balistreams.eval;

import io.balistreams.monitor.DriftLevel;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Drift-detection metrics over the DRIFT alarms of all detectors, for known drift points d₁ &lt; d₂ &lt; …
 * (used by {@link DriftEvaluation}):
 * <ul>
 *   <li>the tolerance interval of dᵢ is [dᵢ, min(dᵢ + tolerance, dᵢ₊₁, events)) ({@link #toleranceEnds});</li>
 *   <li>detection delay of dᵢ = position of the first DRIFT alarm in its interval − dᵢ; the drift is
 *       <em>missed</em> if there is none ({@link #detectionDelays}, {@link #missed});</li>
 *   <li>false alarms = DRIFT alarms outside every interval, per 10,000 events outside the intervals
 *       ({@link #falseAlarmsPer10k}).</li>
 * </ul>
 * WARNING alarms never count.
 */
public final class DriftMetrics {
    private DriftMetrics() {
    }

    /** One alarm of the monitor: where, which detector (e.g. {@code ADWIN/loss}, {@code ADWIN/ood-rate}), which level. */
    public record Alarm(long position, String detector, DriftLevel level) {
        public Alarm {
            Objects.requireNonNull(detector, "detector");
            Objects.requireNonNull(level, "level");
        }
    }

    /**
     * End (exclusive) of each drift point's tolerance interval: min(dᵢ + tolerance, dᵢ₊₁, events).
     *
     * @throws IllegalArgumentException if the drift points are not strictly increasing in (0, events), or tolerance &lt; 1
     */
    public static long[] toleranceEnds(final long[] driftPoints, final long events, final int tolerance) {
        checkDriftPoints(driftPoints, events);
        if (tolerance < 1) {
            throw new IllegalArgumentException("tolerance must be >= 1, got " + tolerance);
        }
        final long[] ends = new long[driftPoints.length];
        for (int k = 0; k < driftPoints.length; k++) {
            final long next = k + 1 < driftPoints.length ? driftPoints[k + 1] : events;
            ends[k] = Math.min(driftPoints[k] + tolerance, next);
        }
        return ends;
    }

    /**
     * Detection delay of each drift point: position of the first DRIFT alarm in [dᵢ, end of its tolerance
     * interval) minus dᵢ, or null if there is none (missed). WARNING alarms do not count.
     */
    public static Long[] detectionDelays(final List<Alarm> alarms, final long[] driftPoints, final long events,
                                         final int tolerance) {
        final long[] ends = toleranceEnds(driftPoints, events, tolerance);
        final Long[] delays = new Long[driftPoints.length];
        for (int k = 0; k < driftPoints.length; k++) {
            long first = Long.MAX_VALUE;
            for (final Alarm a : alarms) {
                if (a.level() == DriftLevel.DRIFT && a.position() >= driftPoints[k] && a.position() < ends[k]) {
                    first = Math.min(first, a.position());
                }
            }
            delays[k] = first == Long.MAX_VALUE ? null : first - driftPoints[k];
        }
        return delays;
    }

    /** Number of drift points without a DRIFT alarm within their tolerance interval. */
    public static int missed(final List<Alarm> alarms, final long[] driftPoints, final long events, final int tolerance) {
        int missed = 0;
        for (final Long d : detectionDelays(alarms, driftPoints, events, tolerance)) {
            if (d == null) {
                missed++;
            }
        }
        return missed;
    }

    /**
     * DRIFT alarms outside every tolerance interval, per 10,000 events outside them (all events if there are
     * no drift points; event 0 is always outside, as drift points are &gt; 0).
     */
    public static double falseAlarmsPer10k(final List<Alarm> alarms, final long[] driftPoints, final long events,
                                           final int tolerance) {
        final long[] ends = toleranceEnds(driftPoints, events, tolerance);
        long covered = 0;
        for (int k = 0; k < driftPoints.length; k++) {
            covered += ends[k] - driftPoints[k];
        }
        long outside = 0;
        for (final Alarm a : alarms) {
            if (a.level() != DriftLevel.DRIFT) {
                continue;
            }
            boolean inside = false;
            for (int k = 0; k < driftPoints.length && !inside; k++) {
                inside = a.position() >= driftPoints[k] && a.position() < ends[k];
            }
            if (!inside) {
                outside++;
            }
        }
        return outside * 10_000.0 / (events - covered);
    }

    static void checkDriftPoints(final long[] driftPoints, final long events) {
        Objects.requireNonNull(driftPoints, "driftPoints");
        long previous = 0;
        for (final long d : driftPoints) {
            if (d <= previous || d >= events) {
                throw new IllegalArgumentException("drift points must be strictly increasing in (0, " + events
                        + "), got " + Arrays.toString(driftPoints));
            }
            previous = d;
        }
    }
}
