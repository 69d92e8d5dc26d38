"""SASL_SSL (every mechanism the harness enables) and mTLS, configured the
way kafka-python users write it and the way Kafka names it."""

from __future__ import annotations

import pytest

import kwire


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl_kafka_python_spelling(cluster, topic, mechanism):
    env = cluster.env
    assert mechanism in env["KWIRE_SASL_MECHANISMS"].split(",")
    with kwire.Producer(
        bootstrap_servers=env["KWIRE_BOOTSTRAP_SASL_SSL"],
        security_protocol="SASL_SSL",
        sasl_mechanism=mechanism,
        sasl_plain_username=env["KWIRE_SASL_USERNAME"],
        sasl_plain_password=env["KWIRE_SASL_PASSWORD"],
        ssl_cafile=env["KWIRE_SSL_CA"],
    ) as producer:
        producer.wait_for_cluster(30)
        metadata = producer.send(topic, b"over " + mechanism.encode(), key=b"k").get(30)
    assert metadata.offset == 0
    assert cluster.read_back(topic, 1)[0]["value"] == b"over " + mechanism.encode()


def test_mtls_kafka_property_names(cluster, topic):
    env = cluster.env
    config = {
        "bootstrap.servers": env["KWIRE_BOOTSTRAP_MTLS"],
        "security.protocol": "SSL",
        "ssl.ca.location": env["KWIRE_SSL_CA"],
        "ssl.certificate.location": env["KWIRE_SSL_CERT"],
        "ssl.key.location": env["KWIRE_SSL_KEY"],
    }
    with kwire.Producer(config) as producer:
        assert producer.send(topic, b"mtls").get(30).offset == 0
    assert cluster.read_back(topic, 1)[0]["value"] == b"mtls"


def test_mtls_without_client_certificate_is_refused(cluster):
    env = cluster.env
    with kwire.Producer(bootstrap_servers=env["KWIRE_BOOTSTRAP_MTLS"], security_protocol="SSL",
                        ssl_cafile=env["KWIRE_SSL_CA"]) as producer:
        with pytest.raises(kwire.errors.AuthenticationFailedError):
            producer.wait_for_cluster(20)
