package io.balistreams.eval;

import io.balistreams.bali.Rng;

/**
 * The SEA concepts stream (Street and Kim, KDD 2001): three features uniform on [0, 10], label 1 when
 * x₁ + x₂ ≤ θ (the third feature is irrelevant), with θ switching abruptly between concepts
 * (8, 9, 7, 9.5 in the original) and a fraction of labels flipped as noise. The drift points are known,
 * which is what makes it a yardstick for drift detection and recovery.
 */
public final class SeaConcepts {
    /** The original paper's thresholds, one per concept. */
    public static final double[] THRESHOLDS = {8.0, 9.0, 7.0, 9.5};

    private final Rng rng;
    private final long conceptLength;
    private final double labelNoise;
    private long position;

    /**
     * @param seed          seed of the stream
     * @param conceptLength events per concept; concept c covers positions [c·length, (c+1)·length)
     * @param labelNoise    probability of flipping a label, in [0, 0.5)
     */
    public SeaConcepts(final long seed, final long conceptLength, final double labelNoise) {
        if (conceptLength < 1) {
            throw new IllegalArgumentException("conceptLength must be >= 1, got " + conceptLength);
        }
        if (!(labelNoise >= 0 && labelNoise < 0.5)) {
            throw new IllegalArgumentException("labelNoise must be in [0, 0.5), got " + labelNoise);
        }
        this.rng = new Rng(seed);
        this.conceptLength = conceptLength;
        this.labelNoise = labelNoise;
    }

    /** Index of the concept that generates the event at {@code position}. */
    public int conceptAt(final long position) {
        return (int) ((position / conceptLength) % THRESHOLDS.length);
    }

    /** Position of the next event (0-based). */
    public long position() {
        return position;
    }

    /** Fills {@code features} (length 3) with the next event's features and returns its label (0 or 1). */
    public int next(final double[] features) {
        for (int j = 0; j < 3; j++) {
            features[j] = 10.0 * rng.nextDouble();
        }
        int label = features[0] + features[1] <= THRESHOLDS[conceptAt(position)] ? 1 : 0;
        if (rng.nextDouble() < labelNoise) {
            label = 1 - label;
        }
        position++;
        return label;
    }
}
