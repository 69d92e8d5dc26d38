"""kwire.AIOConsumer: getone/getmany/async for, commit and resume, a
cancelled getone losing nothing, the event loop never blocked."""

from __future__ import annotations

import asyncio
import time
import uuid

import kwire
from conftest import LoopGaps


def test_getone_getmany_async_for_commit_and_resume(cluster, topic):
    with kwire.Producer(cluster.config()) as producer:
        for i in range(30):
            producer.send(topic, b"v%d" % i, key=b"k%d" % i, headers=[("i", b"%d" % i)])
    config = dict(cluster.config(), group_id=f"py-aio-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest",
                  enable_auto_commit=False)
    tp = kwire.TopicPartition(topic, 0)

    async def first_pass():
        async with LoopGaps() as gaps, kwire.AIOConsumer(topic, **config) as consumer:
            one = await asyncio.wait_for(consumer.getone(), 30)
            many = await consumer.getmany(timeout_ms=5000, max_records=5)
            assert set(many) == {tp} and len(many[tp]) <= 5
            rest = many[tp]
            streamed = []
            async for message in consumer:
                streamed.append(message)
                if 1 + len(rest) + len(streamed) == 20:
                    break
            assert await consumer.position(tp) == 20
            await consumer.commit()
            committed = await consumer.committed([tp])
        return [one] + rest + streamed, committed, max(gaps.gaps)

    messages, committed, longest_gap = asyncio.run(first_pass())
    assert [m.offset for m in messages] == list(range(20))
    assert [(m.key, m.value, m.headers) for m in messages[:2]] == [
        (b"k0", b"v0", (("i", b"0"),)), (b"k1", b"v1", (("i", b"1"),))]
    assert committed == {tp: 20}
    assert longest_gap < 0.15  # the loop was never held by a fetch

    async def resume():
        async with kwire.AIOConsumer(topic, **config) as consumer:
            cancelled = asyncio.ensure_future(consumer.getone())
            await asyncio.sleep(0.05)  # a fetch is under way on the worker
            cancelled.cancel()
            outcome = (await asyncio.gather(cancelled, return_exceptions=True))[0]
            # Either cancelled (its fetch goes to the buffer) or already done.
            got = [] if isinstance(outcome, asyncio.CancelledError) else [outcome]
            deadline = time.monotonic() + 30
            while len(got) < 10:
                assert time.monotonic() < deadline
                got.append(await asyncio.wait_for(consumer.getone(), 30))
            assert await consumer.getmany(timeout_ms=300) == {}
        return got

    assert [m.offset for m in asyncio.run(resume())] == list(range(20, 30))
