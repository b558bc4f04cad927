package io.balistreams.streams;

import io.balistreams.avro.ActivationName;
import io.balistreams.avro.Event;
import io.balistreams.avro.ModelConfig;
import io.balistreams.avro.ModelTask;
import io.balistreams.bali.Activation;
import io.balistreams.bali.BaliConfig;
import io.balistreams.bali.Task;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.streams.serde.RecordSerdes;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ServiceConfig}: defaults, pass-through to Kafka, validation naming the key; {@link ModelSpec} overrides. */
class ServiceConfigTest {

    private static ServiceConfig config(final String... keyValues) {
        final Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return ServiceConfig.from(m);
    }

    private static void assertRejected(final String key, final String value, final String... messageParts) {
        assertThatThrownBy(() -> config(key, value)).as("%s=%s", key, value)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(messageParts);
    }

    // ---------------------------------------------------------------- defaults

    @Test
    void defaultTopicsAndLimits() {
        final ServiceConfig c = config();
        assertThat(c.eventsTopic()).isEqualTo("events");
        assertThat(c.predictionsTopic()).isEqualTo("predictions");
        assertThat(c.driftAlertsTopic()).isEqualTo("drift-alerts");
        assertThat(c.metricsTopic()).isEqualTo("model-metrics");
        assertThat(c.snapshotsTopic()).isEqualTo("model-snapshots");
        assertThat(c.deadLetterTopic()).isEqualTo("dead-letter");
        assertThat(c.modelConfigTopic()).isEqualTo("model-config");
        assertThat(c.validModelConfigTopic()).isEqualTo("model-config-validated");
        assertThat(c.labelsTopic()).isEqualTo("labels");
        assertThat(c.labelsMaxDelayMs()).isEqualTo(86_400_000L);
        assertThat(c.labelsMaxWaiting()).isEqualTo(100_000);
        assertThat(c.topics()).containsExactly("events", "labels", "predictions", "drift-alerts", "model-metrics",
                "model-snapshots", "model-posteriors", "dead-letter", "model-config", "model-config-validated");
        assertThat(c.compactedTopics()).containsExactly("model-snapshots", "model-posteriors", "model-config",
                "model-config-validated");
        assertThat(c.maxModels()).isEqualTo(1000);
        assertThat(c.defaultModelId()).isEqualTo("default");
        assertThat(c.batchMaxWaitMs()).isEqualTo(5000L);
        assertThat(c.metricsEvery()).isEqualTo(1000);
        assertThat(c.snapshotEvery()).isEqualTo(100L);
        assertThat(c.stateMaxBytes()).isEqualTo(64 * 1024 * 1024);
        assertThat(c.get("bali.serdes.class")).isEqualTo(RecordSerdes.SingleObjectSerdes.class.getName());
        assertThat(c.get("no.such.key")).isNull();
    }

    @Test
    void setKeysOverrideDefaultsAndValuesAreTrimmed() {
        final ServiceConfig c = config("bali.topic.events", "  in  ", "bali.models.max", " 7 ",
                "bali.model.default.id", "", "bali.snapshot.every", "0", "bali.batch.max.wait.ms", "0");
        assertThat(c.eventsTopic()).isEqualTo("in");
        assertThat(c.topics()).first().isEqualTo("in");
        assertThat(c.maxModels()).isEqualTo(7);
        assertThat(c.defaultModelId()).as("empty default id: events must name their model").isNull();
        assertThat(c.snapshotEvery()).isZero();
        assertThat(c.batchMaxWaitMs()).isZero();

        final Properties p = new Properties();
        p.setProperty("bali.metrics.every", "12");
        assertThat(ServiceConfig.from(p).metricsEvery()).isEqualTo(12);
    }

