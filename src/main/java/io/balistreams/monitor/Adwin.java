package io.balistreams.monitor;

import java.util.Arrays;

/**
 * ADWIN2, the adaptive-window change detector of Bifet &amp; Gavaldà ("Learning from time-changing data
 * with adaptive windowing", SDM 2007), as in the reference implementation of MOA / River.
 *
 * <p><b>Window.</b> The detector keeps a window W of the most recent values, compressed in an
 * exponential histogram: row i holds between 1 and M = {@value #MAX_BUCKETS} buckets of 2<sup>i</sup>
 * consecutive values, each bucket storing its sum and its sum of squared deviations from its own mean.
 * A new value enters row 0; when a row holds M + 1 buckets its two oldest are merged into one bucket of
 * the next row (sums add; squared deviations add plus n₁n₂(μ₁ − μ₂)²/(n₁ + n₂)). Memory and the time of
 * a check are O(M log |W|), an insertion is amortised O(1). The window's count n, sum and sum of squared
 * deviations n·σ²_W are kept exactly in step (Welford-style updates on insertion and deletion).
 *
 * <p><b>Cut test.</b> Every {@code clock} values (and only while n &gt; {@value #MIN_WINDOW}), every
 * split of W at a bucket boundary into an older part W₀ (n₀ values, mean μ̂₀) and a newer part W₁
 * (n₁, μ̂₁) with n₀, n₁ &gt; {@value #MIN_SUB_WINDOW} + 1 (so at least 7 values each, as MOA's
 * {@code n0 > mintMinWinLength + 1}) is tested, oldest boundary first:
 * <pre>
 *   |μ̂₀ − μ̂₁| &gt; ε_cut = √(2/m · σ²_W · ln(2/δ')) + 2/(3m) · ln(2/δ'),    δ' = δ / ln n,
 *   1/m = 1/(n₀ − {@value #MIN_SUB_WINDOW} + 1) + 1/(n₁ − {@value #MIN_SUB_WINDOW} + 1)
 * </pre>
 * (the variance-based Bernstein bound of the paper; the harmonic term 1/m = 1/n₀ + 1/n₁ of the paper
 * is taken with the minimum sub-window length discounted, exactly as MOA and River do). Detections,
 * window widths and estimates equal those of MOA's {@code moa.classifiers.core.driftdetection.ADWIN}
 * (pinned by {@code AdwinGoldenTest}); River's {@code adwin_c} differs slightly (it tests n₀, n₁ ≥
 * {@value #MIN_SUB_WINDOW} and skips the newest bucket of each row). When a split
 * fires, the oldest bucket is dropped and the test is repeated from the start until no split fires:
 * what remains is the part of the window consistent with the newest values. Because the bound uses
 * the window variance, values may be any real numbers (0/1 errors, NLL, squared errors).
 *
 * <p><b>Levels.</b> A check where the δ-test fires returns {@link DriftLevel#DRIFT} (and the window has
 * shrunk). Otherwise the same splits of the same window are tested with {@code warningDelta} ≥ δ
 * (a smaller bound); if one fires the check returns {@link DriftLevel#WARNING} and nothing is dropped.
 * Values between checks return STABLE. {@link #statistic()}/{@link #threshold()}: for DRIFT the
 * |μ̂₀ − μ̂₁| and ε_cut(δ) of the first split that fired; otherwise those of the split with the largest
 * ratio |μ̂₀ − μ̂₁| / ε_cut(warningDelta), with the warning bound.
 *
 * <p><b>State</b> ({@link #exportState()}): {@code [tag, delta, warningDelta, clock, count, width, sum,
 * sumSquaredDeviations, statistic, threshold, level, driftCount, rows, then per row i = 0.. :
 * k_i, k_i bucket sums (oldest first), k_i bucket squared deviations]}.
 *
 * <p>Not thread-safe.
 */
public final class Adwin implements DriftDetector {
    /** Confidence of the drift test (MOA / River default). */
    public static final double DEFAULT_DELTA = 0.002;
    /** Confidence of the warning test. */
    public static final double DEFAULT_WARNING_DELTA = 0.01;
    /** Values between two checks (MOA / River default). */
    public static final int DEFAULT_CLOCK = 32;
    /** M: buckets per row of the exponential histogram. */
    public static final int MAX_BUCKETS = 5;
    /**
     * MOA's minimum sub-window length: a split is tested only when both sub-windows hold more than
     * MIN_SUB_WINDOW + 1 values, and the bound's 1/m discounts MIN_SUB_WINDOW − 1 from each length.
     */
    public static final int MIN_SUB_WINDOW = 5;
    /** Checks run only when the window holds more than this many values. */
    public static final int MIN_WINDOW = 10;
    /** Element 0 of {@link #exportState()}. */
    public static final double FORMAT_TAG = 0xAD01;

