package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.eval.CsvTable;
import io.balistreams.eval.FeatureEncoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bali eval prequential --save-encoding} and {@code --encoding}: a second file read in the first one's layout. */
class EvalPrequentialEncodingTest {
    @Test
    void savedEncodingIsReusedForAnotherFile(@TempDir final Path dir) throws IOException {
        final Path a = dir.resolve("a.csv");
        final StringBuilder rows = new StringBuilder("x,color,class\n");
        for (int i = 0; i < 40; i++) {
            rows.append(i % 7).append(',').append(i % 3 == 0 ? "red" : i % 3 == 1 ? "blue" : "green").append(',')
                    .append(i % 2).append('\n');
        }
        Files.writeString(a, rows);
        final Path encoding = dir.resolve("a.encoding");
        final CliRun saved = CliRun.of("eval", "prequential", "--csv", a.toString(), "--target", "class", "--window", "10",
                "--save-encoding", encoding.toString());
        assertThat(saved.code()).as(saved.err()).isZero();
        assertThat(saved.out()).contains("40 records, 4 features, target class (2 classes)");
        assertThat(FeatureEncoding.load(encoding)).isEqualTo(CsvTable.read(a, "class", Set.of(), 32).encoding());

        // Only one colour and one class in B: fitted alone it would have 2 features and 1 class.
        final Path b = dir.resolve("b.csv");
        Files.writeString(b, "class,color,x\n1,blue,3\n1,blue,4\n1,blue,5\n");
        final CliRun reused = CliRun.of("eval", "prequential", "--csv", b.toString(), "--target", "class", "--window", "10",
                "--encoding", encoding.toString());
        assertThat(reused.code()).as(reused.err()).isZero();
        assertThat(reused.out()).contains("3 records, 4 features, target class (2 classes)");
    }
}
