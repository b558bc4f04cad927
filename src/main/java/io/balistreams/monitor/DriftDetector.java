package io.balistreams.monitor;

/**
 * A sequential change detector on a stream of real numbers (typically a per-record loss: 0/1 error,
 * negative log-likelihood, squared error), with two levels of alarm.
 *
 * <p><b>Contract.</b>
 * <ul>
 *   <li>{@link #add(double)} feeds one value and returns the level reached by <em>this</em> value:
 *       {@link DriftLevel#DRIFT} if the drift test fires now, else {@link DriftLevel#WARNING} if the
 *       warning test fires now, else {@link DriftLevel#STABLE} (also when no test is run on this value,
 *       e.g. between ADWIN's periodic checks or during a warm-up). Non-finite values are rejected with
 *       {@link IllegalArgumentException} and leave the state untouched.</li>
 *   <li>After a DRIFT the detector resets itself to learn the new regime (ADWIN drops the old part of
 *       its window, Page–Hinkley restarts its sums); a WARNING changes nothing.</li>
 *   <li>{@link #statistic()} and {@link #threshold()} describe the last test that was run: for DRIFT and
 *       WARNING the value that crossed and the bound it crossed (so an alert can report them), for
 *       STABLE the test value and the warning bound it did not cross. Both are NaN before the first
 *       test.</li>
 *   <li>{@link #exportState()} returns every number the detector's future depends on; the
 *       {@code restore} of the class (or {@link #restore(double[])} here, which dispatches on the
 *       format tag in element 0) builds a detector that continues bit-identically.</li>
 * </ul>
 * Implementations are deterministic and not thread-safe.
 */
public interface DriftDetector {

    /** Feeds one finite value; returns the level reached by this value (see the class contract). */
    DriftLevel add(double value);

    /** The level returned by the last test that was run (STABLE before any test). */
    DriftLevel level();

    /** Test value of the last test (ADWIN: |μ̂₀ − μ̂₁| of a split; Page–Hinkley: PH_T); NaN before any. */
    double statistic();

    /** Bound of the last test: the one crossed for DRIFT/WARNING, the warning bound for STABLE; NaN before any. */
    double threshold();

    /** Number of values fed since construction (not reset by a drift): the position in the stream. */
    long count();

    /** Number of DRIFT levels returned since construction. */
    long driftCount();

    /** Short name of the method for alert records ("ADWIN", "PAGE_HINKLEY"). */
    String name();

    /** The complete state, format tag first; see the implementing class for the layout. */
    double[] exportState();

    /**
     * Restores a detector from {@link #exportState()} of any implementation, choosing the class by the
     * format tag in element 0.
     *
     * @throws IllegalArgumentException if the array is null, empty, carries an unknown tag or is inconsistent
     */
    static DriftDetector restore(final double[] state) {
        if (state == null || state.length == 0) {
            throw new IllegalArgumentException("state must be a non-empty array");
        }
        if (state[0] == Adwin.FORMAT_TAG) {
            return Adwin.restore(state);
        }
        if (state[0] == PageHinkley.FORMAT_TAG) {
            return PageHinkley.restore(state);
        }
        throw new IllegalArgumentException("state: unknown detector format tag " + state[0]);
    }
}
