package io.balistreams.monitor;

/** Validation helpers for restoring exported states (every failure names the field). */
final class StateChecks {
    private StateChecks() {
    }

    static long toLong(final String name, final double v, final long min) {
        if (!(v == Math.rint(v)) || v < min || v > 0x1p53) {
            throw new IllegalArgumentException("state: " + name + " must be an integer >= " + min + ", got " + v);
        }
        return (long) v;
    }

    static int toInt(final String name, final double v, final int min, final int max) {
        if (!(v == Math.rint(v)) || v < min || v > max) {
            throw new IllegalArgumentException("state: " + name + " must be an integer in [" + min + ", " + max
                    + "], got " + v);
        }
        return (int) v;
    }

    static double finite(final String name, final double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("state: " + name + " must be finite, got " + v);
        }
        return v;
    }
}
