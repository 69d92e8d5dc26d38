"""A million sends keep the process's memory flat: no reference leaked per
record (the record's future, its serialized bytes, its headers, its
callback)."""

from __future__ import annotations

import gc
import kwire


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def test_one_million_sends_keep_rss_flat(cluster, topic):
    delivered = 0

    def on_delivery(_metadata):
        nonlocal delivered
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
