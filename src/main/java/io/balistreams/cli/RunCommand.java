package io.balistreams.cli;

import io.balistreams.streams.BaliService;
import io.balistreams.streams.KafkaSettings;
import io.balistreams.streams.ServiceConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code bali run --config FILE}: the production service. Reads a properties file (keys {@code bali.*} for the
 * service, every other key passed to Kafka Streams and its clients: bootstrap servers, application id,
 * security settings), creates the missing public topics, and processes until SIGTERM/SIGINT, on which it
 * commits, leaves the consumer group, prints "stopped" and exits with 0 (see {@link StopSignal}); 1 if a stream
 * thread failed.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the BALI Streams service against a Kafka cluster until stopped (SIGTERM).")
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Service configuration (Java properties; see the README's configuration table).")
    Path configFile;

    @Option(names = "--partitions", defaultValue = "1",
            description = "Partitions of topics the service creates (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Replication factor of topics the service creates (default: the broker's).")
    Short replicationFactor;

    @Option(names = "--no-create-topics", description = "Do not create missing topics.")
    boolean noCreateTopics;

    @Option(names = "--broker-wait-ms", paramLabel = "MS", defaultValue = "120000",
            description = "How long to wait at start for a Kafka broker to answer, saying so after a second; then an "
                    + "error (default ${DEFAULT-VALUE}).")
    long brokerWaitMs;

    @Override
    public Integer call() throws InterruptedException {
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be >= 1, got " + partitions);
        }
        if (brokerWaitMs < 1) {
            throw new IllegalArgumentException("--broker-wait-ms must be >= 1, got " + brokerWaitMs);
        }
        final PrintWriter err = spec.commandLine().getErr();
        final Properties properties = load(configFile);
        for (final String warning : KafkaSettings.unknownKeyWarnings(properties.stringPropertyNames())) {
            err.println("bali run: warning: " + configFile + ": " + warning);
        }
        err.flush();
        final ServiceConfig config;
        final BaliService service;
        try {
            config = ServiceConfig.from(properties);
            if (config.streamsProperties().getProperty(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG) == null) {
                throw new IllegalArgumentException(configFile + ": bootstrap.servers is not set");
            }
            service = new BaliService(config);
        } catch (final ConfigException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        } catch (final StreamsException e) {
            throw new IllegalStateException(startFailure(e), e);
        } catch (final org.apache.kafka.common.KafkaException e) {
            // a Kafka client of Kafka Streams could not be made (e.g. SASL without a login)
            final IllegalStateException clear = KafkaConnectionErrors.explain(e,
                    ServiceConfig.from(properties).clientProperties());
            throw clear != null ? clear : e;
        }
        final String bootstrap = config.streamsProperties().getProperty(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG);
        try {
            ProduceCommand.ClientOptions.awaitBroker(config.clientProperties(), brokerWaitMs, err, "bali run");
            err.println("bali run: " + (noCreateTopics ? "checking" : "creating") + " the topics on " + bootstrap + " …");
            err.flush();
            if (!noCreateTopics) {
                service.createTopics(partitions, Optional.ofNullable(replicationFactor));
            } else {
                final List<String> missing = service.missingTopics();
                if (!missing.isEmpty()) {
                    throw new IllegalArgumentException("missing topics " + String.join(", ", missing) + " on "
                            + bootstrap + " (with --no-create-topics they must exist before the service starts)");
                }
            }
        } catch (final RuntimeException e) {
            service.close(Duration.ofSeconds(5));
            throw e;
        }
        final StopSignal stop = StopSignal.install();
        service.start();
        err.println("bali run: application " + config.streamsProperties().getProperty(StreamsConfig.APPLICATION_ID_CONFIG)
                + " on " + config.streamsProperties().getProperty(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)
                + ", reading " + config.eventsTopic() + " (stop with Ctrl-C or SIGTERM)");
        err.flush();
        while (!stop.await(Duration.ofSeconds(1)) && !service.awaitStop(Duration.ZERO)) {
            // the stream threads work until a stop is requested or the service stops on its own
        }
        if (service.failure().isPresent()) {
            err.println("error: the service stopped: " + service.failureDescription().orElseThrow());
            err.flush();
            service.close(Duration.ofSeconds(10));
            return 1;
        }
        if (stop.signalName() == null) {
            err.println("error: the service stopped by itself (Kafka Streams state " + service.streams().state() + ")");
            err.flush();
            service.close(Duration.ofSeconds(10));
            return 1;
        }
        err.println("bali run: " + stop.signalName() + " received, committing and leaving the group …");
        err.flush();
        service.close(Duration.ofSeconds(30));
        err.println("bali run: stopped");
        err.flush();
        return 0;
    }

    /** One line for a Kafka Streams client that could not be created. */
    static String startFailure(final StreamsException e) {
        final String message = String.valueOf(e.getMessage());
        final int dir = message.indexOf("current state directory is [");
        if (message.contains("same state directory") && dir >= 0) {
            final int end = message.indexOf(']', dir);
            final String path = message.substring(dir + "current state directory is [".length(),
                    end < 0 ? message.length() : end);
            return "the state directory " + path + " is locked by another process (another bali run with the "
                    + "same state.dir and application.id?); stop it, or give this one its own state.dir";
        }
        return "Kafka Streams could not start: " + message;
    }

    static Properties load(final Path file) {
        final Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (final NoSuchFileException e) {
            throw new IllegalArgumentException("configuration file " + file + " does not exist");
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        return p;
    }
}
