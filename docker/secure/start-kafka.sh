#!/bin/bash
# Starts the single-node broker of compose.secure.yaml: formats its storage on first start with the SCRAM users
# (the broker's own and the service's; SCRAM credentials live in the cluster metadata, so they are added when the
# storage is formatted), then runs the broker with /etc/kafka-secure/server.properties plus the TLS and SASL
# settings that carry passwords (from the environment, never written into the image or the repository).
set -euo pipefail
config=/tmp/server.properties
cp /etc/kafka-secure/server.properties "$config"
cat >> "$config" <<EOF
ssl.keystore.password=${TLS_STORE_PASSWORD}
ssl.key.password=${TLS_STORE_PASSWORD}
ssl.truststore.password=${TLS_STORE_PASSWORD}
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${KAFKA_BROKER_PASSWORD}";
EOF
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  /opt/kafka/bin/kafka-storage.sh format --standalone -t "${CLUSTER_ID}" -c "$config" \
    --add-scram "SCRAM-SHA-256=[name=broker,password=${KAFKA_BROKER_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=bali,password=${BALI_KAFKA_PASSWORD}]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
