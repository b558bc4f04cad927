package io.balistreams.streams;

import io.balistreams.streams.ops.OpsServer;
import io.balistreams.streams.ops.ServiceMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One instance of the service: the topology of {@link BaliTopology} in a {@link KafkaStreams} client, with
 * topic creation, start-up, waiting for RUNNING, and a graceful close that leaves the consumer group (so a
 * restarted instance does not wait out the session timeout; docs/platform-notes.md §3). A stream thread
 * that dies of an unexpected exception shuts the whole client down (the error is kept for the caller):
 * replacing the thread would replay the same record into the same failure.
 */
public final class BaliService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BaliService.class);

    private final ServiceConfig config;
    /** The local state directory ({@code state.dir}). */
    private final Path stateDirectory;
    private final KafkaStreams streams;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final ServiceMetrics metrics;
    private final ModelQueries queries;
    private OpsServer http;
    private boolean serving;
    private boolean metricsClosed;

    /**
     * The service's topology; with {@code bali.http.port} set, its metrics are collected, and served with the
     * health checks and the model queries over HTTP from {@link #start()} on ({@link OpsServer}); the port is bound at
     * once and, unless {@code application.server} is set, advertised to the other instances as
     * {@code localhost:<port>}.
     */
    public BaliService(final ServiceConfig config) {
        this(config, config.httpPort() == null ? null : new ServiceMetrics());
    }

    private BaliService(final ServiceConfig config, final ServiceMetrics metrics) {
        this(config, BaliTopology.build(config, metrics == null ? ModelObserver.NONE : metrics), metrics);
    }

    /**
     * Another topology with the service's settings and this lifecycle (the bench's pass-through application,
     * which measures what Kafka Streams alone does with the same records).
     */
    public BaliService(final ServiceConfig config, final Topology topology) {
        this(config, topology, null);
    }

    private BaliService(final ServiceConfig config, final Topology topology, final ServiceMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        final Properties properties = config.streamsProperties();
        // the configured state.dir or Kafka Streams' default (not via new StreamsConfig: it would log every setting)
        this.stateDirectory = Path.of(properties.getProperty(StreamsConfig.STATE_DIR_CONFIG,
                String.valueOf(StreamsConfig.configDef().defaultValues().get(StreamsConfig.STATE_DIR_CONFIG))));
        StateDirectoryCheck.requireWritable(stateDirectory);
        try {
            if (metrics != null) {
                // bound before Kafka Streams is made, so that application.server can name the port (also when 0)
                http = new OpsServer(config.httpBindAddress(), config.httpPort());
                properties.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, "localhost:" + http.port());
            }
            this.streams = new KafkaStreams(topology, properties);
        } catch (final RuntimeException e) {
            if (http != null) {
                http.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
        this.queries = metrics == null ? null : new ModelQueries(streams,
                HostInfo.buildFromEndpoint(properties.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG)));
        if (metrics != null) {
            metrics.bind(streams);
        }
        streams.setUncaughtExceptionHandler(e -> {
            failure.compareAndSet(null, e);
            LOG.error("stream thread failed, shutting the service down", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("Kafka Streams {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
    }

    /** Creates the missing public topics (see {@link TopicSetup}) with this many partitions. */
    public void createTopics(final int partitions, final Optional<Short> replicationFactor) {
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensureTopics(admin, config, partitions, replicationFactor);
        }
    }

    /** The service's public topics that do not exist yet (a cluster that does not answer in 30 s is an error). */
    public List<String> missingTopics() {
        try (Admin admin = Admin.create(config.clientProperties())) {
            return TopicSetup.missingTopics(admin, config, Duration.ofSeconds(30));
        }
    }

    /** Starts processing (returns at once; see {@link #awaitRunning}). */
    public synchronized void start() {
        if (http != null && !serving) {
            http.serve(metrics, streams::state, queries);
            serving = true;
            LOG.info("metrics, health checks and model queries on http://{}:{}/metrics, /health/live, "
                    + "/health/ready, /models (advertised to the other instances as {}:{})", http.address(), http.port(),
                    queries.self().host(), queries.self().port());
        }
        LOG.info("starting application {} on {}: events from {}, labels from {}, predictions to {}, scoring in {}",
                config.streamsProperties().getProperty("application.id"),
                config.streamsProperties().getProperty("bootstrap.servers"), config.eventsTopic(), config.labelsTopic(),
                config.predictionsTopic(), config.distributedScoring() ? "every task (distributed)" : "the learner task");
        streams.start();
    }

    /**
     * Waits until the client is RUNNING.
     *
     * @throws IllegalStateException if it stops or fails first, or the wait times out
     */
    public void awaitRunning(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (!streams.state().isRunningOrRebalancing() && streams.state() != KafkaStreams.State.CREATED) {
                throw new IllegalStateException("the service stopped before it was running: " + streams.state()
                        + (failure.get() == null ? "" : " (" + failure.get() + ")"));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the service was not running after " + timeout + ": " + streams.state());
            }
            sleep(20);
        }
    }

    /** Blocks until the client has stopped (closed, or failed); true if it stopped within the timeout. */
    public boolean awaitStop(final Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Why the service stopped, in one line: for a failure that came from the state directory (disk full, read-only),
     * what it means and that a restart recovers ({@link StateDirectoryCheck#explain}); otherwise the exception.
     */
    public Optional<String> failureDescription() {
        return failure().map(f -> StateDirectoryCheck.explain(f, stateDirectory).orElse(String.valueOf(f)));
    }

    /** The exception that stopped a stream thread, if any. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    public KafkaStreams streams() {
        return streams;
    }

    public ServiceConfig config() {
        return config;
    }

    /** Commits, leaves the group and closes within 30 s. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    public void close(final Duration timeout) {
        LOG.info("closing: committing, leaving the group (waiting up to {} s)", timeout.toSeconds());
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(timeout));
        synchronized (this) {
            if (http != null) {
                http.close();
                http = null;
            }
            if (metrics != null && !metricsClosed) {
                metrics.close();
                metricsClosed = true;
            }
        }
        stopped.countDown();
    }

    /** The port of the operators' HTTP endpoint (bound from construction on), if {@code bali.http.port} is set. */
    public Optional<Integer> httpPort() {
        return http == null ? Optional.empty() : Optional.of(http.port());
    }

    /** The model queries this instance answers over HTTP, if {@code bali.http.port} is set. */
    public Optional<ModelQueries> queries() {
        return Optional.ofNullable(queries);
    }

    /** The service's metrics, if {@code bali.http.port} is set. */
    public Optional<ServiceMetrics> metrics() {
        return Optional.ofNullable(metrics);
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
