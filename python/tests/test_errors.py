"""kwire's error codes arrive as kwire.errors exceptions with .code, .name,
.retriable and kwire's detail text."""

from __future__ import annotations

import socket

import pytest

import kwire
from kwire import errors


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_record_too_large(cluster, topic):
    with kwire.Producer(cluster.config(), max_request_size=2000) as producer:
        with pytest.raises(errors.MessageSizeTooLargeError) as caught:
            producer.send(topic, b"x" * 4000).get(30)
    error = caught.value
    assert error.category == "kwire" and error.name == "record_too_large"
    assert error.code > 0 and error.retriable is False
    assert isinstance(error, errors.KafkaError)


def test_record_larger_than_buffer_memory(cluster, topic):
    # Its own name and both sizes: a record that could never be buffered is
    # not the max.request.size case.
    with kwire.Producer(cluster.config(), buffer_memory=65536) as producer:
        with pytest.raises(errors.MessageSizeTooLargeError) as caught:
            producer.send(topic, b"x" * 100_000).get(30)
    error = caught.value
    assert error.category == "kwire" and error.name == "record_exceeds_buffer_memory"
    assert "buffer.memory" in error.detail and "65536" in error.detail
    assert error.retriable is False


def test_broker_message_too_large(cluster, topic):
    # The topic accepts 1 KiB batches; kwire's limit is larger, so the broker refuses.
    from conftest import _harness
    name = f"{topic}-small"
    _harness("create-topic", name, "1", "1", "max.message.bytes=1024")
    with kwire.Producer(cluster.config(), linger_ms=0) as producer:
        with pytest.raises(errors.MessageSizeTooLargeError) as caught:
            producer.send(name, b"x" * 4000).get(60)
    assert caught.value.category == "kafka" and caught.value.name == "MESSAGE_TOO_LARGE"
    assert caught.value.code == 10


def test_unknown_partition(cluster, topic):
    with kwire.Producer(cluster.config(), max_block_ms=1500) as producer:
        with pytest.raises(errors.UnknownTopicOrPartitionError) as caught:
            producer.send(topic, b"v", partition=7).get(30)
    error = caught.value
    assert (error.category, error.code, error.name) == ("kafka", 3, "UNKNOWN_TOPIC_OR_PARTITION")
    assert error.retriable is True  # Kafka's UnknownTopicOrPartitionException is retriable
    assert "does not host this topic-partition" in str(error)


def test_no_brokers_available(cluster):
    port = closed_port()
    with kwire.Producer(bootstrap_servers=f"127.0.0.1:{port}") as producer:
        with pytest.raises(errors.NoBrokersAvailable) as caught:
            producer.wait_for_cluster(timeout=1.5)
        producer.close(0)
    assert f"127.0.0.1:{port}" in caught.value.detail
    assert isinstance(caught.value, errors.KafkaConnectionError)


def test_wrong_password_is_authentication_failed_with_detail(cluster):
    env = cluster.env
    config = {
        "bootstrap_servers": env["KWIRE_BOOTSTRAP_SASL_SSL"],
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": env["KWIRE_SASL_USERNAME"],
        "sasl_plain_password": "not-the-password",
        "ssl_cafile": env["KWIRE_SSL_CA"],
    }
    with kwire.Producer(config) as producer:
        with pytest.raises(errors.AuthenticationFailedError) as caught:
            producer.wait_for_cluster(timeout=20)
        with pytest.raises(errors.AuthenticationFailedError):
            producer.send("any-topic", b"v").get(30)
    assert "sasl.username" in caught.value.detail or "sasl.password" in caught.value.detail
    assert "not-the-password" not in str(caught.value)


def test_config_errors(cluster):
    with pytest.raises(errors.ConfigError, match="unknown configuration key") as caught:
        kwire.Producer(cluster.config(**{"no.such.key": 1}))
    assert caught.value.name == "no.such.key" and isinstance(caught.value, ValueError)
    with pytest.raises(errors.ConfigError, match="ApiVersions"):
        kwire.Producer(cluster.config(), api_version=(2, 8))
    with pytest.raises(errors.ConfigError, match="buffer.memory"):
        kwire.Producer(cluster.config(**{"queue.buffering.max.messages": 100000}))
    with pytest.raises(errors.ConfigError):
        kwire.Producer(cluster.config(), acks="sometimes")


def test_send_after_close_is_producer_closed(cluster, topic):
    producer = kwire.Producer(cluster.config())
    producer.close()
    producer.close()  # idempotent
    assert producer.closed
    with pytest.raises(errors.ProducerClosedError):
        producer.send(topic, b"late").get(5)
