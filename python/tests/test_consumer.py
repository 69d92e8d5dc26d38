"""kwire.Consumer against the harness's broker: what the producer wrote comes
back once, byte for byte; groups split partitions; commits resume; poll
timeouts, Ctrl+C and close() end waits promptly; bad configs raise clearly."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

import kwire
from kwire import errors
from conftest import OtherThreadProgress


def group() -> str:
    return f"py-group-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def four_partitions(cluster) -> str:
    """One 4-partition topic for the module (creating topics costs a JVM)."""
    return cluster.create_topic(4, prefix="py-consumer")


def read(consumer: kwire.Consumer, count: int, timeout: float = 30.0) -> list:
    messages = []
    deadline = time.monotonic() + timeout
    while len(messages) < count:
        assert time.monotonic() < deadline, f"read {len(messages)} of {count}"
        messages.extend(consumer.consume(count - len(messages), timeout=0.5))
    return messages


def test_reads_every_record_once_byte_for_byte(cluster, four_partitions):
    topic = four_partitions
    binary = bytes(range(256))
    shapes = [
        dict(value=b"plain"),
        dict(value=binary, key=binary[::-1]),
        dict(key=b"tombstone"),                                   # null value
        dict(value=b"", key=b""),                                 # empty, not null
        dict(value=b"h", headers=[("a", b"1"), ("null", None), ("a", b"\x00\xff"), ("", b"")]),
        dict(value="text é".encode(), key="ключ".encode(), timestamp_ms=1_600_000_000_123),
    ]
    sent = []
    with kwire.Producer(cluster.config(), linger_ms=5) as producer:
        futures = []
        for i in range(40):
            shape = dict(shapes[i % len(shapes)])
            if "value" in shape:
                shape["value"] = shape["value"] + b"#%d" % i
            futures.append((shape, producer.send(topic, partition=i % 4, **shape)))
        for shape, future in futures:
            md = future.get(30)
            sent.append((md.partition, md.offset, shape))
    with kwire.Consumer(cluster.config(), topic, group_id=group(), auto_offset_reset="earliest",
                        enable_auto_commit=False) as consumer:
        messages = read(consumer, len(sent))
        assert consumer.poll(0.5) is None  # nothing twice, nothing else
        stats = consumer.statistics()  # kwire.Consumer.statistics(): the C++ snapshot as a dict
        assert stats["records_consumed"] == len(sent)
        assert stats["assignment_size"] == 4 and stats["group_state"] == "stable"
        assert sorted(p["position"] for p in stats["partitions"]) == [10, 10, 10, 10]
    received = {(m.partition, m.offset): m for m in messages}
    assert len(received) == len(messages) == len(sent)
    for partition, offset, shape in sent:
        m = received[(partition, offset)]
        assert m.topic == topic and m.topic_partition == kwire.TopicPartition(topic, partition)
        assert m.key == shape.get("key") and m.value == shape.get("value")
        assert type(m.value) in (bytes, type(None))
        assert list(m.headers) == [tuple(h) for h in shape.get("headers", [])]
        if "timestamp_ms" in shape:
            assert m.timestamp == shape["timestamp_ms"] and m.timestamp_type == 0
        else:
            assert abs(m.timestamp / 1000 - time.time()) < 120
    # Offsets within each partition come in order.
    for p in range(4):
        offsets = [m.offset for m in messages if m.partition == p]
        assert offsets == sorted(offsets) and len(offsets) == 10


def test_two_consumers_of_a_group_split_the_partitions(cluster, four_partitions):
    topic = four_partitions
    config = cluster.config(group_id=group(), auto_offset_reset="earliest", heartbeat_interval_ms=100)
    events = []

    def listener(name):
        def on_assign(consumer, partitions):
            events.append((name, "assigned", {tp.partition for tp in partitions}))
            assert set(partitions) <= set(consumer.assignment())  # the callback may use the consumer
            for tp in partitions:
                consumer.position(tp)

        def on_revoke(consumer, partitions):
            events.append((name, "revoked", {tp.partition for tp in partitions}))
            consumer.commit(asynchronous=True)

        return dict(on_assign=on_assign, on_revoke=on_revoke)

    first, second = kwire.Consumer(config), kwire.Consumer(config)
    with first, second:
        deadline = time.monotonic() + 30
        first.subscribe(topic, **listener("first"))
        while len(first.assignment()) < 4:  # alone in the group: every partition
            assert time.monotonic() < deadline
            first.poll(0.05)
        second.subscribe([topic], **listener("second"))
        while True:  # the second member joins: the group rebalances
            first.poll(0.05)
            second.poll(0.05)
            a, b = set(first.assignment()), set(second.assignment())
            if a and b and not a & b and len(a | b) == 4:
                break
            assert time.monotonic() < deadline, (a, b)
        assert {tp.topic for tp in a | b} == {topic}
        assert {tp.partition for tp in a | b} == {0, 1, 2, 3}
        assert first.member_id != second.member_id and first.generation == second.generation > 1
        # Each saw the rebalance through its callbacks.
        assert ("first", "assigned", {0, 1, 2, 3}) in events
        assert ("first", "assigned", {tp.partition for tp in a}) == [e for e in events if e[0] == "first"][-1]
        assert ("second", "assigned", {tp.partition for tp in b}) in events
        # New records: each member reads exactly those of its own partitions.
        marker = uuid.uuid4().hex.encode()
        with kwire.Producer(cluster.config()) as producer:
            for p in range(4):
                producer.send(topic, marker + b"-%d" % p, partition=p)
        got = {"first": set(), "second": set()}
        while len(got["first"]) < len(a) or len(got["second"]) < len(b):
            assert time.monotonic() < deadline, got
            for name, consumer in (("first", first), ("second", second)):
                got[name] |= {m.partition for m in consumer.consume(100, timeout=0.05) if m.value.startswith(marker)}
        assert got == {"first": {tp.partition for tp in a}, "second": {tp.partition for tp in b}}
        first.close()
    # close() revoked the first's partitions through on_revoke, last.
    assert [e for e in events if e[0] == "first"][-1] == ("first", "revoked", {tp.partition for tp in a})


def test_an_exception_in_a_rebalance_callback_comes_out_of_poll(cluster, topic):
    def on_assign(consumer, partitions):
        raise LookupError(f"refused {len(partitions)}")

    with kwire.Producer(cluster.config()) as producer:
        producer.send(topic, b"creates the topic").get(30)
    with kwire.Consumer(cluster.config(group_id=group())) as consumer:
        consumer.subscribe(topic, on_assign=on_assign)
        with pytest.raises(LookupError, match="refused 1"):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                consumer.poll(0.2)
        assert consumer.assignment() == [(topic, 0)]


def test_commit_then_a_new_consumer_resumes(cluster, topic):
    with kwire.Producer(cluster.config()) as producer:
        for i in range(10):
            producer.send(topic, b"v%d" % i)
    config = cluster.config(group_id=group(), auto_offset_reset="earliest", enable_auto_commit=False)
    tp = kwire.TopicPartition(topic, 0)
    with kwire.Consumer(config, topic) as consumer:
        # kwire's poll fetched more than the four handed out: the rest wait in
        # the buffer and commit() must not count them as consumed.
        first = [consumer.poll(30) for _ in range(4)]
        assert [m.offset for m in first] == [0, 1, 2, 3]
        assert consumer.position(tp) == 4
        consumer.commit()
        assert consumer.committed([tp]) == {tp: 4}
        # asynchronous, with a callback run inside a later call
        done = []
        consumer.commit({tp: 5}, asynchronous=True, callback=lambda error, offsets: done.append((error, offsets)))
        deadline = time.monotonic() + 30
        while not done:
            assert time.monotonic() < deadline
            consumer.poll(0.05)  # runs the callbacks of finished commits
        assert done == [(None, {tp: 5})]
        assert consumer.committed([tp]) == {tp: 5}
        consumer.commit(message=first[3])  # commits offset 4
        assert consumer.committed([tp]) == {tp: 4}
        consumer.seek(tp, 8)
        assert consumer.poll(30).offset == 8
        consumer.seek_to_beginning()
        assert consumer.poll(30).offset == 0
        # Paused: its buffered messages wait too, and come back after resume.
        consumer.pause(tp)
        assert consumer.paused() == [tp]
        assert consumer.poll(0.3) is None
        consumer.resume(tp)
        assert consumer.poll(30).offset == 1
        log_start, high, stable = consumer.watermarks(tp)
        assert (log_start, high, stable) == (0, 10, 10)
    with kwire.Consumer(config, topic) as resumed:
        assert [m.offset for m in read(resumed, 6)] == [4, 5, 6, 7, 8, 9]


def test_auto_commit_on_close_counts_only_what_was_handed_out(cluster, topic):
    with kwire.Producer(cluster.config()) as producer:
        for i in range(10):
            producer.send(topic, b"v%d" % i)
    config = cluster.config(group_id=group(), auto_offset_reset="earliest")  # enable.auto.commit: true
    with kwire.Consumer(config, topic) as consumer:
        assert [consumer.poll(30).offset for _ in range(3)] == [0, 1, 2]
    with kwire.Consumer(topic, **config) as resumed:  # kafka-python's argument order
        assert resumed.poll(30).offset == 3


def test_poll_timeout_returns_none_promptly_with_the_gil_released(cluster, topic):
    with kwire.Consumer(cluster.config(), group_id=group(), auto_offset_reset="earliest") as consumer:
        consumer.assign([(topic, 0)])
        consumer.poll(0.5)  # let the assignment settle (metadata, ListOffsets)
        with OtherThreadProgress() as other:
            started = time.monotonic()
            assert consumer.poll(0.3) is None
            elapsed = time.monotonic() - started
            before = other.count
            assert consumer.consume(10, timeout=0.3) == []
            assert other.count > before + 10  # another thread ran during the wait
        assert 0.29 < elapsed < 1.0
        started = time.monotonic()
        assert consumer.poll(0) is None
        assert time.monotonic() - started < 0.2


def test_close_from_another_thread_ends_a_blocking_poll_and_iteration(cluster, topic):
    consumer = kwire.Consumer(cluster.config(), auto_offset_reset="earliest")
    consumer.assign([(topic, 0)])
    closer = threading.Timer(0.5, consumer.close)
    closer.start()
    started = time.monotonic()
    assert list(consumer) == []  # iteration waits for messages until closed
    assert time.monotonic() - started < 5
    assert consumer.closed
    closer.join()
    with pytest.raises(errors.ConsumerClosedError):
        consumer.poll(0)


CHILD = textwrap.dedent("""
    import sys, time, kwire
    consumer = kwire.Consumer(bootstrap_servers=sys.argv[1], auto_offset_reset="earliest")
    consumer.assign([(sys.argv[2], 0)])
    print("polling", flush=True)
    started = time.monotonic()
    try:
        consumer.poll()  # no timeout, nothing to read
        print("returned", flush=True)
    except KeyboardInterrupt:
        print("interrupted", round(time.monotonic() - started, 2), flush=True)
    consumer.close()
    print("closed", flush=True)
