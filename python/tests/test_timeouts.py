"""flush()/close() against a stopped (SIGSTOPped) broker, and Ctrl+C during
flush, get and close in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import kwire
from kwire import errors
from conftest import pending_count


def test_flush_timeout_names_the_pending_records(cluster, topic, frozen_broker):
    producer = kwire.Producer(cluster.config(), linger_ms=0)
    producer.send(topic, b"warm").get(30)
    with frozen_broker():
        futures = [producer.send(topic, b"v%d" % i) for i in range(25)]
        started = time.monotonic()
        with pytest.raises(errors.KafkaTimeoutError) as caught:
            producer.flush(timeout=1.0)
        assert 0.9 < time.monotonic() - started < 5
        assert pending_count(str(caught.value)) == 25
        assert "flush timed out after 1 s" in str(caught.value)
    producer.flush(60)  # the broker is back: everything arrives, in order
    assert [f.get(0).offset for f in futures] == list(range(1, 26))
    producer.close()


def test_close_timeout_fails_what_is_left(cluster, topic, frozen_broker):
    producer = kwire.Producer(cluster.config(), linger_ms=0)
    producer.send(topic, b"warm").get(30)
    with frozen_broker():
        futures = [producer.send(topic, b"v") for _ in range(10)]
        started = time.monotonic()
        with pytest.raises(errors.KafkaTimeoutError, match="10 records were pending"):
            producer.close(timeout=1.0)
        assert time.monotonic() - started < 10
        assert producer.closed
        for future in futures:
            with pytest.raises(errors.ProducerClosedError):
                future.get(5)
    producer.close()  # idempotent, no error now


CHILD = textwrap.dedent("""
    import sys, time, kwire
    producer = kwire.Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 0})
    producer.send(sys.argv[2], b"warm").get(30)
    print("ready", flush=True)
    sys.stdin.readline()                       # the parent froze the broker
    future = producer.send(sys.argv[2], b"v")
    for name, call in (("flush", lambda: producer.flush(60)),
                       ("get", lambda: future.get(60)),
                       ("close", lambda: producer.close(60))):
        print("waiting", name, flush=True)
        started = time.monotonic()
        try:
            call()
            print("returned", name, round(time.monotonic() - started, 1), flush=True)
        except KeyboardInterrupt:
            print("interrupted", name, round(time.monotonic() - started, 1), flush=True)
    print("done", flush=True)
""")


def test_ctrl_c_interrupts_flush_get_and_close(cluster, topic, frozen_broker):
    child = subprocess.Popen([sys.executable, "-c", CHILD, cluster.bootstrap, topic],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        with frozen_broker():
            child.stdin.write("go\n")
            child.stdin.flush()
            for name in ("flush", "get", "close"):
                assert child.stdout.readline().strip() == f"waiting {name}"
                time.sleep(0.7)
                child.send_signal(signal.SIGINT)
                line = child.stdout.readline()
                word, what, seconds = (line.split() + ["", "", ""])[:3]
                assert (word, what) == ("interrupted", name), line
                assert (word, what) == ("interrupted", name)
                assert float(seconds) < 5  # at most a 200 ms slice after the signal
            assert child.stdout.readline().strip() == "done"
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            raise
