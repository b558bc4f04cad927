package io.balistreams.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * A labelled classification stream, materialised.
 *
 * @param name        short name, e.g. {@code sea}
 * @param features    one row per event, in stream order (rows may be shared, never modified)
 * @param labels      class of each event, in [0, classes)
 * @param classes     number of classes K
 * @param driftPoints known drift points, strictly increasing, each in (0, events); empty if the stream is
 *                    known to be stationary; null if unknown (a real stream)
 */
public record ClassificationStream(String name, double[][] features, int[] labels, int classes,
                                   long[] driftPoints) {
    public ClassificationStream {
        Objects.requireNonNull(name, "name");
        if (features.length != labels.length) {
            throw new IllegalArgumentException(features.length + " feature rows but " + labels.length + " labels");
        }
        if (features.length == 0) {
            throw new IllegalArgumentException(name + ": empty stream");
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        }
        for (final int y : labels) {
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException(name + ": label " + y + " outside [0, " + classes + ")");
            }
        }
        if (driftPoints != null) {
            DriftMetrics.checkDriftPoints(driftPoints, features.length);
        }
    }

    public int events() {
        return labels.length;
    }

    public int dimension() {
        return features[0].length;
    }

    /** The first {@code n} events (drift points beyond them dropped). */
    public ClassificationStream head(final int n) {
        if (n < 1 || n > events()) {
            throw new IllegalArgumentException(name + " has " + events() + " events, cannot take " + n);
        }
        if (n == events()) {
            return this;
        }
        return new ClassificationStream(name, Arrays.copyOf(features, n), Arrays.copyOf(labels, n), classes,
                driftPoints == null ? null : Arrays.stream(driftPoints).filter(d -> d < n).toArray());
    }
}
