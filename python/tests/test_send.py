"""Every shape of Producer.send, serializers and headers, read back by kcat
(librdkafka) byte for byte."""

from __future__ import annotations

import json

import pytest

import kwire


def test_send_shapes_read_back_byte_for_byte(cluster, topic):
    binary = bytes(range(256))
    with kwire.Producer(cluster.config(), linger_ms=1) as producer:
        futures = [
            producer.send(topic, b"value-only", partition=0),                        # value only
            producer.send(topic, b"v2", b"k2", partition=0),                        # positional key
            producer.send(topic, value=binary, key=binary[::-1], partition=0),       # every byte value
            producer.send(topic, key=b"tombstone", partition=0),                     # null value
            producer.send(topic, bytearray(b"from-bytearray"), partition=0),
            producer.send(topic, memoryview(b"xxfrom-memoryview")[2:], partition=0),
            producer.send(topic, "text é", key="ключ", partition=0),                # str -> UTF-8
            producer.send(topic, b"", key=b"", partition=0),                         # empty, not null
            producer.send(topic, b"with-ts", partition=0, timestamp_ms=1_600_000_000_123),
            producer.send(topic, b"headers", partition=0, headers=[("h1", b"a"), ("h2", None), ("h1", b"b")]),
            producer.send(topic, b"dict-headers", partition=0, headers={"x": b"1"}),
        ]
        metadata = [f.get(timeout=30) for f in futures]

    assert [m.offset for m in metadata] == list(range(len(futures)))
    assert all(m.topic == topic and m.partition == 0 for m in metadata)
    assert metadata[8].timestamp == 1_600_000_000_123
    assert metadata[2].serialized_key_size == 256 and metadata[2].serialized_value_size == 256
    assert metadata[3].serialized_value_size == -1
    assert metadata[0].serialized_key_size == -1 and metadata[0].serialized_header_size == -1
    assert metadata[9].serialized_header_size == len("h1a" "h2" "h1b")

    records = cluster.read_back(topic, len(futures))
    assert [r["partition"] for r in records] == [0] * len(futures)
    assert [(r["key"], r["value"]) for r in records] == [
        (None, b"value-only"),
        (b"k2", b"v2"),
        (binary[::-1], binary),
        (b"tombstone", None),
        (None, b"from-bytearray"),
        (None, b"from-memoryview"),
        ("ключ".encode(), "text é".encode()),
        (b"", b""),
        (None, b"with-ts"),
        (None, b"headers"),
        (None, b"dict-headers"),
    ]
    assert records[8]["timestamp"] == 1_600_000_000_123
    assert records[9]["headers"] == "h1=a,h2=NULL,h1=b"  # kcat prints a null header value as NULL
    assert records[10]["headers"] == "x=1"


def test_partitioning_by_key_and_explicit(cluster):
    topic = cluster.create_topic(3)
    with kwire.Producer(cluster.config()) as producer:
        same_key = {producer.send(topic, b"v", key=b"customer-7").get(30).partition for _ in range(5)}
        explicit = [producer.send(topic, b"v", partition=p).get(30).partition for p in (2, 1, 0)]
    assert len(same_key) == 1
    assert explicit == [2, 1, 0]


def test_callable_serializers_and_none_stays_null(cluster, topic):
    producer = kwire.Producer(
        cluster.config(),
        key_serializer=str.encode,
        value_serializer=lambda v: json.dumps(v, separators=(",", ":")).encode(),
    )
    with producer:
        producer.send(topic, {"id": 7, "items": [1, 2]}, key="c-7").get(30)
        producer.send(topic, None, key="c-7").get(30)  # a tombstone despite the serializer
    records = cluster.read_back(topic, 2)
    assert (records[0]["key"], records[0]["value"]) == (b"c-7", b'{"id":7,"items":[1,2]}')
    assert (records[1]["key"], records[1]["value"]) == (b"c-7", None)


