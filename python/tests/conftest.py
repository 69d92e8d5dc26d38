"""Fixtures: a real Kafka broker from the repository's harness
(tests/broker/kafka-broker), unique topics, and kcat read-back.

With KWIRE_BOOTSTRAP set the tests use that broker (and the KWIRE_*
variables `kafka-broker env` prints for it); otherwise the session starts
the harness's broker (KWIRE_BROKER_PORT_OFFSET and KWIRE_BROKER_DIR are
honoured) and stops it at the end if it started it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KAFKA_BROKER = REPO / "tests" / "broker" / "kafka-broker"


def _harness(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(KAFKA_BROKER), *args], capture_output=True, text=True, check=check)


def _parse_env(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        if "=" in line:
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip().strip("'\"")
    return env


@dataclass
class Cluster:
    env: dict[str, str]

    @property
    def bootstrap(self) -> str:
        return self.env["KWIRE_BOOTSTRAP"]

    def config(self, **overrides) -> dict:
        config = {"bootstrap.servers": self.bootstrap}
        config.update(overrides)
        return config

    def broker_pids(self) -> list[int]:
        directory = self.env.get("KWIRE_BROKER_DIR")
        if self.env.get("KWIRE_BROKER_MANAGED") != "1" or not directory:
            return []
        return [int(p.read_text().strip()) for p in sorted(Path(directory).glob("node*/pid"))]

    def create_topic(self, partitions: int = 1, prefix: str = "py") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        _harness("create-topic", name, str(partitions))
        return name

    def read_back(self, topic: str, count: int, timeout: float = 30.0) -> list[dict]:
        """The topic's first `count` records as kcat (librdkafka, not kwire)
        reads them, byte for byte: partition, offset, timestamp, key, value
        (None for null) and headers."""
        fmt = "%p\\t%o\\t%T\\t%K\\t%S\\t%h\\n%k%s\\n"
        result = subprocess.run(
            ["kcat", "-q", "-b", self.bootstrap, "-C", "-t", topic, "-o", "beginning", "-c", str(count),
             "-e", "-f", fmt],
            capture_output=True, timeout=timeout, check=True)
        return _parse_kcat(result.stdout)


def _parse_kcat(data: bytes) -> list[dict]:
    records = []
    pos = 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        partition, offset, timestamp, key_len, value_len, headers = data[pos:end].split(b"\t")
        pos = end + 1
        key_len, value_len = int(key_len), int(value_len)
        key = data[pos:pos + key_len] if key_len >= 0 else None
        pos += max(key_len, 0)
        value = data[pos:pos + value_len] if value_len >= 0 else None
        pos += max(value_len, 0) + 1
        records.append({
            "partition": int(partition), "offset": int(offset), "timestamp": int(timestamp),
            "key": key, "value": value, "headers": headers.decode(),
        })
    return records


@pytest.fixture(scope="session")
def cluster():
    started = False
    if os.environ.get("KWIRE_BOOTSTRAP"):
        env = dict(os.environ)
    else:
        if _harness("status", check=False).returncode != 0:
            start = _harness("start", check=False)
            if start.returncode != 0:
                pytest.fail(f"kafka-broker start failed:\n{start.stdout}\n{start.stderr}")
            started = True
        env = _parse_env(_harness("env").stdout)
    yield Cluster(env)
    if started:
        _harness("stop", check=False)


@pytest.fixture
def topic(cluster) -> str:
    """A fresh one-partition topic, created by the broker on first use
    (the harness enables auto.create.topics.enable; a JVM per topic is slow)."""
    return f"py-{uuid.uuid4().hex[:12]}"


def _all_threads_stopped(pid: int) -> bool:
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # the thread ended
        if state not in ("T", "t"):
            return False
    return True


class FrozenBroker:
    """SIGSTOP the broker (connections stay open, nothing answers): what a
    hung or stopped broker looks like to a client; SIGCONT on exit."""

    def __init__(self, cluster: Cluster) -> None:
        self.pids = cluster.broker_pids()
        assert self.pids, "needs the harness's own broker (KWIRE_BROKER_MANAGED=1)"

    def __enter__(self) -> "FrozenBroker":
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        # kill() returns before every JVM thread has stopped: wait until the
        # kernel shows each one stopped ("T"), or a request sent now may
        # still be answered.
        deadline = time.monotonic() + 5
        while not all(_all_threads_stopped(pid) for pid in self.pids):
            assert time.monotonic() < deadline, "broker did not stop"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGCONT)


@pytest.fixture
def frozen_broker(cluster):
    return lambda: FrozenBroker(cluster)


def pending_count(message: str) -> int:
    match = re.search(r"with (\d+) records pending", message)
    assert match, message
    return int(match.group(1))


class OtherThreadProgress:
    """A thread counting loop iterations: if it advances while the main
    thread sits in a kwire call, that call released the GIL."""

    def __init__(self) -> None:
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.count += 1
            time.sleep(0.0001)

    def __enter__(self) -> "OtherThreadProgress":
        self._thread.start()
        time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class LoopGaps:
    """On a running event loop: the longest gaps between 5 ms ticks, i.e.
    how long anything held the loop."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._task = None

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            self.gaps.append(now - last)
            last = now

    async def __aenter__(self) -> "LoopGaps":
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
