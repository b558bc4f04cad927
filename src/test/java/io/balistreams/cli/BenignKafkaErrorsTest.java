package io.balistreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/** {@link BenignKafkaErrors}: only the recovery's TaskCorruptedException line is dropped. */
class BenignKafkaErrorsTest {
    private final LoggerContext context = new LoggerContext();
    private final BenignKafkaErrors filter = new BenignKafkaErrors();

    private FilterReply decide(final String logger, final Level level, final String message) {
        final LoggingEvent e = new LoggingEvent(getClass().getName(), context.getLogger(logger), level, message, null,
                null);
        return filter.decide(e);
    }

    @Test
    void theRecoveryLineIsDroppedAndEverythingElsePasses() {
        // as logged on a restart after SIGKILL (Kafka Streams 4.4)
        final String recovery = "stream-thread [app-StreamThread-1] Get exceptions for the following tasks: "
                + "{4_0=org.apache.kafka.streams.errors.TaskCorruptedException: Tasks [4_0] are corrupted and hence "
                + "need to be re-initialized}";
        assertThat(decide(BenignKafkaErrors.TASK_MANAGER, Level.ERROR, recovery)).isEqualTo(FilterReply.DENY);
        // another exception in the same line: kept
        assertThat(decide(BenignKafkaErrors.TASK_MANAGER, Level.ERROR, recovery.replace("}", ", 1_0=org.apache"
                + ".kafka.common.KafkaException: boom}"))).isEqualTo(FilterReply.NEUTRAL);
        // the same words from another logger, at another level, or another TaskManager error: kept
        assertThat(decide("org.apache.kafka.streams.processor.internals.StreamThread", Level.ERROR, recovery))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(BenignKafkaErrors.TASK_MANAGER, Level.WARN, recovery)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(BenignKafkaErrors.TASK_MANAGER, Level.ERROR, "Failed to close task 0_1 cleanly"))
                .isEqualTo(FilterReply.NEUTRAL);
    }
}
