package io.balistreams.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV syntax, column typing and encoding, target classes, errors, and the real Elec2 stream. */
class CsvTableTest {
    /** Quoted fields (comma, doubled quote, spaces around quotes), a blank line, 3-level and 4-level text columns. */
    private static final String FIXTURE = String.join("\n",
            "id, name ,color,city,price,label",
            "1,\"Smith, John\",red,a,1.5,yes",
            "2,\"O\"\"Brien\",blue,b,2.5,no",
            "3,plain,red,c,-3e1,yes",
            "",
            "4, \"x\" ,green,d,4,maybe",
            "");

    @TempDir
    Path tmp;

    private Path write(final String content) throws IOException {
        return Files.writeString(tmp.resolve("table.csv"), content);
    }

    @Test
    void encodesOneHotHashedAndNumericColumns() throws IOException {
        final Path file = write(FIXTURE);
        final CsvTable table = CsvTable.read(file, "label", Set.of("id", "name"), 3);
        assertThat(table.rows()).isEqualTo(4);
        // color has 3 levels ≤ 3 → one-hot in order of first appearance; city has 4 > 3 → 3 hash buckets.
        assertThat(table.featureNames())
                .containsExactly("color=red", "color=blue", "color=green", "city#0", "city#1", "city#2", "price");
        // Buckets: floorMod(hashCode, 3): "a" = 97 → 1, "b" = 98 → 2, "c" = 99 → 0, "d" = 100 → 1.
        assertThat(Math.floorMod("a".hashCode(), 3)).isEqualTo(1);
        assertThat(table.features()).isDeepEqualTo(new double[][] {
            {1, 0, 0, 0, 1, 0, 1.5},
            {0, 1, 0, 0, 0, 1, 2.5},
            {1, 0, 0, 1, 0, 0, -30},
            {0, 0, 1, 0, 1, 0, 4}});
        assertThat(table.targetIsNumeric()).isFalse();
        assertThat(table.classNames()).containsExactly("yes", "no", "maybe");
        assertThat(table.labels()).containsExactly(0, 1, 0, 2);
        assertThatThrownBy(table::targets).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(file + ": target column 'label' is not numeric");
    }

    @Test
    void quotedFieldsKeepCommasAndQuotes() throws IOException {
        final CsvTable table = CsvTable.read(write(FIXTURE), "name", Set.of("label"), 10);
        assertThat(table.classNames()).containsExactly("Smith, John", "O\"Brien", "plain", "x");
        assertThat(table.featureNames()).containsExactly("id", "color=red", "color=blue", "color=green",
                "city=a", "city=b", "city=c", "city=d", "price");
        assertThat(table.features()[3]).containsExactly(4, 0, 0, 1, 0, 0, 0, 1, 4);
    }

    @Test
    void numericTargetGivesValuesAndNumericallySortedClasses() throws IOException {
        final CsvTable prices = CsvTable.read(write(FIXTURE), "price", Set.of("name", "label"), 3);
        assertThat(prices.targetIsNumeric()).isTrue();
        assertThat(prices.targets()).containsExactly(1.5, 2.5, -30, 4);
        assertThat(prices.classNames()).containsExactly("-3e1", "1.5", "2.5", "4");
        assertThat(prices.labels()).containsExactly(1, 2, 0, 3);

        final CsvTable binary = CsvTable.read(write("x,y\n1,1\n2,0\n3,1.0\n4,10\n"), "y", Set.of(), 5);
        // "1" and "1.0" are one class; 10 sorts after 1 numerically (not as a string).
        assertThat(binary.classNames()).containsExactly("0", "1", "10");
        assertThat(binary.labels()).containsExactly(1, 0, 1, 2);
        assertThat(binary.featureNames()).containsExactly("x");
    }

