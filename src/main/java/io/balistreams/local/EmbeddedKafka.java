package io.balistreams.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) inside this JVM, on loopback.
 * {@link #EmbeddedKafka()} takes free ports and a fresh temporary log directory that {@link #close()} deletes
 * (used by {@code bali demo}, the integration tests and the end-to-end benchmark; no Docker, no setup).
 * {@link #EmbeddedKafka(int, Path)} listens on a given port and keeps its data in a given directory, formatted
 * on first use and reused afterwards with the same cluster id and controller port (used by {@code bali broker}).
 * {@link #secured(Map)} starts one whose only client listener requires TLS and SASL/SCRAM (a secured cluster for
 * the tests; see {@link SelfSignedCertificate} for its key pair).
 *
 * <p>Built on Kafka's own (internal, Scala) {@code KafkaRaftServer} and {@code StorageTool}, pinned to the
 * kafka_2.13 version of the pom; see docs/platform-notes.md §1a. Single-node settings:
 * replication factor 1 for the internal topics, one offsets partition, no initial rebalance delay, and a
 * broker-wide {@code message.max.bytes} of 64 MiB so large model states fit.
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** The file in a kept data directory that records its controller port (the voter's address in the metadata log). */
    static final String SETTINGS_FILE = "bali-broker.properties";

    /** The SASL mechanism of a {@link #secured} broker. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-256";
    /** The user a {@link #secured} broker authenticates as to itself (transaction markers, the inter-broker listener). */
    private static final String BROKER_USER = "bali-broker";

    private final TempDirectory temporary;
    private final Path dataDirectory;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Security security;
    /** The key pair and trust store of a secured broker (deleted on close), or null. */
    private final TempDirectory keyDirectory;

    /**
     * What a secured broker needs: its key pair and a trust store holding its certificate (both PKCS12 with one
     * password), the SCRAM users it knows (name to password), and its own user's password.
     */
    private record Security(SelfSignedCertificate certificate, Map<String, String> users, String brokerPassword) {
    }

    /** Formats a fresh temporary log directory, starts the broker on free ports; returns once it accepts clients. */
    public EmbeddedKafka() {
        this(0, null);
    }

    /**
     * Starts a broker on {@code 127.0.0.1:port} (0: a free port) with its data in {@code dataDirectory} (null: a
     * temporary one that {@link #close()} deletes). A directory without data is formatted (a new cluster); one
     * that a previous broker of this class left is started again as it was, topics and committed offsets
     * included; returns once the broker accepts clients.
     *
     * @throws IllegalArgumentException if the port is taken or the directory holds something else
     */
    public EmbeddedKafka(final int port, final Path dataDirectory) {
        this(port, dataDirectory, null, null);
    }

    /**
     * Starts a broker on free ports in a fresh temporary directory whose client listener is {@code SASL_SSL}: TLS
     * with a new self-signed certificate for {@code localhost} and 127.0.0.1 (made with the JDK's {@code keytool}),
     * and SASL {@value #SCRAM_MECHANISM} with these users (name to password), stored in the cluster metadata when
     * the storage is formatted. The broker talks to itself over the same listener as its own SCRAM user; only the
     * controller listener (loopback, broker-internal) is plain. {@link #clientSecurity} gives a client's settings.
     */
    public static EmbeddedKafka secured(final Map<String, String> users) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a secured broker needs at least one SCRAM user");
        }
        for (final Map.Entry<String, String> user : users.entrySet()) {
            if (!user.getKey().matches("[A-Za-z0-9._-]+") || !user.getValue().matches("[A-Za-z0-9._-]+")
                    || user.getKey().equals(BROKER_USER)) {
                throw new IllegalArgumentException("SCRAM user names and passwords here are [A-Za-z0-9._-]+ (and not "
                        + BROKER_USER + "), got " + user.getKey());
            }
        }
        final TempDirectory keys = TempDirectory.create("bali-tls-");
        try {
            final SelfSignedCertificate certificate = SelfSignedCertificate.create(keys.path(), "broker");
            return new EmbeddedKafka(0, null, new Security(certificate, Map.copyOf(users),
                    Uuid.randomUuid().toString().replace("-", "")), keys);
        } catch (final RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    private EmbeddedKafka(final int port, final Path dataDirectory, final Security security, final TempDirectory keys) {
        this.keyDirectory = keys;
        this.security = security;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        temporary = dataDirectory == null ? TempDirectory.create("bali-kraft-") : null;
        this.dataDirectory = dataDirectory == null ? temporary.path() : dataDirectory.toAbsolutePath();
        try {
            Files.createDirectories(this.dataDirectory);
            final Path settingsFile = this.dataDirectory.resolve(SETTINGS_FILE);
            final Path logs = this.dataDirectory.resolve("logs");
            final boolean formatted = Files.exists(settingsFile);
            if (!formatted && Files.exists(logs)) {
                throw new IllegalArgumentException(this.dataDirectory + " holds a Kafka log directory that "
                        + "this command did not create; choose an empty directory");
            }
            final Properties kept = new Properties();
            if (formatted) {
                try (var r = Files.newBufferedReader(settingsFile)) {
                    kept.load(r);
                }
            } else {
                kept.setProperty("controller.port", String.valueOf(freePort()));
                kept.setProperty("cluster.id", Uuid.randomUuid().toString());
            }
            final int brokerPort = port == 0 ? freePort() : requireFree(port);
            final int controllerPort = requireFree(Integer.parseInt(kept.getProperty("controller.port")));
            bootstrapServers = "127.0.0.1:" + brokerPort;
            final Properties p = brokerSettings(brokerPort, controllerPort, logs, security);
            if (!formatted) {
                final Path cfg = this.dataDirectory.resolve("server.properties");
                try (var w = Files.newBufferedWriter(cfg)) {
                    p.store(w, "bali embedded broker");
                }
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                final List<String> format = new ArrayList<>(List.of("format", "-t", kept.getProperty("cluster.id"),
                        "-c", cfg.toString(), "--standalone"));
                if (security != null) {
                    final Map<String, String> users = new TreeMap<>(security.users());
                    users.put(BROKER_USER, security.brokerPassword());
                    users.forEach((name, password) -> format.addAll(List.of("--add-scram",
                            SCRAM_MECHANISM + "=[name=" + name + ",password=" + password + "]")));
                }
                final int rc = StorageTool.execute(format.toArray(String[]::new),
                        new PrintStream(out, true, StandardCharsets.UTF_8));
                if (rc != 0) {
                    throw new IllegalStateException("formatting the embedded broker's storage failed: "
                            + out.toString(StandardCharsets.UTF_8));
                }
                try (var w = Files.newBufferedWriter(settingsFile)) {
                    kept.store(w, "bali broker: the controller port and cluster id of this data directory");
                }
            }
            server = new KafkaRaftServer(new KafkaConfig(p), Time.SYSTEM);
            server.startup();
        } catch (final IOException e) {
            if (temporary != null) {
                temporary.close();
            }
            if (keys != null) {
                keys.close();
            }
            throw new UncheckedIOException("cannot prepare the embedded broker in " + this.dataDirectory + ": "
                    + e.getMessage(), e);
        } catch (final RuntimeException e) {
            if (temporary != null) {
                temporary.close();
            }
            if (keys != null) {
                keys.close();
            }
            throw e;
        }
    }

    private static Properties brokerSettings(final int port, final int controllerPort, final Path logs,
                                             final Security security) {
        final Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        final String listener = security == null ? "PLAINTEXT" : "SASL_SSL";
        p.put("listeners", listener + "://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", listener + "://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT," + listener + ":" + listener);
        p.put("inter.broker.listener.name", listener);
        if (security != null) {
            final SelfSignedCertificate c = security.certificate();
            p.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
            p.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
            p.put("listener.name.sasl_ssl." + SCRAM_MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                    scramLogin(BROKER_USER, security.brokerPassword()));
            p.put("ssl.keystore.type", "PKCS12");
            p.put("ssl.keystore.location", c.keyStore().toString());
            p.put("ssl.keystore.password", c.password());
            p.put("ssl.key.password", c.password());
            p.put("ssl.truststore.type", "PKCS12");
            p.put("ssl.truststore.location", c.trustStore().toString());
            p.put("ssl.truststore.password", c.password());
        }
        p.put("log.dirs", logs.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // a crashed transactional producer's open transaction is aborted within about a second, not 10 s
        p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        // the log cleaner looks for compacted topics to clean every second, not every 15 s (a short run's changelogs
        // are compacted within it)
        p.put("log.cleaner.backoff.ms", "1000");
        p.put("message.max.bytes", String.valueOf(64 << 20));
        p.put("replica.fetch.max.bytes", String.valueOf(64 << 20));
        return p;
    }

    /** The directory that holds the broker's data. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** {@code host:port} of the broker's client listener (PLAINTEXT, or SASL_SSL if {@link #secured}). */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * The client settings that reach a {@link #secured} broker as {@code user}: {@code security.protocol=SASL_SSL},
     * a trust store with the broker's certificate, SCRAM with this user and password (the password is not checked
     * here: a wrong one is what the broker refuses).
     *
     * @throws IllegalStateException if this broker is not secured
     */
    public Map<String, String> clientSecurity(final String user, final String password) {
        if (security == null) {
            throw new IllegalStateException("this broker's listener is PLAINTEXT: clients need no security settings");
        }
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("security.protocol", "SASL_SSL");
        m.put("ssl.truststore.type", "PKCS12");
        m.put("ssl.truststore.location", security.certificate().trustStore().toString());
        m.put("ssl.truststore.password", security.certificate().password());
        m.put("sasl.mechanism", SCRAM_MECHANISM);
        m.put("sasl.jaas.config", scramLogin(user, password));
        return m;
    }

    /** The JAAS line of a SCRAM login (name and password of [A-Za-z0-9._-]: nothing to quote). */
    private static String scramLogin(final String user, final String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** Stops the broker; deletes its data if it was temporary, and the key pair of a secured one. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (temporary != null) {
            temporary.close();
        }
        if (keyDirectory != null) {
            keyDirectory.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** The port, if nothing listens on 127.0.0.1 there; a clear error otherwise. */
    private static int requireFree(final int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
            return port;
        } catch (final IOException e) {
            throw new IllegalArgumentException("port " + port + " on 127.0.0.1 is in use (" + e.getMessage()
                    + "); is another broker running? choose another port");
        }
    }
}
