"""Consume, process, commit: at-least-once processing of a topic in a group.

    KAFKA_BOOTSTRAP=broker:9092 KAFKA_TOPIC=orders KAFKA_GROUP=billing python consume_process_commit.py

Each batch is processed first and committed after, so a crash between the two
replays the batch (at-least-once) and never skips a record. SIGTERM/Ctrl+C
stop the loop; leaving `with` commits nothing more (auto-commit is off) and
leaves the group, so the partitions move to the other members at once.
With EXIT_WHEN_IDLE=<seconds> it stops once no record came for that long.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time

import kwire
from kwire import errors

log = logging.getLogger("consume_process_commit")


def process(message: kwire.Message, totals: dict) -> None:
    event = json.loads(message.value) if message.value is not None else {}
    totals[event.get("type", "?")] = totals.get(event.get("type", "?"), 0) + 1


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    config = {
        "bootstrap.servers": os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092"),
        "group.id": os.environ.get("KAFKA_GROUP", "billing"),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,   # commit after processing, below
        "client.id": "consume-process-commit",
    }
    topic = os.environ.get("KAFKA_TOPIC", "orders")
    idle_limit = float(os.environ.get("EXIT_WHEN_IDLE", "0")) or None
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    totals: dict = {}
    processed = 0
    last_record = time.monotonic()
    with kwire.Consumer(config, topic) as consumer:
        try:
            while not stopping:
                batch = consumer.consume(500, timeout=1.0)
                if not batch:
                    if idle_limit and time.monotonic() - last_record > idle_limit:
                        break
                    continue
                last_record = time.monotonic()
                for message in batch:
                    process(message, totals)
                processed += len(batch)
                try:
                    consumer.commit()  # up to the last record handed out
                except errors.KafkaError as error:  # e.g. a rebalance: the batch is replayed
                    log.warning("commit failed, the batch will be replayed: %s", error)
        except KeyboardInterrupt:
            pass
    log.info("processed %d records: %s", processed, json.dumps(totals, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
