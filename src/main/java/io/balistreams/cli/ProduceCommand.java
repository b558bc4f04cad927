package io.balistreams.cli;

import io.balistreams.avro.Event;
import io.balistreams.eval.CsvTable;
import io.balistreams.eval.DataFormatException;
import io.balistreams.eval.FeatureEncoding;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.streams.serde.AvroSerde;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bali produce}: sends the rows of a CSV file to a Kafka topic as Avro {@link Event} records, one event
 * per data row in file order, so that the service can score and learn from them.
 *
 * <p><b>File.</b> The same CSV dialect and feature encoding as {@code bali eval prequential}: the syntax of
 * {@link CsvTable} (UTF-8, a header row, comma-separated fields with optional double quotes, blank lines
 * skipped; missing values are {@code "" ? NA N/A NaN nan}) and the encoding of {@link FeatureEncoding}. The
 * features of an event are all columns except the target, the id column, the event-time column and the dropped
 * columns, in header order; a numeric column gives one feature (a missing value, or a stray token such as
 * {@code abc} in a column whose cells are mostly numbers, is an error naming the line, column and token), a
 * categorical column is one-hot encoded in order of first appearance ({@code col=level}) or, with more than
 * {@code --max-levels} levels, hashed into {@code --max-levels} 0/1 features ({@code col#b}, bucket
 * {@code floorMod(level.hashCode(), B)}), a missing value encoding as all zeros. The encoding is fitted over the
 * whole file, so all events of one file have the same input dimension.
 *
 * <p><b>Saved encodings.</b> {@code --save-encoding FILE} writes the encoding used (format in
 * {@link FeatureEncoding}); {@code --encoding FILE} applies a saved one instead of fitting one, so that several
 * files sent to one model share one feature layout. Then every column of the CSV file must be a feature column
 * of the encoding or the target, id, event-time or a dropped column, {@code --target} (if given) must be the
 * encoding's target (if it has one), {@code --max-levels} cannot be given, and a level of a one-hot column that
 * the encoding does not list encodes as all zeros (the command counts such cells on stderr:
 * {@code note: N cells hold levels not in the encoding ...}).
 *
 * <p>Every problem with the file is a {@link DataFormatException} naming the file and, where relevant, the
 * 1-based line.
 *
 * <p><b>Event fields.</b> {@code eventId}: the value of {@code --id-column} (must not be empty), or
 * {@code <file name>-<n>} with n the 1-based data row number. {@code modelId}: {@code --model-id}, or null
 * (the service's default model). {@code eventTime}: the value of {@code --event-time-column} (milliseconds
 * since the epoch, or an ISO-8601 instant such as {@code 2024-01-31T12:00:00Z}), or the wall-clock time at
 * which the row is sent. {@code label}: without {@code --target}, null; with it, the target value as a double
 * ({@code --label-kind number}, the default: a regression target or a class index 0..K-1) or as the raw
 * string ({@code --label-kind class-name}); a missing target value gives an unlabelled (score-only) event.
 *
 * <p><b>Sending.</b> Record key: the model id in UTF-8, or none (with {@code --key-by-event-id}: the event id,
 * for distributed scoring); value: the event in Avro single-object
 * encoding ({@link AvroSerde}). The producer uses {@code acks=all} and idempotence, so the events of one
 * partition arrive once and in file order; the command waits until every event is acknowledged, then prints
 * {@code sent N events to T ...} on stderr and nothing on stdout (with {@code --json}: one JSON object
 * {@code {"topic","events","labelled","features","feature_names"}}). Every row is checked before the first
 * event is sent, so a bad file sends nothing; a failed send stops sending and ends the command with an error
 * giving the number of events acknowledged before it.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Send the rows of a CSV file (with a header) to a Kafka topic as Avro Event records, "
                + "one event per row, in file order.")
public final class ProduceCommand implements Callable<Integer> {
    /** Hash buckets, and the most one-hot levels, of a categorical column when fitting (--max-levels). */
    static final int DEFAULT_MAX_LEVELS = 32;

    @Spec
    CommandSpec spec;

    @Option(names = "--csv", required = true, paramLabel = "FILE", description = "CSV file with a header row.")
    Path csv;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to send the events to.")
    String topic;

    @Mixin
    ClientOptions client;

