package io.balistreams.eval;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The streams of {@code bali eval drift}, materialised as {@link ClassificationStream}s with their known drift
 * points: {@link #sea SEA concepts} (abrupt), a {@link RotatingHyperplane rotating hyperplane} (incremental),
 * a {@link ClassIncremental class-incremental} image stream (new classes appear), and Elec2 read from CSV
 * (real, drift points unknown); and the model each of them is run with.
 */
public final class DriftStreams {
    /** Label noise of the SEA stream (as in {@code bali demo}). */
    public static final double SEA_NOISE = 0.1;
    /** Label noise of the hyperplane stream. */
    public static final double HYPERPLANE_NOISE = 0.05;

    private DriftStreams() {
    }

    // ---------------------------------------------------------------------------------------------
    // Models used by `bali eval drift`

    /** The tabular model of {@code bali demo} and {@code eval prequential}: d→32→32→K tanh, streaming. */
    public static BaliConfig tabularModel(final int inputs, final int classes, final int batch, final double memory,
                                          final long seed) {
        return tabularModel(inputs, new int[] {32, 32}, classes, batch, memory, seed);
    }

    /** The tabular model with other hidden widths: d→h₁→…→K tanh, streaming. */
    public static BaliConfig tabularModel(final int inputs, final int[] hidden, final int classes, final int batch,
                                          final double memory, final long seed) {
        final int[] sizes = new int[hidden.length + 2];
        sizes[0] = inputs;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = classes;
        return BaliConfig.classification(sizes).activation(Activation.TANH).batchSize(batch).effectiveMemory(memory)
                .seed(seed).build();
    }

    /**
     * The image model of {@code eval ood} ({@link OodEvaluation.Settings#defaults()}): 784→128→10 ReLU,
     * κ = 300, pixels used as given; streaming with memory N_eff.
     */
    public static BaliConfig imageModel(final int inputs, final int classes, final int batch, final double memory,
                                        final long seed) {
        final OodEvaluation.Settings d = OodEvaluation.Settings.defaults();
        return BaliConfig.classification(inputs, d.hidden(), classes).activation(d.activation()).batchSize(batch)
                .hiddenKappa(d.kappa()).standardizeInputs(d.standardizeInputs()).effectiveMemory(memory).seed(seed)
                .build();
    }

    // ---------------------------------------------------------------------------------------------
    // Streams

    /**
     * SEA concepts ({@link SeaConcepts}, label noise {@value #SEA_NOISE}): abrupt drifts every
     * {@code conceptLength} events, thresholds 8 → 9 → 7 → 9.5 → 8 …
     */
    public static ClassificationStream sea(final long seed, final int events, final long conceptLength) {
        requireEvents(events);
        final SeaConcepts sea = new SeaConcepts(seed, conceptLength, SEA_NOISE);
        final double[][] x = new double[events][];
        final int[] y = new int[events];
        for (int i = 0; i < events; i++) {
            x[i] = new double[3];
            y[i] = sea.next(x[i]);
        }
        return new ClassificationStream("sea", x, y, 2, multiples(conceptLength, events));
    }

    /** A stretch of one SEA concept (the first, θ = 8), no drift: for false-alarm checks. */
    public static ClassificationStream seaStationary(final long seed, final int events) {
        final ClassificationStream s = sea(seed, events, Long.MAX_VALUE / 2);
        return new ClassificationStream("sea-stationary", s.features(), s.labels(), 2, new long[0]);
    }

    /**
     * The rotating hyperplane ({@link RotatingHyperplane}, label noise {@value #HYPERPLANE_NOISE}, rotation by
     * π/4 over the first fifth of each segment after the first): drift points at the starts of the rotation
     * phases, every {@code segmentLength} events.
     */
    public static ClassificationStream hyperplane(final long seed, final int events, final long segmentLength) {
        requireEvents(events);
        final RotatingHyperplane h = new RotatingHyperplane(seed, segmentLength, Math.max(1, segmentLength / 5),
                RotatingHyperplane.DEFAULT_ANGLE, HYPERPLANE_NOISE);
        final double[][] x = new double[events][];
        final int[] y = new int[events];
        for (int i = 0; i < events; i++) {
            x[i] = new double[RotatingHyperplane.DIMENSION];
            y[i] = h.next(x[i]);
        }
        return new ClassificationStream("hyperplane", x, y, 2, h.driftPoints(events));
    }

    /**
     * A class-incremental stream over a labelled image set (e.g. the Fashion-MNIST training set): 2 classes
     * in the first segment, 2 more at the start of every following segment ({@link ClassIncremental}).
     */
    public static ClassificationStream classIncremental(final double[][] images, final int[] labels, final long seed,
                                                        final int events, final long segmentLength) {
        requireEvents(events);
        final ClassIncremental c = new ClassIncremental(labels, seed, segmentLength, 2, 2);
        final double[][] x = new double[events][];
        final int[] y = new int[events];
        for (int i = 0; i < events; i++) {
            final int row = c.next();
            x[i] = images[row];
            y[i] = labels[row];
        }
        return new ClassificationStream("fmnist-classes", x, y, c.numClasses(), c.driftPoints(events));
    }

    /** Elec2 as in {@code eval prequential}: target {@code class}, rows in file order, drift points unknown. */
    public static ClassificationStream elec2(final Path csv) {
        final CsvTable t = CsvTable.read(csv, "class", Set.of(), 32);
        if (t.rows() == 0) {
            throw new IllegalArgumentException(csv + ": no data rows after the header");
        }
        return new ClassificationStream("elec2", t.features(), t.labels(), Math.max(2, t.classNames().size()), null);
    }

    private static void requireEvents(final int events) {
        if (events < 1) {
            throw new IllegalArgumentException("events must be >= 1, got " + events);
        }
    }

    /** k·step for k ≥ 1 while below {@code events}. */
    static long[] multiples(final long step, final long events) {
        final List<Long> out = new ArrayList<>();
        for (long d = step; d < events && d > 0; d += step) {
            out.add(d);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }
}