def test_serializer_object_gets_topic_and_headers(cluster, topic):
    seen = []

    class Serializer:
        def serialize(self, topic_name, value, headers):
            seen.append((topic_name, headers))
            return f"{topic_name}:{value}".encode()

    with kwire.Producer(cluster.config(), value_serializer=Serializer()) as producer:
        producer.send(topic, "payload", headers=[("h", b"1")]).get(30)
    assert seen == [(topic, [("h", b"1")])]
    assert cluster.read_back(topic, 1)[0]["value"] == f"{topic}:payload".encode()


def test_kafka_python_keyword_config_and_send_sync(cluster, topic):
    with kwire.Producer(bootstrap_servers=[cluster.bootstrap], acks="all", linger_ms=0,
                        compression_type="lz4", max_in_flight_requests_per_connection=5,
                        enable_idempotence=True, client_id="py-test") as producer:
        metadata = producer.send_sync(topic, b"sync", key=b"k", timeout=30)
        assert metadata.offset == 0
        assert metadata.topic_partition == kwire.TopicPartition(topic, 0)
        stats = producer.statistics()
    assert stats["client_id"] == "py-test"
    assert stats["records_delivered"] == 1
    assert cluster.read_back(topic, 1)[0]["value"] == b"sync"


def test_bad_values_raise_type_error_before_sending(cluster, topic):
    with kwire.Producer(cluster.config()) as producer:
        with pytest.raises(TypeError, match="set a serializer"):
            producer.send(topic, {"not": "bytes"})
        with pytest.raises(ValueError, match="pair"):
            producer.send(topic, b"v", headers=[("only-key",)])
        assert producer.pending == 0


def test_send_takes_its_arguments_as_a_python_function_would(cluster, topic):
    # send() parses its own arguments (a METH_FASTCALL method).
    with kwire.Producer(cluster.config()) as producer:
        metadata = producer.send(timestamp_ms=1_600_000_000_000, partition=0, headers=None, key=b"k",
                                 value=b"v", topic=topic).get(30)
        assert (metadata.topic, metadata.partition, metadata.timestamp) == (topic, 0, 1_600_000_000_000)
        with pytest.raises(TypeError, match="missing its first argument: topic"):
            producer.send()
        with pytest.raises(TypeError, match="missing its first argument: topic"):
            producer.send(value=b"v")
        with pytest.raises(TypeError, match="topic must be a str"):
            producer.send(topic.encode(), b"v")
        with pytest.raises(TypeError, match="unexpected keyword argument 'parition'"):
            producer.send(topic, b"v", parition=0)
        with pytest.raises(TypeError, match="multiple values for argument 'value'"):
            producer.send(topic, b"v", value=b"w")
        with pytest.raises(TypeError, match="at most 6 arguments"):
            producer.send(topic, b"v", None, None, 0, 1, "extra")
        with pytest.raises(TypeError, match="partition must be an int or None"):
            producer.send(topic, b"v", partition="0")
        with pytest.raises(ValueError, match="partition is out of range"):
            producer.send(topic, b"v", partition=2**31)
        with pytest.raises(ValueError, match="timestamp_ms is out of range"):
            producer.send(topic, b"v", timestamp_ms=2**64)
        assert producer.pending == 0

    class NotInitialized(kwire.Producer):
        def __init__(self):  # never calls Producer.__init__
            pass

    with pytest.raises(TypeError, match="not initialized"):
        NotInitialized().send(topic, b"v")
    assert [r["value"] for r in cluster.read_back(topic, 2)] == [b"v"]  # nothing else was written


def test_record_metadata_is_read_only_and_prints_its_place(cluster, topic):
    with kwire.Producer(cluster.config()) as producer:
        metadata = producer.send(topic, b"v", key=b"key").get(30)
    assert isinstance(metadata, kwire.RecordMetadata)
    assert (metadata.topic, metadata.partition, metadata.offset) == (topic, 0, 0)
    assert metadata.timestamp > 0
    assert (metadata.serialized_key_size, metadata.serialized_value_size) == (3, 1)
    assert repr(metadata) == f"RecordMetadata(topic={topic!r}, partition=0, offset=0, timestamp={metadata.timestamp})"
    with pytest.raises(AttributeError):
        metadata.offset = 5
