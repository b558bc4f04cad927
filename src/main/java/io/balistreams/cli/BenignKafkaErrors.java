package io.balistreams.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops the one ERROR line Kafka Streams logs on a normal recovery: after an unclean stop under exactly-once, its
 * TaskManager reports "Get exceptions for the following tasks: {…=TaskCorruptedException …}" at ERROR, then wipes the
 * tasks' local state and restores it from the changelog (what exactly-once requires; the WARN lines before and after
 * it say so). An operator reads that ERROR as a failure. Only a line whose every exception is a
 * TaskCorruptedException is dropped; any other exception in it, and everything else, passes. Used by the jar's
 * logback.xml.
 */
public final class BenignKafkaErrors extends Filter<ILoggingEvent> {
    static final String TASK_MANAGER = "org.apache.kafka.streams.processor.internals.TaskManager";
    private static final String CORRUPTED = "TaskCorruptedException";

    @Override
    public FilterReply decide(final ILoggingEvent event) {
        if (event.getLevel() != Level.ERROR || !TASK_MANAGER.equals(event.getLoggerName())) {
            return FilterReply.NEUTRAL;
        }
        final String message = event.getFormattedMessage();
        if (message == null || !message.contains("Get exceptions for the following tasks:")) {
            return FilterReply.NEUTRAL;
        }
        final int exceptions = count(message, "Exception");
        final int corrupted = count(message, CORRUPTED);
        return corrupted > 0 && corrupted == exceptions ? FilterReply.DENY : FilterReply.NEUTRAL;
    }

    private static int count(final String text, final String word) {
        int n = 0;
        for (int i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length())) {
            n++;
        }
        return n;
    }
}