    @Test
    void defaultStreamsProperties() {
        final Properties p = config().streamsProperties();
        assertThat(p.getProperty("application.id")).isEqualTo("bali-streams");
        assertThat(p.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
        // the largest state and 1 MiB for a dead letter that carries a refused model-config entry of that size
        assertThat(p.getProperty("producer.max.request.size")).isEqualTo(String.valueOf((64 << 20) + (1 << 20)));
        assertThat(p.getProperty("topic.max.message.bytes")).isEqualTo(String.valueOf((64 << 20) + (1 << 20)));
        // changelog segments of that size, not a cluster's 1 GiB: compaction then bounds a changelog (the soak)
        assertThat(p.getProperty("topic.segment.bytes")).isEqualTo(String.valueOf((64 << 20) + (1 << 20)));
        assertThat(config("topic.segment.bytes", "4194304").streamsProperties().getProperty("topic.segment.bytes"))
                .isEqualTo("4194304");
        assertThat(p.stringPropertyNames()).noneMatch(k -> k.startsWith("bali."));

        final Properties small = config("bali.state.max.bytes", "1000000").streamsProperties();
        assertThat(small.getProperty("producer.max.request.size")).isEqualTo(String.valueOf(1000000 + (1 << 20)));

        final Properties own = config("application.id", "mine", "processing.guarantee", "at_least_once")
                .streamsProperties();
        assertThat(own.getProperty("application.id")).isEqualTo("mine");
        assertThat(own.getProperty("processing.guarantee")).isEqualTo("at_least_once");
    }

    @Test
    void defaultModelSpec() {
        final ModelSpec spec = config().modelDefaults();
        assertThat(spec.task()).isEqualTo(Task.CLASSIFICATION);
        assertThat(spec.inputDimension()).isNull();
        assertThat(spec.hiddenLayers()).containsExactly(64, 64);
        assertThat(spec.activation()).isEqualTo(Activation.RELU);
        assertThat(spec.numClasses()).isEqualTo(2);
        assertThat(spec.classNames()).isEmpty();
        assertThat(spec.batchSize()).isEqualTo(32);
        assertThat(spec.beta()).isEqualTo(0.9);
        assertThat(spec.betaG()).isNaN();
        assertThat(spec.priorPrecision()).isEqualTo(1.0);
        assertThat(spec.seed()).isEqualTo(42L);
        assertThat(spec).isEqualTo(new ModelSpec(Task.CLASSIFICATION, null, new int[]{64, 64}, Activation.RELU, 2,
                List.of(), 32, 0.9, Double.NaN, 1.0, 42L));

        final BaliConfig b = spec.toBaliConfig(5);
        assertThat(b.layerSizes()).containsExactly(5, 64, 64, 2);
        assertThat(b.task()).isEqualTo(Task.CLASSIFICATION);
        assertThat(b.numClasses()).isEqualTo(2);
        assertThat(b.activations()).containsExactly(Activation.RELU, Activation.RELU);
        assertThat(b.batchSize()).isEqualTo(32);
        assertThat(b.beta()).isEqualTo(0.9);
        assertThat(b.betaG()).as("NaN betaG means the same as beta").isEqualTo(0.9);
        assertThat(b.priorPrecision()).isEqualTo(1.0);
        assertThat(b.seed()).isEqualTo(42L);
        assertThat(b.streaming()).isTrue();
    }

    @Test
    void modelKeysShapeTheModelSpec() {
        final ModelSpec spec = config("bali.model.task", "REGRESSION", "bali.model.input.dimension", "3",
                "bali.model.hidden", " 8 , 4 ", "bali.model.activation", "tanh", "bali.model.batch.size", "4",
                "bali.model.beta", "0.5", "bali.model.beta.g", "0.99", "bali.model.prior.precision", "2",
                "bali.model.seed", "-1").modelDefaults();
        assertThat(spec).isEqualTo(new ModelSpec(Task.REGRESSION, 3, new int[]{8, 4}, Activation.TANH, 2, List.of(),
                4, 0.5, 0.99, 2.0, -1L));
        final BaliConfig b = spec.toBaliConfig(3);
        assertThat(b.layerSizes()).containsExactly(3, 8, 4, 1);
        assertThat(b.betaG()).isEqualTo(0.99);
        assertThat(b.activations()).containsExactly(Activation.TANH, Activation.TANH);

        final ModelSpec linear = config("bali.model.hidden", "", "bali.model.classes", "3",
                "bali.model.class.names", "a, b ,c").modelDefaults();
        assertThat(linear.hiddenLayers()).isEmpty();
        assertThat(linear.classNames()).containsExactly("a", "b", "c");
        assertThat(linear.toBaliConfig(4).layerSizes()).containsExactly(4, 3);
    }

    // ---------------------------------------------------------------- pass-through

    @Test
    void nonBaliKeysPassThroughToStreamsAndClients() {
        final ServiceConfig c = config("bootstrap.servers", "broker:9092", "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN", "application.id", "app-1", "processing.guarantee", "at_least_once",
                "state.dir", "/var/lib/bali", "num.stream.threads", "3", "commit.interval.ms", "100",
                "producer.acks", "all", "consumer.max.poll.records", "10", "bali.models.max", "5");
        final Properties streams = c.streamsProperties();
        assertThat(streams.getProperty("bootstrap.servers")).isEqualTo("broker:9092");
        assertThat(streams.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(streams.getProperty("sasl.mechanism")).isEqualTo("PLAIN");
        assertThat(streams.getProperty("application.id")).isEqualTo("app-1");
        assertThat(streams.getProperty("state.dir")).isEqualTo("/var/lib/bali");
        assertThat(streams.getProperty("producer.acks")).isEqualTo("all");
        assertThat(streams.getProperty("num.stream.threads")).isEqualTo("3");
        assertThat(streams.getProperty("bali.models.max")).isNull();

        final Map<String, Object> clients = c.clientProperties();
        assertThat(clients).containsEntry("bootstrap.servers", "broker:9092")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN")
                .doesNotContainKeys("application.id", "processing.guarantee", "state.dir", "num.stream.threads",
                        "commit.interval.ms", "producer.acks", "consumer.max.poll.records", "bali.models.max");
        assertThat(clients).hasSize(3);
    }

    // ---------------------------------------------------------------- validation

    @Test
    void anUnknownBaliKeyIsNamed() {
        assertThatThrownBy(() -> config("bali.modle.task", "regression"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown configuration key bali.modle.task")
                .hasMessageContaining("bali.model.task"); // the known keys are listed
    }

    @Test
    void theHttpEndpointListensOnThisHostOnlyUnlessToldOtherwise() throws Exception {
        assertThat(config().httpBindAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(config("bali.http.bind.address", "0.0.0.0").httpBindAddress().isAnyLocalAddress()).isTrue();
        assertThat(config("bali.http.bind.address", "::1").httpBindAddress().isLoopbackAddress()).isTrue();
        assertRejected("bali.http.bind.address", "example.org", "must be an IP address such as 127.0.0.1 or 0.0.0.0");
        try (io.balistreams.streams.ops.OpsServer server = new io.balistreams.streams.ops.OpsServer(
                config().httpBindAddress(), 0)) {
            assertThat(server.address()).isEqualTo("127.0.0.1");
            assertThat(server.port()).isPositive();
        }
    }

    @Test
    void defaultsWhoseModelsCannotFitTheStateLimitAreRefusedAtStart() {
        assertThatThrownBy(() -> config("bali.model.input.dimension", "784", "bali.model.hidden", "512",
                "bali.state.max.bytes", "1000000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bali.model.*: a model of the defaults would have a state of about ")
                .hasMessageContaining("more than bali.state.max.bytes = 1000000");
        assertThat(config("bali.model.input.dimension", "784", "bali.model.hidden", "128").stateMaxBytes())
                .isEqualTo(64 << 20);
    }

    @Test
    void numericLimitsNameTheirKey() {
        assertRejected("bali.models.max", "0", "bali.models.max", ">= 1", "0");
        assertRejected("bali.models.max", "many", "bali.models.max", "whole number", "many");
        assertRejected("bali.metrics.every", "-3", "bali.metrics.every");
        assertRejected("bali.batch.max.wait.ms", "-1", "bali.batch.max.wait.ms", ">= 0");
        assertRejected("bali.snapshot.every", "x", "bali.snapshot.every");
        assertRejected("bali.state.max.bytes", "0", "bali.state.max.bytes");
    }

    @Test
    void modelKeysNameTheirKey() {
        assertRejected("bali.model.task", "foo", "bali.model.task", "foo", "classification", "regression");
        assertRejected("bali.model.hidden", "64,x", "bali.model.hidden", "64,x");
        assertRejected("bali.model.activation", "sigmoid", "bali.model.activation", "sigmoid");
        assertRejected("bali.model.classes", "two", "bali.model.classes");
        assertRejected("bali.model.input.dimension", "1.5", "bali.model.input.dimension");
        assertRejected("bali.model.seed", "abc", "bali.model.seed");
        assertRejected("bali.model.beta", "high", "bali.model.beta");
        assertRejected("bali.model.beta", "1.5", "bali.model", "beta", "1.5");
        assertRejected("bali.model.beta.g", "0", "bali.model", "betaG");
        assertRejected("bali.model.batch.size", "0", "bali.model", "batchSize");
        assertRejected("bali.model.prior.precision", "-1", "bali.model", "priorPrecision");
        assertRejected("bali.model.classes", "1", "bali.model", "numClasses");
        assertRejected("bali.model.hidden", "64,0", "bali.model", "hiddenLayers");
        assertRejected("bali.model.input.dimension", "0", "bali.model", "inputDimension");
    }

    @Test
    void classNamesAreChecked() {
        assertThatThrownBy(() -> config("bali.model.class.names", "a,b,c"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bali.model", "classNames", "3", "2");
        assertThatThrownBy(() -> config("bali.model.class.names", "a,a"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bali.model", "classNames", "duplicates");
        assertThatThrownBy(() -> config("bali.model.task", "regression", "bali.model.class.names", "a,b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bali.model", "classNames", "regression");
        // the same names with a matching count are fine
        assertThat(config("bali.model.class.names", "a,b").modelDefaults().classNames()).containsExactly("a", "b");
    }

    @Test
    void anEmptyTopicNameIsNamed() {
        for (final String key : List.of("bali.topic.events", "bali.topic.predictions", "bali.topic.drift-alerts",
                "bali.topic.model-metrics", "bali.topic.model-snapshots", "bali.topic.dead-letter",
                "bali.topic.model-config", "bali.topic.model-config-valid")) {
            assertRejected(key, "", key, "empty");
            assertRejected(key, "   ", key, "empty");
        }
    }

    // ---------------------------------------------------------------- ModelSpec.withOverrides

    private static final ModelSpec DEFAULTS = config("bali.model.class.names", "cat,dog").modelDefaults();

    private static ModelConfig.Builder entry() {
        return ModelConfig.newBuilder().setModelId("m");
    }

    @Test
    void anEmptyEntryKeepsEverything() {
        assertThat(DEFAULTS.withOverrides(entry().build())).isEqualTo(DEFAULTS);
        assertThat(DEFAULTS.withOverrides(entry().setTask(ModelTask.CLASSIFICATION).setNumClasses(2).build()))
                .as("the same task and class count keep the default names").isEqualTo(DEFAULTS);
    }

    @Test
    void eachOverrideReplacesExactlyItsField() {
        final ModelSpec d = DEFAULTS;
        assertThat(d.withOverrides(entry().setInputDimension(7).build())).isEqualTo(new ModelSpec(d.task(), 7,
                d.hiddenLayers(), d.activation(), d.numClasses(), d.classNames(), d.batchSize(), d.beta(), d.betaG(),
                d.priorPrecision(), d.seed()));
        assertThat(d.withOverrides(entry().setHiddenLayers(List.of(5, 6, 7)).build())).isEqualTo(new ModelSpec(
                d.task(), null, new int[]{5, 6, 7}, d.activation(), d.numClasses(), d.classNames(), d.batchSize(),
                d.beta(), d.betaG(), d.priorPrecision(), d.seed()));
        assertThat(d.withOverrides(entry().setHiddenLayers(List.of()).build()).hiddenLayers()).isEmpty();
        assertThat(d.withOverrides(entry().setActivation(ActivationName.IDENTITY).build())).isEqualTo(new ModelSpec(
                d.task(), null, d.hiddenLayers(), Activation.IDENTITY, d.numClasses(), d.classNames(), d.batchSize(),
                d.beta(), d.betaG(), d.priorPrecision(), d.seed()));
        assertThat(d.withOverrides(entry().setClassNames(List.of("x", "y")).build())).isEqualTo(new ModelSpec(
                d.task(), null, d.hiddenLayers(), d.activation(), 2, List.of("x", "y"), d.batchSize(), d.beta(),
                d.betaG(), d.priorPrecision(), d.seed()));
        assertThat(d.withOverrides(entry().setBatchSize(4).build())).isEqualTo(new ModelSpec(d.task(), null,
                d.hiddenLayers(), d.activation(), d.numClasses(), d.classNames(), 4, d.beta(), d.betaG(),
                d.priorPrecision(), d.seed()));
        assertThat(d.withOverrides(entry().setBeta(0.5).build())).isEqualTo(new ModelSpec(d.task(), null,
                d.hiddenLayers(), d.activation(), d.numClasses(), d.classNames(), d.batchSize(), 0.5, Double.NaN,
                d.priorPrecision(), d.seed()));
        assertThat(d.withOverrides(entry().setBetaG(0.99).build())).isEqualTo(new ModelSpec(d.task(), null,
                d.hiddenLayers(), d.activation(), d.numClasses(), d.classNames(), d.batchSize(), d.beta(), 0.99,
                d.priorPrecision(), d.seed()));
        assertThat(d.withOverrides(entry().setPriorPrecision(3.0).build())).isEqualTo(new ModelSpec(d.task(), null,
                d.hiddenLayers(), d.activation(), d.numClasses(), d.classNames(), d.batchSize(), d.beta(), d.betaG(),
                3.0, d.seed()));
        assertThat(d.withOverrides(entry().setSeed(7L).build())).isEqualTo(new ModelSpec(d.task(), null,
                d.hiddenLayers(), d.activation(), d.numClasses(), d.classNames(), d.batchSize(), d.beta(), d.betaG(),
                d.priorPrecision(), 7L));
        // beta override with the default NaN betaG: the engine uses the new beta for G too
        assertThat(d.withOverrides(entry().setBeta(0.5).build()).toBaliConfig(2).betaG()).isEqualTo(0.5);
    }

    @Test
    void allOverridesAtOnce() {
        final ModelSpec s = DEFAULTS.withOverrides(entry().setTask(ModelTask.CLASSIFICATION).setInputDimension(3)
                .setHiddenLayers(List.of(16)).setActivation(ActivationName.TANH).setNumClasses(3)
                .setClassNames(List.of("r", "g", "b")).setBatchSize(8).setBeta(0.7).setBetaG(0.8)
                .setPriorPrecision(0.5).setSeed(11L).build());
        assertThat(s).isEqualTo(new ModelSpec(Task.CLASSIFICATION, 3, new int[]{16}, Activation.TANH, 3,
                List.of("r", "g", "b"), 8, 0.7, 0.8, 0.5, 11L));
        final BaliConfig b = s.toBaliConfig(3);
        assertThat(b.layerSizes()).containsExactly(3, 16, 3);
        assertThat(b.beta()).isEqualTo(0.7);
        assertThat(b.betaG()).isEqualTo(0.8);
        assertThat(b.seed()).isEqualTo(11L);
        // the defaults themselves are unchanged
        assertThat(DEFAULTS.hiddenLayers()).containsExactly(64, 64);
        assertThat(DEFAULTS.classNames()).containsExactly("cat", "dog");
    }

    @Test
    void changingTaskOrClassCountDropsTheDefaultClassNames() {
        final ModelSpec reg = DEFAULTS.withOverrides(entry().setTask(ModelTask.REGRESSION).build());
        assertThat(reg.task()).isEqualTo(Task.REGRESSION);
        assertThat(reg.classNames()).isEmpty();
        assertThat(reg.hiddenLayers()).containsExactly(64, 64);
        assertThat(reg.toBaliConfig(4).layerSizes()).containsExactly(4, 64, 64, 1);

        final ModelSpec three = DEFAULTS.withOverrides(entry().setNumClasses(3).build());
        assertThat(three.numClasses()).isEqualTo(3);
        assertThat(three.classNames()).isEmpty();

        // names given in the entry are kept even when the class count changes
        final ModelSpec named = DEFAULTS.withOverrides(entry().setNumClasses(3).setClassNames(List.of("a", "b", "c"))
                .build());
        assertThat(named.classNames()).containsExactly("a", "b", "c");
    }

    @Test
    void anInvalidOverrideNamesTheField() {
        assertOverrideRejected(entry().setBeta(1.5), "beta");
        assertOverrideRejected(entry().setBetaG(0.0), "betaG");
        assertOverrideRejected(entry().setBatchSize(0), "batchSize");
        assertOverrideRejected(entry().setPriorPrecision(-2.0), "priorPrecision");
        assertOverrideRejected(entry().setNumClasses(1), "numClasses");
        assertOverrideRejected(entry().setInputDimension(0), "inputDimension");
        assertOverrideRejected(entry().setHiddenLayers(List.of(8, 0)), "hiddenLayers");
        assertOverrideRejected(entry().setClassNames(List.of("only-one")), "classNames");
        assertOverrideRejected(entry().setClassNames(List.of("x", "x")), "classNames");
        assertOverrideRejected(entry().setTask(ModelTask.REGRESSION).setClassNames(List.of("a", "b")), "classNames");
    }

    private static void assertOverrideRejected(final ModelConfig.Builder b, final String field) {
        final ModelConfig c = b.build();
        assertThatThrownBy(() -> DEFAULTS.withOverrides(c)).as("%s", c)
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(field);
    }

    // ---------------------------------------------------------------- record serdes

    @Test
    void recordSerdesDefaultIsTheSingleObjectSerde() {
        final RecordSerdes serdes = config().recordSerdes();
        assertThat(serdes).isInstanceOf(RecordSerdes.SingleObjectSerdes.class);
        assertThat(serdes.serde(Event.class)).isInstanceOf(AvroSerde.class);
        assertThat(((AvroSerde<Event>) serdes.serde(Event.class)).type()).isEqualTo(Event.class);
    }

    @Test
    void aBadSerdesClassIsRefusedWhenTheConfigurationIsRead() {
        assertThatThrownBy(() -> config("bali.serdes.class", "com.example.NoSuchSerdes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bali.serdes.class", "com.example.NoSuchSerdes");
        assertThatThrownBy(() -> config("bali.serdes.class", "java.lang.StringBuilder"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bali.serdes.class", "java.lang.StringBuilder");
        assertThatThrownBy(() -> config("bali.serdes.class", "java.lang.Integer"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bali.serdes.class");
    }

    @Test
    void eachInstanceGetsAStableStaticMemberIdUnlessOneIsGivenOrItIsSwitchedOff() {
        final String a = config("application.id", "app", "state.dir", "/var/lib/bali").streamsProperties()
                .getProperty("group.instance.id");
        // the same instance (application, host, state directory) restarted: the same id
        assertThat(config("application.id", "app", "state.dir", "/var/lib/bali/").streamsProperties()
                .getProperty("group.instance.id")).isEqualTo(a);
        assertThat(a).startsWith("app-").matches("app-.+-[0-9a-f]{8}");
        // another state directory (another instance on this host): another id
        assertThat(config("application.id", "app", "state.dir", "/var/lib/bali2").streamsProperties()
                .getProperty("group.instance.id")).isNotEqualTo(a);
        assertThat(ServiceConfig.staticInstanceId("app", "/var/lib/bali", "host1"))
                .isEqualTo(ServiceConfig.staticInstanceId("app", "/var/lib/./bali", "host1"))
                .isNotEqualTo(ServiceConfig.staticInstanceId("app", "/var/lib/bali", "host2"))
                .startsWith("app-host1-");
        // a group.instance.id in the configuration wins, and false means dynamic membership
        assertThat(config("group.instance.id", "mine").streamsProperties().getProperty("group.instance.id"))
                .isEqualTo("mine");
        assertThat(config("main.consumer.group.instance.id", "mine").streamsProperties()
                .getProperty("group.instance.id")).isNull();
        assertThat(config("bali.static.membership", "false").streamsProperties().getProperty("group.instance.id"))
                .isNull();
        // the tools' clients never get it
        assertThat(config("group.instance.id", "mine", "bootstrap.servers", "h:1").clientProperties())
                .doesNotContainKey("group.instance.id");
    }
}
