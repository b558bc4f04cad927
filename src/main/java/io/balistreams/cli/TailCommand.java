package io.balistreams.cli;

import io.balistreams.streams.serde.AvroJson;
import io.balistreams.streams.serde.SchemaHistory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bali tail}: prints the records of a topic as JSON lines, whatever record type the topic holds.
 *
 * <p><b>Reading.</b> All partitions of the topic are assigned (no consumer group, nothing committed), from the
 * beginning with {@code --from-beginning}, otherwise from the current end; only committed transactional
 * records are read ({@code isolation.level=read_committed}). The command stops after {@code --max-messages}
 * records, or when no record arrived for {@code --timeout-ms} (default 10000; 0 waits forever). It then
 * prints {@code read N records from T (E not decoded)} on stderr.
 *
 * <p><b>Output.</b> One line per record on stdout, in the order read:
 * {@code {"topic":...,"partition":...,"offset":...,"key":...,"value":...}}. The key is a string (the bytes
 * as UTF-8), null, or {@code {"base64":"..."}} when the bytes are not text. The value is decoded from Avro
 * single-object encoding ({@code C3 01}, the writer schema's little-endian CRC-64-AVRO fingerprint, the body)
 * with the writer schema found in {@link SchemaHistory} (any record type of the service, current or retired
 * version) and printed as a JSON object of its fields: numbers as numbers (non-finite ones as null),
 * timestamps as epoch milliseconds, enums and strings as strings, bytes like keys. A model state
 * ({@code BaliModelState}, e.g. the {@code state} of a {@code ModelSnapshot}) is summarised as
 * {@code {"task","layerSizes","step","bytes"}} (bytes: its encoded size) instead of its matrices. A null value
 * (tombstone) prints as {@code "value":null}. A value that cannot be decoded prints as
 * {@code "value":null,"error":"..."} and reading goes on.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Print the records of a topic as JSON lines (any record type of the service), "
                + "decoding the Avro values.")
public final class TailCommand implements Callable<Integer> {
    /** Full name of the model state record that is summarised instead of printed. */
    static final String MODEL_STATE = "io.balistreams.avro.BaliModelState";

    @Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to read.")
    String topic;

    @Mixin
    ProduceCommand.ClientOptions client;

    @Option(names = "--from-beginning",
            description = "Start at the first record of each partition (default: only records that arrive from now on).")
    boolean fromBeginning;

