package io.balistreams.eval;

import io.balistreams.bali.Rng;

/**
 * A rotating hyperplane (incremental drift): d = {@value #DIMENSION} features uniform on [0, 1], label 1
 * if Σ wᵢxᵢ ≥ Σ wᵢ / 2 (the hyperplane always passes through the centre of the cube, so the classes stay
 * balanced), a fraction of labels flipped as noise. The weights rotate in a plane:
 * w(θ) = cos θ · u + sin θ · v with u, v orthonormal (random from the seed). The stream is cut into
 * segments of {@code segmentLength} events; segment 0 is stable (θ = 0); every later segment starts with
 * a rotation phase of {@code rotationLength} events during which θ grows by {@code angle / rotationLength}
 * per event, then stays put for the rest of the segment. Drift points = the starts of the rotation
 * phases, k·segmentLength for k ≥ 1. A rotation by Δθ changes the label of about Δθ/π of the inputs.
 */
public final class RotatingHyperplane {
    public static final int DIMENSION = 10;
    /** Rotation per phase: π/4, about a quarter of the labels change. */
    public static final double DEFAULT_ANGLE = Math.PI / 4;

    private final double[] u;
    private final double[] v;
    private final long segmentLength;
    private final long rotationLength;
    private final double angle;
    private final double labelNoise;
    private final Rng rng;
    private final double[] w = new double[DIMENSION];
    private long position;

    /** Random orthonormal u, v from the seed. */
    public RotatingHyperplane(final long seed, final long segmentLength, final long rotationLength,
                              final double angle, final double labelNoise) {
        this(randomPlane(seed), seed, segmentLength, rotationLength, angle, labelNoise);
    }

    private RotatingHyperplane(final double[][] plane, final long seed, final long segmentLength,
                               final long rotationLength, final double angle, final double labelNoise) {
        this(plane[0], plane[1], seed, segmentLength, rotationLength, angle, labelNoise);
    }

    /** Given u and v (each of length {@value #DIMENSION}, orthonormal: checked). */
    public RotatingHyperplane(final double[] u, final double[] v, final long seed, final long segmentLength,
                              final long rotationLength, final double angle, final double labelNoise) {
        if (u.length != DIMENSION || v.length != DIMENSION) {
            throw new IllegalArgumentException("u and v need " + DIMENSION + " components");
        }
        if (Math.abs(dot(u, u) - 1) > 1e-9 || Math.abs(dot(v, v) - 1) > 1e-9 || Math.abs(dot(u, v)) > 1e-9) {
            throw new IllegalArgumentException("u and v must be orthonormal");
        }
        if (segmentLength < 1 || rotationLength < 1 || rotationLength > segmentLength) {
            throw new IllegalArgumentException("need 1 <= rotationLength <= segmentLength, got " + rotationLength
                    + " and " + segmentLength);
        }
        if (!Double.isFinite(angle)) {
            throw new IllegalArgumentException("angle must be finite, got " + angle);
        }
        if (!(labelNoise >= 0 && labelNoise < 0.5)) {
            throw new IllegalArgumentException("labelNoise must be in [0, 0.5), got " + labelNoise);
        }
        this.u = u.clone();
        this.v = v.clone();
        this.segmentLength = segmentLength;
        this.rotationLength = rotationLength;
        this.angle = angle;
        this.labelNoise = labelNoise;
        this.rng = Rng.forStream(seed, 1);
    }

    private static double[][] randomPlane(final long seed) {
        final Rng r = Rng.forStream(seed, 0);
        final double[] a = new double[DIMENSION];
        final double[] b = new double[DIMENSION];
        r.fillGaussian(a, DIMENSION);
        r.fillGaussian(b, DIMENSION);
        scale(a, 1 / Math.sqrt(dot(a, a)));
        final double ab = dot(a, b);
        for (int i = 0; i < DIMENSION; i++) {
            b[i] -= ab * a[i];
        }
        scale(b, 1 / Math.sqrt(dot(b, b)));
        return new double[][]{a, b};
    }

    /** θ at {@code position}: angle × (rotation-phase events before it) / rotationLength. */
    public double angleAt(final long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, got " + position);
        }
        final long segment = position / segmentLength;
        final long into = position - segment * segmentLength;
        final double completed = segment == 0 ? 0 : (segment - 1) * (double) rotationLength
                + Math.min(into, rotationLength);
        return angle * completed / rotationLength;
    }

    /** w at {@code position}: cos θ · u + sin θ · v. */
    public double[] weightsAt(final long position) {
        final double t = angleAt(position);
        final double[] out = new double[DIMENSION];
        for (int i = 0; i < DIMENSION; i++) {
            out[i] = Math.cos(t) * u[i] + Math.sin(t) * v[i];
        }
        return out;
    }

    /** The noise-free label of {@code x} at {@code position}. */
    public int labelAt(final long position, final double[] x) {
        return label(weightsAt(position), x);
    }

    /** The definition: 1 if Σ wᵢxᵢ ≥ Σ wᵢ / 2, else 0. */
    public static int label(final double[] w, final double[] x) {
        if (w.length != x.length) {
            throw new IllegalArgumentException(w.length + " weights but " + x.length + " features");
        }
        double wx = 0;
        double sw = 0;
        for (int i = 0; i < w.length; i++) {
            wx += w[i] * x[i];
            sw += w[i];
        }
        return wx >= sw / 2 ? 1 : 0;
    }

    /** Drift points among the first {@code events}: k·segmentLength, k ≥ 1. */
    public long[] driftPoints(final long events) {
        return DriftStreams.multiples(segmentLength, events);
    }

    /** Position of the next event (0-based). */
    public long position() {
        return position;
    }

    /** Fills {@code features} (length {@value #DIMENSION}) with the next event and returns its (noisy) label. */
    public int next(final double[] features) {
        if (features.length != DIMENSION) {
            throw new IllegalArgumentException("need " + DIMENSION + " features, got " + features.length);
        }
        for (int i = 0; i < DIMENSION; i++) {
            features[i] = rng.nextDouble();
        }
        final double t = angleAt(position);
        final double c = Math.cos(t);
        final double s = Math.sin(t);
        for (int i = 0; i < DIMENSION; i++) {
            w[i] = c * u[i] + s * v[i];
        }
        int y = label(w, features);
        if (rng.nextDouble() < labelNoise) {
            y = 1 - y;
        }
        position++;
        return y;
    }

    private static double dot(final double[] a, final double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void scale(final double[] a, final double f) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= f;
        }
    }
}
