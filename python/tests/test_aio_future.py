"""kwire.AioDeliveryFuture: AIOProducer's C++ delivery future behaves as an
asyncio future wherever asyncio takes one (await, gather, wait_for, wait,
shield, create_task, done callbacks, cancellation), and send() completes
without a coroutine when the buffer has room."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import types
import weakref

import pytest

import kwire
from kwire import errors


def run(coro):
    return asyncio.run(coro)


# A long linger keeps a just-sent record pending long enough to look at it.
SLOW = {"linger_ms": 300}


def test_the_future_is_asyncio_compatible(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config(**SLOW)) as producer:
            future = await producer.send(topic, b"a")
            assert isinstance(future, kwire.AioDeliveryFuture)
            assert asyncio.isfuture(future)
            assert future.get_loop() is asyncio.get_running_loop()
            assert not future.done() and not future.cancelled()
            assert "pending" in repr(future)
            # Nothing it holds yet can lead back to it: the cyclic GC need not see it.
            assert not gc.is_tracked(future)
            with pytest.raises(asyncio.InvalidStateError):
                future.result()
            with pytest.raises(asyncio.InvalidStateError):
                future.exception()
            metadata = await future
            assert future.done() and "finished" in repr(future)
            assert future.result() is metadata and future.exception() is None
            assert metadata.topic == topic and metadata.offset == 0
            assert await future is metadata  # awaiting again gives the same result
            return True

    assert run(main())


def test_the_cycle_collector_sees_a_future_while_it_can_be_in_a_cycle(cluster, topic):
    class Holder:
        pass

    async def failed_future_in_a_cycle(producer):
        holder = Holder()
        future = await producer.send(topic, b"x" * 5000)  # over max.request.size: fails
        try:
            await future
        except errors.MessageSizeTooLargeError as e:
            # future -> its exception -> traceback -> this frame -> future
            holder.error = e
        assert gc.is_tracked(future)
        return weakref.ref(holder)

    async def main():
        async with kwire.AIOProducer(cluster.config(max_request_size=1000, **SLOW)) as producer:
            future = await producer.send(topic, b"a")
            assert not gc.is_tracked(future)
            future.add_done_callback(lambda f: None)  # a gather's, a Task's: may refer back
            assert gc.is_tracked(future)
            await future
            await asyncio.sleep(0)  # its done callbacks run
            # Done, callbacks gone and a RecordMetadata result: no cycle left.
            assert not gc.is_tracked(future)
            holder = await failed_future_in_a_cycle(producer)
            # Leave the done callback that resumed this task (it still holds
            # the future) before collecting.
            await asyncio.sleep(0)
            gc.collect()
            assert holder() is None  # the cycle through the failed future was collected
            return True

    assert run(main())


def test_gather_wait_for_wait_and_shield(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config(max_request_size=1000)) as producer:
            futures = [await producer.send(topic, b"%d" % i) for i in range(100)]
            results = await asyncio.gather(*futures)
            assert [m.offset for m in results] == list(range(100))
            too_big = await producer.send(topic, b"x" * 5000)
            ok = await producer.send(topic, b"y")
            mixed = await asyncio.gather(too_big, ok, return_exceptions=True)
            assert isinstance(mixed[0], errors.MessageSizeTooLargeError) and mixed[1].offset == 100
            assert isinstance(too_big.exception(), errors.MessageSizeTooLargeError)
            with pytest.raises(errors.MessageSizeTooLargeError):
                too_big.result()
            assert (await asyncio.wait_for(await producer.send(topic, b"z"), 30)).offset == 101
            done, pending = await asyncio.wait([await producer.send(topic, b"w") for _ in range(5)])
            assert len(done) == 5 and not pending
            assert (await asyncio.shield(await producer.send(topic, b"s"))).offset == 107
            return True

    assert run(main())


def test_wait_for_timeout_cancels_and_the_record_is_still_sent(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config(**SLOW)) as producer:
            future = await producer.send(topic, b"late")
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(future, 0.01)
            assert future.cancelled()
            with pytest.raises(asyncio.CancelledError):
                future.result()
            assert not future.cancel()  # already done
            await producer.flush(30)
            return producer.statistics()["records_delivered"]

    assert run(main()) == 1
    assert [r["value"] for r in cluster.read_back(topic, 1)] == [b"late"]


def test_cancel_wakes_the_awaiting_task_and_callbacks_run_once(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config(**SLOW)) as producer:
            future = await producer.send(topic, b"a")
            calls = []
            future.add_done_callback(calls.append)
            waiter = asyncio.ensure_future(future)
            assert waiter is future  # ensure_future takes it as a future
            task = asyncio.create_task(asyncio.sleep(0, result=None))
            await task
            assert future.cancel("stop")
            assert calls == []  # callbacks never run inside cancel()
            with pytest.raises(asyncio.CancelledError, match="stop"):
                await future
            await asyncio.sleep(0)
            assert calls == [future]

            # A Task awaiting the future is cancelled with it.
            other = await producer.send(topic, b"b")

            async def wait_for_it():
                return await other

            task = asyncio.create_task(wait_for_it())
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert other.cancelled()
            await producer.flush(30)
            await asyncio.sleep(0)
            assert calls == [future]  # exactly once, the delivery did not call it again
            return True

    assert run(main())


def test_done_callbacks_exactly_once_in_their_context(cluster, topic):
    variable = contextvars.ContextVar("variable", default="unset")

    async def main():
        async with kwire.AIOProducer(cluster.config()) as producer:
            seen = []
            futures = []
            for i in range(200):
                variable.set(f"v{i}")
                future = await producer.send(topic, b"x")
                future.add_done_callback(lambda f, i=i: seen.append((i, variable.get(), f.result().offset)))
                futures.append(future)
            futures[0].add_done_callback(len)
            assert futures[0].remove_done_callback(len) == 1
            await asyncio.gather(*futures)
            await asyncio.sleep(0)
            assert sorted(i for i, _, _ in seen) == list(range(200))  # once each
            assert all(value == f"v{i}" for i, value, _ in seen)  # the context of add_done_callback
            late = []
            futures[0].add_done_callback(late.append)
            assert late == []  # done already: called soon, not now
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            assert late == [futures[0]]
            explicit = contextvars.copy_context()
            explicit.run(variable.set, "explicit")
            futures[1].add_done_callback(lambda f: late.append(variable.get()), context=explicit)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            assert late[-1] == "explicit"
            return True

    assert run(main())


def test_a_failing_callback_goes_to_the_loop_exception_handler(cluster, topic):
    async def main():
        reports = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reports.append(context))
        async with kwire.AIOProducer(cluster.config()) as producer:
            future = await producer.send(topic, b"x")
            after = []

            def boom(_f):
                raise ValueError("boom")

            future.add_done_callback(boom)
            future.add_done_callback(after.append)
            await future
            await asyncio.sleep(0)
            assert after == [future]  # the next callback still ran
        assert len(reports) == 1
        assert isinstance(reports[0]["exception"], ValueError)
        assert reports[0]["future"] is future
        return True

    assert run(main())


def test_send_without_a_coroutine_and_as_a_task(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config()) as producer:
            await producer.send_and_wait(topic, b"warm")  # the topic's metadata: send() need not wait now
            sent = producer.send(topic, b"a")  # queued during the call
            assert not isinstance(sent, types.CoroutineType)  # no coroutine frame per record
            future = await sent
            assert asyncio.isfuture(future)
            assert await sent is future  # awaiting the same awaitable again
            task = asyncio.create_task(producer.send(topic, b"b"))  # aiokafka code does this
            second = await task
            assert asyncio.isfuture(second)
            first, other = await asyncio.gather(future, second)
            assert (first.offset, other.offset) == (1, 2)
            gathered = await asyncio.gather(*(producer.send(topic, b"c") for _ in range(3)))
            assert all(asyncio.isfuture(f) for f in gathered)  # gather of send()s gives the futures
            await asyncio.gather(*gathered)
            return True

    assert run(main())


def test_callbacks_run_in_registration_order_after_removals(cluster, topic):
    async def main():
        async with kwire.AIOProducer(cluster.config(**SLOW)) as producer:
            future = await producer.send(topic, b"x")
            order = []

            def make(name):
                return lambda _f: order.append(name)

            a, b, c, d = make("a"), make("b"), make("c"), make("d")
            for fn in (a, b, c, a):
                future.add_done_callback(fn)
            assert future.remove_done_callback(a) == 2  # every registration of it
            future.add_done_callback(d)
            assert future.remove_done_callback(make("other")) == 0
            await future
            await asyncio.sleep(0)
            return order

    assert run(main()) == ["b", "c", "d"]
