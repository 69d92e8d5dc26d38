"""DeliveryFuture: get(), callbacks and errbacks each run exactly once, on
one dispatcher thread (never the caller's, never kwire's network thread)."""

from __future__ import annotations

import collections
import sys
import threading
import time

import pytest

import kwire
from kwire import errors
from conftest import OtherThreadProgress


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_every_callback_runs_exactly_once(cluster, topic):
    count = 20_000
    calls = collections.Counter()
    threads = set()
    lock = threading.Lock()

    def on_delivery(metadata, index, tag=None):
        with lock:
            calls[index] += 1
            threads.add(threading.get_ident())
        assert tag == "t"

    def on_error(_error):
        with lock:
            calls.update(["error"])

    def delivered():
        # Under the lock: on a free-threaded build the dispatcher really
        # does run alongside this thread.
        with lock:
            return sum(calls.values())

    with kwire.Producer(cluster.config(), linger_ms=5) as producer:
        for i in range(count):
            producer.send(topic, b"%d" % i).add_callback(on_delivery, i, tag="t").add_errback(on_error)
        producer.flush(60)
        wait_until(lambda: delivered() >= count)
    time.sleep(0.2)  # a duplicate would show up now
    assert len(calls) == count and set(calls.values()) == {1}
    # Callbacks added after their record completed ran at once on this
    # thread (kafka-python's rule); every other one on the one dispatcher.
    assert len(threads - {threading.get_ident()}) == 1


