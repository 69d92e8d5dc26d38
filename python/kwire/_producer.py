"""kwire.Producer: the synchronous producer (kafka-python's shape)."""

from __future__ import annotations

import contextlib
import json
import weakref
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Tuple, Union

from . import _core
from ._config import kafka_properties
from ._consumer import Consumer, ConsumerGroupMetadata, Offsets, offset_tuples
from .errors import AbortableTransactionError, KafkaError

Serializer = Optional[Callable[[Any], Any]]
Headers = Optional[Union[Iterable[Tuple[str, Optional[bytes]]], Mapping[str, Optional[bytes]]]]

# Open producers, closed at interpreter exit (as kafka-python does) before
# the dispatcher thread stops.
_live: "weakref.WeakSet[Producer]" = weakref.WeakSet()


class Producer(_core.Producer):
    """Sends records to Kafka; every record gets a DeliveryFuture.

    ``config`` takes Kafka property names (``"bootstrap.servers"``,
    ``"linger.ms"``) or kafka-python's snake_case ones, also as keyword
    arguments: ``Producer(bootstrap_servers="b:9092", acks="all")``.
    A serializer is a callable ``f(obj) -> bytes`` or an object with
    ``serialize(topic, obj, headers)``; ``None`` keys and values are never
    serialized (they stay null, so tombstones work with a serializer).

    Delivery callbacks (``future.add_callback``) run on one background
    thread of kwire's, in batches; never on the network thread.
    """

    def __init__(
        self,
        config: Optional[Mapping[str, Any]] = None,
        key_serializer: Serializer = None,
        value_serializer: Serializer = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(kafka_properties(config, kwargs), key_serializer, value_serializer)
        _live.add(self)

    def send_sync(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        headers: Headers = None,
        partition: Optional[int] = None,
        timestamp_ms: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> _core.RecordMetadata:
        """``send(...).get(timeout)``: the record's metadata, or raises its error."""
        return self.send(topic, value, key, headers, partition, timestamp_ms).get(timeout)

    # ---- transactions (transactional.id set) -------------------------------

    def send_offsets_to_transaction(
        self,
        offsets: Offsets,
        group: Union[str, ConsumerGroupMetadata, Consumer],
        timeout: Optional[float] = None,
    ) -> None:
        """Commits the consumer's ``offsets`` (``{TopicPartition: next
        offset}``) with the open transaction, atomically (KIP-447).
        ``group`` is ``consumer.group_metadata()`` (fences zombies by
        generation), the consumer itself, or just the group id."""
        if isinstance(group, Consumer):
            group = group.group_metadata()
        elif isinstance(group, str):
            group = ConsumerGroupMetadata(group)
        self._send_offsets_to_transaction(offset_tuples(offsets), tuple(group), timeout)

    @contextlib.contextmanager
    def transaction(self, timeout: Optional[float] = None) -> Iterator["Producer"]:
        """``with producer.transaction():`` begins a transaction, commits it
        when the block ends normally and aborts it when the block raises
        (the block's exception then propagates). A commit that fails with
        AbortableTransactionError is aborted and the error raised; a fatal
        error (ProducerFencedError, ...) is raised as is: close the
        producer."""
        self.begin_transaction()
        try:
            yield self
        except BaseException:
            with contextlib.suppress(KafkaError):  # the block's exception says more
                self.abort_transaction(timeout)
            raise
        try:
            self.commit_transaction(timeout)
        except AbortableTransactionError:
            self.abort_transaction(timeout)
            raise

    def statistics(self) -> dict:
        """A snapshot of kwire's statistics (docs/observability.md) as a dict."""
        return json.loads(self.statistics_json())

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.pending} pending"
        return f"<kwire.Producer {state}>"


def _close_live_producers() -> None:
    for producer in list(_live):
        if not producer.closed:
            try:
                producer.close()
            except Exception:  # at exit: report nothing more than kwire logged
                pass
