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
 * A real single-node Kafka broker (KRaft, combined broker and controller) inside this JVM, on free loopback
 * ports, with its log directory in a fresh temporary folder that {@link #close()} deletes. Used by
 * {@code bali demo}, the integration tests and the end-to-end benchmark; no Docker, no setup.
 *
 * <p>Built on Kafka's own (internal, Scala) {@code KafkaRaftServer} and {@code StorageTool}, pinned to the
 * kafka_2.13 version of the pom; see docs/platform-notes.md §1a. Single-node settings:
 * replication factor 1 for the internal topics, one offsets partition, no initial rebalance delay, and a
 * broker-wide {@code message.max.bytes} of 64 MiB so large model states fit.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final TempDirectory dir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;

    /** Formats a fresh log directory and starts the broker; returns once it accepts clients. */
    public EmbeddedKafka() {
        try {
            dir = TempDirectory.create("bali-kraft-");
            final int port = freePort();
            final int controllerPort = freePort();
            bootstrapServers = "127.0.0.1:" + port;
            final Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", "1");
            p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://" + bootstrapServers);
            p.put("controller.listener.names", "CONTROLLER");
            p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
            p.put("log.dirs", dir.path().resolve("logs").toString());
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
            final Path cfg = dir.path().resolve("server.properties");
            try (var w = Files.newBufferedWriter(cfg)) {
                p.store(w, "bali embedded broker");
            }
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final int rc = StorageTool.execute(new String[]{"format", "-t", Uuid.randomUuid().toString(),
                    "-c", cfg.toString(), "--standalone"}, new PrintStream(out, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("formatting the embedded broker's storage failed: "
                        + out.toString(StandardCharsets.UTF_8));
            }
            server = new KafkaRaftServer(new KafkaConfig(p), Time.SYSTEM);
            server.startup();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot prepare the embedded broker", e);
        }
    }

    /** {@code host:port} of the broker's PLAINTEXT listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Stops the broker and deletes its data. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        dir.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
