package io.balistreams.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.balistreams.eval.FeatureEncoding.Column;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fitted layout, its saved form, stray tokens, unseen levels, and one encoding applied to two files. */
class FeatureEncodingTest {
    /** size numeric; color 2 levels (one-hot); city 4 levels > 3 (3 hash buckets); note 1 level with missing cells. */
    private static final String A = String.join("\n",
            "id,size,color,city,note,y",
            "r1,1.5,red,a,x,yes",
            "r2,-2,blue,b,?,no",
            "r3,3e1,red,c,x,yes",
            "r4,4,,d,NA,no",
            "");
    private static final List<String> A_FEATURES = List.of("size", "color", "city", "note");

    @TempDir
    Path tmp;

    private Path write(final String name, final String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content);
    }

    private static double[][] encodeAll(final FeatureEncoding encoding, final CsvTable.Rows rows, final String... others) {
        final FeatureEncoding.Encoder encoder = encoding.encoder(rows, Set.of(others));
        return rows.data().stream().map(encoder::encode).toArray(double[][]::new);
    }

    /** The scanner against the grammar it implements, as a regular expression: every string of up to five
     *  characters over the alphabet that matters, and some longer ones. */
    @Test
    void isDecimalAcceptsExactlyTheDecimalGrammar() {
        final java.util.regex.Pattern grammar = java.util.regex.Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
        final char[] alphabet = {'1', '0', '.', 'e', 'E', '+', '-', 'x', ' '};
        final java.util.List<String> cells = new java.util.ArrayList<>(List.of("", "1.5e-3", "-.5", "+7.", "12e", "1e+", "1.2.3",
                "NaN", "Infinity", "0x1F", "١٢", "3.14159265358979", "-0", "e5", ".e5", "5.e5"));
        final int[] counter = new int[5];
        for (int length = 1; length <= 5; length++) {
            java.util.Arrays.fill(counter, 0);
            while (true) {
                final StringBuilder b = new StringBuilder();
                for (int k = 0; k < length; k++) {
                    b.append(alphabet[counter[k]]);
                }
                cells.add(b.toString());
                int k = 0;
                while (k < length && ++counter[k] == alphabet.length) {
                    counter[k++] = 0;
                }
                if (k == length) {
                    break;
                }
            }
        }
        long accepted = 0;
        for (final String cell : cells) {
            final boolean expected = grammar.matcher(cell).matches();
            assertThat(FeatureEncoding.isDecimal(cell)).as("'%s'", cell).isEqualTo(expected);
            accepted += expected ? 1 : 0;
        }
        assertThat(accepted).as("the alphabet produces numbers too").isGreaterThan(500);
    }

    @Test
    void fitsNumericOneHotAndHashedColumnsInColumnOrder() throws IOException {
        final CsvTable.Rows rows = CsvTable.readRows(write("a.csv", A));
        final FeatureEncoding encoding = FeatureEncoding.fit(rows, A_FEATURES, "y", 3);
        assertThat(encoding.columns()).containsExactly(Column.numeric("size"),
                Column.oneHot("color", List.of("red", "blue")), Column.hashed("city", 3),
                Column.oneHot("note", List.of("x")));
        assertThat(encoding.featureNames()).containsExactly("size", "color=red", "color=blue", "city#0", "city#1",
                "city#2", "note=x");
        assertThat(encoding.targetColumn()).isEqualTo("y");
        assertThat(encoding.classNames()).containsExactly("yes", "no");
        // Buckets floorMod(hashCode, 3): "a" = 97 → 1, "b" = 98 → 2, "c" = 99 → 0, "d" = 100 → 1.
        assertThat(encodeAll(encoding, rows, "id", "y")).isDeepEqualTo(new double[][] {
            {1.5, 1, 0, 0, 1, 0, 1},
            {-2, 0, 1, 0, 0, 1, 0},
            {30, 1, 0, 1, 0, 0, 1},
            {4, 0, 0, 0, 1, 0, 0}});
        assertThat(encoding.classOf("no")).isEqualTo(1);
        assertThat(encoding.classOf("maybe")).isEqualTo(-1);
    }

    @Test
    void numericClassesMatchByValue() throws IOException {
        final CsvTable.Rows rows = CsvTable.readRows(write("n.csv", "x,y\n1,10\n2,1\n3,1.0\n4,?\n5,0\n"));
        final FeatureEncoding encoding = FeatureEncoding.fit(rows, List.of("x"), "y", 3);
        // Increasing numeric order, named by first spelling; the missing target is skipped.
        assertThat(encoding.classNames()).containsExactly("0", "1", "10");
        assertThat(encoding.classOf("1.00")).isEqualTo(1);
        assertThat(encoding.classOf("1e1")).isEqualTo(2);
        assertThat(encoding.classOf("2")).isEqualTo(-1);
    }

    @Test
    void savedTextIsReadableAndLoadsToTheSameEncodingAndVectors() throws IOException {
        final CsvTable.Rows rows = CsvTable.readRows(write("a.csv", A));
        final FeatureEncoding encoding = FeatureEncoding.fit(rows, A_FEATURES, "y", 3);
        final Path saved = tmp.resolve("a.encoding");
        encoding.save(saved);
        final String text = Files.readString(saved);
        assertThat(text.lines().filter(line -> !line.startsWith("#"))).containsExactly(
                "format=bali-feature-encoding/1",
                "target=y",
                "classes=2",
                "class.0=yes",
                "class.1=no",
                "columns=4",
                "column.0.name=size",
                "column.0.kind=numeric",
                "column.1.name=color",
                "column.1.kind=one-hot",
                "column.1.levels=2",
                "column.1.level.0=red",
                "column.1.level.1=blue",
                "column.2.name=city",
                "column.2.kind=hashed",
                "column.2.buckets=3",
                "column.3.name=note",
                "column.3.kind=one-hot",
                "column.3.levels=1",
                "column.3.level.0=x");
        final FeatureEncoding loaded = FeatureEncoding.load(saved);
        assertThat(loaded).isEqualTo(encoding);
        assertThat(loaded.featureNames()).isEqualTo(encoding.featureNames());
        assertThat(encodeAll(loaded, rows, "id", "y")).isDeepEqualTo(encodeAll(encoding, rows, "id", "y"));
    }

    @Test
    void awkwardNamesSurviveSaveAndLoad() {
        final FeatureEncoding encoding = new FeatureEncoding(
                List.of(Column.oneHot("colour = hue", List.of(" leading space", "a=b:c", "two\nlines", "é ü 中",
                        "back\\slash", "#hash", "!bang", "tab\there", "trailing ")), Column.hashed("h", 7),
                        Column.numeric("n")),
                "the target", List.of("class one", "\\"));
        final FeatureEncoding loaded = FeatureEncoding.parse(Path.of("mem"), encoding.toText());
        assertThat(loaded).isEqualTo(encoding);
        assertThat(loaded.columns().get(0).levels()).containsExactly(" leading space", "a=b:c", "two\nlines",
                "é ü 中", "back\\slash", "#hash", "!bang", "tab\there", "trailing ");
        final FeatureEncoding noTarget = new FeatureEncoding(List.of(Column.numeric("n")), null, List.of());
        assertThat(noTarget.toText()).doesNotContain("target=").doesNotContain("class");
        assertThat(FeatureEncoding.parse(Path.of("mem"), noTarget.toText())).isEqualTo(noTarget);
    }

    @Test
    void badSavedEncodingsNameTheFileAndKey() {
        final Path f = Path.of("enc.properties");
        final String good = "format=bali-feature-encoding/1\ncolumns=1\ncolumn.0.name=x\ncolumn.0.kind=numeric\n";
        assertThat(FeatureEncoding.parse(f, good).featureNames()).containsExactly("x");
        assertThatThrownBy(() -> FeatureEncoding.parse(f, good.replace("numeric", "ordinal")))
                .isInstanceOf(DataFormatException.class)
                .hasMessage("enc.properties: key column.0.kind: 'ordinal' is not numeric, one-hot or hashed");
        assertThatThrownBy(() -> FeatureEncoding.parse(f, good + "column.0.levels=2\n"))
                .isInstanceOf(DataFormatException.class).hasMessage("enc.properties: unexpected key(s) [column.0.levels]");
        assertThatThrownBy(() -> FeatureEncoding.parse(f, good.replace("columns=1", "columns=2")))
                .isInstanceOf(DataFormatException.class).hasMessage("enc.properties: missing key column.1.name");
        assertThatThrownBy(() -> FeatureEncoding.parse(f, good.replace("/1", "/9")))
                .isInstanceOf(DataFormatException.class)
                .hasMessage("enc.properties: format is 'bali-feature-encoding/9', expected 'bali-feature-encoding/1'");
        assertThatThrownBy(() -> FeatureEncoding.parse(f, good.replace("numeric", "hashed") + "column.0.buckets=0\n"))
                .isInstanceOf(DataFormatException.class)
                .hasMessage("enc.properties: column.0: hashed column 'x' needs at least 1 bucket, got 0");
        assertThatThrownBy(() -> FeatureEncoding.parse(f, good.replace("numeric", "one-hot")
                + "column.0.levels=2\ncolumn.0.level.0=u\ncolumn.0.level.1=u\n"))
                .isInstanceOf(DataFormatException.class)
                .hasMessage("enc.properties: column.0: one-hot column 'x': level 'u' is listed twice");
        assertThatThrownBy(() -> FeatureEncoding.load(Path.of("no/such/file")))
                .isInstanceOf(DataFormatException.class).hasMessage("no/such/file: file not found");
    }

    @Test
    void strayTokenInANumericColumnIsAnErrorNamingLineColumnAndToken() throws IOException {
        final Path file = write("stray.csv", "x,price,y\na,1,0\nb,2.5,1\nc,abc,0\nd,4,1\n");
        assertThatThrownBy(() -> CsvTable.read(file, "y", Set.of(), 32)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(file + " line 4: stray token 'abc' in numeric column 'price' (field 2): "
                        + "not a decimal number nor a missing value");
        // "?" is a missing value: in a numeric column it stays the missing-value error, as before.
        final Path question = write("question.csv", "price,y\n1,0\n?,1\n3,0\n");
        assertThatThrownBy(() -> CsvTable.read(question, "y", Set.of(), 32)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(question + " line 3: missing value in numeric column 'price' (field 1)");
        // Numbers in at most half of the non-missing cells: categorical, numbers included as levels.
        final CsvTable mixed = CsvTable.read(write("mixed.csv", "code,y\n1,0\nA,1\n?,0\nB,1\n2,0\n"), "y", Set.of(), 32);
        assertThat(mixed.featureNames()).containsExactly("code=1", "code=A", "code=B", "code=2");
        assertThat(mixed.features()[2]).containsExactly(0, 0, 0, 0);
        // A saved numeric column meeting a token in another file: the same error.
        final FeatureEncoding numeric = new FeatureEncoding(List.of(Column.numeric("price")), "y", List.of());
        final Path other = write("other.csv", "y,price\n0,1\n1,N/A?\n");
        assertThatThrownBy(() -> CsvTable.read(other, "y", Set.of(), numeric)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(other + " line 3: stray token 'N/A?' in numeric column 'price' (field 2)");
    }

    @Test
    void unseenOneHotLevelEncodesAsZerosAndIsReported() throws IOException {
        final FeatureEncoding encoding = FeatureEncoding.fit(CsvTable.readRows(write("a.csv", A)), A_FEATURES, "y", 3);
        final CsvTable.Rows b = CsvTable.readRows(write("b.csv",
                "id,size,color,city,note,y\ns1,7,green,zz,x,no\ns2,8,blue,a,new,yes\n"));
        // "zz" = 3904 → bucket 1; hashed columns have no unseen levels.
        assertThat(Math.floorMod("zz".hashCode(), 3)).isEqualTo(1);
        assertThat(encodeAll(encoding, b, "id", "y")).isDeepEqualTo(new double[][] {
            {7, 0, 0, 0, 1, 0, 1},
            {8, 0, 1, 0, 1, 0, 0}});
        final FeatureEncoding.Encoder encoder = encoding.encoder(b, Set.of("id", "y"));
        assertThat(encoder.unseenLevels(b.data().get(0)))
                .containsExactly(new FeatureEncoding.UnseenLevel(2, "color", "green"));
        assertThat(encoder.unseenLevels(b.data().get(1))).containsExactly(new FeatureEncoding.UnseenLevel(3, "note", "new"));
    }

    @Test
    void tableReadWithFileAsEncodingGetsItsLayoutAndClasses() throws IOException {
        final Path a = write("a.csv", A);
        final CsvTable tableA = CsvTable.read(a, "y", Set.of("id"), 3);
        assertThat(tableA.encoding()).isEqualTo(FeatureEncoding.fit(CsvTable.readRows(a), A_FEATURES, "y", 3));
        final Path saved = tmp.resolve("a.encoding");
        tableA.encoding().save(saved);
        // Other column order, fewer levels, an extra column to drop; "no" first, yet class 1 as in A.
        final Path b = write("b.csv", "y,note,city,color,size,comment\nno,x,c,blue,10,hi\nyes,,b,red,-1,\n");
        final CsvTable tableB = CsvTable.read(b, "y", Set.of("comment"), FeatureEncoding.load(saved));
        assertThat(tableB.featureNames()).isEqualTo(tableA.featureNames());
        assertThat(tableB.features()).isDeepEqualTo(new double[][] {
            {10, 0, 1, 1, 0, 0, 1},
            {-1, 1, 0, 0, 0, 1, 0}});
        assertThat(tableB.classNames()).containsExactly("yes", "no");
        assertThat(tableB.labels()).containsExactly(1, 0);
        // Fitted on B alone, the layout would differ.
        assertThat(CsvTable.read(b, "y", Set.of("comment"), 3).featureNames())
                .containsExactly("note=x", "city=c", "city=b", "color=blue", "color=red", "size");

        final Path maybe = write("maybe.csv", "id,size,color,city,note,y\nq,1,red,a,x,maybe\n");
        final CsvTable tableMaybe = CsvTable.read(maybe, "y", Set.of("id"), tableA.encoding());
        assertThatThrownBy(tableMaybe::labels).isInstanceOf(DataFormatException.class)
                .hasMessage(maybe + " line 2: target value 'maybe' is not one of the 2 classes of the encoding");
        assertThatThrownBy(() -> CsvTable.read(b, "y", Set.of(), tableA.encoding()))
                .isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(b + ": column(s) [comment] are not feature columns of the encoding");
        final Path noCity = write("nocity.csv", "size,color,note,y\n1,red,x,yes\n");
        assertThatThrownBy(() -> CsvTable.read(noCity, "y", Set.of(), tableA.encoding()))
                .isInstanceOf(DataFormatException.class)
                .hasMessage(noCity + ": feature column(s) [city] of the encoding are not in the header; "
                        + "header: [size, color, note, y]");
        assertThatThrownBy(() -> CsvTable.read(b, "note", Set.of("comment", "y"), tableA.encoding()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("target column 'note' is not the encoding's target 'y'");
    }
}