    @Option(names = "--target", paramLabel = "COLUMN",
            description = "Column holding the label (default: none, every event is unlabelled).")
    String target;

    @Option(names = "--label-kind", paramLabel = "number|class-name", defaultValue = "number",
            description = "How the target becomes the label: number (a regression target or a class index 0..K-1) "
                    + "or class-name (the value as a string) (default ${DEFAULT-VALUE}).")
    String labelKind;

    @Option(names = "--model-id", paramLabel = "ID",
            description = "Model of every event; also the record key (default: none, the service's default model).")
    String modelId;

    @Option(names = "--key-by-event-id",
            description = "Use each event's id as its record key (instead of the model id), so that one model's "
                    + "events spread over all partitions: for bali.scoring=distributed, whose labels are then keyed "
                    + "by the same event id.")
    boolean keyByEventId;

    @Option(names = "--id-column", paramLabel = "COLUMN",
            description = "Column holding the event ids (default: <file name>-<row number>, rows counted from 1).")
    String idColumn;

    @Option(names = "--event-time-column", paramLabel = "COLUMN",
            description = "Column holding the event time, in epoch milliseconds or ISO-8601 (default: the time of sending).")
    String eventTimeColumn;

    @Option(names = "--drop", split = ",", paramLabel = "COLUMN", description = "Columns to ignore, comma-separated.")
    List<String> drop = new ArrayList<>();

    @Option(names = "--max-levels", paramLabel = "N",
            description = "Categorical columns with more levels than this are hashed into this many buckets "
                    + "(default " + DEFAULT_MAX_LEVELS + "; not with --encoding).")
    Integer maxLevels;

    @Option(names = "--encoding", paramLabel = "FILE",
            description = "Apply this saved feature encoding (from --save-encoding) instead of fitting one to the file; "
                    + "one-hot levels it does not list encode as all zeros.")
    Path encodingFile;

    @Option(names = "--save-encoding", paramLabel = "FILE",
            description = "Write the feature encoding used (columns, levels, buckets, target classes) to this file.")
    Path saveEncoding;

    @Mixin
    JsonOption output;