def test_registrations_racing_deliveries_from_many_threads_each_run_once(cluster, topic):
    # Registrations race the network thread's completion of the same
    # records (python/src/completion.cpp hands a record over to whichever of
    # the two finishes last); on a free-threaded build the registering
    # threads also race each other on one future.
    count, registering = 5_000, 4
    calls = collections.Counter()
    lock = threading.Lock()

    def on_delivery(_metadata, index, thread):
        with lock:
            calls[(index, thread)] += 1

    with kwire.Producer(cluster.config(), linger_ms=0) as producer:
        futures = [producer.send(topic, b"%d" % i) for i in range(count)]
        start = threading.Barrier(registering)

        def register(thread):
            start.wait()
            for index, future in enumerate(futures):
                future.add_callback(on_delivery, index, thread)

        threads = [threading.Thread(target=register, args=(t,)) for t in range(registering)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        producer.flush(60)

        def delivered():
            with lock:
                return sum(calls.values())

        wait_until(lambda: delivered() >= count * registering)
    time.sleep(0.2)  # a duplicate would show up now
    assert len(calls) == count * registering and set(calls.values()) == {1}


def test_many_threads_waiting_in_get_each_wake_with_their_own_record(cluster, topic):
    # Waiting get()s share a few mutex/condition-variable slots
    # (Completion::wait_slot): each must still wake, with its own record.
    waiting = 16
    with kwire.Producer(cluster.config(), linger_ms=200) as producer:
        futures = [producer.send(topic, b"%d" % i) for i in range(waiting * 20)]
        results = [None] * len(futures)

        def wait(first):
            for index in range(first, len(futures), waiting):
                results[index] = futures[index].get(30)

        threads = [threading.Thread(target=wait, args=(t,)) for t in range(waiting)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
    offsets = {(m.partition, m.offset) for m in results}
    assert len(offsets) == len(futures) and all(m.topic == topic for m in results)


def test_errback_runs_once_with_the_error_and_callback_not(cluster, topic):
    outcomes = []
    with kwire.Producer(cluster.config(), max_request_size=1000) as producer:
        future = producer.send(topic, b"x" * 5000)
        future.add_callback(lambda md: outcomes.append(("ok", md)))
        future.add_errback(lambda e: outcomes.append(("error", e)))
        future.add_both(lambda either: outcomes.append(("both", either)))
        wait_until(lambda: len(outcomes) == 2)
    time.sleep(0.1)
    assert [kind for kind, _ in outcomes] == ["error", "both"]
    assert isinstance(outcomes[0][1], errors.MessageSizeTooLargeError)
    assert future.failed() and not future.succeeded() and future.is_done
    assert isinstance(future.exception, errors.MessageSizeTooLargeError)


def test_callback_added_after_delivery_runs_at_once_on_the_caller(cluster, topic):
    with kwire.Producer(cluster.config()) as producer:
        future = producer.send(topic, b"v")
        metadata = future.get(30)
        seen = []
        future.add_callback(lambda md: seen.append((md.offset, threading.get_ident())))
        assert seen == [(metadata.offset, threading.get_ident())]
        assert future.succeeded() and future.value.offset == metadata.offset
        assert future.get(0).offset == metadata.offset  # get() again: same outcome


def test_a_raising_callback_does_not_stop_the_others(cluster, topic, monkeypatch):
    seen = []
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: reported.append(info.exc_value))

    def broken(_):
        raise RuntimeError("callback bug")

    with kwire.Producer(cluster.config()) as producer:
        for i in range(3):
            producer.send(topic, b"v").add_callback(broken).add_callback(lambda md, i=i: seen.append(i))
        producer.flush(30)
        wait_until(lambda: len(seen) == 3)
    assert sorted(seen) == [0, 1, 2]
    assert [str(e) for e in reported] == ["callback bug"] * 3  # reported, as kafka-python logs them


def test_get_timeout_raises_kafka_timeout_error(cluster, topic, frozen_broker):
    with kwire.Producer(cluster.config(), linger_ms=0) as producer:
        producer.send(topic, b"warm").get(30)
        with frozen_broker():
            future = producer.send(topic, b"v")
            started = time.monotonic()
            try:
                future.get(timeout=0.5)
                raise AssertionError("get() returned")
            except errors.KafkaTimeoutError as e:
                assert e.retriable and "no delivery report within" in str(e)
            assert 0.4 < time.monotonic() - started < 5
        assert future.get(30).offset == 1


def test_get_releases_the_gil(cluster, topic, frozen_broker):
    with kwire.Producer(cluster.config(), linger_ms=0) as producer:
        producer.send(topic, b"warm").get(30)
        with frozen_broker(), OtherThreadProgress() as other:
            future = producer.send(topic, b"v")
            before = other.count
            with pytest.raises(errors.KafkaTimeoutError):
                future.get(timeout=0.5)
            during = other.count - before
    assert during > 100  # the other thread kept running while get() waited


def test_a_producer_dropped_without_close_still_delivers(cluster, topic):
    delivered = []
    producer = kwire.Producer(cluster.config(), linger_ms=50)
    for i in range(100):
        producer.send(topic, b"%d" % i).add_callback(lambda md: delivered.append(md.offset))
    del producer  # closes on a background thread (a destructor must not block)
    import gc
    gc.collect()
    wait_until(lambda: len(delivered) == 100)
    assert sorted(delivered) == list(range(100))


def test_registrations_return_the_future_and_check_their_arguments(cluster, topic):
    seen = []
    with kwire.Producer(cluster.config()) as producer:
        future = producer.send(topic, b"v")
        assert future.add_callback(lambda md, *a, **k: seen.append((a, k)), 1, 2, x=3) is future
        assert future.add_errback(seen.append) is future
        assert future.add_both(lambda either, tag: seen.append(tag), "both") is future
        with pytest.raises(TypeError):
            future.add_callback()  # no callable
        future.get(30)
        wait_until(lambda: len(seen) == 2)
    assert seen == [((1, 2), {"x": 3}), "both"]


def test_reused_deliveries_carry_nothing_over(cluster, topic):
    # Each record's completion is recycled (python/src/completion.cpp): a
    # record after a failed one, with or without callbacks, starts clean.
    with kwire.Producer(cluster.config(), max_request_size=1000) as producer:
        for round_ in range(3):
            calls = collections.Counter()
            failed = [producer.send(topic, b"x" * 5000).add_errback(lambda e: calls.update(["errback"]))
                      for _ in range(200)]
            for future in failed:
                with pytest.raises(errors.MessageSizeTooLargeError):
                    future.get(30)
            del failed  # their completions go back to the pool
            ok = [producer.send(topic, b"%d" % i, key=b"k" if i % 2 else None) for i in range(2000)]
            metadata = [future.get(30) for future in ok]
            assert all(future.succeeded() and future.exception is None for future in ok)
            assert all(m.topic == topic and m.offset >= 0 for m in metadata)
            assert [m.serialized_key_size for m in metadata[:4]] == [-1, 1, -1, 1]
            assert [m.serialized_value_size for m in metadata[:3]] == [1, 1, 1]
            assert all(m.serialized_header_size == -1 for m in metadata)
            del ok, metadata
            producer.flush(30)
            wait_until(lambda: calls["errback"] == 200)
            assert producer.pending == 0
