package io.balistreams.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.balistreams.avro.DeadLetter;
import io.balistreams.avro.DeadLetterReason;
import io.balistreams.avro.Event;
import io.balistreams.avro.Prediction;
import io.balistreams.streams.serde.AvroSerde;
import io.balistreams.testing.Slow;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input at volume through a real broker: 10,000 malformed records of many kinds (random bytes, truncated,
 * bit-flipped and re-fingerprinted valid records, forged lengths, a 100,000-feature event, a 200 KB event id,
 * absurd event times, labels of the wrong kind, events of another width, non-finite features, keys that are not
 * UTF-8) mixed with 2,000 valid events, in a fixed random order (seed 7). Every record gets exactly one answer: a
 * valid event one prediction, a malformed one one dead letter with the reason of its kind (a bit-flipped record
 * either, as a flipped bit can leave a valid event); no stream thread fails or is replaced.
 */
@Slow
class HostileInputTest {
    private static final int MALFORMED = 10_000;
    private static final int VALID = 2_000;

    @RegisterExtension
    static final BrokerTestSupport.Broker kafka = new BrokerTestSupport.Broker();

    @TempDir
    Path tmp;

    /** What a record is, and what must become of it. */
    private enum Kind {
        VALID(null), RANDOM_BYTES(DeadLetterReason.UNDECODABLE), TRUNCATED(DeadLetterReason.UNDECODABLE),
        WRONG_FINGERPRINT(DeadLetterReason.UNDECODABLE), FORGED_LENGTH(DeadLetterReason.UNDECODABLE),
        EMPTY(DeadLetterReason.UNDECODABLE), WRONG_DIMENSION(DeadLetterReason.WRONG_DIMENSION),
        HUGE_ARRAY(DeadLetterReason.WRONG_DIMENSION), WRONG_LABEL(DeadLetterReason.LABEL_OUT_OF_RANGE),
        NON_FINITE(DeadLetterReason.NON_FINITE_FEATURE), BIT_FLIPPED(null);

        final DeadLetterReason reason;

        Kind(final DeadLetterReason reason) {
            this.reason = reason;
        }
    }

    private record Input(Kind kind, byte[] key, byte[] value, String eventId) {
    }

