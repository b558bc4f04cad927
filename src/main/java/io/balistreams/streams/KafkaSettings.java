package io.balistreams.streams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Which keys of a service configuration Kafka will not read. Every key not starting with {@code bali.} goes to
 * Kafka Streams and its clients, and Kafka ignores a key it does not know (at most a line at INFO): a typo such
 * as {@code num.stream.thread} would silently leave the setting at its default. The names come from Kafka's own
 * config classes: Kafka Streams', the producer's, the consumer's and the admin client's, unprefixed or behind the
 * prefixes Kafka Streams defines ({@code producer.}, {@code consumer.}, {@code main.consumer.},
 * {@code restore.consumer.}, {@code global.consumer.}, {@code admin.}); {@code topic.} keys configure the
 * internal topics and are not checked, nor are the keys of configuration providers ({@code config.providers.NAME.class}).
 */
public final class KafkaSettings {
    private static final Set<String> STREAMS = StreamsConfig.configDef().names();
    private static final Set<String> PRODUCER = ProducerConfig.configNames();
    private static final Set<String> CONSUMER = ConsumerConfig.configNames();
    private static final Set<String> ADMIN = AdminClientConfig.configNames();
    private static final Map<String, Set<String>> PREFIXES = Map.of(
            StreamsConfig.PRODUCER_PREFIX, PRODUCER,
            StreamsConfig.CONSUMER_PREFIX, CONSUMER,
            StreamsConfig.MAIN_CONSUMER_PREFIX, CONSUMER,
            StreamsConfig.RESTORE_CONSUMER_PREFIX, CONSUMER,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX, CONSUMER,
            StreamsConfig.ADMIN_CLIENT_PREFIX, ADMIN);
    /**
     * The keys of the configuration providers named by {@code config.providers} ({@code config.providers.file.class},
     * their {@code .param.} keys): their names are the user's, so they are not checked.
     */
    private static final String CONFIG_PROVIDER_PREFIX = "config.providers.";
    /** Every name a key may have without a prefix. */
    private static final Set<String> UNPREFIXED = union();

    private KafkaSettings() {
    }

    private static Set<String> union() {
        final Set<String> all = new TreeSet<>(STREAMS);
        all.addAll(PRODUCER);
        all.addAll(CONSUMER);
        all.addAll(ADMIN);
        return all;
    }

    /**
     * One warning per key that Kafka does not know, in key order: "unknown Kafka setting 'KEY'", with the closest
     * known name when one is within two edits ("did you mean 'num.stream.threads'?"). Keys starting with
     * {@code bali.} (checked by the service itself) and {@code topic.} are skipped.
     */
    public static List<String> unknownKeyWarnings(final Iterable<String> keys) {
        final List<String> warnings = new ArrayList<>();
        for (final String key : new TreeSet<>(toList(keys))) {
            if (key.startsWith("bali.") || key.startsWith(StreamsConfig.TOPIC_PREFIX)) {
                continue;
            }
            String prefix = "";
            Set<String> names = UNPREFIXED;
            for (final Map.Entry<String, Set<String>> p : PREFIXES.entrySet()) {
                if (key.startsWith(p.getKey()) && p.getKey().length() > prefix.length()) {
                    prefix = p.getKey();
                    names = p.getValue();
                }
            }
            final String name = key.substring(prefix.length());
            if (names.contains(name) || name.startsWith(CONFIG_PROVIDER_PREFIX)) {
                continue;
            }
            final String closest = closest(name, names);
            warnings.add("unknown Kafka setting '" + key + "' (Kafka will ignore it"
                    + (closest == null ? ")" : "; did you mean '" + prefix + closest + "'?)"));
        }
        return warnings;
    }

    private static List<String> toList(final Iterable<String> keys) {
        final List<String> list = new ArrayList<>();
        keys.forEach(list::add);
        return list;
    }

    /** The known name nearest to {@code name} in edit distance, if at most 2; the first in order on a tie. */
    static String closest(final String name, final Set<String> names) {
        String best = null;
        int bestDistance = 3;
        for (final String candidate : new TreeSet<>(names)) {
            final int d = editDistance(name, candidate, bestDistance);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return best;
    }

    /** Levenshtein distance of a and b, or {@code limit} if it is at least that. */
    static int editDistance(final String a, final String b, final int limit) {
        if (Math.abs(a.length() - b.length()) >= limit) {
            return limit;
        }
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            int rowMin = current[0];
            for (int j = 1; j <= b.length(); j++) {
                final int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
                rowMin = Math.min(rowMin, current[j]);
            }
            if (rowMin >= limit) {
                return limit;
            }
            final int[] t = previous;
            previous = current;
            current = t;
        }
        return Math.min(previous[b.length()], limit);
    }
}
