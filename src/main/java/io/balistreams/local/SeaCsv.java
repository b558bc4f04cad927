package io.balistreams.local;

import io.balistreams.eval.SeaConcepts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a CSV of SEA concepts (Street and Kim 2001; {@link SeaConcepts}) for {@code bali produce}: columns
 * {@code x1,x2,x3,class}, class "yes" when x1 + x2 is at most the concept's threshold. The README's "on your
 * machine" path sends {@code docs/examples/sea.csv}, written by this class with its defaults.
 *
 * <p>{@code java -cp target/bali-streams.jar io.balistreams.local.SeaCsv FILE [records 4000] [concept length 2000]
 * [label noise 0.1] [seed 7]}
 */
public final class SeaCsv {
    private SeaCsv() {
    }

    public static void main(final String[] args) throws IOException {
        if (args.length < 1 || args.length > 5) {
            System.err.println("usage: SeaCsv FILE [records 4000] [concept length 2000] [label noise 0.1] [seed 7]");
            System.exit(2);
        }
        final int records = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
        final long conceptLength = args.length > 2 ? Long.parseLong(args[2]) : 2000;
        final double noise = args.length > 3 ? Double.parseDouble(args[3]) : 0.1;
        final long seed = args.length > 4 ? Long.parseLong(args[4]) : 7;
        Files.writeString(Path.of(args[0]), write(records, conceptLength, noise, seed));
    }

    /** The CSV text: a header and {@code records} rows, features with three decimals. */
    static String write(final int records, final long conceptLength, final double noise, final long seed) {
        if (records < 1) {
            throw new IllegalArgumentException("records must be >= 1, got " + records);
        }
        final SeaConcepts sea = new SeaConcepts(seed, conceptLength, noise);
        final StringBuilder out = new StringBuilder("x1,x2,x3,class\n");
        final double[] x = new double[3];
        for (int i = 0; i < records; i++) {
            final int y = sea.next(x);
            out.append(String.format(Locale.ROOT, "%.3f,%.3f,%.3f,%s%n", x[0], x[1], x[2], y == 1 ? "yes" : "no"));
        }
        return out.toString();
    }
}
