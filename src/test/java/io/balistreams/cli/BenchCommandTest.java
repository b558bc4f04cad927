package io.balistreams.cli;

import io.balistreams.testing.Slow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * {@code bali bench} on its embedded broker, with small counts: the command exits 0 only when every
 * measured event's prediction arrived, so these runs check the whole pipeline in both modes, not speed.
 * The pass-through's backlog run uses 30,000 events: with fewer, a read_committed poll can bring every
 * answer at once and leave nothing to time (the suite's test commits more often instead).
 */
@Slow
class BenchCommandTest {

    @Test
    void liveRunAnswersEveryEventAndReportsLatencies() {
        final CliRun r = CliRun.of("bench", "--events", "3000", "--warmup", "500", "--hidden", "8", "--json",
                "--set", "bali.events.keyed.by.model=true");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(CliRun.number(r.out(), "events")).isEqualTo(3000);
        assertThat(CliRun.number(r.out(), "events_per_second")).isPositive();
        assertThat(CliRun.number(r.out(), "p99")).isGreaterThanOrEqualTo(CliRun.number(r.out(), "p50"));
        assertThat(r.out()).contains("\"backlog\":false", "\"guarantee\":\"exactly_once_v2\"");
    }

    @Test
    void backlogRunWorksThroughEveryEventWithoutLatencies() {
        final CliRun r = CliRun.of("bench", "--backlog", "--events", "3000", "--warmup", "500", "--hidden", "8", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(CliRun.number(r.out(), "events")).isEqualTo(3000);
        assertThat(CliRun.number(r.out(), "events_per_second")).isPositive();
        assertThat(r.out()).contains("\"backlog\":true").doesNotContain("latency_ms");
    }

    @Test
    void passThroughWorksThroughTheSameBacklogWithOneAnswerPerEvent() {
        final CliRun r = CliRun.of("bench", "--pass-through", "--backlog", "--events", "30000", "--warmup", "500", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"mode\":\"pass-through\"", "\"backlog\":true",
                "\"guarantee\":\"exactly_once_v2\"", "\"models_per_partition\":[1]");
        assertThat(CliRun.number(r.out(), "threads")).isEqualTo(1);
        assertThat(CliRun.number(r.out(), "models")).isEqualTo(1);
        assertThat(CliRun.number(r.out(), "partitions")).isEqualTo(1);
        // warm-up and measured events: each answered once, nothing more
        assertThat(CliRun.number(r.out(), "answers")).isEqualTo(30500);
        assertThat(CliRun.number(r.out(), "answered_events")).isEqualTo(30500);
        assertThat(CliRun.number(r.out(), "events_per_second")).isPositive();
    }

    @Test
    void twoModelsOnTwoStreamThreadsGetOnePartitionEachAndEveryEventOneAnswer() {
        final CliRun r = CliRun.of("bench", "--backlog", "--models", "2", "--set", "num.stream.threads=2",
                "--events", "3000", "--warmup", "500", "--hidden", "8", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"mode\":\"service\"", "\"keyed_by_model\":false",
                "\"models_per_partition\":[1,1]");
        assertThat(CliRun.number(r.out(), "threads")).isEqualTo(2);
        assertThat(CliRun.number(r.out(), "models")).isEqualTo(2);
        assertThat(CliRun.number(r.out(), "partitions")).isEqualTo(2);
        assertThat(CliRun.number(r.out(), "answers")).isEqualTo(3500);
        assertThat(CliRun.number(r.out(), "answered_events")).isEqualTo(3500);
    }

    @Test
    void backlogWithARateIsRefusedBeforeAnythingStarts() {
        final CliRun r = CliRun.of("bench", "--backlog", "--rate", "100");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: --backlog").contains("no --rate");
    }

    @Test
    void unlabelledEventsAreScoredWithoutLearning() {
        final CliRun r = CliRun.of("bench", "--unlabelled", "--events", "3000", "--warmup", "500", "--hidden", "8", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"mode\":\"service\"", "\"labelled\":false",
                "\"awaiting_labels\":{\"max_waiting\":100000,\"max_delay_ms\":86400000}");
        assertThat(CliRun.number(r.out(), "answers")).isEqualTo(3500);
        assertThat(CliRun.number(r.out(), "answered_events")).isEqualTo(3500);
        // every answer is for an unlabelled event, and the model never learned: it still serves version 0
        assertThat(CliRun.number(r.out(), "labelled_answers")).isZero();
        assertThat(CliRun.number(r.out(), "model_version")).isZero();
        assertThat(CliRun.number(r.out(), "events_per_second")).isPositive();
    }

    @Test
    void labelledEventsAreLearnedFrom() {
        final CliRun r = CliRun.of("bench", "--events", "3000", "--warmup", "500", "--hidden", "8", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"labelled\":true").doesNotContain("awaiting_labels");
        assertThat(CliRun.number(r.out(), "labelled_answers")).isEqualTo(3500);
        // 3,500 labels at B = 32: 109 updates
        assertThat(CliRun.number(r.out(), "model_version")).isEqualTo(109);
    }

    @Test
    void suiteReportsEveryPartAndTheRatiosOfThem() throws Exception {
        // commits every 20 ms (every run, as every --set): the answers after the warm-up come in several
        // read_committed polls even from 10,000 events, and a run takes a few seconds
        final CliRun r = CliRun.of("bench", "--suite", "--events", "10000", "--warmup", "1000", "--hidden", "8",
                "--engine-seconds", "0.5", "--set", "commit.interval.ms=20", "--set", "bali.labels.max.waiting=5000",
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        final JsonNode out = new ObjectMapper().readTree(r.out());
        final JsonNode parts = out.get("parts");
        assertThat(parts.fieldNames()).toIterable().containsExactly("pass_through", "scoring", "learning", "engine",
                "latency_at_half_capacity", "scoring_1_thread", "scoring_2_threads");
        for (final String kafka : List.of("pass_through", "scoring", "learning", "latency_at_half_capacity",
                "scoring_1_thread", "scoring_2_threads")) {
            final JsonNode part = parts.get(kafka);
            assertThat(part.get("events_per_second").asDouble()).as(kafka).isPositive();
            assertThat(part.get("answered_events").asLong()).as(kafka).isEqualTo(11000);
            assertThat(part.get("answers").asLong()).as(kafka).isEqualTo(11000);
        }
        assertThat(parts.get("pass_through").get("mode").asText()).isEqualTo("pass-through");
        assertThat(parts.get("scoring").get("labelled").asBoolean()).isFalse();
        assertThat(parts.get("scoring").get("model_version").asLong()).isZero();
        assertThat(parts.get("learning").get("labelled").asBoolean()).isTrue();
        assertThat(parts.get("learning").get("model_version").asLong()).isEqualTo(11000 / 32);
        final JsonNode engine = parts.get("engine");
        assertThat(engine.get("in_process").asBoolean()).isTrue();
        assertThat(engine.get("records_per_second").asDouble()).isPositive();
        assertThat(engine.get("rejected").asLong()).isZero();
        final JsonNode latency = parts.get("latency_at_half_capacity");
        assertThat(latency.get("backlog").asBoolean()).isFalse();
        assertThat(latency.get("labelled").asBoolean()).isFalse();
        assertThat(latency.get("rate").asDouble())
                .isCloseTo(0.5 * parts.get("scoring").get("events_per_second").asDouble(), within(1e-6));
        assertThat(latency.get("latency_ms").get("p99").asDouble())
                .isGreaterThanOrEqualTo(latency.get("latency_ms").get("p50").asDouble());
        for (final String threads : List.of("scoring_1_thread", "scoring_2_threads")) {
            assertThat(parts.get(threads).get("partitions").asInt()).as(threads).isEqualTo(2);
            assertThat(parts.get(threads).get("models_per_partition").toString()).as(threads).isEqualTo("[1,1]");
        }
        assertThat(parts.get("scoring_1_thread").get("threads").asInt()).isEqualTo(1);
        assertThat(parts.get("scoring_2_threads").get("threads").asInt()).isEqualTo(2);
        // the user's --set reached every run of unlabelled events
        for (final String unlabelled : List.of("scoring", "latency_at_half_capacity", "scoring_1_thread",
                "scoring_2_threads")) {
            assertThat(parts.get(unlabelled).get("awaiting_labels").get("max_waiting").asInt()).as(unlabelled)
                    .isEqualTo(5000);
        }
        assertThat(out.get("settings").get("bali.labels.max.waiting").asText()).isEqualTo("5000");

        final JsonNode ratios = out.get("ratios");
        assertThat(ratios.get("scoring_per_pass_through").asDouble()).isCloseTo(
                eventsPerSecond(parts, "scoring") / eventsPerSecond(parts, "pass_through"), within(1e-9));
        assertThat(ratios.get("learning_per_engine").asDouble()).isCloseTo(
                eventsPerSecond(parts, "learning") / engine.get("records_per_second").asDouble(), within(1e-9));
        assertThat(ratios.get("two_threads_per_one_thread").asDouble()).isCloseTo(
                eventsPerSecond(parts, "scoring_2_threads") / eventsPerSecond(parts, "scoring_1_thread"), within(1e-9));
        assertThat(out.get("p99_ms_at_half_capacity").asDouble()).isEqualTo(latency.get("latency_ms").get("p99").asDouble());
    }

    @Test
    void suiteRefusesTheOptionsItChoosesItself() {
        final CliRun r = CliRun.of("bench", "--suite", "--unlabelled");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: --suite").contains("--unlabelled");
    }

    private static double eventsPerSecond(final JsonNode parts, final String part) {
        return parts.get(part).get("events_per_second").asDouble();
    }
}
