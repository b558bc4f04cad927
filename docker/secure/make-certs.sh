#!/bin/sh
# Makes the broker's TLS key pair and the clients' trust store in /tls, once:
#   /tls/broker-keystore.p12   the broker's key pair (CN=kafka, SAN dns:kafka, dns:localhost, ip:127.0.0.1)
#   /tls/truststore.p12        its certificate alone, for the clients (bali, and tools on the host)
# Self-signed, for a compose set-up on one machine; a real cluster uses certificates from its own authority.
# Store password: $TLS_STORE_PASSWORD.
set -eu
if [ -f /tls/truststore.p12 ]; then
  echo "make-certs: /tls already holds the key pair and trust store"
  exit 0
fi
keytool -genkeypair -alias kafka -keyalg EC -groupname secp256r1 -validity 365 \
  -dname CN=kafka -ext SAN=dns:kafka,dns:localhost,ip:127.0.0.1 \
  -storetype PKCS12 -keystore /tls/broker-keystore.p12 \
  -storepass "$TLS_STORE_PASSWORD" -keypass "$TLS_STORE_PASSWORD"
keytool -exportcert -rfc -alias kafka -keystore /tls/broker-keystore.p12 \
  -storepass "$TLS_STORE_PASSWORD" -file /tls/kafka.pem
keytool -importcert -noprompt -alias kafka -file /tls/kafka.pem \
  -storetype PKCS12 -keystore /tls/truststore.p12 -storepass "$TLS_STORE_PASSWORD"
chmod 644 /tls/truststore.p12 /tls/kafka.pem
chmod 644 /tls/broker-keystore.p12  # read by the broker (another user); the store has a password
echo "make-certs: wrote /tls/broker-keystore.p12 and /tls/truststore.p12"
