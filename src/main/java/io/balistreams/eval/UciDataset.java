package io.balistreams.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A regression data set in the UCI BNN benchmark layout (the layout of the PBP and MC-dropout benchmark
 * code), read eagerly and validated in full by {@link #read(Path)}.
 *
 * <p>The folder holds:
 * <ul>
 *   <li>{@code data.txt}: one record per line, whitespace-separated (spaces or tabs) finite numbers, the
 *       same count on every line; blank lines (such as a trailing empty line) are skipped and do not
 *       count as records;</li>
 *   <li>{@code index_features.txt}: the 0-based column numbers of the features, one or more per line,
 *       whitespace separated, distinct; {@code index_target.txt}: exactly one 0-based column number,
 *       not among the features;</li>
 *   <li>{@code n_splits.txt}: one whole number S ≥ 1;</li>
 *   <li>for every split i in 0..S−1, {@code index_train_i.txt} and {@code index_test_i.txt}: 0-based
 *       record numbers, laid out like the feature indices; each file non-empty and without repeats, and
 *       no record in both files of a split.</li>
 * </ul>
 * Every column or record number may be written as an integer or as a float with an integral value
 * ({@code "13"} or {@code "13.0"}); anything else ({@code "1.5"}, {@code "x"}) is an error.
 *
 * <p>Every problem is reported as a {@link DataFormatException} whose message names the file, the
 * 1-based line where relevant, and the problem. Accessors return copies; the object is immutable.
 */
public final class UciDataset {
    private static final String DATA = "data.txt";
    private static final String FEATURES = "index_features.txt";
    private static final String TARGET = "index_target.txt";
    private static final String SPLITS = "n_splits.txt";

    private final String name;
    private final double[][] features;
    private final double[] targets;
    private final int[][] train;
    private final int[][] test;

    private UciDataset(final String name, final double[][] features, final double[] targets,
                       final int[][] train, final int[][] test) {
        this.name = name;
        this.features = features;
        this.targets = targets;
        this.train = train;
        this.test = test;
    }

    /**
     * Reads and validates the data set in {@code dir}.
     *
     * @param dir the folder in the UCI BNN benchmark layout
     * @return the data set, features in the order of {@code index_features.txt}
     * @throws DataFormatException if the folder or a file is missing or unreadable, or any content does
     *                             not fit the layout described in the class comment
     */
    public static UciDataset read(final Path dir) {
        if (!Files.isDirectory(dir)) {
            throw DataFormatException.inFile(dir, Files.exists(dir) ? "not a directory" : "directory not found");
        }
        final Path dataFile = dir.resolve(DATA);
        final List<double[]> data = readData(dataFile);
        final int rows = data.size();
        final int columns = data.get(0).length;

        final Path featureFile = dir.resolve(FEATURES);
        final int[] featureColumns = readIndices(featureFile, columns, "column", columns + " columns in " + DATA);
        final Path targetFile = dir.resolve(TARGET);
        final List<Token> targetTokens = tokens(targetFile);
        if (targetTokens.size() != 1) {
            throw targetTokens.isEmpty()
                    ? DataFormatException.inFile(targetFile, "expected one column number, found none")
                    : DataFormatException.atLine(targetFile, targetTokens.get(1).line,
                            "expected one column number, found " + targetTokens.size());
        }
        final Token targetToken = targetTokens.get(0);
        final int targetColumn = parseIndex(targetFile, targetToken, columns, "column", columns + " columns in " + DATA);
        for (final int c : featureColumns) {
            if (c == targetColumn) {
                throw DataFormatException.atLine(targetFile, targetToken.line,
                        "target column " + targetColumn + " is also listed in " + FEATURES);
            }
        }

        final double[][] x = new double[rows][featureColumns.length];
        final double[] y = new double[rows];
        for (int i = 0; i < rows; i++) {
            final double[] record = data.get(i);
            for (int j = 0; j < featureColumns.length; j++) {
                x[i][j] = record[featureColumns[j]];
            }
            y[i] = record[targetColumn];
        }

        final int numSplits = readSplitCount(dir.resolve(SPLITS));
        final int[][] train = new int[numSplits][];
        final int[][] test = new int[numSplits][];
        final String rowBound = rows + " records in " + DATA;
        for (int s = 0; s < numSplits; s++) {
            final Path trainFile = dir.resolve("index_train_" + s + ".txt");
            final Path testFile = dir.resolve("index_test_" + s + ".txt");
            train[s] = readIndices(trainFile, rows, "row", rowBound);
            final boolean[] inTrain = new boolean[rows];
            for (final int r : train[s]) {
                inTrain[r] = true;
            }
            final List<Token> testTokens = tokens(testFile);
            test[s] = toIndices(testFile, testTokens, rows, "row", rowBound);
            for (int k = 0; k < testTokens.size(); k++) {
                if (inTrain[test[s][k]]) {
                    throw DataFormatException.atLine(testFile, testTokens.get(k).line,
                            "row " + test[s][k] + " is also in " + trainFile.getFileName());
                }
            }
        }
        final Path named = dir.toAbsolutePath().normalize().getFileName();
        return new UciDataset(named == null ? dir.toString() : named.toString(), x, y, train, test);
    }

    /** The folder name, e.g. {@code "bostonHousing"}. */
    public String name() {
        return name;
    }

    /** Number of records (non-blank lines of {@code data.txt}). */
    public int rows() {
        return targets.length;
    }

    /** Number of feature columns (entries of {@code index_features.txt}). */
    public int numFeatures() {
        return features[0].length;
    }

    /** A copy of the features, rows × features, columns in the order of {@code index_features.txt}. */
    public double[][] features() {
        final double[][] copy = new double[features.length][];
        for (int i = 0; i < features.length; i++) {
            copy[i] = features[i].clone();
        }
        return copy;
    }

    /** A copy of the targets, one per record. */
    public double[] targets() {
        return targets.clone();
    }

    /** Number of train/test splits ({@code n_splits.txt}). */
    public int numSplits() {
        return train.length;
    }

    /**
     * The 0-based record numbers of the training part of a split, in file order (a copy).
     *
     * @throws IllegalArgumentException if {@code split} is not in 0..numSplits()−1
     */
    public int[] trainIndices(final int split) {
        checkSplit(split);
        return train[split].clone();
    }

    /**
     * The 0-based record numbers of the test part of a split, in file order (a copy); disjoint from
     * {@link #trainIndices(int)} of the same split.
     *
     * @throws IllegalArgumentException if {@code split} is not in 0..numSplits()−1
     */
    public int[] testIndices(final int split) {
        checkSplit(split);
        return test[split].clone();
    }

    private void checkSplit(final int split) {
        if (split < 0 || split >= train.length) {
            throw new IllegalArgumentException(
                    "split " + split + " out of range 0.." + (train.length - 1) + " for " + name);
        }
    }

    /** One whitespace-separated token and the 1-based line it stands on. */
    private record Token(String text, int line) {
    }

    private static List<String> lines(final Path file) {
        try {
            // ISO-8859-1 maps every byte to a character, so a stray byte surfaces as a "not a number" error
            // on its line instead of a charset failure without one.
            return Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (final NoSuchFileException e) {
            throw DataFormatException.inFile(file, "file not found");
        } catch (final IOException e) {
            throw new DataFormatException(file + ": cannot read: " + e, e);
        }
    }

    private static String[] split(final String line) {
        final String trimmed = line.strip();
        return trimmed.isEmpty() ? new String[0] : trimmed.split("\\s+");
    }

    private static List<Token> tokens(final Path file) {
        final List<String> lines = lines(file);
        final List<Token> tokens = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            for (final String t : split(lines.get(i))) {
                tokens.add(new Token(t, i + 1));
            }
        }
        return tokens;
    }

    private static List<double[]> readData(final Path file) {
        final List<String> lines = lines(file);
        final List<double[]> rows = new ArrayList<>(lines.size());
        int columns = -1;
        int firstLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            final String[] fields = split(lines.get(i));
            if (fields.length == 0) {
                continue;
            }
            final int line = i + 1;
            if (columns < 0) {
                columns = fields.length;
                firstLine = line;
            } else if (fields.length != columns) {
                throw DataFormatException.atLine(file, line, "expected " + columns + " numbers (as on line "
                        + firstLine + "), found " + fields.length);
            }
            final double[] row = new double[columns];
            for (int j = 0; j < columns; j++) {
                row[j] = parseNumber(file, line, fields[j], "field " + (j + 1));
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw DataFormatException.inFile(file, "no data rows");
        }
        return rows;
    }

    private static double parseNumber(final Path file, final int line, final String text, final String where) {
        final double value;
        try {
            value = Double.parseDouble(text);
        } catch (final NumberFormatException e) {
            throw DataFormatException.atLine(file, line, where + ": '" + text + "' is not a number");
        }
        if (!Double.isFinite(value)) {
            throw DataFormatException.atLine(file, line, where + ": '" + text + "' is not a finite number");
        }
        return value;
    }

    private static int parseIndex(final Path file, final Token token, final int bound, final String kind,
                                  final String boundDescription) {
        final double value = parseNumber(file, token.line, token.text, kind + " number");
        if (value != Math.rint(value)) {
            throw DataFormatException.atLine(file, token.line, "'" + token.text + "' is not a whole number");
        }
        if (value < 0 || value >= bound) {
            throw DataFormatException.atLine(file, token.line, kind + " " + token.text + " out of range 0.."
                    + (bound - 1) + " (" + boundDescription + ")");
        }
        return (int) value;
    }

    private static int[] readIndices(final Path file, final int bound, final String kind,
                                     final String boundDescription) {
        return toIndices(file, tokens(file), bound, kind, boundDescription);
    }

    private static int[] toIndices(final Path file, final List<Token> tokens, final int bound, final String kind,
                                   final String boundDescription) {
        if (tokens.isEmpty()) {
            throw DataFormatException.inFile(file, "no " + kind + " numbers");
        }
        final int[] indices = new int[tokens.size()];
        final int[] firstSeenOn = new int[bound];
        for (int k = 0; k < indices.length; k++) {
            final Token token = tokens.get(k);
            final int index = parseIndex(file, token, bound, kind, boundDescription);
            if (firstSeenOn[index] != 0) {
                throw DataFormatException.atLine(file, token.line, kind + " " + index
                        + " listed twice (first on line " + firstSeenOn[index] + ")");
            }
            firstSeenOn[index] = token.line;
            indices[k] = index;
        }
        return indices;
    }

    private static int readSplitCount(final Path file) {
        final List<Token> tokens = tokens(file);
        if (tokens.size() != 1) {
            throw tokens.isEmpty()
                    ? DataFormatException.inFile(file, "expected the number of splits, found nothing")
                    : DataFormatException.atLine(file, tokens.get(1).line,
                            "expected one number (the number of splits), found " + tokens.size());
        }
        final Token token = tokens.get(0);
        final double value = parseNumber(file, token.line, token.text, "number of splits");
        if (value != Math.rint(value) || value < 1 || value > 1_000_000) {
            throw DataFormatException.atLine(file, token.line,
                    "number of splits must be a whole number in 1..1000000, found '" + token.text + "'");
        }
        return (int) value;
    }
}
