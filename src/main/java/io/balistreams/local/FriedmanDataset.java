package io.balistreams.local;

import io.balistreams.bali.Rng;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes Friedman's first regression problem (Friedman 1991) in the UCI benchmark layout that {@code bali eval uci}
 * reads (data.txt, index files, n_splits.txt and per split index_train_i / index_test_i): ten features uniform on
 * [0, 1], of which the last five are noise, and
 * <pre>
 *   y = 10 sin(π x₁ x₂) + 20 (x₃ − 0.5)² + 10 x₄ + 5 x₅ + ε,   ε ~ N(0, 1).
 * </pre>
 * Each split is a seeded random 90/10 partition. It gives the protocol's cost a data set of any size (the shared
 * UCI sets here have 506 and 1,030 records):
 * <pre>
 *   java -cp target/bali-streams.jar io.balistreams.local.FriedmanDataset DIR [records=10000] [splits=20] [seed=1]
 * </pre>
 */
public final class FriedmanDataset {
    /** Features per record: five that matter and five of noise. */
    public static final int FEATURES = 10;

    private FriedmanDataset() {
    }

    /** The target of features x (without the noise). */
    public static double mean(final double[] x) {
        return 10 * Math.sin(Math.PI * x[0] * x[1]) + 20 * (x[2] - 0.5) * (x[2] - 0.5) + 10 * x[3] + 5 * x[4];
    }

    /**
     * Writes the set into {@code dir} (created if needed).
     *
     * @throws IllegalArgumentException for fewer than 10 records or no split
     */
    public static void write(final Path dir, final int records, final int splits, final long seed) {
        if (records < 10 || splits < 1) {
            throw new IllegalArgumentException("need at least 10 records and 1 split, got " + records + " and " + splits);
        }
        final Rng rng = Rng.forStream(seed, 0);
        final StringBuilder data = new StringBuilder();
        final double[] x = new double[FEATURES];
        for (int i = 0; i < records; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x[j] = rng.nextDouble();
                data.append(String.format(Locale.ROOT, "%.17g ", x[j]));
            }
            data.append(String.format(Locale.ROOT, "%.17g%n", mean(x) + rng.nextGaussian()));
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("data.txt"), data);
            final StringBuilder features = new StringBuilder();
            for (int j = 0; j < FEATURES; j++) {
                features.append(j).append('\n');
            }
            Files.writeString(dir.resolve("index_features.txt"), features);
            Files.writeString(dir.resolve("index_target.txt"), FEATURES + "\n");
            Files.writeString(dir.resolve("n_splits.txt"), splits + "\n");
            final int testSize = Math.max(1, records / 10);
            for (int s = 0; s < splits; s++) {
                final int[] order = new int[records];
                for (int i = 0; i < records; i++) {
                    order[i] = i;
                }
                final Rng shuffle = Rng.forStream(seed, s + 1);
                for (int i = records - 1; i > 0; i--) {
                    final int j = shuffle.nextInt(i + 1);
                    final int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                final StringBuilder train = new StringBuilder();
                final StringBuilder test = new StringBuilder();
                for (int i = 0; i < records; i++) {
                    (i < testSize ? test : train).append(order[i]).append('\n');
                }
                Files.writeString(dir.resolve("index_train_" + s + ".txt"), train);
                Files.writeString(dir.resolve("index_test_" + s + ".txt"), test);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("writing the Friedman data set to " + dir + " failed", e);
        }
    }

    public static void main(final String[] args) {
        if (args.length < 1 || args.length > 4) {
            System.err.println("usage: FriedmanDataset DIR [records=10000] [splits=20] [seed=1]");
            System.exit(2);
        }
        try {
            write(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 10_000,
                    args.length > 2 ? Integer.parseInt(args[2]) : 20, args.length > 3 ? Long.parseLong(args[3]) : 1L);
        } catch (final IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
