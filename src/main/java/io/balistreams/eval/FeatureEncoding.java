package io.balistreams.eval;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * How the columns of a CSV file become a model's feature vector: fitted once on a file, then applied to the
 * rows of that file or of other files, so that every file sent to one model has the same feature layout. Used
 * by {@link CsvTable} ({@code bali eval prequential}) and by {@code bali produce}.
 *
 * <p><b>Cells.</b> A cell is <em>missing</em> if it is {@code ""}, {@code "?"}, {@code "NA"}, {@code "N/A"},
 * {@code "NaN"} or {@code "nan"} ({@link #isMissing(String)}); it is a <em>decimal number</em> if it matches
 * {@code [+-]digits[.digits][e[+-]digits]} ({@link #isDecimal(String)}; so {@code "Infinity"} or hexadecimal
 * are not).
 *
 * <p><b>Columns</b>, in the order of {@link #columns()}, each give one block of features:
 * <ul>
 *   <li>{@link Kind#NUMERIC}: one feature named like the column, the cell's value. A missing cell is an error
 *       (nothing is imputed), and so is a cell that is not a decimal number (a <em>stray token</em>);</li>
 *   <li>{@link Kind#ONE_HOT}: one 0/1 feature per level, in the order of {@link Column#levels()}, named
 *       {@code column=level}. A missing cell, and a level that is not in the list (an <em>unseen level</em>,
 *       possible when the encoding is applied to another file), encode as all zeros;</li>
 *   <li>{@link Kind#HASHED}: B = {@link Column#buckets()} 0/1 features named {@code column#b} for b = 0..B−1; a
 *       level goes to bucket {@code Math.floorMod(level.hashCode(), B)} (stable across runs and JVMs since
 *       {@link String#hashCode()} is specified), so every level has a bucket. A missing cell encodes as all
 *       zeros.</li>
 * </ul>
 *
 * <p><b>Fitting</b> ({@link #fit}) decides the kind of each column from all its cells: a column is numeric if
 * none of its non-missing cells is a non-number, or if most of them (strictly more than half) are numbers, in
 * which case each non-number is a stray token and encoding its row is an error naming the file line, the
 * column and the token; a column whose non-numbers are at least half of its non-missing cells is categorical,
 * with its distinct levels (as strings) in order of first appearance: one-hot if there are at most
 * {@code maxOneHotLevels} of them, else hashed into {@code maxOneHotLevels} buckets.
 *
 * <p><b>Target and classes.</b> The encoding may name a target column; its {@link #classNames()} map target
 * values to classes 0..K−1: if every non-missing target value is a decimal number, the distinct numeric values
 * in increasing order (so {@code "1"} and {@code "1.0"} are one class, named by its first spelling), otherwise
 * the distinct strings in order of first appearance (see {@link #classOf(String)}). Missing target values are
 * skipped when fitting the classes.
 *
 * <p><b>File format</b> ({@link #save(Path)}, {@link #load(Path)}): a UTF-8 Java properties file, with the
 * standard escapes ({@code \\}, {@code \n}, {@code \u00e9}, a leading {@code "\ "}), all indices 0-based:
 * <pre>
 * format=bali-feature-encoding/1
 * target=y                      (absent: no target, and no class.* keys)
 * classes=2
 * class.0=no
 * class.1=yes
 * columns=3
 * column.0.name=x
 * column.0.kind=numeric
 * column.1.name=color
 * column.1.kind=one-hot
 * column.1.levels=2
 * column.1.level.0=red
 * column.1.level.1=blue
 * column.2.name=city
 * column.2.kind=hashed
 * column.2.buckets=32
 * </pre>
 * The features are the columns' blocks in column order. Unknown or missing keys, or values that break the
 * rules of {@link #FeatureEncoding(List, String, List)}, are {@link DataFormatException}s naming the file and
 * the key. The file may be edited by hand, e.g. to list a level that a later file will bring.
 */
public final class FeatureEncoding {
    /** The value of the {@code format} key of a saved encoding. */
    public static final String FORMAT = "bali-feature-encoding/1";

    private static final Set<String> MISSING = Set.of("", "?", "NA", "N/A", "NaN", "nan");
    /** The missing-value spellings as listed in messages. */
    private static final String MISSING_LIST = "\"\", ?, NA, N/A, NaN, nan";

    /** How one column becomes features. */
    public enum Kind {
        /** One feature: the value. */
        NUMERIC("numeric"),
        /** One 0/1 feature per known level. */
        ONE_HOT("one-hot"),
        /** A fixed number of 0/1 hash buckets. */
        HASHED("hashed");

        private final String text;

        Kind(final String text) {
            this.text = text;
        }

        /** The spelling in a saved encoding: {@code numeric}, {@code one-hot} or {@code hashed}. */
        public String text() {
            return text;
        }

        static Kind parse(final String text) {
            for (final Kind k : values()) {
                if (k.text.equals(text)) {
                    return k;
                }
            }
            return null;
        }
    }

    /**
     * One feature column.
     *
     * @param name    the column name in the CSV header
     * @param kind    how it is encoded
     * @param levels  the one-hot levels in feature order (distinct, none of them a missing-value spelling); empty
     *                for the other kinds
     * @param buckets the number of hash buckets (at least 1) of a hashed column; 0 for the other kinds
     */
    public record Column(String name, Kind kind, List<String> levels, int buckets) {
        /** @throws IllegalArgumentException if the parameters break the rules above */
        public Column {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            levels = List.copyOf(levels);
            if (name.isBlank()) {
                throw new IllegalArgumentException("column name must not be empty");
            }
            if (kind == Kind.ONE_HOT) {
                if (levels.isEmpty()) {
                    throw new IllegalArgumentException("one-hot column '" + name + "' has no levels");
                }
                final Set<String> seen = new HashSet<>();
                for (final String level : levels) {
                    if (MISSING.contains(level)) {
                        throw new IllegalArgumentException("one-hot column '" + name + "': level '" + level
                                + "' is a missing-value spelling (" + MISSING_LIST + ")");
                    }
                    if (!seen.add(level)) {
                        throw new IllegalArgumentException("one-hot column '" + name + "': level '" + level
                                + "' is listed twice");
                    }
                }
            } else if (!levels.isEmpty()) {
                throw new IllegalArgumentException(kind.text + " column '" + name + "' cannot have levels");
            }
            if (kind == Kind.HASHED ? buckets < 1 : buckets != 0) {
                throw new IllegalArgumentException(kind == Kind.HASHED
                        ? "hashed column '" + name + "' needs at least 1 bucket, got " + buckets
                        : kind.text + " column '" + name + "' cannot have buckets");
            }
        }

        /** A numeric column. */
        public static Column numeric(final String name) {
            return new Column(name, Kind.NUMERIC, List.of(), 0);
        }

        /** A one-hot column with these levels, in feature order. */
        public static Column oneHot(final String name, final List<String> levels) {
            return new Column(name, Kind.ONE_HOT, levels, 0);
        }

        /** A hashed column with this many buckets. */
        public static Column hashed(final String name, final int buckets) {
            return new Column(name, Kind.HASHED, List.of(), buckets);
        }

        /** Number of features this column gives: 1, the number of levels, or the number of buckets. */
        public int width() {
            return switch (kind) {
                case NUMERIC -> 1;
                case ONE_HOT -> levels.size();
                case HASHED -> buckets;
            };
        }

        /** The names of this column's features: {@code name}, {@code name=level} or {@code name#b}. */
        public List<String> featureNames() {
            final List<String> names = new ArrayList<>(width());
            switch (kind) {
                case NUMERIC -> names.add(name);
                case ONE_HOT -> levels.forEach(level -> names.add(name + "=" + level));
                case HASHED -> {
                    for (int b = 0; b < buckets; b++) {
                        names.add(name + "#" + b);
                    }
                }
            }
            return names;
        }
    }

    /**
     * A cell of a one-hot column holding a level the encoding does not list (encoded as all zeros).
     *
     * @param line   1-based line of the record in its file
     * @param column the column name
     * @param level  the cell's text
     */
    public record UnseenLevel(int line, String column, String level) {
    }

    private final List<Column> columns;
    private final String targetColumn;
    private final List<String> classNames;
    private final List<String> featureNames;
    private final boolean numericClasses;
    private final Map<Object, Integer> classIndex = new HashMap<>();

    /**
     * An encoding from its parts.
     *
     * @param columns      the feature columns in feature order; distinct names (may be empty)
     * @param targetColumn the target column, or null; not one of the feature columns
     * @param classNames   the class names 0..K−1: distinct, none a missing-value spelling; empty without a target.
     *                     If all are decimal numbers they must be distinct as numbers, and target values are
     *                     matched to them by numeric value
     * @throws IllegalArgumentException naming the offending column, level or class
     */
    public FeatureEncoding(final List<Column> columns, final String targetColumn, final List<String> classNames) {
        this.columns = List.copyOf(columns);
        this.targetColumn = targetColumn;
        this.classNames = List.copyOf(classNames);
        final Set<String> names = new HashSet<>();
        final List<String> features = new ArrayList<>();
        for (final Column c : this.columns) {
            if (!names.add(c.name())) {
                throw new IllegalArgumentException("column '" + c.name() + "' is listed twice");
            }
            features.addAll(c.featureNames());
        }
        this.featureNames = List.copyOf(features);
        if (targetColumn != null && names.contains(targetColumn)) {
            throw new IllegalArgumentException("target column '" + targetColumn + "' is also a feature column");
        }
        if (targetColumn != null && targetColumn.isBlank()) {
            throw new IllegalArgumentException("target column name must not be empty");
        }
        if (targetColumn == null && !this.classNames.isEmpty()) {
            throw new IllegalArgumentException("class names given without a target column");
        }
        boolean allDecimal = !this.classNames.isEmpty();
        for (final String name : this.classNames) {
            if (MISSING.contains(name)) {
                throw new IllegalArgumentException("class name '" + name + "' is a missing-value spelling ("
                        + MISSING_LIST + ")");
            }
            allDecimal &= isDecimal(name);
        }
        this.numericClasses = allDecimal;
        for (int k = 0; k < this.classNames.size(); k++) {
            final String name = this.classNames.get(k);
            final Object key = numericClasses ? (Object) (Double.parseDouble(name) + 0.0) : name;
            if (classIndex.putIfAbsent(key, k) != null) {
                throw new IllegalArgumentException("class '" + name + "' is listed twice"
                        + (numericClasses ? " (as a number)" : ""));
            }
        }
    }

    /** Whether a cell is a missing value: {@code "" ? NA N/A NaN nan}. */
    public static boolean isMissing(final String cell) {
        return MISSING.contains(cell);
    }

    /**
     * Whether a cell is a decimal number, {@code [+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?} (not NaN, Infinity,
     * hex). A hand-written scan rather than a regular expression: it runs for every cell of a file, and a
     * regular expression's matcher is slow to run and, worse, so slow to JIT-compile that its compilation
     * delayed the learner's own for about a second of every {@code eval prequential} run.
     */
    public static boolean isDecimal(final String cell) {
        final int n = cell.length();
        int i = 0;
        if (i < n && (cell.charAt(i) == '+' || cell.charAt(i) == '-')) {
            i++;
        }
        final int integerStart = i;
        while (i < n && isDigit(cell.charAt(i))) {
            i++;
        }
        final boolean integerDigits = i > integerStart;
        boolean fractionDigits = false;
        if (i < n && cell.charAt(i) == '.') {
            i++;
            final int fractionStart = i;
            while (i < n && isDigit(cell.charAt(i))) {
                i++;
            }
            fractionDigits = i > fractionStart;
        }
        if (!integerDigits && !fractionDigits) {
            return false;
        }
        if (i < n && (cell.charAt(i) == 'e' || cell.charAt(i) == 'E')) {
            i++;
            if (i < n && (cell.charAt(i) == '+' || cell.charAt(i) == '-')) {
                i++;
            }
            final int exponentStart = i;
            while (i < n && isDigit(cell.charAt(i))) {
                i++;
            }
            if (i == exponentStart) {
                return false;
            }
        }
        return i == n;
    }

    private static boolean isDigit(final char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Fits an encoding to the rows of a file, as described in the class comment.
     *
     * @param rows            the file's header and records
     * @param featureColumns  the header columns that become features, in feature order
     * @param targetColumn    the header column holding the target, or null (no classes)
     * @param maxOneHotLevels the most levels a categorical column may have to be one-hot encoded, and the number
     *                        of hash buckets of a column with more; at least 1
     * @throws IllegalArgumentException if a column is not in the header, or {@code maxOneHotLevels < 1}
     */
    public static FeatureEncoding fit(final CsvTable.Rows rows, final List<String> featureColumns,
                                      final String targetColumn, final int maxOneHotLevels) {
        if (maxOneHotLevels < 1) {
            throw new IllegalArgumentException("maxOneHotLevels must be >= 1, got " + maxOneHotLevels);
        }
        final List<Column> columns = new ArrayList<>();
        for (final String name : featureColumns) {
            columns.add(fitColumn(rows, rows.columnIndex(name), name, maxOneHotLevels));
        }
        final List<String> classes = targetColumn == null ? List.of()
                : fitClasses(rows, rows.columnIndex(targetColumn));
        return new FeatureEncoding(columns, targetColumn, classes);
    }

    private static Column fitColumn(final CsvTable.Rows rows, final int c, final String name, final int maxLevels) {
        int numbers = 0;
        int others = 0;
        final Set<String> levels = new LinkedHashSet<>();
        for (final CsvTable.Record record : rows.data()) {
            final String value = record.fields()[c];
            if (MISSING.contains(value)) {
                continue;
            }
            levels.add(value);
            if (isDecimal(value)) {
                numbers++;
            } else {
                others++;
            }
        }
        if (others == 0 || numbers > others) {
            return Column.numeric(name);
        }
        return levels.size() <= maxLevels ? Column.oneHot(name, new ArrayList<>(levels)) : Column.hashed(name, maxLevels);
    }

    /** The classes of the non-missing values of column c, as described in the class comment. */
    static List<String> fitClasses(final CsvTable.Rows rows, final int c) {
        boolean numeric = true;
        final Set<String> inOrder = new LinkedHashSet<>();
        for (final CsvTable.Record record : rows.data()) {
            final String value = record.fields()[c];
            if (!MISSING.contains(value)) {
                numeric &= isDecimal(value);
                inOrder.add(value);
            }
        }
        if (!numeric) {
            return new ArrayList<>(inOrder);
        }
        final TreeMap<Double, String> byValue = new TreeMap<>();
        for (final String value : inOrder) {
            byValue.putIfAbsent(Double.parseDouble(value) + 0.0, value);
        }
        return new ArrayList<>(byValue.values());
    }

    /** The feature columns, in feature order (unmodifiable). */
    public List<Column> columns() {
        return columns;
    }

    /** The target column, or null if the encoding has none. */
    public String targetColumn() {
        return targetColumn;
    }

    /** The class names 0..K−1 (unmodifiable; empty without a target). */
    public List<String> classNames() {
        return classNames;
    }

    /** The feature names in feature order (unmodifiable): {@code col}, {@code col=level}, {@code col#b}. */
    public List<String> featureNames() {
        return featureNames;
    }

    /** Number of features (the model's input dimension). */
    public int width() {
        return featureNames.size();
    }

    /**
     * The class of a target value: by numeric value if every class name is a decimal number (then
     * {@code "1.0"} is class {@code "1"}), else by exact string.
     *
     * @return the class index 0..K−1, or −1 if the value is not a known class (or is missing)
     */
    public int classOf(final String value) {
        if (MISSING.contains(value)) {
            return -1;
        }
        if (numericClasses) {
            return isDecimal(value) ? classIndex.getOrDefault(Double.parseDouble(value) + 0.0, -1) : -1;
        }
        return classIndex.getOrDefault(value, -1);
    }

    /** This encoding with another target and classes, the feature columns unchanged. */
    public FeatureEncoding withTarget(final String target, final List<String> classes) {
        return new FeatureEncoding(columns, target, classes);
    }

    /**
     * Binds this encoding to a file's header. Every header column must be either a feature column of the
     * encoding or one of {@code otherColumns} (the target, dropped columns, ids ...), and every feature column
     * must be in the header.
     *
     * @param rows         the file
     * @param otherColumns header columns that are not features
     * @return an encoder of the file's records
     * @throws DataFormatException naming the file and the missing or unexpected columns
     */
    public Encoder encoder(final CsvTable.Rows rows, final Set<String> otherColumns) {
        final List<String> missing = new ArrayList<>();
        final int[] index = new int[columns.size()];
        for (int j = 0; j < columns.size(); j++) {
            final String name = columns.get(j).name();
            index[j] = rows.header().indexOf(name);
            if (index[j] < 0 || otherColumns.contains(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw DataFormatException.inFile(rows.file(), "feature column(s) " + missing + " of the encoding are "
                    + (missing.stream().allMatch(rows.header()::contains) ? "not features here" : "not in the header")
                    + "; header: " + rows.header());
        }
        final Set<String> known = new HashSet<>(otherColumns);
        columns.forEach(c -> known.add(c.name()));
        final List<String> extra = rows.header().stream().filter(name -> !known.contains(name)).toList();
        if (!extra.isEmpty()) {
            throw DataFormatException.inFile(rows.file(), "column(s) " + extra + " are not feature columns of the "
                    + "encoding (features: " + columns.stream().map(Column::name).toList()
                    + "); drop them or give them their role (e.g. the target)");
        }
        return new Encoder(rows.file(), index);
    }

    /** Encodes the records of one file whose header was checked by {@link #encoder}. */
    public final class Encoder {
        private final Path file;
        private final int[] index;

        private Encoder(final Path file, final int[] index) {
            this.file = file;
            this.index = index;
        }

        /**
         * The feature vector of a record, as described in the class comment.
         *
         * @throws DataFormatException naming the file, line, column and cell, for a missing value or a stray token
         *                             in a numeric column, or a number that overflows a double
         */
        public double[] encode(final CsvTable.Record record) {
            final double[] x = new double[width()];
            int offset = 0;
            for (int j = 0; j < columns.size(); j++) {
                final Column column = columns.get(j);
                final int c = index[j];
                final String value = record.fields()[c];
                switch (column.kind()) {
                    case NUMERIC -> x[offset] = number(record, c, column.name());
                    case ONE_HOT -> {
                        final int slot = column.levels().indexOf(value);
                        if (slot >= 0) {
                            x[offset + slot] = 1.0;
                        }
                    }
                    case HASHED -> {
                        if (!MISSING.contains(value)) {
                            x[offset + Math.floorMod(value.hashCode(), column.buckets())] = 1.0;
                        }
                    }
                }
                offset += column.width();
            }
            return x;
        }

        /** The cells of a record in one-hot columns whose (non-missing) level the encoding does not list. */
        public List<UnseenLevel> unseenLevels(final CsvTable.Record record) {
            List<UnseenLevel> unseen = List.of();
            for (int j = 0; j < columns.size(); j++) {
                final Column column = columns.get(j);
                final String value = record.fields()[index[j]];
                if (column.kind() == Kind.ONE_HOT && !MISSING.contains(value) && !column.levels().contains(value)) {
                    if (unseen.isEmpty()) {
                        unseen = new ArrayList<>();
                    }
                    unseen.add(new UnseenLevel(record.line(), column.name(), value));
                }
            }
            return unseen;
        }

        private double number(final CsvTable.Record record, final int c, final String name) {
            final String value = record.fields()[c];
            if (MISSING.contains(value)) {
                throw DataFormatException.atLine(file, record.line(), "missing value in numeric column '" + name
                        + "' (field " + (c + 1) + "); missing values are not imputed");
            }
            if (!isDecimal(value)) {
                throw DataFormatException.atLine(file, record.line(), "stray token '" + value + "' in numeric column '"
                        + name + "' (field " + (c + 1) + "): not a decimal number nor a missing value (" + MISSING_LIST
                        + "); a column is numeric when most of its non-missing cells are numbers");
            }
            final double v = Double.parseDouble(value);
            if (!Double.isFinite(v)) {
                throw DataFormatException.atLine(file, record.line(), "value '" + value + "' in column '" + name
                        + "' (field " + (c + 1) + ") overflows a double");
            }
            return v;
        }
    }

    /**
     * The encoding as the text of a saved file (see the class comment); {@link #parse} reads it back to an equal
     * encoding.
     */
    public String toText() {
        final StringBuilder sb = new StringBuilder();
        sb.append("# BALI Streams feature encoding (io.balistreams.eval.FeatureEncoding): how CSV columns become\n")
                .append("# features. Features: the columns in order; numeric gives 1, one-hot 1 per level (unseen level:\n")
                .append("# all zeros), hashed B buckets (bucket floorMod(level.hashCode(), B)). Indices are 0-based.\n");
        line(sb, "format", FORMAT);
        if (targetColumn != null) {
            line(sb, "target", targetColumn);
            line(sb, "classes", Integer.toString(classNames.size()));
            for (int k = 0; k < classNames.size(); k++) {
                line(sb, "class." + k, classNames.get(k));
            }
        }
        line(sb, "columns", Integer.toString(columns.size()));
        for (int j = 0; j < columns.size(); j++) {
            final Column c = columns.get(j);
            final String p = "column." + j + ".";
            line(sb, p + "name", c.name());
            line(sb, p + "kind", c.kind().text());
            if (c.kind() == Kind.ONE_HOT) {
                line(sb, p + "levels", Integer.toString(c.levels().size()));
                for (int l = 0; l < c.levels().size(); l++) {
                    line(sb, p + "level." + l, c.levels().get(l));
                }
            } else if (c.kind() == Kind.HASHED) {
                line(sb, p + "buckets", Integer.toString(c.buckets()));
            }
        }
        return sb.toString();
    }

    private static void line(final StringBuilder sb, final String key, final String value) {
        sb.append(key).append('=');
        for (int i = 0; i < value.length(); i++) {
            final char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\f' -> sb.append("\\f");
                case ' ' -> sb.append(i == 0 ? "\\ " : " ");
                default -> {
                    if (ch < 0x20 || ch == 0x7f) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        sb.append('\n');
    }

    /**
     * Writes the encoding to a file (UTF-8, see the class comment), replacing it if it exists.
     *
     * @throws java.io.UncheckedIOException if the file cannot be written
     */
    public void save(final Path file) {
        try {
            Files.writeString(file, toText(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(file + ": cannot write the encoding: " + e.getMessage(), e);
        }
    }

    /**
     * Reads an encoding saved by {@link #save(Path)} (or written by hand in that format).
     *
     * @throws DataFormatException naming the file and the problem (missing file, unknown or missing key, bad value)
     */
    public static FeatureEncoding load(final Path file) {
        final String text = CsvTable.readText(file);
        return parse(file, text);
    }

    /**
     * Reads the text of a saved encoding.
     *
     * @param source names the text in messages (usually its file)
     * @throws DataFormatException naming the source and the problem
     */
    public static FeatureEncoding parse(final Path source, final String text) {
        final Properties p = new Properties();
        try (Reader r = new StringReader(text)) {
            p.load(r);
        } catch (final IOException | IllegalArgumentException e) {
            throw new DataFormatException(source + ": not a properties file: " + e.getMessage(), e);
        }
        final Map<String, String> keys = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> keys.put(k, p.getProperty(k)));
        final KeyReader in = new KeyReader(source, keys);
        final String format = in.take("format");
        if (!FORMAT.equals(format)) {
            throw DataFormatException.inFile(source, "format is '" + format + "', expected '" + FORMAT + "'");
        }
        final String target = keys.containsKey("target") ? in.take("target") : null;
        final List<String> classes = new ArrayList<>();
        if (target != null) {
            final int k = in.count("classes");
            for (int i = 0; i < k; i++) {
                classes.add(in.take("class." + i));
            }
        }
        final int n = in.count("columns");
        final List<Column> columns = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            final String prefix = "column." + j + ".";
            final String name = in.take(prefix + "name");
            final String kindText = in.take(prefix + "kind");
            final Kind kind = Kind.parse(kindText);
            if (kind == null) {
                throw DataFormatException.inFile(source, "key " + prefix + "kind: '" + kindText
                        + "' is not numeric, one-hot or hashed");
            }
            try {
                switch (kind) {
                    case NUMERIC -> columns.add(Column.numeric(name));
                    case ONE_HOT -> {
                        final int levels = in.count(prefix + "levels");
                        final List<String> list = new ArrayList<>();
                        for (int l = 0; l < levels; l++) {
                            list.add(in.take(prefix + "level." + l));
                        }
                        columns.add(Column.oneHot(name, list));
                    }
                    case HASHED -> columns.add(Column.hashed(name, in.count(prefix + "buckets")));
                }
            } catch (final IllegalArgumentException e) {
                throw DataFormatException.inFile(source, "column." + j + ": " + e.getMessage());
            }
        }
        if (!keys.isEmpty()) {
            throw DataFormatException.inFile(source, "unexpected key(s) " + new java.util.TreeSet<>(keys.keySet()));
        }
        try {
            return new FeatureEncoding(columns, target, classes);
        } catch (final IllegalArgumentException e) {
            throw DataFormatException.inFile(source, e.getMessage());
        }
    }

    /** Takes keys out of a map, so that the ones left over are unexpected. */
    private static final class KeyReader {
        private final Path source;
        private final Map<String, String> keys;

        KeyReader(final Path source, final Map<String, String> keys) {
            this.source = source;
            this.keys = keys;
        }

        String take(final String key) {
            final String value = keys.remove(key);
            if (value == null) {
                throw DataFormatException.inFile(source, "missing key " + key);
            }
            return value;
        }

        int count(final String key) {
            final String value = take(key).strip();
            try {
                final int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (final NumberFormatException e) {
                // reported below
            }
            throw DataFormatException.inFile(source, "key " + key + ": '" + value + "' is not a count (0, 1, 2 ...)");
        }
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof FeatureEncoding e && columns.equals(e.columns) && Objects.equals(targetColumn, e.targetColumn)
                && classNames.equals(e.classNames);
    }

    @Override
    public int hashCode() {
        return Objects.hash(columns, targetColumn, classNames);
    }

    @Override
    public String toString() {
        return "FeatureEncoding" + featureNames + (targetColumn == null ? ""
                : " target " + targetColumn + " classes " + classNames);
    }
}
