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

    /**
     * {@code --save-model}: the learner as it ends the stream, in the file format of {@code bali model export}, with the
     * target's class names: the same predictions as the run's own final model.
     */
    @Test
    void savedModelIsTheLearnerAtTheEndOfTheStream(@TempDir final Path dir) throws IOException {
        final Path csv = dir.resolve("c.csv");
        final StringBuilder rows = new StringBuilder("a,b,class\n");
        final java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 400; i++) {
            final double a = random.nextGaussian();
            final double b = random.nextGaussian();
            rows.append(a).append(',').append(b).append(',').append(a + b > 0 ? "up" : "down").append('\n');
        }
        Files.writeString(csv, rows);
        final Path model = dir.resolve("c.snapshot");
        final CliRun run = CliRun.of("eval", "prequential", "--csv", csv.toString(), "--target", "class", "--experts", "none",
                "--batch", "8", "--save-model", model.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("saved the model at version 50 to " + model);
        final io.balistreams.avro.ModelSnapshot snapshot = io.balistreams.bali.ModelFiles.read(model);
        assertThat(snapshot.getModelVersion()).isEqualTo(50);
        assertThat(snapshot.getClassNames()).containsExactlyInAnyOrder("down", "up");
        final int up = snapshot.getClassNames().indexOf("up");
        final io.balistreams.bali.BaliModel engine = io.balistreams.bali.ModelStateCodec.fromRecord(
                (io.balistreams.avro.BaliModelState) snapshot.getState());
        assertThat(engine.step()).isEqualTo(50);
        assertThat(engine.classify(new double[] {2, 2}).predictedClass()).isEqualTo(up);
        assertThat(engine.classify(new double[] {-2, -2}).predictedClass()).isEqualTo(1 - up);
    }
}
