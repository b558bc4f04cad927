package io.balistreams.streams;

import static io.balistreams.streams.TopologyHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.ModelConfig;
import io.balistreams.bali.ModelStateCodec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose state would not fit {@code bali.state.max.bytes} is refused before anything is made or written, with
 * a dead letter that says by how much: through its model-config entry (when the entry fixes the input width) or
 * through the event that would create it (when its width comes from the event).
 */
class StateLimitTopologyTest {
    private static final int LIMIT = 200_000;

    @TempDir
    Path stateDir;

    @Test
    void aModelTooLargeForTheLimitIsRefusedBeforeAnythingIsWritten() {
        try (TopologyHarness h = new TopologyHarness(stateDir, Map.of("bali.state.max.bytes", String.valueOf(LIMIT),
                "bali.model.hidden", "32", "bali.model.batch.size", "4"))) {
            // the entry fixes 400 inputs: (401² + 2·32·401 + 32²)·8 bytes for the first layer alone
            h.sendConfig("wide", ModelConfig.newBuilder().setModelId("wide").setInputDimension(400).build());
            final DeadLetter refusedEntry = h.deadLetters.readValue();
            assertThat(refusedEntry.getReason()).isEqualTo(DeadLetterReason.INVALID_MODEL_CONFIG);
            final long expected = h.config.modelDefaults().withOverrides(ModelConfig.newBuilder().setModelId("wide")
                    .setInputDimension(400).build()).stateBytes(400);
            assertThat(refusedEntry.getDetail()).contains("a state of about " + String.format(java.util.Locale.ROOT, "%,d", expected)
                    + " bytes, " + String.format(java.util.Locale.ROOT, "%,d", expected - LIMIT) + " more than bali.state.max.bytes = " + LIMIT);

            // from the defaults, the width of the first event: 300 features are too many, 20 are not
            h.send(event("too-wide", "m", new double[300], null));
            final DeadLetter refusedEvent = h.deadLetters.readValue();
            assertThat(refusedEvent.getReason()).isEqualTo(DeadLetterReason.INVALID_MODEL_CONFIG);
            assertThat(refusedEvent.getDetail()).startsWith("event too-wide would create model m (300→32→2 relu, "
                    + "batch 4").contains("more than bali.state.max.bytes = " + LIMIT);
            assertThat(h.predictions.isEmpty()).isTrue();
            assertThat(h.posteriors.isEmpty()).as("nothing published for the refused model").isTrue();

            h.send(event("fits", "m", new double[20], null));
            final List<io.balistreams.avro.Prediction> predictions = h.predictions.readValuesToList();
            assertThat(predictions).hasSize(1);
            assertThat(predictions.get(0).getModelId()).isEqualTo("m");
            assertThat(h.deadLetters.isEmpty()).isTrue();
            assertThat(ModelStateCodec.stateBytes(h.config.modelDefaults().toBaliConfig(20))).isLessThan(LIMIT);
        }
    }
}