    @Test
    void windowsLineEndsAndByteOrderMarkAreAccepted() throws IOException {
        final Path file = write("\uFEFFa,y\r\n1,0\r\n\r\n2,1\r\n3,x\r\n");
        final CsvTable table = CsvTable.read(file, "y", Set.of(), 3);
        assertThat(table.featureNames()).containsExactly("a");
        assertThat(table.features()).isDeepEqualTo(new double[][] {{1}, {2}, {3}});
        assertThat(table.classNames()).containsExactly("0", "1", "x");
        // Line numbers count CRLF once: the ragged record is on line 4.
        final Path ragged = write("a,y\r\n1,0\r\n\r\n2\r\n");
        assertThatThrownBy(() -> CsvTable.read(ragged, "y", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessage(ragged + " line 4: expected 2 fields (as in the header), found 1");
    }

    @Test
    void missingCategoricalValueEncodesAsZeros() throws IOException {
        final CsvTable table = CsvTable.read(write("c,y\nu,1\n?,0\nv,1\nNA,0\n"), "y", Set.of(), 5);
        assertThat(table.featureNames()).containsExactly("c=u", "c=v");
        assertThat(table.features()).isDeepEqualTo(new double[][] {{1, 0}, {0, 0}, {0, 1}, {0, 0}});
    }

    @Test
    void missingTargetColumnListsTheColumns() throws IOException {
        final Path file = write(FIXTURE);
        assertThatThrownBy(() -> CsvTable.read(file, "target", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessage(file + ": target column 'target' not found; available columns: "
                        + "[id, name, color, city, price, label]");
        assertThatThrownBy(() -> CsvTable.read(file, "label", Set.of("nme"), 3)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(file + ": column to drop 'nme' not found; available columns: [id, name");
    }

    @Test
    void raggedLineIsReportedWithItsLine() throws IOException {
        final Path file = write("a,b\n1,2\n3\n");
        assertThatThrownBy(() -> CsvTable.read(file, "b", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessage(file + " line 3: expected 2 fields (as in the header), found 1");
        // A quoted field spanning lines 2–3 keeps the line count right for the ragged record on line 5.
        final Path multiLine = write("a,b\n\"multi\nline\",1\n\"x\",2\n4\n");
        assertThatThrownBy(() -> CsvTable.read(multiLine, "b", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessage(multiLine + " line 5: expected 2 fields (as in the header), found 1");
    }

    @Test
    void malformedQuotingIsReportedWithItsLine() throws IOException {
        final Path stray = write("a,b\n1,2\n3,4\"5\n");
        assertThatThrownBy(() -> CsvTable.read(stray, "b", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(stray + " line 3: field 2: quote inside an unquoted field");
        final Path open = write("a,b\n1,2\n3,\"4\n5,6\n");
        assertThatThrownBy(() -> CsvTable.read(open, "b", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessage(open + " line 3: field 2: unterminated quoted field");
    }

    @Test
    void missingNumericValueIsAnErrorNotImputed() throws IOException {
        final Path file = write("a,b,y\n1,2,0\n?,3,1\n");
        assertThatThrownBy(() -> CsvTable.read(file, "y", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(file + " line 3: missing value in numeric column 'a' (field 1)");
        final Path empty = write("a,b,y\n1,2,0\n4,3,1\n5,,1\n");
        assertThatThrownBy(() -> CsvTable.read(empty, "y", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(empty + " line 4: missing value in numeric column 'b' (field 2)");
        final Path target = write("a,y\n1,0\n2,NA\n");
        assertThatThrownBy(() -> CsvTable.read(target, "y", Set.of(), 3)).isInstanceOf(DataFormatException.class)
                .hasMessage(target + " line 3: missing value in target column 'y' (field 2)");
    }

    @Test
    void readsTheRealElec2Stream() {
        final Path elec2 = Path.of(System.getProperty("bali.datasets", "../shared/datasets"), "streams", "elec2.csv");
        Assumptions.assumeTrue(Files.isRegularFile(elec2),
                "shared datasets not found at " + elec2.toAbsolutePath() + ": skipped");
        final CsvTable table = CsvTable.read(elec2, "class", Set.of(), 16);
        assertThat(table.rows()).isEqualTo(45_312);
        assertThat(table.featureNames())
                .containsExactly("period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer");
        assertThat(table.features()[0]).containsExactly(0.0, 0.05644299999999999, 0.439155, 0.003467, 0.422915,
                0.414912);
        assertThat(table.targetIsNumeric()).isTrue();
        assertThat(table.classNames()).containsExactly("0", "1");
        final int[] labels = table.labels();
        assertThat(labels).containsOnly(0, 1);
        assertThat(Arrays.stream(labels).sum()).isEqualTo(19_237);
        assertThat(labels[0]).isEqualTo(1);
        assertThat(table.targets()[45_311]).isEqualTo(0.0);
    }
}
