package io.balistreams.streams.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import io.balistreams.streams.ModelQueries;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The operators' HTTP endpoint ({@code bali.http.port}, on {@code bali.http.bind.address}: this host only by
 * default), on the JDK's own HTTP server (no framework). Everything it serves only reads:
 * <ul>
 *   <li>{@code GET /metrics}: every series of {@link ServiceMetrics}, Prometheus text format;</li>
 *   <li>{@code GET /health/live}: 200 while the Kafka Streams client is alive (any state but PENDING_ERROR, ERROR,
 *       PENDING_SHUTDOWN and NOT_RUNNING), 503 otherwise: a restart is needed;</li>
 *   <li>{@code GET /health/ready}: 200 when the client is RUNNING (its tasks assigned and their state restored),
 *       503 while it starts, rebalances or restores: send no traffic to it yet;</li>
 *   <li>{@code /models...}: the model queries of {@link ModelEndpoints}.</li>
 * </ul>
 * Health answers are one JSON object, {@code {"status":"UP"|"DOWN","state":"<Kafka Streams state>"}}. Requests
 * are served by a few daemon threads of their own, so a slow client cannot take a stream thread's time.
 */
public final class OpsServer implements AutoCloseable {
    static {
        // The JDK's server writes an answer's headers and body in two writes; with Nagle's algorithm the body then
        // waits for the client's delayed ACK of the headers, 40 ms on Linux (measured: POST /models/{id}/predict
        // p50 44 ms without, 1.7 ms with; docs/results.md). Read once, when the server's classes load; a value the
        // user set wins.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** Request threads: a forwarded model query waits for another instance, which may be forwarding to this one. */
    private static final int THREADS = 4;
    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicInteger threads = new AtomicInteger();

    /**
     * Binds to {@code port} on {@code address} (0: a free port); serves nothing until {@link #serve}. Binding first
     * lets the service advertise the bound port as its {@code application.server} before Kafka Streams starts.
     *
     * @throws IllegalArgumentException if the port cannot be bound
     */
    public OpsServer(final java.net.InetAddress address, final int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(address, port), 64);
        } catch (final IOException e) {
            throw new IllegalArgumentException("bali.http.port " + port + " cannot be bound on "
                    + address.getHostAddress() + ": " + e.getMessage(), e);
        }
        executor = Executors.newFixedThreadPool(THREADS, r -> {
            final Thread t = new Thread(r, "bali-http-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
    }

    /**
     * Starts serving the metrics, the health checks and, if {@code queries} is not null, the model queries
     * ({@link ModelEndpoints}).
     */
    public void serve(final ServiceMetrics metrics, final Supplier<KafkaStreams.State> state,
                      final ModelQueries queries) {
        server.createContext("/metrics", exchange -> {
            if (notGet(exchange)) {
                return;
            }
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
        });
        server.createContext("/health/live", exchange -> {
            if (notGet(exchange)) {
                return;
            }
            final KafkaStreams.State s = state.get();
            health(exchange, s, s != KafkaStreams.State.PENDING_ERROR && s != KafkaStreams.State.ERROR
                    && s != KafkaStreams.State.PENDING_SHUTDOWN && s != KafkaStreams.State.NOT_RUNNING);
        });
        server.createContext("/health/ready", exchange -> {
            if (notGet(exchange)) {
                return;
            }
            final KafkaStreams.State s = state.get();
            health(exchange, s, s == KafkaStreams.State.RUNNING);
        });
        if (queries != null) {
            final ModelEndpoints models = new ModelEndpoints(queries);
            server.createContext("/models", models::handle);
        }
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8",
                "not found: try /metrics, /health/live, /health/ready or /models\n"));
        server.start();
    }

    /** The address it listens on. */
    public String address() {
        return server.getAddress().getAddress().getHostAddress();
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static boolean notGet(final HttpExchange exchange) throws IOException {
        if ("GET".equals(exchange.getRequestMethod()) || "HEAD".equals(exchange.getRequestMethod())) {
            return false;
        }
        exchange.getResponseHeaders().add("Allow", "GET, HEAD");
        respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed: use GET\n");
        return true;
    }

    private static void health(final HttpExchange exchange, final KafkaStreams.State state, final boolean up)
            throws IOException {
        respond(exchange, up ? 200 : 503, "application/json",
                "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"state\":\"" + state + "\"}\n");
    }

    private static void respond(final HttpExchange exchange, final int status, final String type, final String body)
            throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        final boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