""")


def test_ctrl_c_interrupts_a_blocking_poll(cluster, topic):
    child = subprocess.Popen([sys.executable, "-c", CHILD, cluster.bootstrap, topic],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "polling"
        time.sleep(0.7)
        child.send_signal(signal.SIGINT)
        word, seconds = (child.stdout.readline().split() + ["", ""])[:2]
        assert word == "interrupted"
        assert float(seconds) < 3  # at most a 200 ms slice after the signal
        assert child.stdout.readline().strip() == "closed"
    finally:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def test_bad_config_and_misuse_raise_clearly(cluster, topic):
    with pytest.raises(errors.ConfigError) as caught:
        kwire.Consumer(cluster.config(), no_such_setting=1)
    assert caught.value.name == "no.such.setting" and "no.such.setting" in str(caught.value)
    with pytest.raises(errors.ConfigError) as caught:
        kwire.Consumer(cluster.config(), auto_offset_reset="sometimes")
    assert caught.value.name == "auto.offset.reset"
    with pytest.raises(errors.ConfigError) as caught:
        kwire.Consumer(cluster.config(), api_version=(2, 0))
    assert "ApiVersions" in str(caught.value)
    with kwire.Consumer(cluster.config()) as no_group:
        with pytest.raises(errors.IllegalStateError) as caught:
            no_group.subscribe(topic)
        assert "group.id" in str(caught.value)
        with pytest.raises(errors.KafkaError) as caught:
            no_group.seek((topic, 0), 5)  # not assigned
        assert caught.value.name == "partition_not_assigned"
    with kwire.Consumer(cluster.config(), group_id=group()) as subscribed:
        subscribed.subscribe([topic])
        with pytest.raises(errors.IllegalStateError):
            subscribed.assign([(topic, 0)])
        subscribed.unsubscribe()


def test_no_offset_for_partition_is_raised_by_poll(cluster, topic):
    with kwire.Producer(cluster.config()) as producer:
        producer.send(topic, b"x").get(30)
    with kwire.Consumer(cluster.config(), group_id=group(), auto_offset_reset="none") as consumer:
        consumer.assign([(topic, 0)])
        with pytest.raises(errors.NoOffsetForPartitionError) as caught:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                consumer.poll(0.5)
        assert topic in str(caught.value)
        consumer.seek((topic, 0), 0)
        assert consumer.poll(30).value == b"x"


def test_deserializers_and_a_failing_one(cluster, topic):
    import json

    class Upper:
        def deserialize(self, topic_name, data, headers):
            assert topic_name == topic and headers == (("h", b"1"),)
            return data.decode().upper()

    with kwire.Producer(cluster.config()) as producer:
        for value in (b'{"n": 1}', None, b"not json", b'{"n": 2}'):
            producer.send(topic, value, key=b"k", headers=[("h", b"1")])
    with kwire.Consumer(cluster.config(), topic, group_id=group(), auto_offset_reset="earliest",
                        key_deserializer=Upper(), value_deserializer=json.loads) as consumer:
        first = consumer.consume(10, timeout=30)  # stops before the record that fails
        assert [(m.key, m.value) for m in first] == [("K", {"n": 1}), ("K", None)]  # None is never deserialized
        with pytest.raises(errors.DeserializationError) as caught:
            consumer.poll(30)
        assert caught.value.record.offset == 2 and caught.value.record.value == b"not json"
        assert "offset 2" in str(caught.value)
        with pytest.raises(errors.DeserializationError):
            consumer.poll(30)  # still next in line
        consumer.seek(caught.value.record.topic_partition, 3)  # skip it
        assert consumer.poll(30).value == {"n": 2}


def test_pattern_subscription_follows_topics_created_later(cluster):
    prefix = f"py-pattern-{uuid.uuid4().hex[:8]}"
    first = cluster.create_topic(1, prefix=prefix)
    config = cluster.config(group_id=group(), auto_offset_reset="earliest", metadata_max_age_ms=500)
    with kwire.Producer(cluster.config()) as producer:
        producer.send(first, b"one").get(30)
    with kwire.Consumer(config) as consumer:
        with pytest.raises(ValueError):
            consumer.subscribe("a", pattern="b")
        consumer.subscribe(pattern=prefix + "-.*")
        got = read(consumer, 1)
        assert [(m.topic, m.value) for m in got] == [(first, b"one")]
        # A topic created after subscribe(): the next metadata refresh adds it.
        second = cluster.create_topic(1, prefix=prefix)
        with kwire.Producer(cluster.config()) as producer:
            producer.send(second, b"two").get(30)
        got = read(consumer, 1)
        assert [(m.topic, m.value) for m in got] == [(second, b"two")]
        assert sorted(tp.topic for tp in consumer.assignment()) == sorted([first, second])
