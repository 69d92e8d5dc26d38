"""Copy a topic exactly once: consume, transform, produce and commit the
consumer's offsets in one Kafka transaction (KIP-98, KIP-447).

    KAFKA_BOOTSTRAP=broker:9092 KAFKA_SOURCE=orders KAFKA_DESTINATION=orders-eu \
        KAFKA_GROUP=copier KAFKA_TRANSACTIONAL_ID=copier-1 python transactional_copy.py

Readers with isolation.level=read_committed see each source record's copy
exactly once: a batch's records and its offsets commit together or not at
all. An aborted batch is read again from the last committed offsets. A second
copier started with the same transactional id fences this one
(ProducerFencedError): it stops. With EXIT_WHEN_IDLE=<seconds> it stops once
no record came for that long.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import kwire
from kwire import errors

log = logging.getLogger("transactional_copy")


def transform(value: bytes | None) -> bytes | None:
    return None if value is None else value.upper()


def rewind_to_committed(consumer: kwire.Consumer) -> None:
    """After an abort: read again from what the group committed."""
    assignment = consumer.assignment()
    for tp, offset in consumer.committed(assignment).items():
        if offset is None:
            consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, offset)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092")
    source = os.environ.get("KAFKA_SOURCE", "orders")
    destination = os.environ.get("KAFKA_DESTINATION", "orders-copy")
    idle_limit = float(os.environ.get("EXIT_WHEN_IDLE", "0")) or None
    consumer_config = {
        "bootstrap.servers": bootstrap,
        "group.id": os.environ.get("KAFKA_GROUP", "copier"),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,          # offsets commit with the transaction
        "isolation.level": "read_committed",  # never copy an aborted record
    }
    producer_config = {
        "bootstrap.servers": bootstrap,
        "transactional.id": os.environ.get("KAFKA_TRANSACTIONAL_ID", "copier-1"),
        "linger.ms": 5,
    }
    copied = 0
    last_record = time.monotonic()
    with kwire.Consumer(consumer_config, source) as consumer, kwire.Producer(producer_config) as producer:
        producer.init_transactions(timeout=30)  # fences older copiers with the same id
        while True:
            batch = consumer.consume(500, timeout=1.0)
            if not batch:
                if idle_limit and time.monotonic() - last_record > idle_limit:
                    break
                continue
            last_record = time.monotonic()
            try:
                with producer.transaction():
                    for message in batch:
                        producer.send(destination, transform(message.value), key=message.key,
                                      headers=message.headers)
                    next_offsets = {m.topic_partition: m.offset + 1 for m in batch}  # the last per partition wins
                    producer.send_offsets_to_transaction(next_offsets, consumer.group_metadata())
                copied += len(batch)
            except errors.AbortableTransactionError as error:
                log.warning("transaction aborted, the batch is read again: %s", error)
                rewind_to_committed(consumer)
            except errors.FatalTransactionError as error:  # fenced: another copier took over
                log.error("stopping: %s", error)
                return 1
    log.info("copied %d records from %s to %s", copied, source, destination)
    return 0


if __name__ == "__main__":
    sys.exit(main())
