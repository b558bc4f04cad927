package io.balistreams.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A new self-signed TLS key pair for {@code localhost} and 127.0.0.1, made with the JDK's own {@code keytool}
 * (no library, no network): a PKCS12 key store holding the key pair, and a PKCS12 trust store holding only its
 * certificate, both under one random password. For the secured embedded broker ({@link EmbeddedKafka#secured})
 * and for tests that need a trust store that trusts something else. Elliptic curve P-256, valid 30 days.
 *
 * @param keyStore   the key pair (what a server presents)
 * @param trustStore the certificate alone (what a client trusts)
 * @param password   the password of both stores and of the key
 */
public record SelfSignedCertificate(Path keyStore, Path trustStore, String password) {

    /**
     * Makes {@code NAME-keystore.p12} and {@code NAME-truststore.p12} in {@code directory}.
     *
     * @throws IllegalStateException if {@code keytool} fails (its output is in the message)
     */
    public static SelfSignedCertificate create(final Path directory, final String name) {
        final Path keyStore = directory.resolve(name + "-keystore.p12");
        final Path trustStore = directory.resolve(name + "-truststore.p12");
        final Path certificate = directory.resolve(name + ".pem");
        final String password = UUID.randomUUID().toString().replace("-", "");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", password, "-keypass", password);
        keytool("-exportcert", "-rfc", "-alias", name, "-keystore", keyStore.toString(), "-storepass", password,
                "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", name, "-file", certificate.toString(), "-storetype", "PKCS12",
                "-keystore", trustStore.toString(), "-storepass", password);
        return new SelfSignedCertificate(keyStore, trustStore, password);
    }

    private static void keytool(final String... args) {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        try {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            final byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool " + args[0] + " failed: "
                        + new String(output, StandardCharsets.UTF_8).strip());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot run keytool of " + System.getProperty("java.home") + ": "
                    + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
    }
}
