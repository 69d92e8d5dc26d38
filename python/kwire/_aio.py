"""kwire.AIOProducer: the asyncio producer (aiokafka's shape).

Deliveries reach the event loop in batches and without any background
thread taking the GIL: kwire's network thread completes each record in C++
and queues it on the producer's _AsyncSink, waking the loop through an
eventfd (loop.add_reader) once per batch; the loop's reader callback,
sink.drain(), resolves every future of the batch (skipping the ones
already cancelled). The futures are C++ (AioDeliveryFuture), and their done
callbacks (a gather's, an awaiting Task's) run from one loop callback per
batch rather than one loop Handle each.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, Mapping, Optional

from . import _core
from ._producer import Headers, Producer, Serializer
from .errors import AbortableTransactionError, KafkaError, ProducerClosedError


class AIOProducer(_core._AioSender):
    """Sends records from asyncio code without blocking the event loop.

    ``await send()`` queues the record (waiting, without blocking the loop,
    while buffer.memory is full) and returns an asyncio-compatible future
    for its delivery; ``await send_and_wait()`` does both. ``start()``/``stop()`` or
    ``async with``. Config as for :class:`kwire.Producer`. With
    ``transactional_id`` set, start() also runs init_transactions() and
    ``async with producer.transaction():`` groups sends atomically.
    """

    def __init__(
        self,
        config: Optional[Mapping[str, Any]] = None,
        *,
        key_serializer: Serializer = None,
        value_serializer: Serializer = None,
        start_timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self._config = dict(config or {})
        self._config.update(kwargs)
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer
        self._start_timeout = start_timeout
        self._producer: Optional[Producer] = None
        self._sink: Optional[_core._AsyncSink] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._max_block = 60.0

    async def start(self) -> None:
        """Creates the producer and waits until the cluster answers (raises
        NoBrokersAvailable / AuthenticationFailedError otherwise)."""
        if self._producer is not None:
            return
        loop = asyncio.get_running_loop()
        producer = Producer(self._config, self._key_serializer, self._value_serializer)
        try:
            await loop.run_in_executor(None, producer.wait_for_cluster, self._start_timeout)
            if producer.transactional:  # aiokafka: start() registers the transactional id
                await loop.run_in_executor(None, producer.init_transactions, self._start_timeout)
        except BaseException:
            await loop.run_in_executor(None, producer.close, 0)
            raise
        sink = _core._AsyncSink(loop)
        loop.add_reader(sink.fileno(), sink.drain)
        self._producer = producer
        self._sink = sink
        self._loop = loop
        self._bind(producer, sink)
        self._max_block = producer.max_block

    async def stop(self, timeout: Optional[float] = None) -> None:
        """Delivers what is queued (up to ``timeout`` seconds, default
        delivery.timeout.ms) and closes. Idempotent."""
        producer = self._producer
        if producer is None or producer.closed:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(None, producer.close, timeout)
        finally:
            sink = self._sink
            sink.drain()  # every record has its report now: set the last futures
            self._loop.remove_reader(sink.fileno())
            sink.close()

    def _started(self) -> Producer:
        if self._producer is None:
            raise ProducerClosedError("AIOProducer is not started: await start() or use async with")
        return self._producer

    # send(topic, value=None, key=None, partition=None, timestamp_ms=None,
    # headers=None) is _core._AioSender.send (C++, one call per record); it
    # comes back here only when the record would wait.

    async def _send_when_ready(self, future, signal, topic, value, key, headers, partition, timestamp_ms):
        """send() when the record would wait: retries each time kwire says
        it may succeed, up to max.block.ms; returns the record's future."""
        producer = self._started()
        sink = self._sink
        loop = self._loop
        deadline = loop.time() + self._max_block
        while signal is not None:
            ready = loop.create_future()
            signal._attach_asyncio(ready, sink)  # kwire's on_ready, through the dispatcher
            remaining = deadline - loop.time()
            if remaining > 0:
                try:
                    await asyncio.wait_for(ready, remaining)
                except asyncio.TimeoutError:
                    pass
            if loop.time() >= deadline:  # refused with send()'s error (QueueFullError, ...)
                producer._send_without_waiting(topic, value, key, headers, partition, timestamp_ms)._attach_asyncio(
                    future, sink)
                return future
            signal = producer._try_send_to(future, sink, topic, value, key, headers, partition, timestamp_ms)
        return future

    async def send_and_wait(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: Optional[int] = None,
        timestamp_ms: Optional[int] = None,
        headers: Headers = None,
    ) -> _core.RecordMetadata:
        """``await (await send(...))``."""
        future = await self.send(topic, value, key, partition, timestamp_ms, headers)
        return await future

    async def flush(self, timeout: Optional[float] = None) -> None:
        """Waits for every record sent so far (KafkaTimeoutError after
        ``timeout`` seconds)."""
        await self._then_every_future_done(self._started().flush, timeout)

    async def _then_every_future_done(self, call: Any, timeout: Optional[float]) -> None:
        """Runs the blocking `call(timeout)` off the loop; kwire has then
        reported every record it concerns: let their futures reach this loop
        too, so that every future sent before is done after it."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, call, timeout)
        barrier = loop.create_future()
        _core._dispatch_barrier(barrier, self._sink)
        await barrier

    def statistics(self) -> dict:
        return self._started().statistics()

    async def __aenter__(self) -> "AIOProducer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    # ---- transactions (transactional.id set; aiokafka's API) ---------------

    async def begin_transaction(self) -> None:
        """Starts a transaction (local: never waits)."""
        self._started().begin_transaction()

    async def commit_transaction(self, timeout: Optional[float] = None) -> None:
        """Flushes the transaction's records and commits it (see
        Producer.commit_transaction for the error classes); every future of
        the transaction is done when this returns."""
        await self._then_every_future_done(self._started().commit_transaction, timeout)

    async def abort_transaction(self, timeout: Optional[float] = None) -> None:
        """Aborts the transaction; its records' futures fail (or are done)
        when this returns."""
        await self._then_every_future_done(self._started().abort_transaction, timeout)

    async def send_offsets_to_transaction(self, offsets: Any, group: Any, timeout: Optional[float] = None) -> None:
        """As Producer.send_offsets_to_transaction: ``{TopicPartition: next
        offset}`` and the consumer's group_metadata() (or its group id)."""
        producer = self._started()
        await asyncio.get_running_loop().run_in_executor(
            None, producer.send_offsets_to_transaction, offsets, group, timeout)

    @contextlib.asynccontextmanager
    async def transaction(self, timeout: Optional[float] = None) -> AsyncIterator["AIOProducer"]:
        """``async with producer.transaction():`` commits when the block ends
        normally, aborts (and re-raises) when it raises; an
        AbortableTransactionError from the commit is aborted and raised."""
        await self.begin_transaction()
        try:
            yield self
        except BaseException:
            with contextlib.suppress(KafkaError):  # the block's exception says more
                await self.abort_transaction(timeout)
            raise
        try:
            await self.commit_transaction(timeout)
        except AbortableTransactionError:
            await self.abort_transaction(timeout)
            raise
