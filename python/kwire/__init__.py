"""kwire: a Kafka producer and consumer for Python on kwire's C++20 core
(no librdkafka).

* :class:`Producer` -- synchronous, kafka-python's shape: ``send()`` returns a
  future (``get(timeout)``, ``add_callback``/``add_errback``), ``flush``,
  ``close``, ``with``; transactions (``with producer.transaction():``).
* :class:`AIOProducer` -- asyncio, aiokafka's shape: ``start``/``stop``,
  ``async with``, ``await send()``, ``send_and_wait``, ``flush``.
* :class:`Consumer` -- synchronous: ``subscribe``/``assign``, ``poll(timeout)``
  (one :class:`Message` or None), ``consume(max_records, timeout)``,
  iteration, ``commit``, ``seek``, ``with``.
* :class:`AIOConsumer` -- asyncio: ``await getone()``, ``getmany()``,
  ``async for``.
* :mod:`kwire.errors` -- the exceptions.
"""

from __future__ import annotations

import atexit
from typing import NamedTuple

from . import _core, errors
from ._consumer import Consumer, ConsumerGroupMetadata, OffsetAndTimestamp, _close_live_consumers
from ._core import AioDeliveryFuture, DeliveryFuture, Message, RecordMetadata
from ._producer import Producer, _close_live_producers
from .errors import KafkaError, KafkaTimeoutError

__all__ = [
    "Producer",
    "AIOProducer",
    "Consumer",
    "AIOConsumer",
    "Message",
    "ConsumerGroupMetadata",
    "OffsetAndTimestamp",
    "DeliveryFuture",
    "AioDeliveryFuture",
    "RecordMetadata",
    "TopicPartition",
    "KafkaError",
    "KafkaTimeoutError",
    "errors",
]
__version__ = "0.1.0"


class TopicPartition(NamedTuple):
    topic: str
    partition: int


_core._set_hooks(errors._make, TopicPartition)


@atexit.register
def _at_exit() -> None:
    _close_live_consumers()
    _close_live_producers()
    _core._shutdown()


from ._aio import AIOProducer  # noqa: E402  (needs the hooks above)
from ._aio_consumer import AIOConsumer  # noqa: E402
