package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.BaliModelState;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.bali.Rng;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.streams.BaliService;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bali model export} against a running service: the file holds the model's latest snapshot, and the engine
 * alone (the generated record's own decoder and {@link ModelStateCodec}) loads it into a model that predicts
 * exactly as that snapshot's state does.
 */
@Slow
class ModelExportCommandTest {

    @Test
    void exportsTheLatestSnapshotForTheEngine(@TempDir final Path dir) throws Exception {
        try (EmbeddedKafka kafka = new EmbeddedKafka()) {
            final Map<String, String> settings = new HashMap<>();
            settings.put("bootstrap.servers", kafka.bootstrapServers());
            settings.put("application.id", "export");
            settings.put("state.dir", dir.resolve("state").toString());
            settings.put("commit.interval.ms", "100");
            settings.put("bali.model.hidden", "8");
            settings.put("bali.model.batch.size", "8");
            settings.put("bali.snapshot.every", "5");
            settings.put("bali.batch.max.wait.ms", "0");
            final ServiceConfig config = ServiceConfig.from(settings);
            try (BaliService service = new BaliService(config)) {
                service.createTopics(1, java.util.Optional.empty());
                service.start();
                service.awaitRunning(Duration.ofSeconds(60));
                final AvroSerde<Event> events = AvroSerde.of(Event.class);
                final Rng rng = Rng.forStream(9, 0);
                final Map<String, Object> p = Map.of("bootstrap.servers", kafka.bootstrapServers());
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                        new ByteArraySerializer())) {
                    for (int i = 0; i < 200; i++) { // 25 updates of batch 8: snapshots at versions 5, 10, …, 25
                        final double a = rng.nextGaussian();
                        final double b = rng.nextGaussian();
                        producer.send(new ProducerRecord<>(config.eventsTopic(), null, events.encode(
                                new Event("e" + i, "m", Instant.now(), List.of(a, b), a - b > 0 ? 1.0 : 0.0))));
                    }
                }
                final byte[] last = awaitSnapshot(kafka.bootstrapServers(), config.snapshotsTopic(), 25);

                final Path file = dir.resolve("m.snapshot");
                final CliRun r = CliRun.of("model", "export", "--model", "m", "--bootstrap-servers",
                        kafka.bootstrapServers(), "--file", file.toString());
                assertThat(r.code()).as(r.err()).isZero();
                assertThat(r.out().strip()).isEqualTo("exported model m at version 25 (one model, "
                        + String.format(java.util.Locale.ROOT, "%,d", Files.size(file)) + " bytes) to " + file);

                // the engine alone: the generated record's decoder, then the state codec
                final ModelSnapshot exported = io.balistreams.bali.ModelFiles.read(file);
                assertThat(exported).isEqualTo(AvroSerde.of(ModelSnapshot.class).decode(last));
                final BaliModel model = ModelStateCodec.fromRecord((BaliModelState) exported.getState());
                final BaliModel reference = ModelStateCodec.fromRecord((BaliModelState) AvroSerde
                        .of(ModelSnapshot.class).decode(last).getState());
                final double[] x = {0.3, -0.7};
                assertThat(model.classify(x).probabilities()).containsExactly(reference.classify(x).probabilities());
                assertThat(model.classify(new double[] {2, -2}).predictedClass()).isEqualTo(1);

                final CliRun missing = CliRun.of("model", "export", "--model", "nobody", "--bootstrap-servers",
                        kafka.bootstrapServers(), "--file", dir.resolve("x").toString());
                assertThat(missing.code()).isEqualTo(1);
                assertThat(missing.err()).contains("error: no snapshot of model nobody in model-snapshots");
                assertThat(Files.exists(dir.resolve("x"))).isFalse();
            }
        }
    }

    /** The value of the snapshot of model "m" at {@code version}, once it is committed. */
    private static byte[] awaitSnapshot(final String bootstrap, final String topic, final long version) {
        final Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", bootstrap);
        c.put("isolation.level", "read_committed");
        final AvroSerde<ModelSnapshot> serde = AvroSerde.of(ModelSnapshot.class);
        final List<byte[]> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(consumer.assignment());
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.value());
                    if (serde.decode(r.value()).getModelVersion() == version) {
                        return r.value();
                    }
                }
            }
        }
        throw new AssertionError("no snapshot at version " + version + " within 60 s; saw " + seen.size());
    }
}
