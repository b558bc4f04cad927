package io.balistreams.cli;

import io.balistreams.testing.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.Event;
import io.balistreams.avro.ModelSnapshot;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.BaliModel;
import io.balistreams.bali.ModelStateCodec;
import io.balistreams.eval.CsvTable;
import io.balistreams.eval.FeatureEncoding;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.streams.serde.SchemaHistory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bali produce} and {@code bali tail} against a real broker in this JVM. */
@Slow
class ProduceTailCommandTest {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new EmbeddedKafka();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("events", 2, (short) 1), new NewTopic("labels", 1, (short) 1),
                    new NewTopic("mixed", 1, (short) 1), new NewTopic("quiet", 1, (short) 1),
                    new NewTopic("shared", 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** Exit code, stdout and stderr of one command. */
    private record Run(int code, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
        }
    }

    private static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = BaliCommand.commandLine().setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString().replace("\r\n", "\n"), err.toString());
    }

    /** The value object of a tail line with its eventTime (a number) replaced by T. */
    private static String value(final String line) {
        final Matcher m = Pattern.compile("\"value\":(.*)}$").matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return m.group(1).replaceAll("\"eventTime\":\\d+", "\"eventTime\":T");
    }

    @Test
    void producedRowsComeBackAsEvents(@TempDir final Path dir) throws IOException {
        final Path csv = dir.resolve("rows.csv");
        Files.writeString(csv, """
                id, x1, color, note, y
                a, 1.5, red, skip me, 0
                "b", -2, blue, x, 1

                c, 3e1, "red", y, 1
                """);
        final long before = System.currentTimeMillis();
        final Run produced = run("produce", "--csv", csv.toString(), "--topic", "events", "--bootstrap-servers",
                kafka.bootstrapServers(), "--target", "y", "--id-column", "id", "--model-id", "m1", "--drop", "note",
                "--json");
        assertThat(produced.code()).as(produced.err()).isZero();
        assertThat(produced.err()).startsWith("sent 3 events to events (3 labelled, 3 features)");
        assertThat(produced.out().strip()).isEqualTo("{\"topic\":\"events\",\"events\":3,\"labelled\":3,\"features\":3,"
                + "\"feature_names\":[\"x1\",\"color=red\",\"color=blue\"]}");
        // The same encoding as bali eval prequential.
        assertThat(CsvTable.read(csv, "y", Set.of("id", "note"), 32).featureNames())
                .containsExactly("x1", "color=red", "color=blue");

        final Path config = dir.resolve("client.properties");
        Files.writeString(config, "bootstrap.servers=" + kafka.bootstrapServers() + "\nbali.model.task=regression\n");
        final Run tailed = run("tail", "--topic", "events", "--config", config.toString(), "--from-beginning",
                "--max-messages", "3");
        assertThat(tailed.code()).as(tailed.err()).isZero();
        assertThat(tailed.err()).contains("read 3 records from events (0 not decoded)");
        final List<String> lines = tailed.lines();
        assertThat(lines).hasSize(3);
        // One key, so one partition and file order.
        final Matcher head = Pattern.compile("^\\{\"topic\":\"events\",\"partition\":(\\d),\"offset\":0,\"key\":\"m1\",")
                .matcher(lines.get(0));
        assertThat(head.find()).as(lines.get(0)).isTrue();
        assertThat(lines.stream().map(ProduceTailCommandTest::value)).containsExactly(
                "{\"eventId\":\"a\",\"modelId\":\"m1\",\"eventTime\":T,\"features\":[1.5,1,0],\"label\":0}",
                "{\"eventId\":\"b\",\"modelId\":\"m1\",\"eventTime\":T,\"features\":[-2,0,1],\"label\":1}",
                "{\"eventId\":\"c\",\"modelId\":\"m1\",\"eventTime\":T,\"features\":[30,1,0],\"label\":1}");
        final Matcher time = Pattern.compile("\"eventTime\":(\\d+)").matcher(lines.get(2));
        assertThat(time.find()).isTrue();
        assertThat(Long.parseLong(time.group(1))).isBetween(before, System.currentTimeMillis());
    }

    @Test
    void keyedByEventIdEachRecordCarriesItsEventIdAsKey(@TempDir final Path dir) throws IOException {
        final Path csv = dir.resolve("rows.csv");
        Files.writeString(csv, "id,x,y\nfirst,1,0\nsecond,2,1\n");
        final Run produced = run("produce", "--csv", csv.toString(), "--topic", "keyed-events", "--bootstrap-servers",
                kafka.bootstrapServers(), "--target", "y", "--id-column", "id", "--model-id", "m1",
                "--key-by-event-id");
        assertThat(produced.code()).as(produced.err()).isZero();
        final Run tailed = run("tail", "--topic", "keyed-events", "--bootstrap-servers", kafka.bootstrapServers(),
                "--from-beginning", "--max-messages", "2");
        assertThat(tailed.code()).as(tailed.err()).isZero();
        assertThat(tailed.lines()).extracting(l -> {
            final Matcher key = Pattern.compile("\"key\":\"([a-z]+)\"").matcher(l);
            return key.find() ? key.group(1) : l;
        }).containsExactlyInAnyOrder("first", "second");
    }

    @Test
    void classNameLabelsDefaultIdsEventTimesAndUnlabelledRows(@TempDir final Path dir) throws IOException {
        final Path csv = dir.resolve("animals.csv");
        Files.writeString(csv, """
                when,w,kind
                1700000000000,0.25,cat
                2024-01-31T12:00:00Z,2.5e-3,NA
                """);
        final Run produced = run("produce", "--csv", csv.toString(), "--topic", "labels", "--bootstrap-servers",
                kafka.bootstrapServers(), "--target", "kind", "--label-kind", "class-name", "--event-time-column", "when");
        assertThat(produced.code()).as(produced.err()).isZero();
        assertThat(produced.out()).isEmpty();
        assertThat(produced.err()).startsWith("sent 2 events to labels (1 labelled, 1 features)");
        final Run tailed = run("tail", "--topic", "labels", "--bootstrap-servers", kafka.bootstrapServers(),
                "--from-beginning", "--max-messages", "2");
        assertThat(tailed.code()).as(tailed.err()).isZero();
        assertThat(tailed.lines()).containsExactly(
                "{\"topic\":\"labels\",\"partition\":0,\"offset\":0,\"key\":null,\"value\":{\"eventId\":\"animals.csv-1\","
                        + "\"modelId\":null,\"eventTime\":1700000000000,\"features\":[0.25],\"label\":\"cat\"}}",
                "{\"topic\":\"labels\",\"partition\":0,\"offset\":1,\"key\":null,\"value\":{\"eventId\":\"animals.csv-2\","
                        + "\"modelId\":null,\"eventTime\":" + Instant.parse("2024-01-31T12:00:00Z").toEpochMilli()
                        + ",\"features\":[0.0025],\"label\":null}}");
    }

    @Test
    void aSavedEncodingGivesASecondFileTheFirstFilesLayout(@TempDir final Path dir) throws IOException {
        final Path a = dir.resolve("a.csv");
        Files.writeString(a, "id,size,color,y\na1,1,red,0\na2,2,blue,1\na3,3,red,1\n");
        final Path encoding = dir.resolve("a.encoding");
        final String servers = kafka.bootstrapServers();
        final Run producedA = run("produce", "--csv", a.toString(), "--topic", "shared", "--bootstrap-servers", servers,
                "--target", "y", "--id-column", "id", "--save-encoding", encoding.toString(), "--json");
        assertThat(producedA.code()).as(producedA.err()).isZero();
        assertThat(producedA.out()).contains("\"feature_names\":[\"size\",\"color=red\",\"color=blue\"]");
        assertThat(FeatureEncoding.load(encoding)).isEqualTo(CsvTable.read(a, "y", Set.of("id"), 32).encoding());

        // Other column order; "blue" is the only level of B, "green" a level A never had.
        final Path b = dir.resolve("b.csv");
        Files.writeString(b, "color,id,y,size\nblue,b1,1,10\ngreen,b2,0,20\n");
        final Run producedB = run("produce", "--csv", b.toString(), "--topic", "shared", "--bootstrap-servers", servers,
                "--target", "y", "--id-column", "id", "--encoding", encoding.toString(), "--json");
        assertThat(producedB.code()).as(producedB.err()).isZero();
        assertThat(producedB.err().replace("\r\n", "\n")).isEqualTo("note: 1 cells hold levels not in the encoding " + encoding + " and were "
                + "encoded as all zeros (first: line 3, column 'color', level 'green')\n"
                + "sent 2 events to shared (2 labelled, 3 features)\n");
        assertThat(producedB.out().strip()).isEqualTo("{\"topic\":\"shared\",\"events\":2,\"labelled\":2,\"features\":3,"
                + "\"feature_names\":[\"size\",\"color=red\",\"color=blue\"]}");
        final Run tailed = run("tail", "--topic", "shared", "--bootstrap-servers", servers, "--from-beginning",
                "--max-messages", "5");
        assertThat(tailed.code()).as(tailed.err()).isZero();
        assertThat(tailed.lines().stream().map(ProduceTailCommandTest::value)).containsExactly(
                "{\"eventId\":\"a1\",\"modelId\":null,\"eventTime\":T,\"features\":[1,1,0],\"label\":0}",
                "{\"eventId\":\"a2\",\"modelId\":null,\"eventTime\":T,\"features\":[2,0,1],\"label\":1}",
                "{\"eventId\":\"a3\",\"modelId\":null,\"eventTime\":T,\"features\":[3,1,0],\"label\":1}",
                "{\"eventId\":\"b1\",\"modelId\":null,\"eventTime\":T,\"features\":[10,0,1],\"label\":1}",
                "{\"eventId\":\"b2\",\"modelId\":null,\"eventTime\":T,\"features\":[20,0,0],\"label\":0}");

        // Nothing is sent when the file does not fit the encoding.
        Run r = run("produce", "--csv", b.toString(), "--topic", "quiet", "--bootstrap-servers", servers,
                "--id-column", "id", "--encoding", encoding.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + b + ": column(s) [y] are not feature columns of the encoding");
        r = run("produce", "--csv", b.toString(), "--topic", "quiet", "--bootstrap-servers", servers,
                "--target", "size", "--drop", "y", "--encoding", encoding.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: --target 'size' is not the target 'y' of the encoding " + encoding);
        r = run("produce", "--csv", b.toString(), "--topic", "quiet", "--bootstrap-servers", servers,
                "--target", "y", "--encoding", encoding.toString(), "--max-levels", "4");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: --max-levels cannot be given with --encoding");
        Files.writeString(b, "color,id,y,size\nblue,b1,1,10\ngreen,b2,0,twenty\n");
        r = run("produce", "--csv", b.toString(), "--topic", "quiet", "--bootstrap-servers", servers,
                "--target", "y", "--id-column", "id", "--encoding", encoding.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + b + " line 3: stray token 'twenty' in numeric column 'size' (field 4)");
    }

    @Test
    void badInputIsOneErrorLine(@TempDir final Path dir) throws IOException {
        final Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "x,y\n1,2\n3\n");
        final String servers = kafka.bootstrapServers();
        Run r = run("produce", "--csv", csv.toString(), "--topic", "quiet", "--bootstrap-servers", servers);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: " + csv + " line 3: expected 2 fields (as in the header), found 1"
                + System.lineSeparator());

        Files.writeString(csv, "x,y\n1,2\n3,four\n");
        r = run("produce", "--csv", csv.toString(), "--topic", "quiet", "--bootstrap-servers", servers, "--target", "y");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + csv + " line 3: target value 'four' in column 'y' (field 2) is not a "
                + "number; for class names use --label-kind class-name");

        Files.writeString(csv, "x,y\n1,2\nNA,3\n");
        r = run("produce", "--csv", csv.toString(), "--topic", "quiet", "--bootstrap-servers", servers, "--target", "y");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + csv + " line 3: missing value in numeric column 'x'");

        Files.writeString(csv, "x,y\n1,2\n2,3\nabc,4\n");
        r = run("produce", "--csv", csv.toString(), "--topic", "quiet", "--bootstrap-servers", servers, "--target", "y");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + csv + " line 4: stray token 'abc' in numeric column 'x' (field 1)");

        r = run("produce", "--csv", csv.toString(), "--topic", "quiet", "--bootstrap-servers", servers, "--target", "z");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + csv + ": --target column 'z' not found; available columns: [x, y]");

        r = run("produce", "--csv", dir.resolve("none.csv").toString(), "--topic", "quiet", "--bootstrap-servers", servers);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("none.csv: file not found");

        r = run("produce", "--csv", csv.toString(), "--topic", "quiet");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: no Kafka broker given: use --bootstrap-servers HOST:PORT, or --config FILE");
        r = run("tail", "--topic", "quiet");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: no Kafka broker given");
        final Path config = dir.resolve("empty.properties");
        Files.writeString(config, "bali.model.task=regression\n");
        r = run("tail", "--topic", "quiet", "--config", config.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("with bootstrap.servers (" + config + " has none)");
        r = run("tail", "--topic", "quiet", "--config", dir.resolve("missing.properties").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("missing.properties: file not found");

        r = run("produce", "--csv", csv.toString(), "--topic", "quiet", "--bootstrap-servers", servers,
                "--label-kind", "words");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: --label-kind must be number or class-name, got 'words'");

        r = run("tail", "--topic", "no-such-topic", "--bootstrap-servers", servers, "--timeout-ms", "5000");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: topic no-such-topic does not exist");
    }

    @Test
    void undecodableValuesArePrintedWithTheirErrorAndReadingGoesOn() throws Exception {
        final Event event = Event.newBuilder().setEventId("ok").setModelId(null).setEventTime(Instant.ofEpochMilli(42))
                .setFeatures(List.of(1.0, Double.NaN)).setLabel(2.5).build();
        final byte[] good = AvroSerde.of(Event.class).encode(event);
        final byte[] unknown = good.clone();
        unknown[5] ^= 0x55;
        final byte[] truncated = Arrays.copyOf(good, good.length - 3);
        final byte[] trailing = Arrays.copyOf(good, good.length + 2);
        final BaliModel model = new BaliModel(BaliConfig.classification(3, 4, 2).build());
        final byte[] snapshot = AvroSerde.of(ModelSnapshot.class).encode(ModelSnapshot.newBuilder().setModelId("m7")
                .setModelVersion(5).setClassNames(List.of("no", "yes")).setUpdatesRejected(1).setLastRejection(null)
                .setState(ModelStateCodec.toRecord(model)).build());
        final int stateBytes = ModelStateCodec.encode(model).length - 10;
        final Schema v1 = SchemaHistory.load("/schemas/history/Event.v1.avsc");
        assertThat(ByteBuffer.wrap(good, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong())
                .isEqualTo(SchemaHistory.fingerprint(Event.getClassSchema()));
        final GenericRecord old = new GenericData.Record(v1);
        old.put("eventId", "v1");
        old.put("modelId", "m1");
        old.put("eventTime", 7L);
        old.put("features", List.of(0.5));
        old.put("label", 1.0);
        final ByteBuffer oldBuffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old);
        final byte[] retired = new byte[oldBuffer.remaining()];
        oldBuffer.get(retired);

        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            for (final byte[] value : List.of("hello, not avro".getBytes(StandardCharsets.UTF_8), unknown, truncated, trailing,
                    new byte[]{(byte) 0xC3, 1}, good, snapshot, retired)) {
                producer.send(new ProducerRecord<>("mixed", new byte[]{(byte) 0xFF, 0}, value));
            }
            producer.send(new ProducerRecord<>("mixed", "m7".getBytes(StandardCharsets.UTF_8), null));
            producer.flush();
        }
        final Run r = run("tail", "--topic", "mixed", "--bootstrap-servers", kafka.bootstrapServers(),
                "--from-beginning", "--max-messages", "9");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("read 9 records from mixed (5 not decoded)");
        final List<String> lines = r.lines();
        assertThat(lines).hasSize(9);
        final String key = "\"key\":{\"base64\":\"/wA=\"}";
        assertThat(lines.get(0)).isEqualTo("{\"topic\":\"mixed\",\"partition\":0,\"offset\":0," + key
                + ",\"value\":null,\"error\":\"not an Avro single-object message: starts with 0x68 0x65 instead of "
                + "0xC3 0x01\"}");
        assertThat(lines.get(1)).startsWith("{\"topic\":\"mixed\",\"partition\":0,\"offset\":1," + key
                + ",\"value\":null,\"error\":\"unknown writer schema (fingerprint ");
        // a truncated body: its lengths are checked against its bytes before it is decoded
        assertThat(lines.get(2)).contains("\"offset\":2,")
                .contains("\"value\":null,\"error\":\"the Event body does not hold what it claims (")
                .contains("EOFException");
        assertThat(lines.get(3)).contains("\"offset\":3,")
                .contains("\"value\":null,\"error\":\"bytes left over after the Event record\"");
        assertThat(lines.get(4)).contains("\"offset\":4,")
                .contains("\"error\":\"not an Avro single-object message: 2 bytes, shorter than the 10-byte header\"");
        assertThat(lines.get(5)).isEqualTo("{\"topic\":\"mixed\",\"partition\":0,\"offset\":5," + key
                + ",\"value\":{\"eventId\":\"ok\",\"modelId\":null,\"eventTime\":42,\"features\":[1,null],\"label\":2.5}}");
        assertThat(lines.get(6)).isEqualTo("{\"topic\":\"mixed\",\"partition\":0,\"offset\":6," + key
                + ",\"value\":{\"modelId\":\"m7\",\"modelVersion\":5,\"classNames\":[\"no\",\"yes\"],\"updatesRejected\":1,"
                + "\"lastRejection\":null,\"state\":{\"task\":\"CLASSIFICATION\",\"layerSizes\":[3,4,2],\"step\":0,"
                + "\"bytes\":" + stateBytes + "}}}");
        assertThat(lines.get(7)).isEqualTo("{\"topic\":\"mixed\",\"partition\":0,\"offset\":7," + key
                + ",\"value\":{\"eventId\":\"v1\",\"modelId\":\"m1\",\"eventTime\":7,\"features\":[0.5],\"label\":1}}");
        assertThat(lines.get(8)).isEqualTo("{\"topic\":\"mixed\",\"partition\":0,\"offset\":8,\"key\":\"m7\",\"value\":null}");
    }

    @Test
    void tailWithoutFromBeginningStopsAfterTheTimeout() {
        final long start = System.nanoTime();
        final Run r = run("tail", "--topic", "quiet", "--bootstrap-servers", kafka.bootstrapServers(),
                "--timeout-ms", "300");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("read 0 records from quiet (0 not decoded)");
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(10);
    }
}
