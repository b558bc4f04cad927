package io.balistreams.cli;

import io.balistreams.avro.Event;
import io.balistreams.bali.Rng;
import io.balistreams.streams.BaliService;
import io.balistreams.local.EmbeddedKafka;
import io.balistreams.local.EndToEndRun;
import io.balistreams.streams.ServiceConfig;
import io.balistreams.local.TempDirectory;
import io.balistreams.streams.serde.AvroSerde;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.LongFunction;

/**
 * {@code bali bench}: the end-to-end benchmark of the service (a measurement, not a test). Starts an embedded
 * broker and the service, warms it up, then pushes labelled regression events (a smooth function of
 * {@code --inputs} features plus noise) through it and reports events per second end to end and the
 * latency from an event's record timestamp to the arrival of its prediction at a read_committed consumer.
 * With {@code --rate 0} the producer sends as fast as it can (throughput; latency then includes the
 * backlog); with a rate it measures latency at that load.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "End-to-end benchmark on an embedded broker: events/s and p50/p99 latency event -> prediction.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--events", defaultValue = "200000", description = "Measured events (default ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--warmup", defaultValue = "50000", description = "Warm-up events before measuring (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--rate", defaultValue = "0",
            description = "Events per second to send; 0 = as fast as possible (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--backlog", description = "Send all events before the service starts and measure how fast it "
            + "works through them (its capacity without a competing load generator; no latency).")
    boolean backlog;

    @Option(names = "--inputs", defaultValue = "8", description = "Features per event (default ${DEFAULT-VALUE}).")
    int inputs;

    @Option(names = "--hidden", defaultValue = "64,64", description = "Hidden layer widths (default ${DEFAULT-VALUE}).")
    String hidden;

    @Option(names = "--batch", defaultValue = "32", description = "Mini-batch size B (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a service or Kafka Streams setting (repeatable), e.g. --set processing.guarantee=at_least_once.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Mixin
    JsonOption output;

    @Override
    public Integer call() {
        if (events < 1 || warmup < 0 || rate < 0 || inputs < 1 || batch < 1) {
            throw new IllegalArgumentException("--events, --inputs and --batch must be >= 1; --warmup and --rate >= 0");
        }
        if (backlog && rate > 0) {
            throw new IllegalArgumentException("--backlog sends every event before the service starts; it takes no --rate");
        }
        try (TempDirectory stateDir = TempDirectory.create("bali-bench-state-");
             EmbeddedKafka broker = new EmbeddedKafka()) {
            final Map<String, String> s = new LinkedHashMap<>();
            s.put("bootstrap.servers", broker.bootstrapServers());
            s.put("application.id", "bali-bench");
            s.put("state.dir", stateDir.path().toString());
            s.put("bali.model.default.id", "bench");
            s.put("bali.model.task", "regression");
            s.put("bali.model.input.dimension", String.valueOf(inputs));
            s.put("bali.model.hidden", hidden);
            s.put("bali.model.batch.size", String.valueOf(batch));
            s.put("bali.batch.max.wait.ms", "0");
            s.putAll(overrides);
            final ServiceConfig config = ServiceConfig.from(s);
            final AvroSerde<Event> serde = AvroSerde.of(Event.class);
            final Rng rng = Rng.forStream(1, 0);
            final byte[] modelKey = "bench".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            final LongFunction<ProducerRecord<byte[], byte[]>> records = i -> {
                final List<Double> x = new ArrayList<>(inputs);
                double y = 0;
                for (int j = 0; j < inputs; j++) {
                    final double v = rng.nextGaussian();
                    x.add(v);
                    y += Math.sin(v + j);
                }
                y += 0.1 * rng.nextGaussian();
                // keyed by the model id, so that bali.events.keyed.by.model=true can be measured too
                return new ProducerRecord<>("", null, null, modelKey, serde.encode(new Event("b" + i, null, Instant.now(), x, y)));
            };
            try (BaliService service = new BaliService(config)) {
                service.createTopics(1, Optional.empty());
                final EndToEndRun.Result r;
                if (backlog) {
                    progress("sending " + (warmup + events) + " events, then starting the service ...");
                    r = EndToEndRun.backlog(config, warmup, events, records, () -> {
                        service.start();
                        service.awaitRunning(Duration.ofSeconds(60));
                    }, Duration.ofSeconds(60));
                } else {
                    service.start();
                    service.awaitRunning(Duration.ofSeconds(60));
                    final EndToEndRun.Listener quiet = new EndToEndRun.Listener() {
                    };
                    if (warmup > 0) {
                        progress("warming up with " + warmup + " events ...");
                        EndToEndRun.run(config, warmup, records, quiet, Duration.ofSeconds(60), rate);
                    }
                    progress("measuring " + events + " events ...");
                    r = EndToEndRun.run(config, events, records, quiet, Duration.ofSeconds(60), rate);
                }
                if (!r.complete()) {
                    throw new IllegalStateException("only " + r.predictions() + " of " + events + " predictions arrived"
                            + service.failure().map(f -> "; the service failed: " + f).orElse(""));
                }
                final String guarantee = config.streamsProperties().getProperty("processing.guarantee");
                final String model = inputs + "-" + hidden.replace(',', '-') + "-1";
                final String described = config.modelDefaults().toBaliConfig(inputs).describe();
                final PrintWriter o = spec.commandLine().getOut();
                if (output.json) {
                    final Map<String, Object> out = new LinkedHashMap<>();
                    out.put("events", events);
                    out.put("rate", rate);
                    out.put("backlog", backlog);
                    out.put("model", model);
                    out.put("batch", batch);
                    out.put("guarantee", guarantee);
                    out.put("events_per_second", r.eventsPerSecond());
                    if (!backlog) {
                        final Map<String, Object> latency = new LinkedHashMap<>();
                        latency.put("p50", r.latencyQuantileMs(0.5));
                        latency.put("p99", r.latencyQuantileMs(0.99));
                        latency.put("max", r.latencyQuantileMs(1.0));
                        out.put("latency_ms", latency);
                    }
                    o.println(Json.write(out));
                } else if (backlog) {
                    o.printf(Locale.ROOT, "%,d events from a backlog, model %s, %s%n", events, described, guarantee);
                    o.printf(Locale.ROOT, "the service works through %,.0f events/s%n", r.eventsPerSecond());
                } else {
                    o.printf(Locale.ROOT, "%,d events, model %s, %s, send rate %s%n", events, described, guarantee,
                            rate == 0 ? "unlimited" : String.format(Locale.ROOT, "%,.0f/s", rate));
                    o.printf(Locale.ROOT, "end to end %,.0f events/s   latency p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                            r.eventsPerSecond(), r.latencyQuantileMs(0.5), r.latencyQuantileMs(0.99), r.latencyQuantileMs(1.0));
                }
                o.flush();
            }
        }
        return 0;
    }

    private void progress(final String message) {
        if (!output.json) {
            spec.commandLine().getErr().println(message);
            spec.commandLine().getErr().flush();
        }
    }
}
