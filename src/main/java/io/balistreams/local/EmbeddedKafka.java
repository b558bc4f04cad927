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
import java.util.Properties;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) inside this JVM, on loopback.
 * {@link #EmbeddedKafka()} takes free ports and a fresh temporary log directory that {@link #close()} deletes
 * (used by {@code bali demo}, the integration tests and the end-to-end benchmark; no Docker, no setup).
 * {@link #EmbeddedKafka(int, Path)} listens on a given port and keeps its data in a given directory, formatted
 * on first use and reused afterwards with the same cluster id and controller port (used by {@code bali broker}).
 *
 * <p>Built on Kafka's own (internal, Scala) {@code KafkaRaftServer} and {@code StorageTool}, pinned to the
 * kafka_2.13 version of the pom; see docs/platform-notes.md §1a. Single-node settings:
 * replication factor 1 for the internal topics, one offsets partition, no initial rebalance delay, and a
 * broker-wide {@code message.max.bytes} of 64 MiB so large model states fit.
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** The file in a kept data directory that records its controller port (the voter's address in the metadata log). */
    static final String SETTINGS_FILE = "bali-broker.properties";

    private final TempDirectory temporary;
    private final Path dataDirectory;
    private final KafkaRaftServer server;
    private final String bootstrapServers;

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
            final Properties p = brokerSettings(brokerPort, controllerPort, logs);
            if (!formatted) {
                final Path cfg = this.dataDirectory.resolve("server.properties");
                try (var w = Files.newBufferedWriter(cfg)) {
                    p.store(w, "bali embedded broker");
                }
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                final int rc = StorageTool.execute(new String[]{"format", "-t", kept.getProperty("cluster.id"),
                        "-c", cfg.toString(), "--standalone"}, new PrintStream(out, true, StandardCharsets.UTF_8));
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
            throw new UncheckedIOException("cannot prepare the embedded broker in " + this.dataDirectory + ": "
                    + e.getMessage(), e);
        } catch (final RuntimeException e) {
            if (temporary != null) {
                temporary.close();
            }
            throw e;
        }
    }

    private static Properties brokerSettings(final int port, final int controllerPort, final Path logs) {
        final Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
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
        p.put("message.max.bytes", String.valueOf(64 << 20));
        p.put("replica.fetch.max.bytes", String.valueOf(64 << 20));
        return p;
    }

    /** The directory that holds the broker's data. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** {@code host:port} of the broker's PLAINTEXT listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Stops the broker; deletes its data if it was temporary. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (temporary != null) {
            temporary.close();
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
