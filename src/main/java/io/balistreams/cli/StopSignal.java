package io.balistreams.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT (Ctrl-C) as a request to stop, for the commands that run until stopped ({@code run},
 * {@code broker}). The JVM's default reaction to these signals is to run the shutdown hooks and exit with
 * 128 + the signal's number (143, 130) whatever the hooks did; with a handler installed the main thread learns
 * of the signal, closes what it runs in order, says so and returns 0. A second signal while it is closing
 * exits at once with 128 + its number (an operator who presses Ctrl-C twice means it).
 *
 * <p>{@code sun.misc.Signal} is in the {@code jdk.unsupported} module, present in every OpenJDK and used by
 * Kafka's own command-line tools for the same purpose.
 */
final class StopSignal {
    private final CountDownLatch requested = new CountDownLatch(1);
    private volatile String name;

    private StopSignal() {
    }

    /** Installs the handlers; from now on SIGTERM and SIGINT only request a stop. */
    static StopSignal install() {
        final StopSignal stop = new StopSignal();
        for (final String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> stop.received(s));
        }
        return stop;
    }

    private void received(final Signal signal) {
        if (requested.getCount() == 0) {
            System.err.println("SIG" + signal.getName() + " again: exiting without waiting");
            Runtime.getRuntime().halt(128 + signal.getNumber());
        }
        name = "SIG" + signal.getName();
        requested.countDown();
    }

    /** Waits up to {@code timeout} for a stop request; true if one came. */
    boolean await(final Duration timeout) throws InterruptedException {
        return requested.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The signal that requested the stop ("SIGTERM", "SIGINT"), or null if none came. */
    String signalName() {
        return name;
    }
}
