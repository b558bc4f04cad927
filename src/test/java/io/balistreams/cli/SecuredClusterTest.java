package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.local.EmbeddedKafka;
import io.balistreams.local.SelfSignedCertificate;
import io.balistreams.testing.Slow;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service and the client commands against a broker whose only client listener requires TLS and SASL/SCRAM
 * ({@link EmbeddedKafka#secured}): with the right settings everything works, exactly once; without a login, with a
 * wrong password, a trust store that does not trust the broker, or no security settings at all, {@code bali run}
 * and {@code bali produce} fail within seconds with one error line that names what failed; and a client with the
 * TLS settings sends nothing in clear text (the first bytes on the wire are a TLS handshake record).
 */
@Slow
class SecuredClusterTest {
    private static final String USER = "bali-service";
    private static final String PASSWORD = "s3cret-service-password";
    private static final int EVENTS = 400;

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startSecuredBroker() {
        kafka = EmbeddedKafka.secured(Map.of(USER, PASSWORD));
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void withTlsAndScramTheServiceAndTheCommandsWorkExactlyOnce(@TempDir final Path dir) throws Exception {
        // the password stays out of the configuration file: Kafka's DirectoryConfigProvider reads it from a file of
        // a secrets directory, as docker/secure/bali.properties does with the compose secret in /run/secrets
        final Path secrets = Files.createDirectory(dir.resolve("secrets"));
        Files.writeString(secrets.resolve("bali_kafka_password"), PASSWORD);
        final Map<String, String> settings = new LinkedHashMap<>(kafka.clientSecurity(USER,
                "${secrets:" + secrets + ":bali_kafka_password}"));
        settings.put("config.providers", "secrets");
        settings.put("config.providers.secrets.class",
                "org.apache.kafka.common.config.provider.DirectoryConfigProvider");
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        settings.put("state.dir", dir.resolve("state").toString());
        settings.put("commit.interval.ms", "100");
        settings.put("bali.model.hidden", "8");
        settings.put("bali.model.batch.size", "8");
        settings.put("bali.batch.max.wait.ms", "0");
        settings.put("bali.model.class.names", "no,yes");
        settings.put("bali.snapshot.every", "5");
        final Path config = write(dir.resolve("bali.properties"), settings);
        assertThat(Files.readString(config)).doesNotContain(PASSWORD);
        final Path csv = firstRows(dir.resolve("sea.csv"), EVENTS);

        final Path runLog = dir.resolve("run.log");
        final Process run = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"),
                "io.balistreams.cli.BaliCommand", "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(runLog.toFile()).start();
        try {
            CliRun.awaitLine(runLog, "bali run: application bali-streams on " + kafka.bootstrapServers(), 120);

            final CliRun produce = CliRun.of("produce", "--csv", csv.toString(), "--topic", "events", "--config",
                    config.toString(), "--target", "class", "--label-kind", "class-name");
            assertThat(produce.code()).as(produce.err()).isZero();
            assertThat(produce.err() + produce.out()).contains("sent " + EVENTS + " events to events");

            final CliRun tail = CliRun.of("tail", "--topic", "predictions", "--config", config.toString(),
                    "--from-beginning", "--max-messages", String.valueOf(EVENTS), "--timeout-ms", "90000");
            assertThat(tail.code()).as(tail.err()).isZero();
            final List<String> predictions = tail.out().lines()
                    .filter(l -> l.startsWith("{\"topic\":\"predictions\"")).toList();
            assertThat(predictions).hasSize(EVENTS);
            final Set<String> ids = new TreeSet<>();
            final Matcher m = Pattern.compile("\"eventId\":\"([^\"]+)\"").matcher(String.join("\n", predictions));
            while (m.find()) {
                ids.add(m.group(1));
            }
            assertThat(ids).as("every event predicted exactly once").hasSize(EVENTS)
                    .contains("sea.csv-1", "sea.csv-" + EVENTS);

            // a read-only consumer of the compacted snapshots: the model learned from the labelled events
            final Path snapshot = dir.resolve("default.bali");
            final CliRun export = CliRun.of("model", "export", "--model", "default", "--config", config.toString(),
                    "--file", snapshot.toString());
            assertThat(export.code()).as(export.err()).isZero();
            assertThat(Files.size(snapshot)).isGreaterThan(1000);

            assertThat(run.isAlive()).as(Files.readString(runLog)).isTrue();
            run.destroy(); // SIGTERM
            assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(run.exitValue()).as(Files.readString(runLog)).isZero();
            assertThat(Files.readString(runLog)).contains("bali run: stopped").doesNotContain(PASSWORD)
                    .doesNotContain("unknown Kafka setting");
        } finally {
            run.destroyForcibly();
        }
    }

    @Test
    void withoutASaslLoginTheServiceAndTheProducerStopAtOnce(@TempDir final Path dir) throws Exception {
        final Map<String, String> settings = secureSettings(dir);
        settings.remove("sasl.jaas.config");
        final Path config = write(dir.resolve("bali.properties"), settings);
        assertFailsFast(dir, config, "error: the Kafka client settings have no SASL login: Could not find a "
                + "'KafkaClient' entry in the JAAS configuration", "set sasl.jaas.config");
    }

    @Test
    void withAWrongPasswordTheBrokerRefusesTheLoginAndTheyStopAtOnce(@TempDir final Path dir) throws Exception {
        final Map<String, String> settings = secureSettings(dir);
        settings.putAll(kafka.clientSecurity(USER, "not-the-password"));
        final Path config = write(dir.resolve("bali.properties"), settings);
        assertFailsFast(dir, config, "error: the Kafka broker at " + kafka.bootstrapServers() + " refused the SASL login: "
                + "Authentication failed during authentication due to invalid credentials with SASL mechanism "
                + "SCRAM-SHA-256 (check sasl.mechanism and the username and password in sasl.jaas.config)");
        assertThat(Files.readString(config)).contains("not-the-password"); // the run's message does not repeat it
    }

    @Test
    void withATrustStoreThatDoesNotTrustTheBrokerTheyStopAtOnce(@TempDir final Path dir) throws Exception {
        final SelfSignedCertificate other = SelfSignedCertificate.create(dir, "someone-else");
        final Map<String, String> settings = secureSettings(dir);
        settings.put("ssl.truststore.location", other.trustStore().toString());
        settings.put("ssl.truststore.password", other.password());
        final Path config = write(dir.resolve("bali.properties"), settings);
        assertFailsFast(dir, config, "error: the TLS handshake with the Kafka broker at " + kafka.bootstrapServers()
                + " failed: ", "(does ssl.truststore.location hold the certificate of the broker");
    }

    @Test
    void aClientWithoutSecuritySettingsIsToldWhatTheClusterMayNeed(@TempDir final Path dir) throws Exception {
        final Path config = write(dir.resolve("bali.properties"), Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "state.dir", dir.resolve("state").toString()));
        final CliRun r = CliRun.of("run", "--config", config.toString(), "--broker-wait-ms", "3000");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("error: no Kafka broker answered at " + kafka.bootstrapServers() + " within 3000 ms "
                + "(is it running? `bali broker` starts one on this machine); a cluster that requires TLS or SASL answers "
                + "only clients with security.protocol and its ssl.* / sasl.* settings");
    }

    /**
     * A listener that records what clients send: with the TLS settings, every connection of {@code bali run} and of
     * {@code bali produce} opens with a TLS handshake record (content type 22, version 3.x), and neither the user
     * name nor the password is ever on the wire in clear text.
     */
    @Test
    void withTheTlsSettingsNothingIsSentInClearText(@TempDir final Path dir) throws Exception {
        try (Recorder recorder = new Recorder()) {
            final Map<String, String> settings = secureSettings(dir);
            settings.put("bootstrap.servers", "127.0.0.1:" + recorder.port());
            final Path config = write(dir.resolve("bali.properties"), settings);
            final CliRun run = CliRun.of("run", "--config", config.toString(), "--broker-wait-ms", "3000");
            final CliRun produce = CliRun.of("produce", "--csv", firstRows(dir.resolve("sea.csv"), 5).toString(),
                    "--topic", "events", "--config", config.toString(), "--target", "class", "--label-kind", "class-name",
                    "--connect-timeout-ms", "3000");
            assertThat(run.code()).isEqualTo(1);
            assertThat(produce.code()).isEqualTo(1);
            // the listener never answers the handshake: to the client, no broker answered (no hint: TLS is set)
            assertThat(run.err()).contains("error: no Kafka broker answered at 127.0.0.1:" + recorder.port()
                    + " within 3000 ms (is it running? `bali broker` starts one on this machine)\n");
            final List<byte[]> connections = recorder.connections();
            assertThat(connections).as("connections made").hasSizeGreaterThanOrEqualTo(2);
            for (final byte[] bytes : connections) {
                assertThat(bytes.length).isGreaterThan(5);
                assertThat(bytes[0]).as("TLS record type handshake").isEqualTo((byte) 22);
                assertThat(bytes[1]).as("TLS major version").isEqualTo((byte) 3);
                assertThat(bytes[5]).as("TLS ClientHello").isEqualTo((byte) 1);
                final String text = new String(bytes, StandardCharsets.ISO_8859_1);
                assertThat(text).doesNotContain(USER).doesNotContain(PASSWORD).doesNotContain("events");
            }
        }
    }

    /** {@code bali run} and {@code bali produce} end with exit code 1 and these texts, well before any timeout. */
    private static void assertFailsFast(final Path dir, final Path config, final String... texts) throws IOException {
        final long start = System.nanoTime();
        final CliRun run = CliRun.of("run", "--config", config.toString());
        final CliRun produce = CliRun.of("produce", "--csv", firstRows(dir.resolve("sea.csv"), 5).toString(), "--topic",
                "events", "--config", config.toString(), "--target", "class", "--label-kind", "class-name");
        final double seconds = (System.nanoTime() - start) / 1e9;
        for (final CliRun r : List.of(run, produce)) {
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            assertThat(r.err().lines().filter(l -> l.startsWith("error:"))).hasSize(1);
            for (final String text : texts) {
                assertThat(r.err()).contains(text);
            }
            assertThat(r.err()).doesNotContain(PASSWORD).doesNotContain("not-the-password");
        }
        // the defaults would wait 120 s (run) and 15 s (produce) for a broker that does not answer
        assertThat(seconds).as("both failed without waiting for the broker").isLessThan(14);
    }

    private static Map<String, String> secureSettings(final Path dir) {
        final Map<String, String> settings = new LinkedHashMap<>(kafka.clientSecurity(USER, PASSWORD));
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        settings.put("state.dir", dir.resolve("state").toString());
        return settings;
    }

    private static Path write(final Path file, final Map<String, String> settings) throws IOException {
        final java.util.Properties p = new java.util.Properties();
        p.putAll(settings);
        try (var w = Files.newBufferedWriter(file)) {
            p.store(w, null);
        }
        return file;
    }

    private static Path firstRows(final Path file, final int rows) throws IOException {
        final List<String> lines = Files.readAllLines(Path.of("docs/examples/sea.csv"));
        Files.write(file, lines.subList(0, rows + 1));
        return file;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A loopback listener that keeps the first bytes (up to 4 KB, or 2 s of silence) of each connection, then closes it. */
    private static final class Recorder implements AutoCloseable {
        private final ServerSocket server;
        private final List<byte[]> connections = Collections.synchronizedList(new ArrayList<>());
        private final Thread acceptor;

        Recorder() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(this::accept, "recorder");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(2000);
                    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    final InputStream in = s.getInputStream();
                    final byte[] buffer = new byte[4096];
                    try {
                        int n;
                        while (bytes.size() < 4096 && (n = in.read(buffer)) > 0) {
                            bytes.write(buffer, 0, n);
                        }
                    } catch (final SocketTimeoutException quiet) {
                        // the client waits for the server's answer: what it sent so far is all there is
                    }
                    connections.add(bytes.toByteArray());
                } catch (final IOException closed) {
                    // the test is over
                }
            }
        }

        List<byte[]> connections() {
            synchronized (connections) {
                return connections.stream().collect(Collectors.toList());
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
