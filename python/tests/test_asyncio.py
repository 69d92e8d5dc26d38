"""kwire.AIOProducer: aiokafka's shape, 10k concurrent sends, never blocking
the event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

import kwire
from kwire import errors
from conftest import LoopGaps


def run(coro):
    return asyncio.run(coro)


def test_ten_thousand_concurrent_send_and_wait(cluster):
    topic = cluster.create_topic(3)
    count = 10_000

    async def main():
        async with kwire.AIOProducer(cluster.config(), linger_ms=5, value_serializer=str.encode) as producer:
            results = await asyncio.gather(*(producer.send_and_wait(topic, f"m{i}") for i in range(count)))
            stats = producer.statistics()
        return results, stats

    results, stats = run(main())
    assert len(results) == count
    offsets = {(m.partition, m.offset) for m in results}
    assert len(offsets) == count  # every record its own place
    assert stats["records_delivered"] == count
    per_partition = {}
    for m in results:
        per_partition.setdefault(m.partition, []).append(m.offset)
    for offs in per_partition.values():
        assert sorted(offs) == list(range(len(offs)))


def test_send_returns_a_future_and_flush_waits(cluster, topic):
    async def main():
        producer = kwire.AIOProducer(bootstrap_servers=cluster.bootstrap)
        await producer.start()
        try:
            futures = [await producer.send(topic, b"v%d" % i, key=b"k", headers=[("h", b"1")]) for i in range(50)]
            assert all(asyncio.isfuture(f) for f in futures)
            await producer.flush(30)
            assert all(f.done() for f in futures)
            return [f.result().offset for f in futures]
        finally:
            await producer.stop()
            await producer.stop()  # idempotent

    assert run(main()) == list(range(50))
    records = cluster.read_back(topic, 50)
    assert [r["value"] for r in records] == [b"v%d" % i for i in range(50)]
    assert {r["headers"] for r in records} == {"h=1"}


def test_send_takes_aiokafkas_arguments(cluster, topic):
    # AIOProducer.send parses its own arguments (a METH_FASTCALL method), in
    # aiokafka's order: topic, value, key, partition, timestamp_ms, headers.
    async def main():
        async with kwire.AIOProducer(cluster.config()) as producer:
            first = await (await producer.send(topic, b"v", b"k", 0, 1_600_000_000_000, [("h", b"1")]))
            second = await (await producer.send(headers=None, timestamp_ms=None, partition=0, key=None,
                                                value=b"w", topic=topic))
            with pytest.raises(TypeError, match="unexpected keyword argument 'parition'"):
                await producer.send(topic, b"v", parition=0)
            with pytest.raises(TypeError, match="partition must be an int or None"):
                await producer.send(topic, b"v", partition="0")
            with pytest.raises(ValueError, match="timestamp_ms is out of range"):
                await producer.send(topic, b"v", timestamp_ms=2**64)
            with pytest.raises(TypeError, match="topic must be a str"):
                await producer.send(topic.encode(), b"v")
            return first, second

    first, second = run(main())
    assert (first.partition, first.offset, first.timestamp) == (0, 0, 1_600_000_000_000)
    assert (second.partition, second.offset) == (0, 1)
    records = cluster.read_back(topic, 3)  # nothing else was written
    assert [(r["key"], r["value"], r["headers"]) for r in records] == [(b"k", b"v", "h=1"), (None, b"w", "")]


def test_errors_arrive_through_the_future(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config(), max_request_size=1000) as producer:
            with pytest.raises(errors.MessageSizeTooLargeError):
                await producer.send_and_wait(topic, b"x" * 5000)
            future = await producer.send(topic, b"y" * 5000)
            with pytest.raises(errors.MessageSizeTooLargeError):
                await future

    run(main())


def test_cancelled_futures_are_skipped(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config()) as producer:
            cancelled = await producer.send(topic, b"a")
            cancelled.cancel()
            kept = await producer.send(topic, b"b")
            metadata = await kept
            await producer.flush(30)
            return cancelled, metadata

    cancelled, metadata = run(main())
    assert cancelled.cancelled()
    assert metadata.offset == 1  # the cancelled record was still sent (cancel only stops waiting)


def test_the_event_loop_keeps_running_during_sends_and_flush(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config(), linger_ms=5) as producer, LoopGaps() as loop_gaps:
            futures = []
            for i in range(20_000):
                futures.append(await producer.send(topic, b"x" * 100))
                if i % 1000 == 0:
                    await asyncio.sleep(0)  # a real application yields now and then
            await producer.flush(60)
            await asyncio.gather(*futures)
        return loop_gaps.gaps

    gaps = run(main())
    assert len(gaps) > 10
    assert max(gaps) < 1.0, max(gaps)  # no send or flush held the loop for long


def test_not_started_and_not_transactional(cluster, topic):
    async def main():
        producer = kwire.AIOProducer(cluster.config())
        with pytest.raises(errors.ProducerClosedError, match="not started"):
            await producer.send(topic, b"v")
        with pytest.raises(errors.ProducerClosedError, match="not started"):
            await producer.begin_transaction()
        async with producer:  # no transactional.id: transactions are a usage error
            with pytest.raises(errors.TransactionStateError):
                async with producer.transaction():
                    pass

    run(main())


def test_start_fails_when_no_broker_answers():
    async def main():
        producer = kwire.AIOProducer(bootstrap_servers="127.0.0.1:1", start_timeout=1.0)
        with pytest.raises(errors.NoBrokersAvailable):
            await producer.start()

    run(main())