    private static final int HEADER = 13;

    private final double delta;
    private final double warningDelta;
    private final int clock;

    private long count;
    private long width;
    private double total;
    /** Σ over the window of (x − mean)², i.e. n·σ²_W. */
    private double squaredDeviations;

    /** bucketSum[i][k], bucketDev[i][k]: bucket k (0 = oldest) of row i (buckets of 2^i values). */
    private double[][] bucketSum = new double[0][];
    private double[][] bucketDev = new double[0][];
    private int[] rowSize = new int[0];
    private int rows;

    private double lastStatistic = Double.NaN;
    private double lastThreshold = Double.NaN;
    private DriftLevel lastLevel = DriftLevel.STABLE;
    private long drifts;

    // results of the last scan
    private double cutStatistic;
    private double cutBound;
    private double bestRatio;
    private double bestStatistic;
    private double bestBound;

    /** ADWIN with δ = {@value #DEFAULT_DELTA}, warning δ = {@value #DEFAULT_WARNING_DELTA}, clock {@value #DEFAULT_CLOCK}. */
    public Adwin() {
        this(DEFAULT_DELTA, DEFAULT_WARNING_DELTA, DEFAULT_CLOCK);
    }

    /** ADWIN with the given drift confidence and warning δ = max(δ, {@value #DEFAULT_WARNING_DELTA}). */
    public Adwin(final double delta) {
        this(delta, Math.max(delta, DEFAULT_WARNING_DELTA), DEFAULT_CLOCK);
    }

    /** ADWIN with the given drift and warning confidences and clock {@value #DEFAULT_CLOCK}. */
    public Adwin(final double delta, final double warningDelta) {
        this(delta, warningDelta, DEFAULT_CLOCK);
    }

    /**
     * @param delta        confidence δ of the drift test, in (0, 1); smaller = fewer false alarms, later detection
     * @param warningDelta confidence of the warning test, in [δ, 1)
     * @param clock        a check every {@code clock} values, ≥ 1
     * @throws IllegalArgumentException naming the offending parameter
     */
    public Adwin(final double delta, final double warningDelta, final int clock) {
        if (!(delta > 0.0 && delta < 1.0)) {
            throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
        }
        if (!(warningDelta >= delta && warningDelta < 1.0)) {
            throw new IllegalArgumentException("warningDelta must be in [delta, 1) = [" + delta + ", 1), got "
                    + warningDelta);
        }
        if (clock < 1) {
            throw new IllegalArgumentException("clock must be >= 1, got " + clock);
        }
        this.delta = delta;
        this.warningDelta = warningDelta;
        this.clock = clock;
    }

    public double delta() { return delta; }
    public double warningDelta() { return warningDelta; }
    public int clock() { return clock; }

    /** Number of values in the current window. */
    public long width() { return width; }

    /** Mean of the values in the current window; NaN when empty. */
    public double mean() {
        return width == 0 ? Double.NaN : total / width;
    }

    /** Population variance σ²_W of the values in the current window; NaN when empty. */
    public double variance() {
        return width == 0 ? Double.NaN : Math.max(0.0, squaredDeviations / width);
    }

    /** Number of buckets in the exponential histogram (O(M log width)). */
    public int bucketCount() {
        int b = 0;
        for (int i = 0; i < rows; i++) {
            b += rowSize[i];
        }
        return b;
    }

    @Override public DriftLevel level() { return lastLevel; }
    @Override public double statistic() { return lastStatistic; }
    @Override public double threshold() { return lastThreshold; }
    @Override public long count() { return count; }
    @Override public long driftCount() { return drifts; }
    @Override public String name() { return "ADWIN"; }

