package io.balistreams.streams.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import io.balistreams.avro.Prediction;
import io.balistreams.streams.ModelQueries;
import io.balistreams.streams.serde.AvroJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The model queries of the operators' HTTP endpoint (docs/architecture.md §9), answered from {@link ModelQueries}:
 * <ul>
 *   <li>{@code GET /models}: every model of the application, from every instance ({@code ?scope=local}: this
 *       instance's only), with the instances asked and any that did not answer;</li>
 *   <li>{@code GET /models/{id}}: one model's summary, configuration, monitoring settings and model-config entry;</li>
 *   <li>{@code GET /models/{id}/snapshot}: its current state, the file {@code bali model export} writes;</li>
 *   <li>{@code POST /models/{id}/predict} with {@code {"features": [..], "eventId": ".."}}: a prediction with its
 *       current posterior, the predictions topic's record as JSON; nothing is learned or counted.</li>
 * </ul>
 * A request for a model another instance holds is forwarded to it (once: a forwarded request that finds the model
 * gone, in a rebalance, is answered 503) and its answer passed back; {@code X-Bali-Instance} names the instance that
 * answered. While the stores cannot be queried (start, rebalance, restoration) the answer is 503 with
 * {@code Retry-After}. Errors are {@code {"error": "..."}}.
 */
final class ModelEndpoints {
    static final String FORWARDED = "X-Bali-Forwarded";
    static final String INSTANCE = "X-Bali-Instance";
    private static final int MAX_BODY_BYTES = 16 << 20;

    private final ModelQueries queries;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    ModelEndpoints(final ModelQueries queries) {
        this.queries = queries;
    }

    /** Answers one request under {@code /models}. */
    void handle(final HttpExchange exchange) throws IOException {
        try {
            route(exchange);
        } catch (final InvalidStateStoreException e) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            error(exchange, 503, "the models cannot be queried now (the instance is starting, rebalancing or restoring "
                    + "its state): retry (" + e.getMessage() + ")");
        } catch (final BadRequest e) {
            error(exchange, e.status, e.getMessage());
        } catch (final RuntimeException e) {
            error(exchange, 500, "the query failed: " + e);
        } finally {
            exchange.close();
        }
    }

    private void route(final HttpExchange exchange) throws IOException {
        final List<String> path = segments(exchange.getRequestURI().getRawPath());
        final String method = exchange.getRequestMethod();
        if (path.isEmpty() || !path.get(0).equals("models")) { // the context matches any path that starts with /models
            throw new BadRequest(404, "not found: try /models, /models/{id}, /models/{id}/snapshot or POST "
                    + "/models/{id}/predict");
        }
        if (path.size() == 1) {
            allow(exchange, "GET");
            final boolean local = "scope=local".equals(exchange.getRequestURI().getRawQuery())
                    || exchange.getRequestHeaders().containsKey(FORWARDED);
            send(exchange, 200, listing(local));
            return;
        }
        final String modelId = path.get(1);
        if (path.size() == 2) {
            allow(exchange, "GET");
        } else if (path.size() == 3 && path.get(2).equals("snapshot")) {
            allow(exchange, "GET");
        } else if (path.size() == 3 && path.get(2).equals("predict")) {
            allow(exchange, "POST");
        } else {
            throw new BadRequest(404, "not found: try /models, /models/{id}, /models/{id}/snapshot or POST "
                    + "/models/{id}/predict");
        }
        final byte[] body = "POST".equals(method) ? readBody(exchange) : new byte[0];
        final Optional<HostInfo> owner = queries.owner(modelId);
        if (owner.isEmpty()) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            throw new BadRequest(503, "no instance holds the learner task of model " + modelId
                    + " right now (the application is starting or rebalancing): retry");
        }
        if (!owner.get().equals(queries.self())) {
            if (exchange.getRequestHeaders().containsKey(FORWARDED)) {
                exchange.getResponseHeaders().set("Retry-After", "1");
                throw new BadRequest(503, "model " + modelId + " moved to " + address(owner.get())
                        + " during a rebalance: retry");
            }
            forward(exchange, owner.get(), body);
            return;
        }
        if (path.size() == 2) {
            final Map<String, Object> model = queries.localModel(modelId).orElseThrow(() -> unknown(modelId));
            send(exchange, 200, model);
        } else if (path.get(2).equals("snapshot")) {
            final byte[] snapshot = queries.localSnapshot(modelId).orElseThrow(() -> unknown(modelId));
            exchange.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"" + modelId.replaceAll(
                    "[^A-Za-z0-9._-]", "_") + ".snapshot\"");
            respond(exchange, 200, "application/octet-stream", snapshot);
        } else {
            final JsonNode request = parse(body);
            final JsonNode features = request.get("features");
            if (features == null || !features.isArray()) {
                throw new BadRequest(400, "the body must be {\"features\": [numbers, ...]} (an optional "
                        + "\"eventId\" names the prediction)");
            }
            final double[] x = new double[features.size()];
            for (int i = 0; i < x.length; i++) {
                if (!features.get(i).isNumber()) {
                    throw new BadRequest(400, "feature " + i + " is not a number: " + features.get(i));
                }
                x[i] = features.get(i).doubleValue();
            }
            final JsonNode id = request.get("eventId");
            final String eventId = id == null || id.isNull() ? "query-" + UUID.randomUUID() : id.asText();
            final Prediction prediction;
            try {
                prediction = queries.score(modelId, eventId, x).orElseThrow(() -> unknown(modelId));
            } catch (final IllegalArgumentException e) {
                throw new BadRequest(400, e.getMessage());
            }
            send(exchange, 200, AvroJson.tree(prediction));
        }
    }

    /** The models of this instance, or of every instance (asked in turn; one that does not answer is listed). */
    private Map<String, Object> listing(final boolean localOnly) {
        final List<Object> models = new ArrayList<>(queries.localModels());
        final List<Object> instances = new ArrayList<>();
        instances.add(instance(queries.self(), models.size(), null));
        if (!localOnly) {
            for (final HostInfo host : queries.instances()) {
                if (host.equals(queries.self())) {
                    continue;
                }
                try {
                    final HttpResponse<byte[]> answer = client.send(request(host, "/models?scope=local")
                            .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                    if (answer.statusCode() != 200) {
                        instances.add(instance(host, 0, "answered " + answer.statusCode() + ": "
                                + new String(answer.body(), StandardCharsets.UTF_8).strip()));
                        continue;
                    }
                    final JsonNode theirs = json.readTree(answer.body()).get("models");
                    for (final JsonNode model : theirs) {
                        models.add(json.convertValue(model, Map.class));
                    }
                    instances.add(instance(host, theirs.size(), null));
                } catch (final IOException e) {
                    instances.add(instance(host, 0, "did not answer: " + e));
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    instances.add(instance(host, 0, "interrupted"));
                }
            }
        }
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("models", models);
        m.put("instances", instances);
        return m;
    }

    private static Map<String, Object> instance(final HostInfo host, final int models, final String error) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("instance", address(host));
        m.put("models", models);
        if (error != null) {
            m.put("error", error);
        }
        return m;
    }

    /** Passes the request on to the instance that holds the model, and its answer back. */
    private void forward(final HttpExchange exchange, final HostInfo owner, final byte[] body) throws IOException {
        final URI uri = exchange.getRequestURI();
        final HttpRequest.Builder request = request(owner, uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        if ("POST".equals(exchange.getRequestMethod())) {
            request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/json");
        } else {
            request.GET();
        }
        final HttpResponse<byte[]> answer;
        try {
            answer = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (final IOException e) {
            throw new BadRequest(502, "instance " + address(owner) + ", which holds the model, did not answer: " + e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BadRequest(503, "interrupted while asking " + address(owner));
        }
        answer.headers().firstValue(INSTANCE).ifPresent(v -> exchange.getResponseHeaders().set(INSTANCE, v));
        answer.headers().firstValue("Retry-After").ifPresent(v -> exchange.getResponseHeaders().set("Retry-After", v));
        answer.headers().firstValue("Content-Disposition")
                .ifPresent(v -> exchange.getResponseHeaders().set("Content-Disposition", v));
        respond(exchange, answer.statusCode(), answer.headers().firstValue("Content-Type")
                .orElse("application/octet-stream"), answer.body());
    }

    private HttpRequest.Builder request(final HostInfo host, final String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://" + address(host) + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).header(FORWARDED, address(queries.self()));
    }

    private static String address(final HostInfo host) {
        return host.host() + ":" + host.port();
    }

    private BadRequest unknown(final String modelId) {
        return queries.deletedBy(modelId).map(generation -> new BadRequest(404, "model " + modelId + " was deleted by "
                        + "generation " + generation + " of its model-config entry (bali model reset brings it back)"))
                .orElseGet(() -> new BadRequest(404, "model " + modelId
                        + " does not exist (it is created by its first valid event)"));
    }

    private static void allow(final HttpExchange exchange, final String method) {
        final String m = exchange.getRequestMethod();
        if (!m.equals(method) && !(method.equals("GET") && m.equals("HEAD"))) {
            exchange.getResponseHeaders().set("Allow", method.equals("GET") ? "GET, HEAD" : method);
            throw new BadRequest(405, "method not allowed: use " + method);
        }
    }

    /** The decoded path segments: {@code /models/a%2Fb/snapshot} is {@code [models, a/b, snapshot]}. */
    static List<String> segments(final String rawPath) {
        final List<String> out = new ArrayList<>();
        for (final String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static byte[] readBody(final HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            final byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new BadRequest(413, "the body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            return body;
        }
    }

    private JsonNode parse(final byte[] body) {
        try {
            final JsonNode node = json.readTree(body);
            if (node == null || !node.isObject()) {
                throw new BadRequest(400, "the body must be a JSON object");
            }
            return node;
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadRequest(400, "the body is not JSON: " + e.getOriginalMessage());
        } catch (final IOException e) {
            throw new BadRequest(400, "the body cannot be read: " + e.getMessage());
        }
    }

    private void send(final HttpExchange exchange, final int status, final Object value) throws IOException {
        exchange.getResponseHeaders().set(INSTANCE, address(queries.self()));
        respond(exchange, status, "application/json", json.writeValueAsBytes(value));
    }

    private void error(final HttpExchange exchange, final int status, final String message) throws IOException {
        respond(exchange, status, "application/json", json.writeValueAsBytes(Map.of("error", message)));
    }

    private static void respond(final HttpExchange exchange, final int status, final String type, final byte[] bytes)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        final boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length == 0 ? -1 : bytes.length);
        if (!head && bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** A request answered with an error status: the message is the answer's {@code error}. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        BadRequest(final int status, final String message) {
            super(message);
            this.status = status;
        }
    }
}
