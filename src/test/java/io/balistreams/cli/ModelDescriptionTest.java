package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.eval.DriftStreams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BaliConfig#describe()}: the one model description that demo, bench and eval print. */
class ModelDescriptionTest {

    @Test
    void describesWidthsActivationBatchAndMemory() {
        assertThat(DriftStreams.tabularModel(3, 2, 32, 2000, 1).describe()).isEqualTo("3→32→32→2 tanh, batch 32, memory 2,000");
        assertThat(DriftStreams.imageModel(784, 10, 32, 2000, 1).describe())
                .isEqualTo("784→128→10 relu, batch 32, memory 2,000, kappa 300");
        assertThat(BaliConfig.regression(8, 64, 64, 1).build().describe()).isEqualTo("8→64→64→1 relu, batch 32, memory 320");
        assertThat(BaliConfig.regression(4, 1).batchSize(16).beta(0.5).build().describe())
                .isEqualTo("4→1, batch 16, memory 32");
        assertThat(BaliConfig.classification(5, 8, 8, 3).activations(Activation.RELU, Activation.TANH).dataScale(1000)
                .hiddenKappa(2.5).build().describe()).isEqualTo("5→8→8→3 relu/tanh, batch 32, offline on 1,000 records, kappa 2.5");
    }

    @Test
    void evalPrintsTheDescription(@TempDir final Path dir) throws IOException {
        final StringBuilder csv = new StringBuilder("a,b,class\n");
        for (int i = 0; i < 200; i++) {
            csv.append(i % 7).append(',').append(i % 5).append(',').append(i % 2).append('\n');
        }
        final Path file = Files.writeString(dir.resolve("small.csv"), csv);
        final CliRun prequential = CliRun.of("eval", "prequential", "--csv", file.toString(), "--target", "class");
        assertThat(prequential.code()).as(prequential.err()).isZero();
        assertThat(prequential.out().lines())
                .contains("mixture 2→8→8→2 tanh over memories 50x4, 500x8, 4000x32 (share 0.01)");
        final CliRun single = CliRun.of("eval", "prequential", "--csv", file.toString(), "--target", "class",
                "--experts", "none", "--hidden", "32,32");
        assertThat(single.code()).as(single.err()).isZero();
        assertThat(single.out().lines()).contains("model 2→32→32→2 tanh, batch 32, memory 320");

        final CliRun drift = CliRun.of("eval", "drift", "--stream", "hyperplane", "--events", "500", "--segment", "200");
        assertThat(drift.code()).as(drift.err()).isZero();
        assertThat(drift.out().lines())
                .anyMatch(l -> l.startsWith("model 10→32→32→2 tanh, batch 32, memory 2,000 (beta 0.9840), seed 1;"));
    }
}
