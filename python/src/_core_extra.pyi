
# ---- Types defined with the CPython API (hand-written stubs, appended to
# nanobind's stubgen output by python/CMakeLists.txt: stubgen only sees
# nanobind's own classes).

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Generator

class RecordMetadata:
    """Where a record was written (kafka-python's RecordMetadata fields)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int:
        """-1 with acks=0 (the broker does not answer)"""
    @property
    def timestamp(self) -> int:
        """CreateTime in ms as sent, or the broker's LogAppendTime"""
    @property
    def serialized_key_size(self) -> int:
        """-1 for a null key"""
    @property
    def serialized_value_size(self) -> int:
        """-1 for a null value"""
    @property
    def serialized_header_size(self) -> int:
        """bytes of header keys and values, -1 without headers"""
    @property
    def topic_partition(self) -> tuple[str, int]:
        """kwire.TopicPartition(topic, partition)"""

class DeliveryFuture:
    """The delivery of one record (kafka-python's FutureRecordMetadata shape)."""

    def get(self, timeout: float | None = None) -> RecordMetadata:
        """
        Waits for the delivery report (GIL released; Ctrl+C works): the RecordMetadata, or raises the
        record's kwire.errors.KafkaError; KafkaTimeoutError after `timeout` seconds.
        """
    def done(self) -> bool: ...
    def succeeded(self) -> bool: ...
    def failed(self) -> bool: ...
    @property
    def is_done(self) -> bool: ...
    @property
    def value(self) -> RecordMetadata | None:
        """The RecordMetadata once delivered, else None."""
    @property
    def exception(self) -> BaseException | None:
        """The error once failed, else None."""
    def add_callback(self, fn: Callable[..., object], *args: object, **kwargs: object) -> DeliveryFuture:
        """fn(metadata, *args, **kwargs) on success, on the dispatcher thread (at once if already done)."""
    def add_errback(self, fn: Callable[..., object], *args: object, **kwargs: object) -> DeliveryFuture:
        """fn(exception, *args, **kwargs) on failure."""
    def add_both(self, fn: Callable[..., object], *args: object, **kwargs: object) -> DeliveryFuture:
        """fn(metadata_or_exception, *args, **kwargs) either way."""
    def _attach_asyncio(self, future: object, sink: object) -> None: ...

class AioDeliveryFuture:
    """
    kwire.AIOProducer's delivery future: asyncio-compatible (await, gather, wait_for, shield), resolved in
    batches by the producer; its result is the RecordMetadata.
    """

    _asyncio_future_blocking: bool
    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def result(self) -> RecordMetadata: ...
    def exception(self) -> BaseException | None: ...
    def get_loop(self) -> asyncio.AbstractEventLoop: ...
    def add_done_callback(
        self, fn: Callable[[AioDeliveryFuture], object], *, context: contextvars.Context | None = None
    ) -> None: ...
    def remove_done_callback(self, fn: Callable[[AioDeliveryFuture], object]) -> int: ...
    def cancel(self, msg: object = None) -> bool: ...
    def __await__(self) -> Generator[AioDeliveryFuture, None, RecordMetadata]: ...

class _ReadyAwaitable:
    """`await` gives the delivery future at once."""

    def __await__(self) -> Generator[None, None, AioDeliveryFuture]: ...
    def send(self, value: object) -> None: ...
    def throw(self, *args: object) -> None: ...
    def close(self) -> None: ...
