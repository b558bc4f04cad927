package io.balistreams.eval;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A CSV file with a header row, turned into a numeric feature matrix and a target, read eagerly by
 * {@link #read(Path, String, Set, int)} (fitting a {@link FeatureEncoding} to the file) or
 * {@link #read(Path, String, Set, FeatureEncoding)} (applying a saved one, so that two files get the same
 * feature layout and classes).
 *
 * <p><b>Syntax.</b> UTF-8 text (a leading byte-order mark is ignored); records end at {@code \n},
 * {@code \r\n} or {@code \r}; fields are separated by commas. A field may be enclosed in double quotes, in
 * which case it may contain commas, line breaks and quotes written as {@code ""}, and its content is
 * kept verbatim; whitespace around a field (outside quotes) is trimmed. A quote inside an unquoted
 * field, text after a closing quote, or an unterminated quote is an error. Lines that are empty or
 * blank are skipped. The first record is the header: column names are trimmed, must be non-empty and
 * distinct. Every other record must have exactly as many fields as the header, and there must be at least one.
 *
 * <p><b>Missing values</b> are the fields {@code ""}, {@code "?"}, {@code "NA"}, {@code "N/A"},
 * {@code "NaN"} and {@code "nan"} (whether quoted or not). Nothing is imputed: a missing value in a
 * numeric feature column or in the target column is an error naming the line.
 *
 * <p><b>Features.</b> Every column except the target and the dropped columns, in header order (or, with a
 * saved encoding, the encoding's columns in its order; then every header column must be a feature column of
 * the encoding, the target or dropped). The encoding is {@link FeatureEncoding}'s: a column whose non-missing
 * values are all, or mostly, decimal numbers is <em>numeric</em> and gives one feature named like the column
 * (a cell in it that is not a number — a stray token such as {@code abc} — is an error naming the line, the
 * column and the token); otherwise it is <em>categorical</em> with L distinct non-missing levels (as strings):
 * <ul>
 *   <li>L ≤ maxOneHotLevels: one-hot, one 0/1 feature per level in order of first appearance, named
 *       {@code column=level};</li>
 *   <li>L > maxOneHotLevels: hashed, B = maxOneHotLevels 0/1 features named {@code column#b} for
 *       b = 0..B−1, a level going to bucket {@code Math.floorMod(level.hashCode(), B)} (stable across runs
 *       and JVMs since {@link String#hashCode()} is specified).</li>
 * </ul>
 * A missing value in a categorical column encodes as all zeros, and so does a level that a saved encoding
 * does not list.
 *
 * <p><b>Target.</b> It is numeric if all its values are decimal numbers; then {@link #targets()} gives them.
 * {@link #labels()} maps each target value to a class 0..K−1 of the encoding's {@link #classNames()}: for a
 * numeric target, distinct numeric values in increasing order (so {@code "0"}, {@code "1"} become classes 0, 1;
 * {@code "1"} and {@code "1.0"} are the same class, named by its first spelling); otherwise distinct strings in
 * order of first appearance. With a saved encoding the classes are the encoding's (those of this file if the
 * encoding lists none), and a target value that is not one of them makes {@link #labels()} an error.
 *
 * <p>Every problem with the file is a {@link DataFormatException} whose message names the file, the
 * 1-based line where relevant, and the problem. Accessors return copies or unmodifiable views.
 */
public final class CsvTable {
    private final Path file;
    private final String targetColumn;
    private final FeatureEncoding encoding;
    private final double[][] features;
    private final double[] targets;
    private final int[] labels;
    /** Why {@link #labels()} fails (a target value that is not a class of the encoding), or null. */
    private final DataFormatException unknownClass;

    private CsvTable(final Path file, final String targetColumn, final FeatureEncoding encoding,
                     final double[][] features, final double[] targets, final int[] labels,
                     final DataFormatException unknownClass) {
        this.file = file;
        this.targetColumn = targetColumn;
        this.encoding = encoding;
        this.features = features;
        this.targets = targets;
        this.labels = labels;
        this.unknownClass = unknownClass;
    }

    /**
     * Reads a CSV file as described in the class comment, fitting the encoding to it.
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
        if (maxOneHotLevels < 1) {
            throw new IllegalArgumentException("maxOneHotLevels must be >= 1, got " + maxOneHotLevels);
        }
        final Rows rows = readColumns(file, targetColumn, dropColumns);
        final List<String> featureColumns = rows.header().stream()
                .filter(name -> !name.equals(targetColumn) && !dropColumns.contains(name)).toList();
        final FeatureEncoding encoding = FeatureEncoding.fit(rows, featureColumns, null, maxOneHotLevels);
        return build(rows, targetColumn, encoding, dropColumns, true);
    }

    /**
     * Reads a CSV file as described in the class comment, applying a saved encoding.
     *
     * @param file         the CSV file
     * @param targetColumn name of the target column; must be in the header, and be the encoding's target if it
     *                     has one
     * @param dropColumns  names of columns to ignore; each must be in the header and differ from the target
     * @param encoding     the encoding, e.g. {@link FeatureEncoding#load(Path) loaded} from a file
     * @return the table, whose {@link #encoding()} is the given one (with this file's target classes if it lists none)
     * @throws DataFormatException      if the file is missing, unreadable, or malformed, a column is missing or
     *                                  unexpected, or a numeric cell is missing or not a number
     * @throws IllegalArgumentException if the target is also dropped, or differs from the encoding's target
     */
    public static CsvTable read(final Path file, final String targetColumn, final Set<String> dropColumns,
                                final FeatureEncoding encoding) {
        Objects.requireNonNull(encoding, "encoding");
        if (encoding.targetColumn() != null && !encoding.targetColumn().equals(targetColumn)) {
            throw new IllegalArgumentException("target column '" + targetColumn + "' is not the encoding's target '"
                    + encoding.targetColumn() + "'");
        }
        final Rows rows = readColumns(file, targetColumn, dropColumns);
        return build(rows, targetColumn, encoding, dropColumns, encoding.classNames().isEmpty());
    }

    /** The file's rows, after checking the arguments and that the target and dropped columns are in the header. */
    private static Rows readColumns(final Path file, final String targetColumn, final Set<String> dropColumns) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(targetColumn, "targetColumn");
        Objects.requireNonNull(dropColumns, "dropColumns");
        if (dropColumns.contains(targetColumn)) {
            throw new IllegalArgumentException("target column '" + targetColumn + "' is also in dropColumns");
        }
        final Rows rows = readRows(file);
        if (!rows.header().contains(targetColumn)) {
            throw DataFormatException.inFile(file, "target column '" + targetColumn
                    + "' not found; available columns: " + rows.header());
        }
        for (final String drop : dropColumns) {
            if (!rows.header().contains(drop)) {
                throw DataFormatException.inFile(file, "column to drop '" + drop
                        + "' not found; available columns: " + rows.header());
            }
        }
        return rows;
    }

    private static CsvTable build(final Rows rows, final String targetColumn, final FeatureEncoding featureEncoding,
                                  final Set<String> dropColumns, final boolean fitClasses) {
        final Set<String> others = new HashSet<>(dropColumns);
        others.add(targetColumn);
        final FeatureEncoding.Encoder encoder = featureEncoding.encoder(rows, others);
        final List<Record> data = rows.data();
        final double[][] features = new double[data.size()][];
        for (int i = 0; i < data.size(); i++) {
            features[i] = encoder.encode(data.get(i));
        }
        final int t = rows.columnIndex(targetColumn);
        for (final Record record : data) {
            if (FeatureEncoding.isMissing(record.fields()[t])) {
                throw DataFormatException.atLine(rows.file(), record.line(),
                        "missing value in target column '" + targetColumn + "' (field " + (t + 1) + ")");
            }
        }
        final FeatureEncoding encoding = fitClasses
                ? featureEncoding.withTarget(targetColumn, FeatureEncoding.fitClasses(rows, t)) : featureEncoding;
        boolean numericTarget = true;
        for (final Record record : data) {
            numericTarget &= FeatureEncoding.isDecimal(record.fields()[t]);
        }
        double[] targets = null;
        if (numericTarget) {
            targets = new double[data.size()];
            for (int i = 0; i < targets.length; i++) {
                final String value = data.get(i).fields()[t];
                targets[i] = Double.parseDouble(value);
                if (!Double.isFinite(targets[i])) {
                    throw DataFormatException.atLine(rows.file(), data.get(i).line(), "value '" + value + "' in column '"
                            + targetColumn + "' (field " + (t + 1) + ") overflows a double");
                }
            }
        }
        final int[] labels = new int[data.size()];
        DataFormatException unknownClass = null;
        for (int i = 0; i < labels.length; i++) {
            final String value = data.get(i).fields()[t];
            labels[i] = encoding.classOf(value);
            if (labels[i] < 0 && unknownClass == null) {
                unknownClass = DataFormatException.atLine(rows.file(), data.get(i).line(), "target value '" + value
                        + "' is not one of the " + encoding.classNames().size() + " classes of the encoding");
            }
        }
        return new CsvTable(rows.file(), targetColumn, encoding, features, targets, labels, unknownClass);
    }

    /**
     * The encoding of this table: the fitted one (target and classes of this file), or the saved one it was read
     * with. {@link FeatureEncoding#save(Path) Saved}, it lets another file be read with the same layout.
     */
    public FeatureEncoding encoding() {
        return encoding;
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
        return encoding.featureNames();
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
                    + (classNames().size() <= 5 ? classNames() : classNames().subList(0, 5) + "…") + ")");
        }
        return targets.clone();
    }

    /**
     * A copy of the class of each record, in 0..K−1 with K = {@code classNames().size()}.
     *
     * @throws DataFormatException naming the line, if the table was read with a saved encoding and a target
     *                             value is not one of its classes
     */
    public int[] labels() {
        if (unknownClass != null) {
            throw new DataFormatException(unknownClass.getMessage());
        }
        return labels.clone();
    }

    /** The target value (as first spelled in the fitted file) of each class 0..K−1 (unmodifiable). */
    public List<String> classNames() {
        return encoding.classNames();
    }

    /** One CSV record and the 1-based line it starts on. */
    public record Record(String[] fields, int line) {
    }

    /**
     * The header and data records of a CSV file, as read by {@link #readRows(Path)}.
     *
     * @param file   the file, for messages
     * @param header the column names (trimmed, non-empty, distinct; unmodifiable)
     * @param data   the data records, at least one, each as wide as the header (unmodifiable)
     */
    public record Rows(Path file, List<String> header, List<Record> data) {
        /**
         * The 0-based index of a header column.
         *
         * @throws IllegalArgumentException if the column is not in the header
         */
        public int columnIndex(final String name) {
            final int c = header.indexOf(name);
            if (c < 0) {
                throw new IllegalArgumentException(file + ": no column '" + name + "'; available columns: " + header);
            }
            return c;
        }
    }

    /**
     * The header and data records of a file with the syntax described in the class comment, for readers that
     * need the text of every field (e.g. {@code bali produce}).
     *
     * @throws DataFormatException naming the file and line of a syntax error, an empty or duplicate column name,
     *                             a record not as wide as the header, no data rows, or if the file cannot be read
     */
    public static Rows readRows(final Path file) {
        final List<Record> records = parse(file, readText(file));
        if (records.isEmpty()) {
            throw DataFormatException.inFile(file, "empty file: no header row");
        }
        final Record header = records.get(0);
        final String[] names = header.fields;
        final Set<String> seen = new HashSet<>();
        for (int c = 0; c < names.length; c++) {
            final String name = names[c].strip();
            if (name.isEmpty()) {
                throw DataFormatException.atLine(file, header.line, "column " + (c + 1) + " has an empty name");
            }
            if (!seen.add(name)) {
                throw DataFormatException.atLine(file, header.line, "duplicate column name '" + name + "'");
            }
            names[c] = name;
        }
        final List<Record> data = records.subList(1, records.size());
        if (data.isEmpty()) {
            throw DataFormatException.inFile(file, "no data rows after the header");
        }
        for (final Record record : data) {
            if (record.fields.length != names.length) {
                throw DataFormatException.atLine(file, record.line, "expected " + names.length
                        + " fields (as in the header), found " + record.fields.length);
            }
        }
        return new Rows(file, List.of(names), Collections.unmodifiableList(new ArrayList<>(data)));
    }

    /** A UTF-8 text file without its byte-order mark; missing, unreadable or non-UTF-8 files are named errors. */
    static String readText(final Path file) {
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
}
