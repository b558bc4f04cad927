package io.balistreams.eval;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A CSV file with a header row, turned into a numeric feature matrix and a target, read eagerly by
 * {@link #read(Path, String, Set, int)}.
 *
 * <p><b>Syntax.</b> UTF-8 text (a leading byte-order mark is ignored); records end at {@code \n},
 * {@code \r\n} or {@code \r}; fields are separated by commas. A field may be enclosed in double quotes, in
 * which case it may contain commas, line breaks and quotes written as {@code ""}, and its content is
 * kept verbatim; whitespace around a field (outside quotes) is trimmed. A quote inside an unquoted
 * field, text after a closing quote, or an unterminated quote is an error. Lines that are empty or
 * blank are skipped. The first record is the header: column names are trimmed, must be non-empty and
 * distinct. Every other record must have exactly as many fields as the header.
 *
 * <p><b>Missing values</b> are the fields {@code ""}, {@code "?"}, {@code "NA"}, {@code "N/A"},
 * {@code "NaN"} and {@code "nan"} (whether quoted or not). Nothing is imputed: a missing value in a
 * numeric feature column or in the target column is an error naming the line.
 *
 * <p><b>Features.</b> Every column except the target and the dropped columns, in header order. A column is
 * <em>numeric</em> if each of its non-missing values is a decimal number ({@code [+-]digits[.digits][e[+-]digits]},
 * so {@code "NaN"}, {@code "Infinity"} or hexadecimal are not); it then gives one feature named like the
 * column. Otherwise it is <em>categorical</em> with L distinct non-missing levels (as strings):
 * <ul>
 *   <li>L ≤ maxOneHotLevels: one-hot, one 0/1 feature per level in order of first appearance, named
 *       {@code column=level};</li>
 *   <li>L > maxOneHotLevels: hashed, B = maxOneHotLevels 0/1 features named {@code column#b} for
 *       b = 0..B−1, a level going to bucket {@code Math.floorMod(level.hashCode(), B)} (stable across runs
 *       and JVMs since {@link String#hashCode()} is specified).</li>
 * </ul>
 * A missing value in a categorical column encodes as all zeros.
 *
 * <p><b>Target.</b> It is numeric if all its values are decimal numbers; then {@link #targets()} gives them.
 * {@link #labels()} maps each distinct target value to a class 0..K−1: for a numeric target, distinct
 * numeric values in increasing order (so {@code "0"}, {@code "1"} become classes 0, 1; {@code "1"} and
 * {@code "1.0"} are the same class, named by its first spelling); otherwise distinct strings in order of
 * first appearance. {@link #classNames()} gives the value of each class.
 *
 * <p>Every problem with the file is a {@link DataFormatException} whose message names the file, the
 * 1-based line where relevant, and the problem. Accessors return copies or unmodifiable views.
 */
public final class CsvTable {
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Set<String> MISSING = Set.of("", "?", "NA", "N/A", "NaN", "nan");

    private final Path file;
    private final String targetColumn;
    private final double[][] features;
    private final List<String> featureNames;
    private final double[] targets;
    private final int[] labels;
    private final List<String> classNames;

    private CsvTable(final Path file, final String targetColumn, final double[][] features,
                     final List<String> featureNames, final double[] targets, final int[] labels,
                     final List<String> classNames) {
        this.file = file;
        this.targetColumn = targetColumn;
        this.features = features;
        this.featureNames = featureNames;
        this.targets = targets;
        this.labels = labels;
        this.classNames = classNames;
    }

    /**
     * Reads a CSV file as described in the class comment.
     *
     * @param file            the CSV file
     * @param targetColumn    name of the target column; must be in the header
     * @param dropColumns     names of columns to ignore; each must be in the header and differ from the target
     * @param maxOneHotLevels the most levels a categorical column may have to be one-hot encoded, and the
     *                        number of hash buckets of a column with more; at least 1
     * @return the table
     * @throws DataFormatException      if the file is missing, unreadable, or malformed, or the target or a
     *                                  dropped column is not in the header (the message lists the columns)
     * @throws IllegalArgumentException if {@code maxOneHotLevels < 1} or the target is also dropped
     */
    public static CsvTable read(final Path file, final String targetColumn, final Set<String> dropColumns,
                                final int maxOneHotLevels) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(targetColumn, "targetColumn");
        Objects.requireNonNull(dropColumns, "dropColumns");
        if (maxOneHotLevels < 1) {
            throw new IllegalArgumentException("maxOneHotLevels must be >= 1, got " + maxOneHotLevels);
        }
        if (dropColumns.contains(targetColumn)) {
            throw new IllegalArgumentException("target column '" + targetColumn + "' is also in dropColumns");
        }
        final List<Record> records = parse(file, readText(file));
        if (records.isEmpty()) {
            throw DataFormatException.inFile(file, "empty file: no header row");
        }
        final Record header = records.get(0);
        final String[] names = header.fields;
        final Map<String, Integer> columnIndex = new HashMap<>();
        for (int c = 0; c < names.length; c++) {
            final String name = names[c].strip();
            if (name.isEmpty()) {
                throw DataFormatException.atLine(file, header.line, "column " + (c + 1) + " has an empty name");
            }
            if (columnIndex.putIfAbsent(name, c) != null) {
                throw DataFormatException.atLine(file, header.line, "duplicate column name '" + name + "'");
            }
            names[c] = name;
        }
        final Integer target = columnIndex.get(targetColumn);
        if (target == null) {
            throw DataFormatException.inFile(file, "target column '" + targetColumn
                    + "' not found; available columns: " + Arrays.toString(names));
        }
        for (final String drop : dropColumns) {
            if (!columnIndex.containsKey(drop)) {
                throw DataFormatException.inFile(file, "column to drop '" + drop
                        + "' not found; available columns: " + Arrays.toString(names));
            }
        }
        final int rows = records.size() - 1;
        if (rows == 0) {
            throw DataFormatException.inFile(file, "no data rows after the header");
        }
        for (int r = 1; r < records.size(); r++) {
            final Record record = records.get(r);
            if (record.fields.length != names.length) {
                throw DataFormatException.atLine(file, record.line, "expected " + names.length
                        + " fields (as in the header), found " + record.fields.length);
            }
        }
        final List<Record> data = records.subList(1, records.size());

        final List<double[]> columns = new ArrayList<>();
        final List<String> featureNames = new ArrayList<>();
        for (int c = 0; c < names.length; c++) {
            if (c != target && !dropColumns.contains(names[c])) {
                encodeColumn(file, data, c, names[c], maxOneHotLevels, columns, featureNames);
            }
        }
        final double[][] features = new double[rows][columns.size()];
        for (int j = 0; j < columns.size(); j++) {
            final double[] column = columns.get(j);
            for (int i = 0; i < rows; i++) {
                features[i][j] = column[i];
            }
        }

        final int t = target;
        boolean numericTarget = true;
        for (final Record record : data) {
            final String value = record.fields[t];
            if (MISSING.contains(value)) {
                throw DataFormatException.atLine(file, record.line,
                        "missing value in target column '" + targetColumn + "' (field " + (t + 1) + ")");
            }
            numericTarget &= DECIMAL.matcher(value).matches();
        }
        final double[] targets = numericTarget ? parseNumeric(file, data, t, targetColumn) : null;
        final int[] labels = new int[rows];
        final List<String> classNames = new ArrayList<>();
        if (numericTarget) {
            final TreeMap<Double, String> byValue = new TreeMap<>();
            for (int i = 0; i < rows; i++) {
                byValue.putIfAbsent(targets[i] + 0.0, data.get(i).fields[t]);
            }
            final Map<Double, Integer> classOf = new HashMap<>();
            for (final Map.Entry<Double, String> e : byValue.entrySet()) {
                classOf.put(e.getKey(), classNames.size());
                classNames.add(e.getValue());
            }
            for (int i = 0; i < rows; i++) {
                labels[i] = classOf.get(targets[i] + 0.0);
            }
        } else {
            final Map<String, Integer> classOf = new LinkedHashMap<>();
            for (int i = 0; i < rows; i++) {
                final String value = data.get(i).fields[t];
                Integer k = classOf.get(value);
                if (k == null) {
                    k = classNames.size();
                    classOf.put(value, k);
                    classNames.add(value);
                }
                labels[i] = k;
            }
        }
        return new CsvTable(file, targetColumn, features, Collections.unmodifiableList(featureNames), targets,
                labels, Collections.unmodifiableList(classNames));
    }

    /** Number of data records (rows after the header, blank lines excluded). */
    public int rows() {
        return labels.length;
    }

    /** A copy of the feature matrix, rows × features, columns as named by {@link #featureNames()}. */
    public double[][] features() {
        final double[][] copy = new double[features.length][];
        for (int i = 0; i < features.length; i++) {
            copy[i] = features[i].clone();
        }
        return copy;
    }

    /** Feature names (unmodifiable): numeric columns by name, one-hot {@code col=level}, hashed {@code col#b}. */
    public List<String> featureNames() {
        return featureNames;
    }

    /** Whether every target value is a decimal number. */
    public boolean targetIsNumeric() {
        return targets != null;
    }

    /**
     * A copy of the numeric target values.
     *
     * @throws DataFormatException if the target column is not numeric (see {@link #targetIsNumeric()})
     */
    public double[] targets() {
        if (targets == null) {
            throw DataFormatException.inFile(file, "target column '" + targetColumn + "' is not numeric (classes "
                    + (classNames.size() <= 5 ? classNames : classNames.subList(0, 5) + "…") + ")");
        }
        return targets.clone();
    }

    /** A copy of the class of each record, in 0..K−1 with K = {@code classNames().size()}. */
    public int[] labels() {
        return labels.clone();
    }

    /** The target value (as first spelled in the file) of each class 0..K−1 (unmodifiable). */
    public List<String> classNames() {
        return classNames;
    }

    /** One CSV record and the 1-based line it starts on. */
    public record Record(String[] fields, int line) {
    }

    /**
     * The raw records of a file (header included) with the syntax described in the class comment, for
     * readers that need the text of every field (e.g. {@code bali produce}).
     *
     * @throws DataFormatException naming the file and line of a syntax error, or if the file cannot be read
     */
    public static List<Record> readRecords(final Path file) {
        return parse(file, readText(file));
    }

    private static String readText(final Path file) {
        try {
            final String text = Files.readString(file);
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (final NoSuchFileException e) {
            throw DataFormatException.inFile(file, "file not found");
        } catch (final CharacterCodingException e) {
            throw new DataFormatException(file + ": not valid UTF-8 text", e);
        } catch (final IOException e) {
            throw new DataFormatException(file + ": cannot read: " + e, e);
        }
    }

    private static boolean isBlank(final char c) {
        return c == ' ' || c == '\t';
    }

    /** Splits the text into records; see the class comment for the syntax. */
    private static List<Record> parse(final Path file, final String text) {
        final List<Record> records = new ArrayList<>();
        final int n = text.length();
        final StringBuilder field = new StringBuilder();
        final List<String> fields = new ArrayList<>();
        int pos = 0;
        int line = 1;
        while (pos < n) {
            final int recordLine = line;
            fields.clear();
            boolean anyQuoted = false;
            while (true) {
                field.setLength(0);
                while (pos < n && isBlank(text.charAt(pos))) {
                    pos++;
                }
                if (pos < n && text.charAt(pos) == '"') {
                    anyQuoted = true;
                    final int quoteLine = line;
                    pos++;
                    while (true) {
                        if (pos >= n) {
                            throw DataFormatException.atLine(file, quoteLine,
                                    "field " + (fields.size() + 1) + ": unterminated quoted field");
                        }
                        final char c = text.charAt(pos);
                        if (c == '"') {
                            if (pos + 1 < n && text.charAt(pos + 1) == '"') {
                                field.append('"');
                                pos += 2;
                                continue;
                            }
                            pos++;
                            break;
                        }
                        if (c == '\n' || (c == '\r' && (pos + 1 >= n || text.charAt(pos + 1) != '\n'))) {
                            line++;
                        }
                        field.append(c);
                        pos++;
                    }
                    while (pos < n && isBlank(text.charAt(pos))) {
                        pos++;
                    }
                    if (pos < n && text.charAt(pos) != ',' && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') {
                        throw DataFormatException.atLine(file, line, "field " + (fields.size() + 1)
                                + ": unexpected '" + text.charAt(pos) + "' after closing quote");
                    }
                    fields.add(field.toString());
                } else {
                    while (pos < n) {
                        final char c = text.charAt(pos);
                        if (c == ',' || c == '\n' || c == '\r') {
                            break;
                        }
                        if (c == '"') {
                            throw DataFormatException.atLine(file, line, "field " + (fields.size() + 1)
                                    + ": quote inside an unquoted field (quote the whole field and double the quote)");
                        }
                        field.append(c);
                        pos++;
                    }
                    fields.add(field.toString().strip());
                }
                if (pos < n && text.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                if (pos < n) {
                    pos += text.charAt(pos) == '\r' && pos + 1 < n && text.charAt(pos + 1) == '\n' ? 2 : 1;
                    line++;
                }
                break;
            }
            if (!(fields.size() == 1 && !anyQuoted && fields.get(0).isEmpty())) {
                records.add(new Record(fields.toArray(new String[0]), recordLine));
            }
        }
        return records;
    }

    private static double[] parseNumeric(final Path file, final List<Record> data, final int c, final String name) {
        final double[] values = new double[data.size()];
        for (int i = 0; i < values.length; i++) {
            final Record record = data.get(i);
            final String value = record.fields[c];
            if (MISSING.contains(value)) {
                throw DataFormatException.atLine(file, record.line, "missing value in numeric column '" + name
                        + "' (field " + (c + 1) + "); missing values are not imputed");
            }
            values[i] = Double.parseDouble(value);
            if (!Double.isFinite(values[i])) {
                throw DataFormatException.atLine(file, record.line, "value '" + value + "' in column '" + name
                        + "' (field " + (c + 1) + ") overflows a double");
            }
        }
        return values;
    }

    private static void encodeColumn(final Path file, final List<Record> data, final int c, final String name,
                                     final int maxOneHotLevels, final List<double[]> columns,
                                     final List<String> featureNames) {
        boolean numeric = true;
        for (final Record record : data) {
            final String value = record.fields[c];
            if (!MISSING.contains(value) && !DECIMAL.matcher(value).matches()) {
                numeric = false;
                break;
            }
        }
        if (numeric) {
            columns.add(parseNumeric(file, data, c, name));
            featureNames.add(name);
            return;
        }
        final Map<String, Integer> levels = new LinkedHashMap<>();
        for (final Record record : data) {
            final String value = record.fields[c];
            if (!MISSING.contains(value)) {
                levels.putIfAbsent(value, levels.size());
            }
        }
        final int rows = data.size();
        final boolean oneHot = levels.size() <= maxOneHotLevels;
        final int width = oneHot ? levels.size() : maxOneHotLevels;
        final double[][] block = new double[width][rows];
        for (int i = 0; i < rows; i++) {
            final String value = data.get(i).fields[c];
            if (!MISSING.contains(value)) {
                final int slot = oneHot ? levels.get(value) : Math.floorMod(value.hashCode(), maxOneHotLevels);
                block[slot][i] = 1.0;
            }
        }
        if (oneHot) {
            for (final String level : levels.keySet()) {
                featureNames.add(name + "=" + level);
            }
        } else {
            for (int b = 0; b < width; b++) {
                featureNames.add(name + "#" + b);
            }
        }
        columns.addAll(Arrays.asList(block));
    }
}
