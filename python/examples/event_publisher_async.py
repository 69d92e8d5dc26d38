"""Publish application events from asyncio code (aiokafka style).

    python event_publisher_async.py                # PLAINTEXT on localhost:9092
    KAFKA_SECRETS=/run/secrets/kafka.json python event_publisher_async.py

Same configuration and secrets file as event_publisher.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import uuid

import kwire
from kwire import errors

from event_publisher import json_bytes, load_secrets, producer_config

log = logging.getLogger("event_publisher_async")


async def publish(producer: kwire.AIOProducer, topic: str, order_id: str, amount: int) -> None:
    event = {"type": "order-created", "order_id": order_id, "amount_cents": amount}
    try:
        metadata = await producer.send_and_wait(topic, event, key=order_id,
                                                headers=[("content-type", b"application/json")])
        log.debug("order %s at offset %d", order_id, metadata.offset)
    except errors.KafkaError as e:
        log.error("order %s not published: %s (retriable: %s)", order_id, e, e.retriable)
        raise


async def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    topic = os.environ.get("KAFKA_TOPIC", "orders")
    try:
        async with kwire.AIOProducer(producer_config(load_secrets()), key_serializer=str.encode,
                                     value_serializer=json_bytes, start_timeout=10) as producer:
            # Many requests in flight at once, as a web handler would create them.
            results = await asyncio.gather(
                *(publish(producer, topic, str(uuid.uuid4()), 100 + n) for n in range(1000)),
                return_exceptions=True)
            # Or: queue now, await the acknowledgement later.
            future = await producer.send(topic, {"type": "batch-done"}, key="lifecycle")
            await producer.flush()
            log.info("batch-done at offset %d", (await future).offset)
    except errors.KafkaError as e:
        log.error("cannot reach Kafka: %s", e)
        return 1
    failures = [r for r in results if isinstance(r, BaseException)]
    log.info("published %d, failed %d", len(results) - len(failures), len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
