package io.balistreams.local;

import io.balistreams.bali.Rng;

/**
 * The bench's synthetic regression data: x ~ N(0, I) with {@code inputs} features and
 * y = Σ_j sin(x_j + j) + 0.1 ε, from a fixed seed, so that every run (and every part of
 * {@code bali bench --suite}, the in-process engine loop included) sees the same records in the same order.
 * Not thread-safe: one instance per sequence.
 */
public final class SyntheticRegression {
    private final Rng rng = Rng.forStream(1, 0);
    private final int inputs;

    public SyntheticRegression(final int inputs) {
        if (inputs < 1) {
            throw new IllegalArgumentException("inputs must be >= 1, got " + inputs);
        }
        this.inputs = inputs;
    }

    public int inputs() {
        return inputs;
    }

    /** Fills {@code x[0..inputs)} with the next record's features and returns its target. */
    public double next(final double[] x) {
        double y = 0;
        for (int j = 0; j < inputs; j++) {
            x[j] = rng.nextGaussian();
            y += Math.sin(x[j] + j);
        }
        return y + 0.1 * rng.nextGaussian();
    }
}
