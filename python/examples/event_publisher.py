"""Publish application events to Kafka, synchronously (kafka-python style).

    python event_publisher.py                      # PLAINTEXT on localhost:9092
    KAFKA_SECRETS=/run/secrets/kafka.json python event_publisher.py

The secrets file (mounted by your orchestrator) is JSON like
{"bootstrap_servers": "broker:9097", "username": "svc-orders",
 "password": "...", "ca_file": "/run/secrets/ca.pem",
 "mechanism": "SCRAM-SHA-512"}; with it the producer speaks SASL_SSL.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid

import kwire
from kwire import errors

log = logging.getLogger("event_publisher")


def json_bytes(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":"), default=str).encode()


def producer_config(secrets: dict | None) -> dict:
    config = {
        "bootstrap.servers": os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092"),
        "acks": "all",                 # with idempotence (the default): no duplicates on retry
        "linger.ms": 5,
        "compression.type": "lz4",
        "client.id": "event-publisher",
    }
    if secrets:
        config.update({
            "bootstrap.servers": secrets["bootstrap_servers"],
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": secrets.get("mechanism", "SCRAM-SHA-512"),
            "sasl.username": secrets["username"],
            "sasl.password": secrets["password"],
            "ssl.ca.location": secrets["ca_file"],
        })
    return config


def load_secrets() -> dict | None:
    path = os.environ.get("KAFKA_SECRETS")
    if not path:
        return None
    with open(path) as f:
        return json.load(f)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    topic = os.environ.get("KAFKA_TOPIC", "orders")
    failed = []

    with kwire.Producer(producer_config(load_secrets()), key_serializer=str.encode,
                        value_serializer=json_bytes) as producer:
        try:
            producer.wait_for_cluster(timeout=10)   # fail fast on a wrong address or password
        except errors.KafkaError as e:
            log.error("cannot reach Kafka: %s", e)   # e.detail names the setting to check
            return 1

        # The important event: wait for the broker's acknowledgement.
        metadata = producer.send(topic, {"type": "service-started", "at": time.time()},
                                 key="lifecycle").get(timeout=10)
        log.info("started event at %s[%d]@%d", metadata.topic, metadata.partition, metadata.offset)

        # The stream: fire and forget, with a callback for failures only.
        for n in range(1000):
            order_id = str(uuid.uuid4())
            event = {"type": "order-created", "order_id": order_id, "amount_cents": 100 + n}
            producer.send(topic, event, key=order_id,
                          headers=[("content-type", b"application/json")]).add_errback(failed.append)

        try:
            producer.flush(timeout=30)
        except errors.KafkaTimeoutError as e:
            log.error("%s", e)                       # says how many records are still pending
            return 1
        stats = producer.statistics()
        log.info("delivered %d, failed %d", stats["records_delivered"], stats["records_failed"] + len(failed))
    # leaving `with` closed the producer (delivering anything left)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
