"""A million sends keep the process's memory flat: no reference leaked per
record (the record's future, its serialized bytes, its headers, its
callback)."""

from __future__ import annotations

import gc
import threading

import kwire


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def test_one_million_sends_keep_rss_flat(cluster, topic):
    delivered = 0
    lock = threading.Lock()

    def on_delivery(_metadata):
        # Two threads run these: the dispatcher, and this one for a record
        # already delivered when add_callback came (kafka-python's rule).
        # Without the GIL an unlocked += loses counts.
        nonlocal delivered
        with lock:
            delivered += 1

    with kwire.Producer(cluster.config(), linger_ms=5, value_serializer=str.encode) as producer:
        def send_many(count: int) -> None:
            for i in range(count):
                future = producer.send(topic, "value-%d" % i, key=b"key", headers=[("h", b"v")])
                if i % 10 == 0:
                    future.add_callback(on_delivery)
                if i % 50_000 == 0:
                    producer.flush(120)
            producer.flush(120)

        send_many(200_000)  # warm-up: buffers, batches and the allocator reach their working size
        gc.collect()
        before = rss_bytes()
        send_many(800_000)
        gc.collect()
        after = rss_bytes()
    assert delivered >= 100_000
    growth = after - before
    # A leaked reference per record would be >= 800k objects (tens of MB).
    assert growth < 24 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB over 800k sends"


def test_consuming_keeps_rss_flat(cluster, topic):
    """Every message's key, value, headers and the Message itself are
    released once the application drops them."""
    count = 100_000
    with kwire.Producer(cluster.config(), linger_ms=5) as producer:
        for i in range(count):
            producer.send(topic, b"v" * 100, key=b"key-%d" % i, headers=[("h", b"x" * 20), ("null", None)])
        producer.flush(120)
    tp = kwire.TopicPartition(topic, 0)
    with kwire.Consumer(cluster.config(), group_id=f"{topic}-leak", auto_offset_reset="earliest",
                        enable_auto_commit=False) as consumer:
        consumer.assign([tp])

        def read_all(rewind: bool = True) -> int:
            if rewind:  # (not before the first poll: kwire would not fetch metadata for it yet)
                consumer.seek_to_beginning(tp)
            read = 0
            while read < count:
                batch = consumer.consume(500, timeout=10)
                assert batch, f"read {read} of {count}"
                assert batch[-1].value == b"v" * 100 and batch[-1].headers[1] == ("null", None)
                read += len(batch)
            return read

        read_all(rewind=False)  # warm-up: fetch buffers and the allocator reach their working size
        gc.collect()
        before = rss_bytes()
        assert read_all() + read_all() == 2 * count
        gc.collect()
        after = rss_bytes()
    growth = after - before
    # A leaked message (bytes for key and value, a headers tuple, the
    # Message) would be >= 200 B each: 40 MB over 200k.
    assert growth < 16 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB over 200k messages"
