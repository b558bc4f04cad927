package io.balistreams.monitor;

/**
 * What a {@link DriftDetector} concluded from one value, in increasing order of severity
 * ({@link #compareTo} can be used: {@code level.compareTo(WARNING) >= 0} means "at least a warning").
 */
public enum DriftLevel {
    /** No test fired (or no test was run on this value). */
    STABLE,
    /** The warning test fired; the detector's state is unchanged (nothing is forgotten). */
    WARNING,
    /** The drift test fired; the detector has reset itself to learn the new regime. */
    DRIFT
}
