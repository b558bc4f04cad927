package io.balistreams.streams.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.Event;
import io.balistreams.avro.Label;
import io.balistreams.avro.ModelConfig;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Properties of the decoders over inputs nobody wrote by hand (jqwik): any bytes, any bytes behind a valid header, and
 * valid events with bytes overwritten, either decode or are refused with Kafka's {@link SerializationException}
 * (which the service dead-letters) — never another exception, never an error — and refusing costs little memory;
 * and every event round-trips.
 */
class DecoderPropertiesTest {
    private static final AvroSerde<Event> EVENTS = AvroSerde.of(Event.class);
    private static final AvroSerde<Label> LABELS = AvroSerde.of(Label.class);
    private static final AvroSerde<ModelConfig> CONFIGS = AvroSerde.of(ModelConfig.class);
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Property(tries = 3000, seed = "20261129")
    void anyBytesDecodeOrAreRefused(@ForAll @Size(max = 300) final byte[] bytes) {
        decodesOrIsRefused(EVENTS, bytes);
        decodesOrIsRefused(LABELS, bytes);
        decodesOrIsRefused(CONFIGS, bytes);
    }

    @Property(tries = 3000, seed = "20261129")
    void anyBodyBehindAValidHeaderDecodesOrIsRefused(@ForAll @Size(max = 300) final byte[] body) {
        decodesOrIsRefused(EVENTS, withHeaderOf(EVENTS.encode(new Event("x", null, Instant.EPOCH, List.of(), null)), body));
        decodesOrIsRefused(LABELS, withHeaderOf(LABELS.encode(new Label("x", null, 1.0, Instant.EPOCH)), body));
        decodesOrIsRefused(CONFIGS, withHeaderOf(CONFIGS.encode(ModelConfig.newBuilder().setModelId("x").build()), body));
    }

    @Property(tries = 3000, seed = "20261129")
    void aValidEventWithBytesOverwrittenDecodesOrIsRefused(@ForAll("events") final Event event,
                                                           @ForAll @Size(min = 1, max = 4) final List<Integer> positions,
                                                           @ForAll final byte value) {
        final byte[] bytes = EVENTS.encode(event);
        for (final int p : positions) {
            bytes[Math.floorMod(p, bytes.length)] = value;
        }
        decodesOrIsRefused(EVENTS, bytes);
    }

    @Property(tries = 1000, seed = "20261129")
    void everyEventRoundTrips(@ForAll("events") final Event event) {
        assertThat(EVENTS.decode(EVENTS.encode(event))).isEqualTo(event);
    }

    @Provide
    Arbitrary<Event> events() {
        final Arbitrary<String> ids = Arbitraries.strings().ofMaxLength(40);
        final Arbitrary<String> models = Arbitraries.strings().alpha().ofMaxLength(10).injectNull(0.3);
        final Arbitrary<Instant> times = Arbitraries.longs().between(-62_000_000_000_000L, 250_000_000_000_000L)
                .map(Instant::ofEpochMilli);
        final Arbitrary<List<Double>> features = Arbitraries.doubles().list().ofMaxSize(20);
        final Arbitrary<Object> labels = Arbitraries.oneOf(Arbitraries.just(null), Arbitraries.doubles().map(d -> d),
                Arbitraries.strings().ofMaxLength(12).map(s -> s));
        return Combinators.combine(ids, models, times, features, labels).as(Event::new);
    }

    /** Decodes, or is refused with a SerializationException, allocating less than a megabyte to refuse it. */
    private static <T extends org.apache.avro.specific.SpecificRecord> void decodesOrIsRefused(final AvroSerde<T> serde,
                                                                                            final byte[] bytes) {
        final long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            assertThat(serde.decode(bytes)).isNotNull();
        } catch (final SerializationException refused) {
            assertThat(THREADS.getCurrentThreadAllocatedBytes() - before).as("allocated to refuse %s",
                    Arrays.toString(bytes)).isLessThan(1 << 20);
        }
    }

    private static byte[] withHeaderOf(final byte[] valid, final byte[] body) {
        final byte[] out = Arrays.copyOf(valid, 10 + body.length);
        System.arraycopy(body, 0, out, 10, body.length);
        return out;
    }
}
