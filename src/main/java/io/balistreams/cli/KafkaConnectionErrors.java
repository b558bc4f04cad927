package io.balistreams.cli;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

import java.util.Locale;
import java.util.Map;

/**
 * One clear line for a Kafka client that could not be made, could not reach a broker, or was refused by it: which
 * of TLS, SASL or the settings failed, the cause Kafka gives, and which settings to check. Kafka's own exceptions
 * say "SSL handshake failed" or "Failed to create new KafkaAdminClient" and put the reason three causes down.
 */
final class KafkaConnectionErrors {
    private KafkaConnectionErrors() {
    }

    /**
     * The error to report for {@code failure}, met by a client of {@code properties}; null if
     * it is none of the kinds above (no broker answered is {@link #noAnswer}).
     */
    static IllegalStateException explain(final Throwable failure, final Map<String, Object> properties) {
        final Object servers = properties.get("bootstrap.servers");
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SslAuthenticationException) {
                return new IllegalStateException("the TLS handshake with the Kafka broker at " + servers + " failed: "
                        + rootMessage(t) + " (does ssl.truststore.location hold the certificate of the broker or of "
                        + "the authority that signed it, and does that certificate name the host in bootstrap.servers?)",
                        failure);
            }
            if (t instanceof SaslAuthenticationException) {
                return new IllegalStateException("the Kafka broker at " + servers + " refused the SASL login: "
                        + t.getMessage() + " (check sasl.mechanism and the username and password in sasl.jaas.config)",
                        failure);
            }
            if (t instanceof AuthorizationException) {
                return new IllegalStateException("the Kafka broker at " + servers + " refused an operation: "
                        + t.getMessage() + " (the ACLs of the user in sasl.jaas.config)", failure);
            }
            if (t instanceof IllegalArgumentException && String.valueOf(t.getMessage()).contains("JAAS")) {
                return new IllegalStateException("the Kafka client settings have no SASL login: " + t.getMessage()
                        + " (with security.protocol=" + properties.get("security.protocol")
                        + ", set sasl.jaas.config, e.g. org.apache.kafka.common.security.scram.ScramLoginModule "
                        + "required username=\"…\" password=\"…\";)", failure);
            }
        }
        if (failure instanceof KafkaException && String.valueOf(failure.getMessage()).startsWith("Failed to create")) {
            return new IllegalStateException("the Kafka client settings are invalid: " + rootMessage(failure), failure);
        }
        return null;
    }

    /** The message for no broker answering within {@code timeoutMs}, with a hint when no security is set. */
    static String noAnswer(final Map<String, Object> properties, final long timeoutMs) {
        final Object protocol = properties.get("security.protocol");
        final boolean plain = protocol == null || protocol.toString().strip().toUpperCase(Locale.ROOT).equals("PLAINTEXT");
        return "no Kafka broker answered at " + properties.get("bootstrap.servers") + " within " + timeoutMs
                + " ms (is it running? `bali broker` starts one on this machine)"
                + (plain ? "; a cluster that requires TLS or SASL answers only clients with security.protocol and "
                        + "its ssl.* / sasl.* settings" : "");
    }

    private static String rootMessage(final Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage());
    }
}