    @Option(names = "--max-messages", paramLabel = "N",
            description = "Stop after N records (default: no limit).")
    Long maxMessages;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "10000",
            description = "Stop when no record arrived for this long; 0 waits forever (default ${DEFAULT-VALUE}). "
                    + "Also bounds the wait for the topic's metadata.")
    long timeoutMs;

    @Override
    public Integer call() {
        if (topic.isBlank()) {
            throw new IllegalArgumentException("--topic must not be empty");
        }
        if (maxMessages != null && maxMessages < 1) {
            throw new IllegalArgumentException("--max-messages must be >= 1, got " + maxMessages);
        }
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("--timeout-ms must be >= 0, got " + timeoutMs);
        }
        final Map<String, Object> config = client.readOnlyConsumer(spec.commandLine().getErr(), "tail");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        final PrintWriter out = spec.commandLine().getOut();
        final Decoder decoder = new Decoder();
        long read = 0;
        long failed = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            final List<PartitionInfo> partitions;
            final Duration metadataWait = Duration.ofMillis(timeoutMs == 0 ? 60_000 : Math.max(timeoutMs, 1000));
            try {
                partitions = consumer.partitionsFor(topic, metadataWait);
            } catch (final TimeoutException e) {
                throw new IllegalStateException("no answer about topic " + topic + " from "
                        + config.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) + " within " + metadataWait.toMillis()
                        + " ms: " + e.getMessage(), e);
            }
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist");
            }
            final List<TopicPartition> assigned = new ArrayList<>();
            partitions.forEach(p -> assigned.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(assigned);
            if (fromBeginning) {
                consumer.seekToBeginning(assigned);
            } else {
                consumer.seekToEnd(assigned);
                assigned.forEach(consumer::position); // fix the end now, not at the first poll
            }
            long lastRecord = System.nanoTime();
            outer:
            while (maxMessages == null || read < maxMessages) {
                final long idleMs = (System.nanoTime() - lastRecord) / 1_000_000;
                if (timeoutMs > 0 && idleMs >= timeoutMs) {
                    break;
                }
                final long wait = timeoutMs == 0 ? 500 : Math.min(500, Math.max(1, timeoutMs - idleMs));
                final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(wait));
                for (final ConsumerRecord<byte[], byte[]> r : records) {
                    lastRecord = System.nanoTime();
                    final Map<String, Object> line = new LinkedHashMap<>();
                    line.put("topic", r.topic());
                    line.put("partition", r.partition());
                    line.put("offset", r.offset());
                    line.put("key", r.key() == null ? null : bytes(r.key()));
                    try {
                        line.put("value", r.value() == null ? null : decoder.decode(r.value()));
                    } catch (final UndecodableException e) {
                        line.put("value", null);
                        line.put("error", e.getMessage());
                        failed++;
                    }
                    out.println(Json.write(line));
                    out.flush();
                    read++;
                    if (maxMessages != null && read >= maxMessages) {
                        break outer;
                    }
                }
            }
        } catch (final KafkaException e) {
            throw new IllegalStateException("reading topic " + topic + " failed: " + e.getMessage(), e);
        }
        spec.commandLine().getErr().printf(Locale.ROOT, "read %d records from %s (%d not decoded)%n", read, topic, failed);
        spec.commandLine().getErr().flush();
        return 0;
    }

    /** A value that is not a single-object Avro message of a schema the service knows. */
    static final class UndecodableException extends Exception {
        private static final long serialVersionUID = 1L;

        UndecodableException(final String message) {
            super(message);
        }
    }

    /** Decodes single-object encoded values to JSON-ready maps and lists; keeps one reader per schema. */
    static final class Decoder {
        private final Map<Long, GenericDatumReader<Object>> readers = new HashMap<>();

        /** The value as a JSON-ready tree (see the class comment of {@link TailCommand}). */
        Object decode(final byte[] value) throws UndecodableException {
            if (value.length >= 2 && (value[0] != (byte) 0xC3 || value[1] != (byte) 0x01)) {
                throw new UndecodableException(String.format(Locale.ROOT,
                        "not an Avro single-object message: starts with 0x%02X 0x%02X instead of 0xC3 0x01",
                        value[0] & 0xFF, value[1] & 0xFF));
            }
            if (value.length < 10) {
                throw new UndecodableException("not an Avro single-object message: " + value.length
                        + " bytes, shorter than the 10-byte header");
            }
            final long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            final Schema schema = SchemaHistory.find(fingerprint);
            if (schema == null) {
                throw new UndecodableException(String.format(Locale.ROOT,
                        "unknown writer schema (fingerprint %016x): not a record type of this service", fingerprint));
            }
            final String problem = io.balistreams.streams.serde.LengthCheck.problem(value);
            if (problem != null) {
                throw new UndecodableException(problem);
            }
            final GenericDatumReader<Object> reader = readers.computeIfAbsent(fingerprint,
                    f -> new GenericDatumReader<>(schema, schema, GenericData.get()));
            final Object datum;
            try {
                final BinaryDecoder in = DecoderFactory.get().binaryDecoder(value, 10, value.length - 10, null);
                datum = reader.read(null, in);
                if (!in.isEnd()) {
                    throw new UndecodableException("bytes left over after the " + schema.getName() + " record");
                }
            } catch (final IOException | RuntimeException e) {
                throw new UndecodableException("cannot decode the " + schema.getName() + " body: " + e
                        + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
            }
            return json(datum, schema);
        }

        /** Records and bytes as tail shows them: a model state as a summary, bytes as text where they are text. */
        private static final AvroJson.Rendering RENDERING = new AvroJson.Rendering() {
            @Override
            public Object record(final GenericRecord record) {
                return MODEL_STATE.equals(record.getSchema().getFullName()) ? stateSummary(record) : null;
            }

            @Override
            public Object bytes(final byte[] bytes) {
                return TailCommand.bytes(bytes);
            }
        };

        private static Object json(final Object datum, final Schema schema) {
            return AvroJson.tree(datum, schema, RENDERING);
        }

        /** A model state without its matrices: task, layer sizes, step and encoded size. */
        private static Map<String, Object> stateSummary(final GenericRecord state) {
            final Map<String, Object> m = new LinkedHashMap<>();
            final Object config = state.get("config");
            if (config instanceof GenericRecord c) {
                m.put("task", String.valueOf(c.get("task")));
                m.put("layerSizes", json(c.get("layerSizes"), c.getSchema().getField("layerSizes").schema()));
            }
            m.put("step", state.get("step"));
            m.put("bytes", encodedSize(state));
            return m;
        }

        private static long encodedSize(final GenericContainer datum) {
            final long[] count = {0};
            final OutputStream counter = new OutputStream() {
                @Override
                public void write(final int b) {
                    count[0]++;
                }

                @Override
                public void write(final byte[] b, final int off, final int len) {
                    count[0] += len;
                }
            };
            try {
                final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(counter, null);
                new GenericDatumWriter<Object>(datum.getSchema(), GenericData.get()).write(datum, encoder);
                encoder.flush();
            } catch (final IOException e) {
                throw new IllegalStateException("cannot re-encode a model state", e);
            }
            return count[0];
        }
    }

    /**
     * Bytes for JSON: the UTF-8 text if they are valid UTF-8 without control characters (other than tab and line
     * breaks), otherwise {@code {"base64":"..."}}.
     */
    static Object bytes(final byte[] b) {
        try {
            final CharBuffer text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            final String s = text.toString();
            if (s.chars().noneMatch(c -> (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)) {
                return s;
            }
        } catch (final CharacterCodingException e) {
            // not text
        }
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("base64", Base64.getEncoder().encodeToString(b));
        return m;
    }
}
