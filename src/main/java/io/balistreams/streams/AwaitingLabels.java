package io.balistreams.streams;

import io.balistreams.avro.internal.AwaitingLabel;
import io.balistreams.avro.internal.AwaitingState;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The scored events of one task (the learner's, or with distributed scoring the scorer's) that wait for
 * their label on the labels topic, over the {@value #STORE} store (key {@code modelId#eventId}, value
 * {@link AwaitingLabel}). An event waits until its label joins it, until {@code maxDelayMs} of event time
 * have passed (it expires), or until more than {@code maxWaiting} events wait in the task (the oldest by
 * event time are evicted). Both happen in steps, so that a stream whose labels never come does not stop
 * one event's wait per event: expiry runs when the oldest event is past the delay by 1 % of it, and then
 * expires every event past the delay (an event waits at least {@code maxDelayMs}, at most 1 % longer);
 * eviction evicts 1 % of the bound at once (at least one event). A joined, expired or
 * evicted event leaves a small marker, without features, until {@code 2 × maxDelayMs} after its event time,
 * so that a late or second label is told apart from one for an event never seen; at most {@code maxWaiting}
 * markers are kept (past it the 1 % with the earliest deadlines go at once; a label for such an event is then
 * told "unknown event"), so the store holds at most {@code 2 × maxWaiting} entries however fast events come
 * (without that bound, markers grew with the event rate times {@code 2 × maxDelayMs}: found by the soak).
 *
 * <p>The store is the truth; the two in-memory indexes (waiting events by event time, markers by
 * deadline) and the per-model counts are rebuilt from it in {@link #AwaitingLabels} (task init), so a
 * restarted task continues exactly.
 */
final class AwaitingLabels {
    static final String STORE = "bali-awaiting";

    /** An index entry: the event time (waiting) or the deletion deadline (marker), then the key. */
    private record Entry(long time, String key, String modelId) implements Comparable<Entry> {
        @Override
        public int compareTo(final Entry o) {
            final int byTime = Long.compare(time, o.time);
            return byTime != 0 ? byTime : key.compareTo(o.key);
        }
    }

    private final KeyValueStore<String, AwaitingLabel> store;
    private final long maxDelayMs;
    private final int maxWaiting;
    private final TreeSet<Entry> waiting = new TreeSet<>();
    private final TreeSet<Entry> markers = new TreeSet<>();
    private final Map<String, Long> waitingPerModel = new HashMap<>();

    AwaitingLabels(final KeyValueStore<String, AwaitingLabel> store, final long maxDelayMs, final int maxWaiting) {
        this.store = store;
        this.maxDelayMs = maxDelayMs;
        this.maxWaiting = maxWaiting;
        try (KeyValueIterator<String, AwaitingLabel> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, AwaitingLabel> kv = it.next();
                index(kv.key, kv.value.getModelId(), kv.value);
            }
        }
    }

    static String key(final String modelId, final String eventId) {
        return modelId + "#" + eventId;
    }

    /** Whether events are kept at all ({@code bali.labels.max.waiting} &gt; 0). */
    boolean enabled() {
        return maxWaiting > 0;
    }

    /** The entry for an event of a model (waiting or a marker), or null. */
    AwaitingLabel get(final String modelId, final String eventId) {
        return store.get(key(modelId, eventId));
    }

    /** Events of {@code modelId} waiting now. */
    long waiting(final String modelId) {
        return waitingPerModel.getOrDefault(modelId, 0L);
    }

    /**
     * Starts the wait of a scored, unlabelled event (replacing an earlier entry with the same id); evicts
     * the oldest waiting events past the bound.
     *
     * @return the entries of the events evicted for it (usually none; as they were, with their model id and
     *         features), for the caller to count
     */
    List<AwaitingLabel> await(final String modelId, final String eventId, final AwaitingLabel entry) {
        final String key = key(modelId, eventId);
        final AwaitingLabel previous = store.get(key);
        if (previous != null) {
            unindex(key, modelId, previous);
        }
        store.put(key, entry);
        index(key, modelId, entry);
        List<AwaitingLabel> evicted = Collections.emptyList();
        if (waiting.size() <= maxWaiting) {
            return evicted;
        }
        // evict a chunk at once, so that a stream whose labels never come stops waiting in steps, not per event
        final int keep = maxWaiting - evictionChunk() + 1;
        while (waiting.size() > keep) {
            final Entry oldest = waiting.first();
            if (evicted.isEmpty()) {
                evicted = new ArrayList<>(1);
            }
            final AwaitingLabel dropped = store.get(oldest.key());
            evicted.add(dropped);
            close(oldest.key(), oldest.modelId(), dropped, AwaitingState.EVICTED);
        }
        return evicted;
    }

    /** The event's label joined it: it stops waiting and leaves a LABELLED marker. */
    void labelled(final String modelId, final String eventId, final AwaitingLabel entry) {
        close(key(modelId, eventId), modelId, entry, AwaitingState.LABELLED);
    }

    /**
     * Advances to {@code eventClock} (the latest event or label time seen): events that waited past
     * {@code maxDelayMs} expire (marker EXPIRED),
     * markers past their deadline are deleted.
     *
     * @return the entries of the events that expired (as they were), for the caller to count
     */
    List<AwaitingLabel> advance(final long eventClock) {
        List<AwaitingLabel> expired = Collections.emptyList();
        if (waiting.isEmpty() || waiting.first().time() + maxDelayMs + expirySlack() >= eventClock) {
            expireMarkers(eventClock);
            return expired;
        }
        // expire every event past the delay at once, when the oldest is past it by the slack: in steps
        while (!waiting.isEmpty() && waiting.first().time() + maxDelayMs < eventClock) {
            final Entry e = waiting.first();
            if (expired.isEmpty()) {
                expired = new ArrayList<>();
            }
            final AwaitingLabel dropped = store.get(e.key());
            expired.add(dropped);
            close(e.key(), e.modelId(), dropped, AwaitingState.EXPIRED);
        }
        expireMarkers(eventClock);
        return expired;
    }

    private void expireMarkers(final long eventClock) {
        while (!markers.isEmpty() && markers.first().time() < eventClock) {
            final Entry m = markers.pollFirst();
            store.delete(m.key());
        }
    }

    /** Events evicted at once past the bound: 1 % of it, at least one. */
    private int evictionChunk() {
        return Math.max(1, maxWaiting / 100);
    }

    /** How far past the maximum delay the oldest event may get before a round of expiry: 1 % of the delay. */
    private long expirySlack() {
        return maxDelayMs / 100;
    }

    /** Replaces a waiting entry by a marker of {@code state}. */
    private void close(final String key, final String modelId, final AwaitingLabel entry, final AwaitingState state) {
        unindex(key, modelId, entry);
        final AwaitingLabel marker = AwaitingLabel.newBuilder()
                .setState(state)
                .setModelId(modelId)
                .setEventTime(entry.getEventTime())
                .setPosition(entry.getPosition())
                .setModelVersion(entry.getModelVersion())
                .build();
        store.put(key, marker);
        index(key, modelId, marker);
        if (markers.size() > maxWaiting) {
            final int keep = maxWaiting - evictionChunk() + 1;
            while (markers.size() > keep) {
                store.delete(markers.pollFirst().key());
            }
        }
    }

    private void index(final String key, final String modelId, final AwaitingLabel entry) {
        if (entry.getState() == AwaitingState.WAITING) {
            waiting.add(new Entry(entry.getEventTime(), key, modelId));
            waitingPerModel.merge(modelId, 1L, Long::sum);
        } else {
            markers.add(new Entry(markerDeadline(entry), key, modelId));
        }
    }

    private void unindex(final String key, final String modelId, final AwaitingLabel entry) {
        if (entry.getState() == AwaitingState.WAITING) {
            waiting.remove(new Entry(entry.getEventTime(), key, modelId));
            waitingPerModel.computeIfPresent(modelId, (m, n) -> n == 1 ? null : n - 1);
        } else {
            markers.remove(new Entry(markerDeadline(entry), key, modelId));
        }
    }

    private long markerDeadline(final AwaitingLabel marker) {
        return marker.getEventTime() + 2 * maxDelayMs;
    }
}