    @Test
    void everyRecordGetsExactlyOneAnswerAndNoStreamThreadFails() throws Exception {
        final Map<String, String> settings = BrokerTestSupport.settings(kafka.bootstrapServers(), "hostile",
                tmp.resolve("state").toString());
        settings.put("bali.model.task", "regression");
        settings.put("bali.model.input.dimension", "3");
        settings.put("bali.metrics.every", "100000");
        final ServiceConfig config = ServiceConfig.from(settings);
        final List<Input> inputs = inputs(new Random(7));

        try (BaliService service = new BaliService(config);
             KafkaProducer<byte[], byte[]> producer = BrokerTestSupport.producer(kafka.bootstrapServers())) {
            service.createTopics(1, Optional.empty());
            service.start();
            service.awaitRunning(Duration.ofSeconds(60));
            final Set<String> threads = threadNames(service);

            final Map<Long, Input> byOffset = new HashMap<>();
            final List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            for (final Input input : inputs) {
                sent.add(producer.send(new ProducerRecord<>(config.eventsTopic(), input.key(), input.value())));
            }
            for (int i = 0; i < inputs.size(); i++) {
                byOffset.put(sent.get(i).get().offset(), inputs.get(i));
            }

            final Map<String, List<byte[]>> out = BrokerTestSupport.readCommitted(kafka.bootstrapServers(),
                    List.of(config.predictionsTopic(), config.deadLetterTopic()), Duration.ofSeconds(180),
                    got -> got.get(config.predictionsTopic()).size() + got.get(config.deadLetterTopic()).size()
                            >= inputs.size());
            final List<Prediction> predictions = BrokerTestSupport.decode(out.get(config.predictionsTopic()),
                    Prediction.class);
            final List<DeadLetter> letters = BrokerTestSupport.decode(out.get(config.deadLetterTopic()),
                    DeadLetter.class);

            // exactly one answer per record
            assertThat(predictions.size() + letters.size()).isEqualTo(inputs.size());
            final Set<Long> lettered = new HashSet<>();
            final Map<Kind, Integer> letteredByKind = new EnumMap<>(Kind.class);
            for (final DeadLetter letter : letters) {
                assertThat(letter.getSourceTopic()).isEqualTo(config.eventsTopic());
                assertThat(lettered.add(letter.getSourceOffset())).as("one dead letter per offset").isTrue();
                final Input input = byOffset.get(letter.getSourceOffset());
                assertThat(input.kind()).as("a valid event is never dead-lettered: %s", letter.getDetail())
                        .isNotEqualTo(Kind.VALID);
                if (input.kind().reason != null) {
                    assertThat(letter.getReason()).as("%s: %s", input.kind(), letter.getDetail())
                            .isEqualTo(input.kind().reason);
                }
                // nothing refused is lost: the payload is the record as it was sent
                assertThat(bytes(letter.getPayload())).isEqualTo(input.value());
                letteredByKind.merge(input.kind(), 1, Integer::sum);
            }
            final Map<Kind, Integer> sentByKind = new EnumMap<>(Kind.class);
            inputs.forEach(i -> sentByKind.merge(i.kind(), 1, Integer::sum));
            for (final Kind kind : Kind.values()) {
                if (kind.reason != null) {
                    assertThat(letteredByKind.getOrDefault(kind, 0)).as(kind.name())
                            .isEqualTo(sentByKind.getOrDefault(kind, 0));
                }
            }
            final Map<String, Integer> predicted = new HashMap<>();
            predictions.forEach(p -> predicted.merge(p.getEventId(), 1, Integer::sum));
            for (final Input input : inputs) {
                if (input.kind() == Kind.VALID) {
                    assertThat(predicted.get(input.eventId())).as(input.eventId()).isEqualTo(1);
                }
            }
            System.out.printf("HOSTILE sent %s; dead-lettered %s; %d predictions%n", sentByKind, letteredByKind,
                    predictions.size());

            // the service never failed, and runs on the same stream threads it started with
            assertThat(service.failure()).isEmpty();
            assertThat(service.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(threadNames(service)).isEqualTo(threads);
        }
    }

    private static Set<String> threadNames(final BaliService service) {
        final Set<String> names = new HashSet<>();
        service.streams().metadataForLocalThreads().forEach(t -> names.add(t.threadName()));
        return names;
    }

    /** The records, shuffled: valid events and every kind of malformed one. */
    private static List<Input> inputs(final Random random) {
        final AvroSerde<Event> serde = AvroSerde.of(Event.class);
        final List<Input> inputs = new ArrayList<>();
        for (int i = 0; i < VALID; i++) {
            final String id = "valid-" + i;
            final Event e = event(random, id, 3);
            if (i % 10 == 0) {
                e.setEventTime(Instant.ofEpochMilli(i % 20 == 0 ? -62_000_000_000_000L : 250_000_000_000_000L));
            }
            if (i % 50 == 1) {
                e.setEventId("long-" + i + "-" + "x".repeat(200_000)); // a huge string, still a valid event
            }
            final byte[] key = i % 7 == 0 ? new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF} : null; // not UTF-8
            inputs.add(new Input(Kind.VALID, key, serde.encode(e), e.getEventId()));
        }
        final Kind[] kinds = {Kind.RANDOM_BYTES, Kind.TRUNCATED, Kind.WRONG_FINGERPRINT, Kind.FORGED_LENGTH,
                Kind.WRONG_DIMENSION, Kind.WRONG_LABEL, Kind.NON_FINITE, Kind.BIT_FLIPPED};
        for (int i = 0; i < MALFORMED; i++) {
            final Kind kind = i < 3 ? Kind.HUGE_ARRAY : i < 10 ? Kind.EMPTY : kinds[i % kinds.length];
            final String id = "bad-" + i;
            final byte[] valid = serde.encode(event(random, id, 3));
            final byte[] value = switch (kind) {
                case RANDOM_BYTES -> {
                    final byte[] b = new byte[random.nextInt(300)];
                    random.nextBytes(b);
                    if (b.length >= 2 && random.nextBoolean()) { // half of them with the single-object marker
                        b[0] = (byte) 0xC3;
                        b[1] = (byte) 0x01;
                    }
                    yield b;
                }
                case TRUNCATED -> java.util.Arrays.copyOf(valid, 1 + random.nextInt(valid.length - 1));
                case WRONG_FINGERPRINT -> {
                    final byte[] b = valid.clone();
                    ByteBuffer.wrap(b, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(random.nextLong());
                    yield b;
                }
                case FORGED_LENGTH -> {
                    final byte[] b = java.util.Arrays.copyOf(valid, 14);
                    b[10] = (byte) 0xFE; // zig-zag varint of the event id's length: about 2^31
                    b[11] = (byte) 0xFF;
                    b[12] = (byte) 0xFF;
                    b[13] = (byte) 0x0F;
                    yield b;
                }
                case EMPTY -> new byte[0];
                case WRONG_DIMENSION -> serde.encode(event(random, id, 1 + random.nextInt(2) * 3)); // 1 or 4 features
                case HUGE_ARRAY -> serde.encode(event(random, id, 100_000));
                case WRONG_LABEL -> {
                    final Event e = event(random, id, 3);
                    e.setLabel("not-a-number");
                    yield serde.encode(e);
                }
                case NON_FINITE -> {
                    final Event e = event(random, id, 3);
                    e.getFeatures().set(random.nextInt(3), random.nextBoolean() ? Double.NaN : Double.NEGATIVE_INFINITY);
                    yield serde.encode(e);
                }
                case BIT_FLIPPED -> {
                    final byte[] b = valid.clone();
                    for (int f = 0; f < 1 + random.nextInt(3); f++) {
                        final int bit = random.nextInt(b.length * 8);
                        b[bit / 8] ^= (byte) (1 << (bit % 8));
                    }
                    yield b;
                }
                default -> throw new IllegalStateException(kind.name());
            };
            inputs.add(new Input(kind, null, value, id));
        }
        Collections.shuffle(inputs, random);
        return inputs;
    }

    private static Event event(final Random random, final String id, final int features) {
        final List<Double> x = new ArrayList<>(features);
        for (int j = 0; j < features; j++) {
            x.add(random.nextGaussian());
        }
        return new Event(id, "m", Instant.ofEpochMilli(1_700_000_000_000L), x, random.nextBoolean()
                ? (Object) (x.get(0) - x.get(Math.min(1, features - 1))) : null);
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        final ByteBuffer b = buffer.duplicate();
        final byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
