"""kwire.AIOConsumer: the asyncio consumer (aiokafka's shape).

kwire's consumer has no readiness notification an event loop could watch,
so its blocking poll runs on one worker thread of this consumer's own (in
slices of at most 200 ms, GIL released), never on the loop. Every call that
reaches kwire goes through that one thread, in order, as kwire wants (one
thread at a time). A fetch is shared: a getone() cancelled while it runs
loses nothing, the messages go to the buffer for the next call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ._consumer import Consumer, Offsets, offset_tuples
from ._core import Message
from .errors import ConsumerClosedError

_FETCH_SLICE = 0.2  # seconds a shared fetch waits on the worker thread


class AIOConsumer:
    """``AIOConsumer(*topics, bootstrap_servers=..., group_id=...)``;
    ``await start()``/``await stop()`` or ``async with``; ``await
    getone()``, ``await getmany(timeout_ms, max_records)``, ``async for
    message in consumer``; ``await commit()``, ``await seek(...)``. Config
    as for :class:`kwire.Consumer`."""

    def __init__(
        self,
        *topics: str,
        config: Optional[Mapping[str, Any]] = None,
        key_deserializer: Any = None,
        value_deserializer: Any = None,
        **kwargs: Any,
    ) -> None:
        self._topics = list(topics)
        self._deserializers = dict(key_deserializer=key_deserializer, value_deserializer=value_deserializer)
        self._config = dict(config or {})
        self._config.update(kwargs)
        self._consumer: Optional[Consumer] = None
        self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._filling: Optional[asyncio.Future] = None

    async def start(self) -> None:
        """Creates the consumer and subscribes to the topics given."""
        if self._consumer is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kwire-aioconsumer")
        consumer = await self._loop.run_in_executor(self._executor, lambda: Consumer(self._config, **self._deserializers))
        if self._topics:
            await self._loop.run_in_executor(self._executor, consumer.subscribe, self._topics)
        self._consumer = consumer

    async def stop(self, timeout: Optional[float] = None) -> None:
        """Commits (enable.auto.commit), leaves the group, closes. Idempotent."""
        consumer, executor = self._consumer, self._executor
        if consumer is None or executor is None or consumer.closed:
            return
        consumer._begin_close()  # a fetch on the worker returns at once
        try:
            await self._loop.run_in_executor(executor, consumer.close, timeout)
        finally:
            executor.shutdown(wait=False)

    def _started(self) -> Consumer:
        if self._consumer is None:
            raise ConsumerClosedError("AIOConsumer is not started: await start() or use async with")
        return self._consumer

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await self._loop.run_in_executor(self._executor, fn, *args)

    # ---- reading ------------------------------------------------------------

    def _fill(self, timeout: float) -> "asyncio.Future[List[Message]]":
        """The fetch in progress, or a new one; its messages go to the
        consumer's buffer whoever awaits it (or nobody)."""
        if self._filling is None or self._filling.done():
            consumer = self._started()
            future = self._loop.run_in_executor(self._executor, consumer._fetch, timeout)

            def filled(done: asyncio.Future) -> None:
                if not done.cancelled() and done.exception() is None:
                    consumer._buffer.extend(done.result())

            future.add_done_callback(filled)
            self._filling = future
        return self._filling

    async def getone(self) -> Message:
        """The next message (waits as long as it takes)."""
        consumer = self._started()
        while True:
            while not consumer._buffer:
                await asyncio.shield(self._fill(_FETCH_SLICE))
            taken = consumer._take(1)
            if taken:
                return taken[0]

    async def getmany(self, timeout_ms: int = 0, max_records: Optional[int] = None) -> Dict[Any, List[Message]]:
        """``{TopicPartition: [messages]}``: what arrived within
        ``timeout_ms`` (what is buffered at once), at most ``max_records``."""
        consumer = self._started()
        deadline = self._loop.time() + timeout_ms / 1000.0
        while not consumer._buffer:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                break
            await asyncio.shield(self._fill(min(remaining, _FETCH_SLICE)))
        out: Dict[Any, List[Message]] = {}
        for message in consumer._take(len(consumer._buffer) if max_records is None else max_records):
            out.setdefault(message.topic_partition, []).append(message)
        return out

    def __aiter__(self) -> "AIOConsumer":
        return self

    async def __anext__(self) -> Message:
        try:
            return await self.getone()
        except ConsumerClosedError:
            raise StopAsyncIteration from None

    # ---- the rest, on the worker thread --------------------------------------

    async def subscribe(self, topics: Any = (), *, pattern: Optional[str] = None) -> None:
        """Topics by name, or (aiokafka's ``pattern=``) every topic whose whole
        name matches a regular expression."""
        consumer = self._started()
        names = [topics] if isinstance(topics, str) else list(topics)
        if (pattern is None) == (not names):
            raise ValueError("subscribe() takes topics or pattern=, exactly one of them")
        if pattern is not None:
            await self._call(consumer._subscribe_pattern, pattern)
        else:
            await self._call(consumer._subscribe, names)

    async def assignment(self) -> list:
        return await self._call(self._started().assignment)

    async def commit(self, offsets: Optional[Offsets] = None, timeout: Optional[float] = None) -> None:
        """As Consumer.commit(): by default up to the last message handed out."""
        consumer = self._started()
        if offsets is None:  # read the buffer here, on the loop that changes it
            to_commit = await self._call(consumer._handed_out, consumer._next_offsets())
        else:
            to_commit = offset_tuples(offsets)
        await self._call(consumer._commit, to_commit, timeout)

    async def committed(self, partitions: Any, timeout: Optional[float] = None) -> Dict[Any, Optional[int]]:
        return await self._call(self._started().committed, list(partitions), timeout)

    async def offsets_for_times(self, timestamps: Any, timeout: Optional[float] = None) -> Dict[Any, Any]:
        """As Consumer.offsets_for_times()."""
        return await self._call(self._started().offsets_for_times, dict(timestamps), timeout)

    async def beginning_offsets(self, partitions: Any, timeout: Optional[float] = None) -> Dict[Any, int]:
        return await self._call(self._started().beginning_offsets, list(partitions), timeout)

    async def end_offsets(self, partitions: Any, timeout: Optional[float] = None) -> Dict[Any, int]:
        return await self._call(self._started().end_offsets, list(partitions), timeout)

    async def position(self, partition: Tuple[str, int]) -> Optional[int]:
        consumer = self._started()
        topic, number = partition
        buffered = consumer._next_offsets().get((topic, number))
        if buffered is not None:
            return buffered
        return await self._call(consumer._position, topic, number)

    async def seek(self, partition: Tuple[str, int], offset: int) -> None:
        consumer = self._started()
        topic, number = partition
        consumer._drop({(topic, number)})
        await self._call(consumer._seek, topic, number, offset)

    async def __aenter__(self) -> "AIOConsumer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()
