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
    void backlogWithARateIsRefusedBeforeAnythingStarts() {
        final CliRun r = CliRun.of("bench", "--backlog", "--rate", "100");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: --backlog").contains("no --rate");
    }
}
