package io.balistreams.cli;

import io.balistreams.avro.BaliMixtureState;
import io.balistreams.avro.ModelConfig;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bali model}: a model's life outside the stream. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Work with a model of a running application.",
        subcommands = {ModelCommand.Export.class, ModelCommand.Import.class, ModelCommand.Reset.class,
                ModelCommand.Delete.class})
public final class ModelCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand (try: bali model export, import, reset or delete)");
    }

    /**
     * {@code bali model export}: the model's latest {@link ModelSnapshot} from the compacted snapshots topic, written
     * to a file in Avro's single-object encoding with the current schema, for the engine to load without Kafka
     * ({@code ModelFiles.read}, then {@code ModelStateCodec.fromRecord} or
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
            final byte[] latest = latestValue(client.readOnlyConsumer(spec.commandLine().getErr(), "model export"), topic,
                    modelId);
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
    }

    /**
     * The value of the last record keyed {@code modelId} in {@code topic} up to its current end (committed records
     * only), or null if none, or if the last one is a tombstone.
     */
    static byte[] latestValue(final Map<String, Object> config, final String topic, final String modelId) {
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

    /**
     * What {@code import}, {@code reset} and {@code delete} share: they read the model's current {@code model-config}
     * entry (to keep its other settings), write the next one with a new generation — the current time in
     * milliseconds, or one more than the current generation if that is higher — and say what the service will do.
     * The service validates the entry; a refused one is on the dead-letter topic (INVALID_MODEL_CONFIG).
     */
    abstract static class LifecycleCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "ID", description = "The model id.")
        String modelId;

        @Option(names = "--topic", defaultValue = "model-config", paramLabel = "TOPIC",
                description = "The model-config topic (bali.topic.model-config; default ${DEFAULT-VALUE}).")
        String topic;

        @Mixin
        ProduceCommand.ClientOptions client;

        /** The entry to write, from the current one (null if none) and the new generation. */
        abstract ModelConfig next(ModelConfig current, long generation);

        /** What the service does with the entry, for the command's last line. */
        abstract String outcome();

        @Override
        public Integer call() {
            final String command = "model " + spec.name();
            final Map<String, Object> consumer = client.readOnlyConsumer(spec.commandLine().getErr(), command);
            final AvroSerde<ModelConfig> serde = AvroSerde.of(ModelConfig.class);
            final byte[] raw = latestValue(consumer, topic, modelId);
            final ModelConfig current;
            try {
                current = raw == null ? null : serde.decode(raw);
            } catch (final SerializationException e) {
                throw new IllegalStateException("the current model-config entry of " + modelId + " in " + topic
                        + " cannot be read (" + e.getMessage() + "); send a tombstone for it first");
            }
            final long previous = current == null || current.getGeneration() == null ? 0 : current.getGeneration();
            final long generation = Math.max(System.currentTimeMillis(), previous + 1);
            final ModelConfig entry = next(current, generation);
            final byte[] bytes = serde.encode(entry);
            final Map<String, Object> producer = new java.util.LinkedHashMap<>(client.properties());
            producer.put(ProducerConfig.ACKS_CONFIG, "all");
            producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            producer.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, bytes.length + (1 << 20));
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producer, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(topic, modelId.getBytes(StandardCharsets.UTF_8), bytes)).get(60,
                        java.util.concurrent.TimeUnit.SECONDS);
            } catch (final java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("sending the entry to " + topic + " failed: " + e.getCause().getMessage()
                        + (e.getCause() instanceof org.apache.kafka.common.errors.RecordTooLargeException
                        ? " (the topic's max.message.bytes must hold it: bali.state.max.bytes)" : ""), e.getCause());
            } catch (final java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("sending the entry to " + topic + " was not acknowledged in 60 s", e);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            final PrintWriter out = spec.commandLine().getOut();
            out.printf(java.util.Locale.ROOT, "model %s: generation %d written to %s (%,d bytes); %s%n", modelId,
                    generation, topic, bytes.length, outcome());
            out.flush();
            return 0;
        }

        /** A copy of the current entry (or an empty one) with the new generation and no lifecycle fields. */
        ModelConfig base(final ModelConfig current, final long generation) {
            final ModelConfig.Builder b = current == null ? ModelConfig.newBuilder().setModelId(modelId)
                    : ModelConfig.newBuilder(current);
            return b.setGeneration(generation).setInitialSnapshot(null).setDeleted(null).build();
        }
    }

    /** {@code bali model reset}: the model starts again from its prior; also brings back a deleted model. */
    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Start a model again from its prior (or bring back a deleted one), keeping its model-config "
                    + "settings.")
    public static final class Reset extends LifecycleCommand {
        @Override
        ModelConfig next(final ModelConfig current, final long generation) {
            return base(current, generation);
        }

        @Override
        String outcome() {
            return "its learner drops its state and starts it from its prior within a second (a deleted model comes "
                    + "back with its next event)";
        }
    }

    /** {@code bali model delete}: the model's state is removed and its records dead-lettered. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a model: its state leaves every store and topic, and its events and labels go to "
                    + "the dead-letter topic (MODEL_DELETED) until a reset.")
    public static final class Delete extends LifecycleCommand {
        @Override
        ModelConfig next(final ModelConfig current, final long generation) {
            final ModelConfig entry = base(current, generation);
            entry.setDeleted(true);
            return entry;
        }

        @Override
        String outcome() {
            return "its learner removes its state within a second; its events and labels are dead-lettered "
                    + "(MODEL_DELETED) until bali model reset";
        }
    }

    /**
     * {@code bali model import}: the model starts from a snapshot file: one that {@code bali model export},
     * {@code GET /models/{id}/snapshot} or {@code bali eval prequential --save-model} wrote, or one written with the
     * engine ({@code ModelFiles.write}), e.g. trained offline. The entry keeps the current one's monitoring settings
     * and drops the fields the snapshot fixes (architecture, classes, batch size, β, seed, experts).
     */
    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Start a model from a snapshot file (bali model export, GET /models/{id}/snapshot, "
                    + "eval prequential --save-model, or the engine's ModelFiles.write).")
    public static final class Import extends LifecycleCommand {
        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The snapshot file.")
        Path file;

        private byte[] snapshot;
        private ModelSnapshot decoded;

        @Override
        public Integer call() {
            try {
                snapshot = Files.readAllBytes(file);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
            try {
                decoded = AvroSerde.of(ModelSnapshot.class).decode(snapshot);
            } catch (final SerializationException e) {
                throw new IllegalArgumentException(file + " is not a model snapshot: " + e.getMessage(), e);
            }
            return super.call();
        }

        @Override
        ModelConfig next(final ModelConfig current, final long generation) {
            final ModelConfig entry = base(current, generation);
            for (final String fixed : io.balistreams.streams.ImportedModels.FIXED_BY_SNAPSHOT) {
                entry.put(fixed, null);
            }
            entry.setInitialSnapshot(java.nio.ByteBuffer.wrap(snapshot));
            return entry;
        }

        @Override
        String outcome() {
            return "the model starts from the snapshot of " + decoded.getModelId() + " at version "
                    + decoded.getModelVersion() + " (" + (decoded.getState() instanceof BaliMixtureState
                    ? "a mixture over memories" : "one model") + "): at once if it exists, else with its first event";
        }
    }
}
