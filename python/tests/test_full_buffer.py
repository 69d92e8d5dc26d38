"""When buffer.memory is full: the sync send waits (GIL released) and then
fails with QueueFullError after max.block.ms; the asyncio send waits
without blocking the event loop and goes through once memory frees."""

from __future__ import annotations

import asyncio
import time

import pytest

import kwire
from kwire import errors
from conftest import LoopGaps, OtherThreadProgress

SMALL_BUFFER = {"buffer.memory": 65536, "batch.size": 16384, "linger.ms": 0}


def test_sync_send_waits_for_memory_then_queue_full(cluster, topic, frozen_broker):
    with kwire.Producer(cluster.config(**SMALL_BUFFER), max_block_ms=1000) as producer:
        producer.send(topic, b"warm").get(30)
        with frozen_broker(), OtherThreadProgress() as other:
            futures = []
            started = time.monotonic()
            while time.monotonic() - started < 10:
                before = time.monotonic()
                ticks_before = other.count
                futures.append(producer.send(topic, b"x" * 4000))
                if time.monotonic() - before > 0.5:
                    break  # this send waited for memory
            blocked_for = time.monotonic() - before
            ticks_during = other.count - ticks_before
            assert 0.9 < blocked_for < 5, blocked_for
            with pytest.raises(errors.QueueFullError):
                futures[-1].get(5)
            assert ticks_during > 100  # the GIL was free while send() waited
        producer.flush(60)
        assert all(f.succeeded() for f in futures[:-1])


def test_async_send_waits_for_memory_without_blocking_the_loop(cluster, topic, frozen_broker):
    async def main():
        async with kwire.AIOProducer(cluster.config(**SMALL_BUFFER)) as producer, LoopGaps() as loop_gaps:
            await producer.send_and_wait(topic, b"warm")
            with frozen_broker():
                sends = [asyncio.create_task(producer.send(topic, b"x" * 4000)) for _ in range(100)]
                await asyncio.sleep(1.5)
                waiting = sum(not s.done() for s in sends)
            deliveries = await asyncio.gather(*sends)      # memory frees once the broker answers
            metadata = await asyncio.gather(*deliveries)
        return waiting, metadata, loop_gaps.gaps

    waiting, metadata, gaps = asyncio.run(main())
    assert waiting > 50  # 100 x 4 KB do not fit in 64 KiB: most sends were waiting for memory
    assert sorted(m.offset for m in metadata) == list(range(1, 101))
    assert max(gaps) < 0.5, max(gaps)
