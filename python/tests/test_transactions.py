"""Transactions on kwire.Producer: committed records are visible and aborted
ones invisible to read_committed readers (kwire.Consumer and kcat), offsets
commit with the transaction, and a fenced producer raises the fatal class."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

import kwire
from kwire import errors


def transactional(cluster, **overrides) -> kwire.Producer:
    return kwire.Producer(cluster.config(transactional_id=f"py-txn-{uuid.uuid4().hex[:12]}", **overrides))


def read_all(cluster, topic: str, isolation: str, count: int) -> list:
    """Values of `topic` as a kwire.Consumer with `isolation` reads them, up to
    its end (`count` expected)."""
    values = []
    # A group.id although only assign() is used: kwire's consumer without a
    # group fetches no metadata (a C++ issue reported to the lead).
    with kwire.Consumer(cluster.config(), group_id=f"py-reader-{uuid.uuid4().hex[:8]}", enable_auto_commit=False,
                        auto_offset_reset="earliest", isolation_level=isolation) as consumer:
        consumer.assign([(topic, 0)])
        deadline = time.monotonic() + 30
        while len(values) < count:
            assert time.monotonic() < deadline, values
            values.extend(m.value for m in consumer.consume(100, timeout=0.5))
        assert consumer.consume(100, timeout=0.3) == []  # and nothing else
    return values


def kcat_read_committed(cluster, topic: str) -> list:
    result = subprocess.run(
        ["kcat", "-q", "-b", cluster.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e",
         "-X", "isolation.level=read_committed", "-f", "%s\\n"],
        capture_output=True, timeout=30, check=True)
    return result.stdout.decode().split()


def test_committed_visible_aborted_invisible(cluster, topic):
    with transactional(cluster) as producer:
        producer.init_transactions(30)
        with producer.transaction():
            for v in (b"a1", b"a2", b"a3"):
                producer.send(topic, v)
        with pytest.raises(RuntimeError, match="changed my mind"):
            with producer.transaction():
                producer.send(topic, b"b1")
                producer.send(topic, b"b2").get(30)  # written to the log, then aborted
                raise RuntimeError("changed my mind")
        producer.begin_transaction()  # the explicit calls
        producer.send(topic, b"c1")
        producer.commit_transaction(30)
        producer.begin_transaction()
        producer.send(topic, b"d1").get(30)
        producer.abort_transaction(30)
        producer.begin_transaction()
        unsent = producer.send(topic, b"e1")
        producer.abort_transaction(30)  # fails what was not sent yet, or aborts it
        if unsent.failed():
            assert isinstance(unsent.exception, errors.KafkaError)

    expected = [b"a1", b"a2", b"a3", b"c1"]
    assert read_all(cluster, topic, "read_committed", 4) == expected
    assert kcat_read_committed(cluster, topic) == [v.decode() for v in expected]
    # The aborted records are in the log: read_uncommitted sees them.
    uncommitted = read_all(cluster, topic, "read_uncommitted", 7 if unsent.failed() else 8)
    assert set(uncommitted) - {b"e1"} == set(expected + [b"b1", b"b2", b"d1"])


def committed_when_stable(consumer: kwire.Consumer, tp) -> int:
    """committed(), retried while the broker still writes the transaction's
    markers (UNSTABLE_OFFSET_COMMIT: kwire's committed() does not retry it)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return consumer.committed([tp])[tp]
        except errors.BrokerResponseError as error:
            if error.name != "UNSTABLE_OFFSET_COMMIT" or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_offsets_commit_with_the_transaction(cluster, topic):
    source = f"{topic}-in"
    with kwire.Producer(cluster.config()) as producer:
        for i in range(5):
            producer.send(source, b"in%d" % i)
    group_id = f"py-txn-group-{uuid.uuid4().hex[:8]}"
    consumer_config = cluster.config(group_id=group_id, auto_offset_reset="earliest", enable_auto_commit=False,
                                     isolation_level="read_committed")
    with kwire.Consumer(consumer_config, source) as consumer, transactional(cluster) as producer:
        producer.init_transactions(30)
        copied = []
        deadline = time.monotonic() + 30
        while len(copied) < 5:
            assert time.monotonic() < deadline
            copied.extend(consumer.consume(5 - len(copied), timeout=0.5))
        with producer.transaction():
            for m in copied:
                producer.send(topic, m.value.replace(b"in", b"out"))
            producer.send_offsets_to_transaction({m.topic_partition: m.offset + 1 for m in copied},
                                                 consumer.group_metadata())
        tp = kwire.TopicPartition(source, 0)
        assert committed_when_stable(consumer, tp) == 5
    assert read_all(cluster, topic, "read_committed", 5) == [b"out%d" % i for i in range(5)]


def test_fenced_producer_raises_the_fatal_class(cluster, topic):
    transactional_id = f"py-txn-fence-{uuid.uuid4().hex[:8]}"
    config = cluster.config(transactional_id=transactional_id)
    zombie = kwire.Producer(config)
    zombie.init_transactions(30)
    zombie.begin_transaction()
    zombie.send(topic, b"zombie").get(30)
    with kwire.Producer(config) as successor:
        successor.init_transactions(30)  # fences the zombie, aborts its transaction
        with pytest.raises(errors.FatalTransactionError) as caught:
            zombie.commit_transaction(30)
        error = caught.value
        assert isinstance(error, errors.FatalProducerError) and isinstance(error, errors.TransactionError)
        assert error.kind == "fatal" and transactional_id in error.detail
        assert type(error) is errors.ProducerFencedError, (error.name, str(error))
        with pytest.raises(errors.FatalTransactionError):
            zombie.begin_transaction()  # every later call fails alike
        with successor.transaction():
            successor.send(topic, b"successor")
    zombie.close(0)
    assert read_all(cluster, topic, "read_committed", 1) == [b"successor"]


def test_misuse_raises_the_state_class(cluster, topic):
    with transactional(cluster) as producer:
        with pytest.raises(errors.TransactionStateError) as caught:
            producer.begin_transaction()  # before init_transactions
        assert caught.value.kind == "usage" and isinstance(caught.value, errors.IllegalStateError)
        producer.init_transactions(30)
        with pytest.raises(errors.TransactionStateError):
            producer.commit_transaction(5)  # no transaction open
        with pytest.raises(errors.IllegalStateError):
            producer.send(topic, b"outside").get(30)  # records only inside a transaction
    with kwire.Producer(cluster.config()) as plain:
        with pytest.raises(errors.TransactionStateError):
            plain.init_transactions(5)  # no transactional.id


def test_async_transactions(cluster, topic):
    import asyncio

    async def main():
        config = cluster.config(transactional_id=f"py-aio-txn-{uuid.uuid4().hex[:8]}")
        async with kwire.AIOProducer(config) as producer:  # start() runs init_transactions()
            async with producer.transaction():
                futures = [await producer.send(topic, b"async-%d" % i) for i in range(3)]
            assert all(f.done() for f in futures)  # committed: every delivery reached the loop
            with pytest.raises(KeyError):
                async with producer.transaction():
                    await producer.send_and_wait(topic, b"aborted")
                    raise KeyError("abort")
            await producer.begin_transaction()
            await producer.send(topic, b"explicit")
            await producer.commit_transaction()
        return [f.result().offset for f in futures]

    assert asyncio.run(main()) == [0, 1, 2]
    assert kcat_read_committed(cluster, topic) == ["async-0", "async-1", "async-2", "explicit"]
