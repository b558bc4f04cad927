package io.balistreams.eval;

import io.balistreams.bali.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * Class-incremental sampling from a labelled pool (e.g. an image data set): the classes are revealed in an
 * order drawn from the seed, {@code initialClasses} in segment 0 and {@code classesPerStep} more at the
 * start of each following segment of {@code segmentLength} events, until all are revealed. Each event
 * picks a revealed class uniformly, then the next record of that class from its own shuffled list
 * (cycling if exhausted). Drift points = the segment starts where new classes appear.
 */
public final class ClassIncremental {
    private final int[][] byClass;
    private final int[] cursor;
    private final int[] order;
    private final long segmentLength;
    private final int initialClasses;
    private final int classesPerStep;
    private final Rng rng;
    private long position;

    /**
     * @param labels the pool's labels, classes 0 .. K−1 each present at least once
     */
    public ClassIncremental(final int[] labels, final long seed, final long segmentLength, final int initialClasses,
                            final int classesPerStep) {
        int k = 0;
        for (final int y : labels) {
            if (y < 0) {
                throw new IllegalArgumentException("negative label " + y);
            }
            k = Math.max(k, y + 1);
        }
        final int[] counts = new int[k];
        for (final int y : labels) {
            counts[y]++;
        }
        for (int c = 0; c < k; c++) {
            if (counts[c] == 0) {
                throw new IllegalArgumentException("class " + c + " has no record in the pool");
            }
        }
        if (k < 2 || initialClasses < 1 || initialClasses > k || classesPerStep < 1) {
            throw new IllegalArgumentException("need >= 2 classes, 1 <= initialClasses <= " + k
                    + " and classesPerStep >= 1, got " + k + ", " + initialClasses + ", " + classesPerStep);
        }
        if (segmentLength < 1) {
            throw new IllegalArgumentException("segmentLength must be >= 1, got " + segmentLength);
        }
        this.segmentLength = segmentLength;
        this.initialClasses = initialClasses;
        this.classesPerStep = classesPerStep;
        this.rng = new Rng(seed);
        this.order = new int[k];
        for (int c = 0; c < k; c++) {
            order[c] = c;
        }
        UciProtocol.shuffle(order, rng);
        this.byClass = new int[k][];
        final int[] fill = new int[k];
        for (int c = 0; c < k; c++) {
            byClass[c] = new int[counts[c]];
        }
        for (int i = 0; i < labels.length; i++) {
            byClass[labels[i]][fill[labels[i]]++] = i;
        }
        for (final int[] rows : byClass) {
            UciProtocol.shuffle(rows, rng);
        }
        this.cursor = new int[k];
    }

    public int numClasses() {
        return order.length;
    }

    /** The order in which the classes are revealed. */
    public int[] classOrder() {
        return order.clone();
    }

    /** Number of classes revealed at {@code position}. */
    public int revealedAt(final long position) {
        final long step = position / segmentLength;
        return (int) Math.min(order.length, initialClasses + Math.min(step, order.length) * classesPerStep);
    }

    /** Drift points among the first {@code events}: segment starts where the revealed count grows. */
    public long[] driftPoints(final long events) {
        final List<Long> out = new ArrayList<>();
        for (long d = segmentLength; d < events && revealedAt(d) > revealedAt(d - 1); d += segmentLength) {
            out.add(d);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** Index into the pool of the next event's record. */
    public int next() {
        final int c = order[rng.nextInt(revealedAt(position))];
        final int[] rows = byClass[c];
        final int row = rows[cursor[c]];
        cursor[c] = (cursor[c] + 1) % rows.length;
        position++;
        return row;
    }
}
