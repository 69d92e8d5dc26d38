"""kwire.Consumer's offset lookups against the harness's broker, in
kafka-python's shape: offsets_for_times() -> {TopicPartition:
OffsetAndTimestamp or None}, beginning_offsets() / end_offsets() ->
{TopicPartition: offset} (the LSO under read_committed while a transaction
is open), for partitions the consumer is not assigned; a partition without
a leader times out naming it; group_metadata() read in one call; AIOConsumer
the same through the event loop."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

import kwire
from kwire import errors


@pytest.fixture(scope="module")
def timed_topic(cluster) -> str:
    """Partition 0 holds records with CreateTime 1000, 2000, 3000; partition 1 is empty."""
    topic = cluster.create_topic(2, prefix="py-offsets")
    with kwire.Producer(cluster.config()) as producer:
        futures = [producer.send(topic, b"v%d" % ts, partition=0, timestamp_ms=ts) for ts in (1000, 2000, 3000)]
        for future in futures:
            future.get(30)
    return topic


def test_offsets_for_times_finds_the_first_record_at_or_after_the_time(cluster, timed_topic):
    p0, p1 = kwire.TopicPartition(timed_topic, 0), kwire.TopicPartition(timed_topic, 1)
    with kwire.Consumer(cluster.config()) as consumer:  # no group, nothing assigned
        found = consumer.offsets_for_times({p0: 1500, p1: 1000}, timeout=30)
        assert set(found) == {p0, p1}
        assert all(type(tp) is kwire.TopicPartition for tp in found)
        hit = found[p0]
        assert isinstance(hit, kwire.OffsetAndTimestamp)
        assert (hit.offset, hit.timestamp) == (1, 2000)
        assert hit.leader_epoch is not None and hit.leader_epoch >= 0
        assert found[p1] is None  # empty partition
        assert consumer.offsets_for_times({(timed_topic, 0): 99999}, timeout=30) == {p0: None}
        assert consumer.offsets_for_times({p0: 0})[p0][:2] == (0, 1000)
        assert consumer.offsets_for_times({}) == {}
        with pytest.raises(ValueError):
            consumer.offsets_for_times({p0: -1})
        assert consumer.assignment() == []


def test_beginning_and_end_offsets(cluster, timed_topic):
    p0, p1 = kwire.TopicPartition(timed_topic, 0), kwire.TopicPartition(timed_topic, 1)
    with kwire.Consumer(cluster.config()) as consumer:
        assert consumer.beginning_offsets([p0, p1], timeout=30) == {p0: 0, p1: 0}
        assert consumer.end_offsets([p0, (timed_topic, 1)], timeout=30) == {p0: 3, p1: 0}


def test_end_offsets_stop_at_the_open_transaction_under_read_committed(cluster):
    topic = cluster.create_topic(1, prefix="py-offsets-lso")
    tp = kwire.TopicPartition(topic, 0)
    with kwire.Producer(cluster.config()) as plain:
        for i in range(2):
            plain.send(topic, b"plain%d" % i, partition=0).get(30)
    with kwire.Producer(cluster.config(transactional_id=f"py-lso-{uuid.uuid4().hex[:12]}")) as producer, \
            kwire.Consumer(cluster.config()) as uncommitted, \
            kwire.Consumer(cluster.config(isolation_level="read_committed")) as committed:
        producer.init_transactions(30)
        producer.begin_transaction()
        producer.send(topic, b"open", partition=0)
        producer.flush(30)
        assert uncommitted.end_offsets([tp], timeout=30) == {tp: 3}  # high watermark
        assert committed.end_offsets([tp], timeout=30) == {tp: 2}    # last stable offset
        producer.commit_transaction(30)
        deadline = time.monotonic() + 10
        while committed.end_offsets([tp], timeout=30)[tp] != 4:  # past the commit marker
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_a_partition_without_leader_times_out_naming_it(cluster, timed_topic):
    with kwire.Consumer(cluster.config()) as consumer:
        started = time.monotonic()
        with pytest.raises(errors.KafkaTimeoutError) as raised:
            consumer.offsets_for_times({(timed_topic, 7): 0}, timeout=1.5)
        took = time.monotonic() - started
        assert 1.4 <= took < 10
        assert f"{timed_topic}/7 (leader unknown)" in str(raised.value)


def test_group_metadata_for_send_offsets_to_transaction(cluster, timed_topic):
    group_id = f"py-offsets-group-{uuid.uuid4().hex[:8]}"
    with kwire.Consumer(cluster.config(group_id=group_id, auto_offset_reset="earliest"), timed_topic) as consumer:
        before = consumer.group_metadata()
        assert before == kwire.ConsumerGroupMetadata(group_id, -1, "", None)
        deadline = time.monotonic() + 30
        while not consumer.assignment():
            assert time.monotonic() < deadline
            consumer.consume(10, timeout=0.5)
        metadata = consumer.group_metadata()
        assert metadata.group_id == group_id
        assert metadata.generation_id == consumer.generation >= 0
        assert metadata.member_id == consumer.member_id != ""
        assert metadata.group_instance_id is None


def test_aio_consumer_lookups(cluster, timed_topic):
    p0 = kwire.TopicPartition(timed_topic, 0)

    async def lookups():
        async with kwire.AIOConsumer(**cluster.config()) as consumer:
            return (await consumer.offsets_for_times({p0: 1500}, timeout=30),
                    await consumer.beginning_offsets([p0], timeout=30),
                    await consumer.end_offsets([p0], timeout=30))

    found, beginning, end = asyncio.run(lookups())
    assert found[p0][:2] == (1, 2000)
    assert (beginning, end) == ({p0: 0}, {p0: 3})
