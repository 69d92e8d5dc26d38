"""The examples in python/examples run against the harness's SASL_SSL
listener with a secrets file, and their events arrive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("script", ["event_publisher.py", "event_publisher_async.py"])
def test_event_publisher_over_sasl_ssl(cluster, topic, tmp_path, script):
    env = cluster.env
    secrets = tmp_path / "kafka.json"
    secrets.write_text(json.dumps({
        "bootstrap_servers": env["KWIRE_BOOTSTRAP_SASL_SSL"],
        "username": env["KWIRE_SASL_USERNAME"],
        "password": env["KWIRE_SASL_PASSWORD"],
        "ca_file": env["KWIRE_SSL_CA"],
        "mechanism": "SCRAM-SHA-512",
    }))
    run = subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=EXAMPLES, capture_output=True,
                         text=True, timeout=120,
                         env={**os.environ, "KAFKA_SECRETS": str(secrets), "KAFKA_TOPIC": topic})
    assert run.returncode == 0, run.stderr
    assert "failed 0" in run.stderr
    records = cluster.read_back(topic, 1001)
    events = [json.loads(r["value"]) for r in records]
    assert sum(e["type"] == "order-created" for e in events) == 1000
    assert {r["headers"] for r in records if json.loads(r["value"])["type"] == "order-created"} == {
        "content-type=application/json"}


def run_example(script: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=EXAMPLES, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "EXIT_WHEN_IDLE": "1", **env})


def test_consume_process_commit(cluster, topic):
    import kwire
    with kwire.Producer(cluster.config()) as producer:
        for i in range(60):
            producer.send(topic, json.dumps({"type": "paid" if i % 3 else "refunded"}).encode())
    group = f"{topic}-billing"
    run = run_example("consume_process_commit.py", KAFKA_BOOTSTRAP=cluster.bootstrap, KAFKA_TOPIC=topic,
                      KAFKA_GROUP=group)
    assert run.returncode == 0, run.stderr
    assert 'processed 60 records: {"paid": 40, "refunded": 20}' in run.stderr
    with kwire.Consumer(cluster.config(), group_id=group) as consumer:
        tp = kwire.TopicPartition(topic, 0)
        assert consumer.committed([tp]) == {tp: 60}


def test_transactional_copy(cluster, topic):
    import kwire
    source = f"{topic}-source"
    with kwire.Producer(cluster.config()) as producer:
        for i in range(50):
            producer.send(source, b"order-%d" % i, key=b"k%d" % i, headers=[("n", b"%d" % i)])
    run = run_example("transactional_copy.py", KAFKA_BOOTSTRAP=cluster.bootstrap, KAFKA_SOURCE=source,
                      KAFKA_DESTINATION=topic, KAFKA_GROUP=f"{topic}-copier",
                      KAFKA_TRANSACTIONAL_ID=f"{topic}-copier-1")
    assert run.returncode == 0, run.stderr
    assert f"copied 50 records from {source} to {topic}" in run.stderr
    copies = subprocess.run(
        ["kcat", "-q", "-b", cluster.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e",
         "-X", "isolation.level=read_committed", "-f", "%k %s %h\\n"],
        capture_output=True, text=True, timeout=30, check=True).stdout.split("\n")
    assert [line for line in copies if line] == [f"k{i} ORDER-{i} n={i}" for i in range(50)]
