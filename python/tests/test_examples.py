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
