package io.balistreams.cli;

import io.balistreams.avro.BaliMixtureState;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.streams.serde.AvroSerde;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bali model}: a model's life outside the stream. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Work with a model of a running application.",
        subcommands = {ModelCommand.Export.class})
public final class ModelCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: bali model export)");
    }

    /**
     * {@code bali model export}: the model's latest {@link ModelSnapshot} from the compacted snapshots topic, written
     * to a file in Avro's single-object encoding with the current schema, for the engine to load without Kafka
     * ({@code ModelSnapshot.fromByteBuffer}, then {@code ModelStateCodec.fromRecord} or
     * {@code MixtureStateCodec.fromRecord} of its state). Snapshots are written every {@code bali.snapshot.every}
     * updates, so the file is at most that many updates behind the live model.
     */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a model's latest snapshot (from the snapshots topic) to a file, for the engine.")
    public static final class Export implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "ID", description = "The model id.")
        String modelId;

        @Option(names = "--topic", defaultValue = "model-snapshots", paramLabel = "TOPIC",
                description = "The snapshots topic (bali.topic.model-snapshots; default ${DEFAULT-VALUE}).")
        String topic;

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "Where to write the snapshot.")
        Path file;

        @Mixin
        ProduceCommand.ClientOptions client;

        @Override
        public Integer call() {
            final byte[] latest = latestValue(client.readOnlyConsumer(spec.commandLine().getErr(), "model export"));
            if (latest == null) {
                throw new IllegalArgumentException("no snapshot of model " + modelId + " in " + topic + " (a model "
                        + "writes one every bali.snapshot.every updates; has it learned that many yet?)");
            }
            final AvroSerde<ModelSnapshot> serde = AvroSerde.of(ModelSnapshot.class);
            final ModelSnapshot snapshot = serde.decode(latest);
            final byte[] bytes = serde.encode(snapshot);
            try {
                Files.write(file, bytes);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
            final PrintWriter out = spec.commandLine().getOut();
            out.printf(java.util.Locale.ROOT, "exported model %s at version %d (%s, %,d bytes) to %s%n", modelId,
                    snapshot.getModelVersion(),
                    snapshot.getState() instanceof BaliMixtureState ? "a mixture over memories" : "one model",
                    bytes.length, file);
            out.flush();
            return 0;
        }

        /** The value of the last record keyed {@code modelId} up to the topic's current end, or null if none. */
        private byte[] latestValue(final Map<String, Object> config) {
            final byte[] key = modelId.getBytes(StandardCharsets.UTF_8);
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                final List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalArgumentException("topic " + topic + " does not exist");
                }
                final List<TopicPartition> partitions = new ArrayList<>();
                infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                byte[] latest = null;
                final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("reading " + topic + " to its end took over 120 s");
                    }
                    for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.key() != null && java.util.Arrays.equals(r.key(), key)) {
                            latest = r.value(); // a tombstone (null) means the model was deleted
                        }
                    }
                }
                return latest;
            }
        }
    }
}
