package io.balistreams.streams.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The operators' HTTP endpoint ({@code bali.http.port}), on the JDK's own HTTP server (no framework):
 * <ul>
 *   <li>{@code GET /metrics}: every series of {@link ServiceMetrics}, Prometheus text format;</li>
 *   <li>{@code GET /health/live}: 200 while the Kafka Streams client is alive (any state but PENDING_ERROR, ERROR,
 *       PENDING_SHUTDOWN and NOT_RUNNING), 503 otherwise: a restart is needed;</li>
 *   <li>{@code GET /health/ready}: 200 when the client is RUNNING (its tasks assigned and their state restored),
 *       503 while it starts, rebalances or restores: send no traffic to it yet.</li>
 * </ul>
 * Health answers are one JSON object, {@code {"status":"UP"|"DOWN","state":"<Kafka Streams state>"}}. Requests
 * are served by one daemon thread, so a slow scraper cannot take a stream thread's time.
 */
public final class OpsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    /**
     * Binds to {@code port} on every interface (0: a free port) and starts serving.
     *
     * @throws IllegalArgumentException if the port cannot be bound
     */
    public OpsServer(final int port, final ServiceMetrics metrics, final Supplier<KafkaStreams.State> state) {
        try {
            server = HttpServer.create(new InetSocketAddress(port), 16);
        } catch (final IOException e) {
            throw new IllegalArgumentException("bali.http.port " + port + " cannot be bound: " + e.getMessage(), e);
        }
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
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8",
                "not found: try /metrics, /health/live or /health/ready\n"));
        executor = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "bali-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
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
