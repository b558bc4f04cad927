package io.balistreams.cli;

import io.balistreams.testing.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code bali bench} on its embedded broker, with small counts: the command exits 0 only when every
 * measured event's prediction arrived, so these runs check the whole pipeline in both modes, not speed.
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
}