    /**
     * The Kafka connection options shared by {@code produce} and {@code tail} (picocli mixin): the client
     * properties of a service configuration file, with {@code --bootstrap-servers} taking precedence.
     */
    static final class ClientOptions {
        @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,HOST:PORT...]",
                description = "Kafka brokers to connect to (overrides bootstrap.servers of --config).")
        String bootstrapServers;

        @Option(names = "--config", paramLabel = "FILE",
                description = "Service properties file: its Kafka client settings (bootstrap.servers, security.protocol, "
                        + "sasl.*, ssl.* ...) are used; bali.* keys are validated and otherwise ignored.")
        Path config;

        @Option(names = "--connect-timeout-ms", paramLabel = "MS", defaultValue = "15000",
                description = "How long to wait for the broker to answer before giving up (default ${DEFAULT-VALUE}).")
        long connectTimeoutMs;

        /**
         * The client properties of a consumer that only reads ({@code tail}, {@code model export}): committed records
         * only, no group, no offsets committed, no topic created by asking for it; once a broker answers
         * ({@link #awaitBroker}).
         */
        Map<String, Object> readOnlyConsumer(final java.io.PrintWriter err, final String command) {
            final Map<String, Object> config = new LinkedHashMap<>(properties());
            awaitBroker(config, err, command);
            config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
            config.remove(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG);
            return config;
        }

        /**
         * Waits until a broker of {@code properties} answers (its cluster id), saying on {@code err} what it waits
         * for once the first second has passed without an answer.
         *
         * @throws IllegalStateException if no broker answers within {@code --connect-timeout-ms}
         */
        void awaitBroker(final Map<String, Object> properties, final java.io.PrintWriter err, final String command) {
            if (connectTimeoutMs < 1) {
                throw new IllegalArgumentException("--connect-timeout-ms must be >= 1, got " + connectTimeoutMs);
            }
            awaitBroker(properties, connectTimeoutMs, err, "bali " + command);
        }

        /**
         * Waits until a broker of {@code properties} answers (its cluster id), saying on {@code err}, after the first
         * second without an answer, what {@code who} waits for.
         *
         * @throws IllegalStateException if no broker answers within {@code timeoutMs}
         */
        static void awaitBroker(final Map<String, Object> properties, final long timeoutMs,
                                final java.io.PrintWriter err, final String who) {
            final Object servers = properties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
            final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            final org.apache.kafka.clients.admin.Admin created;
            try {
                created = org.apache.kafka.clients.admin.Admin.create(properties);
            } catch (final org.apache.kafka.common.KafkaException e) {
                final IllegalStateException clear = KafkaConnectionErrors.explain(e, properties);
                throw clear != null ? clear : e;
            }
            try (org.apache.kafka.clients.admin.Admin admin = created) {
                final org.apache.kafka.common.KafkaFuture<String> clusterId = admin.describeCluster(
                        new org.apache.kafka.clients.admin.DescribeClusterOptions()
                                .timeoutMs((int) Math.min(Integer.MAX_VALUE, timeoutMs))).clusterId();
                try {
                    clusterId.get(Math.min(1000, timeoutMs), java.util.concurrent.TimeUnit.MILLISECONDS);
                    return;
                } catch (final java.util.concurrent.TimeoutException firstSecond) {
                    err.println(who + ": waiting for a Kafka broker at " + servers + " (up to " + timeoutMs + " ms) …");
                    err.flush();
                }
                clusterId.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                final IllegalStateException clear = KafkaConnectionErrors.explain(e, properties);
                throw clear != null ? clear : new IllegalStateException(KafkaConnectionErrors.noAnswer(properties,
                        timeoutMs));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the broker at " + servers, e);
            }
        }

        /**
         * The client properties: those of {@code --config}, then {@code --bootstrap-servers}.
         *
         * @throws IllegalArgumentException if the configuration file is missing or invalid, or no broker is given
         */
        Map<String, Object> properties() {
            final Map<String, Object> p = new LinkedHashMap<>();
            if (config != null) {
                final Properties props = new Properties();
                try (Reader r = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
                    props.load(r);
                } catch (final NoSuchFileException e) {
                    throw new IllegalArgumentException("--config " + config + ": file not found");
                } catch (final IOException | IllegalArgumentException e) {
                    throw new IllegalArgumentException("--config " + config + ": cannot read: " + e.getMessage(), e);
                }
                try {
                    p.putAll(ServiceConfig.from(props).clientProperties());
                } catch (final IllegalArgumentException e) {
                    throw new IllegalArgumentException("--config " + config + ": " + e.getMessage(), e);
                }
            }
            if (bootstrapServers != null) {
                if (bootstrapServers.isBlank()) {
                    throw new IllegalArgumentException("--bootstrap-servers must not be empty");
                }
                p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.strip());
            }
            final Object servers = p.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
            if (servers == null || servers.toString().isBlank()) {
                throw new IllegalArgumentException("no Kafka broker given: use --bootstrap-servers HOST:PORT, or --config FILE "
                        + "with bootstrap.servers" + (config == null ? "" : " (" + config + " has none)"));
            }
            return p;
        }
    }

    @Override
    public Integer call() {
        final boolean classNameLabels;
        if ("number".equals(labelKind)) {
            classNameLabels = false;
        } else if ("class-name".equals(labelKind)) {
            classNameLabels = true;
        } else {
            throw new IllegalArgumentException("--label-kind must be number or class-name, got '" + labelKind + "'");
        }
        if (topic.isBlank()) {
            throw new IllegalArgumentException("--topic must not be empty");
        }
        if (modelId != null && modelId.isBlank()) {
            throw new IllegalArgumentException("--model-id must not be empty (leave it out for the default model)");
        }
        if (maxLevels != null && encodingFile != null) {
            throw new IllegalArgumentException("--max-levels cannot be given with --encoding (the encoding fixes the "
                    + "levels and buckets of every column)");
        }
        if (maxLevels != null && maxLevels < 1) {
            throw new IllegalArgumentException("--max-levels must be >= 1, got " + maxLevels);
        }
        final Map<String, Object> clientProperties = client.properties();

        final CsvTable.Rows rows = CsvTable.readRows(csv);
        final Set<Integer> special = new LinkedHashSet<>();
        final int targetCol = columnOf(rows, target, "--target", special);
        final int idCol = columnOf(rows, idColumn, "--id-column", special);
        final int timeCol = columnOf(rows, eventTimeColumn, "--event-time-column", special);
        for (final String d : drop) {
            final int c = rows.header().indexOf(d.strip());
            if (c < 0) {
                throw new DataFormatException(csv + ": column to drop '" + d + "' not found; available columns: "
                        + rows.header());
            }
            if (special.contains(c)) {
                throw new IllegalArgumentException("column '" + d + "' is given to --drop and to --target, "
                        + "--id-column or --event-time-column");
            }
            special.add(c);
        }
        final Set<String> otherColumns = new HashSet<>();
        special.forEach(c -> otherColumns.add(rows.header().get(c)));
        final String targetName = targetCol < 0 ? null : rows.header().get(targetCol);
        final FeatureEncoding encoding;
        if (encodingFile != null) {
            encoding = FeatureEncoding.load(encodingFile);
            if (targetName != null && encoding.targetColumn() != null && !targetName.equals(encoding.targetColumn())) {
                throw new IllegalArgumentException("--target '" + targetName + "' is not the target '"
                        + encoding.targetColumn() + "' of the encoding " + encodingFile);
            }
        } else {
            final List<String> featureColumns = new ArrayList<>();
            for (int c = 0; c < rows.header().size(); c++) {
                if (!special.contains(c)) {
                    featureColumns.add(rows.header().get(c));
                }
            }
            encoding = FeatureEncoding.fit(rows, featureColumns, targetName,
                    maxLevels == null ? DEFAULT_MAX_LEVELS : maxLevels);
        }
        final List<String> featureNames = encoding.featureNames();
        if (featureNames.isEmpty()) {
            throw new IllegalArgumentException(csv + ": no feature columns (every column is the target, the id, "
                    + "the event time or dropped)");
        }
        final FeatureEncoding.Encoder encoder = encoding.encoder(rows, otherColumns);
        final EventMaker maker = new EventMaker(encoder, targetCol, idCol, timeCol, classNameLabels,
                csv.getFileName().toString());
        // Check every row before connecting, so that a bad value fails the command before anything is sent;
        // the events are built again while sending rather than all kept in memory.
        long labelled = 0;
        long unseenCells = 0;
        FeatureEncoding.UnseenLevel firstUnseen = null;
        for (int i = 0; i < rows.data().size(); i++) {
            if (maker.event(rows.data().get(i), i).getLabel() != null) {
                labelled++;
            }
            final List<FeatureEncoding.UnseenLevel> unseen = encoder.unseenLevels(rows.data().get(i));
            if (firstUnseen == null && !unseen.isEmpty()) {
                firstUnseen = unseen.get(0);
            }
            unseenCells += unseen.size();
        }
        if (saveEncoding != null) {
            encoding.save(saveEncoding);
        }

        client.awaitBroker(clientProperties, spec.commandLine().getErr(), "produce");
        final Map<String, Object> producerConfig = new LinkedHashMap<>();
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producerConfig.putAll(clientProperties);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final byte[] modelKey = modelId == null ? null : modelId.getBytes(StandardCharsets.UTF_8);
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
            for (int i = 0; i < rows.data().size(); i++) {
                final Event event = maker.event(rows.data().get(i), i);
                final byte[] key = keyByEventId ? event.getEventId().getBytes(StandardCharsets.UTF_8) : modelKey;
                producer.send(new ProducerRecord<>(topic, key, serde.encode(event)), (metadata, e) -> {
                    if (e == null) {
                        acknowledged.incrementAndGet();
                    } else {
                        failure.compareAndSet(null, e);
                    }
                });
                if (failure.get() != null) {
                    break;
                }
            }
            producer.flush();
        } catch (final KafkaException e) {
            failure.compareAndSet(null, e);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("sending to topic " + topic + " failed after " + acknowledged.get() + " of "
                    + rows.data().size() + " events: " + failure.get().getMessage(), failure.get());
        }
        if (unseenCells > 0) {
            spec.commandLine().getErr().printf(Locale.ROOT, "note: %d cells hold levels not in the encoding %s and were "
                    + "encoded as all zeros (first: line %d, column '%s', level '%s')%n", unseenCells, encodingFile,
                    firstUnseen.line(), firstUnseen.column(), firstUnseen.level());
        }
        spec.commandLine().getErr().printf(Locale.ROOT, "sent %d events to %s (%d labelled, %d features)%n", rows.data().size(), topic,
                labelled, featureNames.size());
        spec.commandLine().getErr().flush();
        if (output.json) {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("topic", topic);
            out.put("events", rows.data().size());
            out.put("labelled", labelled);
            out.put("features", featureNames.size());
            out.put("feature_names", featureNames);
            spec.commandLine().getOut().println(Json.write(out));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /** Turns one data row into an event: features, label, id and time (see the class comment). */
    private final class EventMaker {
        private final FeatureEncoding.Encoder encoder;
        private final int targetCol;
        private final int idCol;
        private final int timeCol;
        private final boolean classNameLabels;
        private final String fileName;

        EventMaker(final FeatureEncoding.Encoder encoder, final int targetCol, final int idCol, final int timeCol,
                   final boolean classNameLabels, final String fileName) {
            this.encoder = encoder;
            this.targetCol = targetCol;
            this.idCol = idCol;
            this.timeCol = timeCol;
            this.classNameLabels = classNameLabels;
            this.fileName = fileName;
        }

        /** The event of data row i (0-based); without an event-time column its time is now. */
        Event event(final CsvTable.Record row, final int i) {
            final double[] x = encoder.encode(row);
            final List<Double> features = new ArrayList<>(x.length);
            for (final double v : x) {
                features.add(v);
            }
            final String eventId;
            if (idCol >= 0) {
                eventId = row.fields()[idCol];
                if (eventId.isEmpty()) {
                    throw DataFormat.atLine(csv, row.line(), "empty event id in column '" + idColumn + "'");
                }
            } else {
                eventId = fileName + "-" + (i + 1);
            }
            return Event.newBuilder().setEventId(eventId).setModelId(modelId).setFeatures(features)
                    .setLabel(targetCol < 0 ? null : label(row, targetCol, classNameLabels))
                    .setEventTime(timeCol < 0 ? Instant.ofEpochMilli(System.currentTimeMillis()) : eventTime(row, timeCol))
                    .build();
        }
    }

    /** Index of a target/id/time column (-1 if not given), checked against the header and the other ones. */
    private int columnOf(final CsvTable.Rows rows, final String name, final String option, final Set<Integer> special) {
        if (name == null) {
            return -1;
        }
        final int c = rows.header().indexOf(name.strip());
        if (c < 0) {
            throw new DataFormatException(csv + ": " + option + " column '" + name + "' not found; available columns: "
                    + rows.header());
        }
        if (!special.add(c)) {
            throw new IllegalArgumentException("column '" + name + "' is given to more than one of --target, "
                    + "--id-column and --event-time-column");
        }
        return c;
    }

    private Object label(final CsvTable.Record row, final int c, final boolean className) {
        final String value = row.fields()[c];
        if (FeatureEncoding.isMissing(value)) {
            return null;
        }
        if (className) {
            return value;
        }
        if (!FeatureEncoding.isDecimal(value)) {
            throw DataFormat.atLine(csv, row.line(), "target value '" + value + "' in column '" + target + "' (field "
                    + (c + 1) + ") is not a number; for class names use --label-kind class-name");
        }
        final double v = Double.parseDouble(value);
        if (!Double.isFinite(v)) {
            throw DataFormat.atLine(csv, row.line(), "target value '" + value + "' in column '" + target
                    + "' overflows a double");
        }
        return v;
    }

    private Instant eventTime(final CsvTable.Record row, final int c) {
        final String value = row.fields()[c];
        try {
            if (value.matches("[+-]?\\d{1,18}")) {
                return Instant.ofEpochMilli(Long.parseLong(value));
            }
            return Instant.parse(value);
        } catch (final DateTimeParseException | NumberFormatException e) {
            throw DataFormat.atLine(csv, row.line(), "event time '" + value + "' in column '" + eventTimeColumn
                    + "' is neither epoch milliseconds nor an ISO-8601 instant such as 2024-01-31T12:00:00Z");
        }
    }

    /** Messages in the form of {@link DataFormatException}: the file, the line, the problem. */
    private static final class DataFormat {
        static DataFormatException atLine(final Path file, final long line, final String problem) {
            return new DataFormatException(file + " line " + line + ": " + problem);
        }
    }
}