    @Override
    public DriftLevel add(final double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("value must be finite, got " + value);
        }
        count++;
        insert(value);
        if (count % clock != 0 || width <= MIN_WINDOW) {
            return DriftLevel.STABLE;
        }
        return check();
    }

    private void insert(final double value) {
        width++;
        if (width > 1) {
            final double d = value - total / (width - 1);
            squaredDeviations += (width - 1) * d * d / width;
        }
        total += value;
        if (rows == 0) {
            ensureRows(1);
            rows = 1;
        }
        append(0, value, 0.0);
        compress();
    }

    private void append(final int row, final double sum, final double dev) {
        bucketSum[row][rowSize[row]] = sum;
        bucketDev[row][rowSize[row]] = dev;
        rowSize[row]++;
    }

    private void removeOldest(final int row, final int k) {
        final int remaining = rowSize[row] - k;
        System.arraycopy(bucketSum[row], k, bucketSum[row], 0, remaining);
        System.arraycopy(bucketDev[row], k, bucketDev[row], 0, remaining);
        rowSize[row] = remaining;
    }

    private void ensureRows(final int needed) {
        if (bucketSum.length >= needed) {
            return;
        }
        final int old = bucketSum.length;
        final int cap = Math.max(needed, Math.max(4, 2 * old));
        bucketSum = Arrays.copyOf(bucketSum, cap);
        bucketDev = Arrays.copyOf(bucketDev, cap);
        rowSize = Arrays.copyOf(rowSize, cap);
        for (int i = old; i < cap; i++) {
            bucketSum[i] = new double[MAX_BUCKETS + 1];
            bucketDev[i] = new double[MAX_BUCKETS + 1];
        }
    }

    /** Merges the two oldest buckets of every row that overflowed, carrying into the next row. */
    private void compress() {
        for (int i = 0; i < rows && rowSize[i] > MAX_BUCKETS; i++) {
            if (i + 1 == rows) {
                ensureRows(rows + 1);
                rowSize[rows] = 0;
                rows++;
            }
            final double n = (double) (1L << i);
            final double d = bucketSum[i][0] / n - bucketSum[i][1] / n;
            final double dev = bucketDev[i][0] + bucketDev[i][1] + n * n * d * d / (n + n);
            append(i + 1, bucketSum[i][0] + bucketSum[i][1], dev);
            removeOldest(i, 2);
        }
    }

    /** Drops the oldest bucket of the window; returns its size. */
    private long deleteOldest() {
        final int last = rows - 1;
        final long size = 1L << last;
        final double sum = bucketSum[last][0];
        width -= size;
        total -= sum;
        final double d = sum / size - total / width;
        squaredDeviations -= bucketDev[last][0] + size * width * d * d / (size + width);
        removeOldest(last, 1);
        if (rowSize[last] == 0) {
            rows--;
        }
        return size;
    }

    private DriftLevel check() {
        boolean drift = false;
        double firstStatistic = Double.NaN;
        double firstBound = Double.NaN;
        while (scan()) {
            if (!drift) {
                firstStatistic = cutStatistic;
                firstBound = cutBound;
                drift = true;
            }
            deleteOldest();
        }
        if (drift) {
            drifts++;
            lastStatistic = firstStatistic;
            lastThreshold = firstBound;
            lastLevel = DriftLevel.DRIFT;
        } else {
            lastStatistic = bestStatistic;
            lastThreshold = bestBound;
            lastLevel = bestRatio > 1.0 ? DriftLevel.WARNING : DriftLevel.STABLE;
        }
        return lastLevel;
    }

    /**
     * Tests every split of the current window, oldest boundary first. Returns true at the first split
     * where the δ-test fires (its values in cutStatistic/cutBound); otherwise false, with the split of
     * largest |μ̂₀ − μ̂₁| / ε(warningDelta) in best*.
     */
    private boolean scan() {
        bestRatio = Double.NEGATIVE_INFINITY;
        bestStatistic = Double.NaN;
        bestBound = Double.NaN;
        final double v = Math.max(0.0, squaredDeviations / width);
        final double logN = Math.log((double) width);
        final double ddDrift = Math.log(2.0 * logN / delta);
        final double ddWarning = Math.log(2.0 * logN / warningDelta);
        long n0 = 0;
        long n1 = width;
        double u0 = 0.0;
        double u1 = total;
        for (int i = rows - 1; i >= 0; i--) {
            final long size = 1L << i;
            for (int k = 0; k < rowSize[i]; k++) {
                n0 += size;
                n1 -= size;
                u0 += bucketSum[i][k];
                u1 -= bucketSum[i][k];
                if (i == 0 && k == rowSize[i] - 1) {
                    return false;
                }
                if (n0 > MIN_SUB_WINDOW + 1 && n1 > MIN_SUB_WINDOW + 1) {
                    final double diff = Math.abs(u0 / n0 - u1 / n1);
                    final double mRecip = 1.0 / (n0 - MIN_SUB_WINDOW + 1) + 1.0 / (n1 - MIN_SUB_WINDOW + 1);
                    final double bound = Math.sqrt(2.0 * mRecip * v * ddDrift) + 2.0 / 3.0 * ddDrift * mRecip;
                    if (diff > bound) {
                        cutStatistic = diff;
                        cutBound = bound;
                        return true;
                    }
                    final double warnBound = Math.sqrt(2.0 * mRecip * v * ddWarning) + 2.0 / 3.0 * ddWarning * mRecip;
                    final double ratio = diff / warnBound;
                    if (ratio > bestRatio) {
                        bestRatio = ratio;
                        bestStatistic = diff;
                        bestBound = warnBound;
                    }
                }
            }
        }
        return false;
    }

    @Override
    public double[] exportState() {
        int length = HEADER;
        for (int i = 0; i < rows; i++) {
            length += 1 + 2 * rowSize[i];
        }
        final double[] s = new double[length];
        s[0] = FORMAT_TAG;
        s[1] = delta;
        s[2] = warningDelta;
        s[3] = clock;
        s[4] = count;
        s[5] = width;
        s[6] = total;
        s[7] = squaredDeviations;
        s[8] = lastStatistic;
        s[9] = lastThreshold;
        s[10] = lastLevel.ordinal();
        s[11] = drifts;
        s[12] = rows;
        int p = HEADER;
        for (int i = 0; i < rows; i++) {
            final int k = rowSize[i];
            s[p++] = k;
            System.arraycopy(bucketSum[i], 0, s, p, k);
            p += k;
            System.arraycopy(bucketDev[i], 0, s, p, k);
            p += k;
        }
        return s;
    }

    /**
     * Rebuilds a detector from {@link #exportState()}; it continues bit-identically.
     *
     * @throws IllegalArgumentException if the array is not a consistent ADWIN state
     */
    public static Adwin restore(final double[] state) {
        if (state == null || state.length < HEADER) {
            throw new IllegalArgumentException("state: an ADWIN state has at least " + HEADER + " elements");
        }
        if (state[0] != FORMAT_TAG) {
            throw new IllegalArgumentException("state: not an ADWIN state (format tag " + state[0] + ")");
        }
        final Adwin a = new Adwin(state[1], state[2], StateChecks.toInt("clock", state[3], 1, Integer.MAX_VALUE));
        a.count = StateChecks.toLong("count", state[4], 0);
        a.width = StateChecks.toLong("width", state[5], 0);
        a.total = StateChecks.finite("sum", state[6]);
        a.squaredDeviations = StateChecks.finite("sumSquaredDeviations", state[7]);
        a.lastStatistic = state[8];
        a.lastThreshold = state[9];
        a.lastLevel = DriftLevel.values()[StateChecks.toInt("level", state[10], 0, DriftLevel.values().length - 1)];
        a.drifts = StateChecks.toLong("driftCount", state[11], 0);
        a.rows = StateChecks.toInt("rows", state[12], 0, 62);
        a.ensureRows(a.rows);
        int p = HEADER;
        long sumOfSizes = 0;
        for (int i = 0; i < a.rows; i++) {
            if (p >= state.length) {
                throw new IllegalArgumentException("state: truncated at row " + i);
            }
            final int k = StateChecks.toInt("row " + i + " size", state[p++], 1, MAX_BUCKETS);
            if (p + 2 * k > state.length) {
                throw new IllegalArgumentException("state: truncated at row " + i);
            }
            for (int j = 0; j < k; j++) {
                a.bucketSum[i][j] = StateChecks.finite("bucket sum", state[p + j]);
                a.bucketDev[i][j] = StateChecks.finite("bucket deviation", state[p + k + j]);
            }
            a.rowSize[i] = k;
            p += 2 * k;
            sumOfSizes += (long) k << i;
        }
        if (p != state.length) {
            throw new IllegalArgumentException("state: " + (state.length - p) + " trailing elements");
        }
        if (sumOfSizes != a.width || a.width > a.count) {
            throw new IllegalArgumentException("state: width " + a.width + " does not match the buckets ("
                    + sumOfSizes + ") or exceeds count " + a.count);
        }
        return a;
    }

    @Override
    public String toString() {
        return "Adwin[delta=" + delta + ", warningDelta=" + warningDelta + ", clock=" + clock + ", count=" + count
                + ", width=" + width + ", mean=" + mean() + ", level=" + lastLevel + "]";
    }
}
