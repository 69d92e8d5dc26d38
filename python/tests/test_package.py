"""The installed package: typed (py.typed and the extension's .pyi), and
the public names in place."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import kwire


def test_type_information_is_installed():
    package = Path(kwire.__file__).parent
    assert (package / "py.typed").exists()
    stub = (package / "_core.pyi").read_text()
    assert "class Producer" in stub and "class DeliveryFuture" in stub
    assert "def get(self, timeout: float | None = None) -> RecordMetadata" in stub
    assert "class RecordMetadata" in stub and "class AioDeliveryFuture" in stub  # the CPython-API types
    assert "def add_done_callback(" in stub
    assert "class Consumer" in stub and "class Message" in stub
    assert "def value(self) -> bytes | None" in stub
    assert "def init_transactions(self, timeout: float | None = None) -> None" in stub
    # A CPython method inside a nanobind class (src/stub_patterns.txt).
    assert "def send(self, topic: str, value: object = None, key: object = None" in stub
    assert "class _AioSender" in stub  # AIOProducer's base, private but needed by type checkers
    assert "headers: object = None) -> Awaitable[AioDeliveryFuture]" in stub
    compile(stub, "_core.pyi", "exec")  # valid Python


def test_public_names():
    for name in ("Producer", "AIOProducer", "Consumer", "AIOConsumer", "Message", "ConsumerGroupMetadata",
                 "DeliveryFuture", "RecordMetadata", "TopicPartition", "KafkaError", "KafkaTimeoutError"):
        assert hasattr(kwire, name), name
    assert set(kwire.__all__) <= set(dir(kwire))
    assert issubclass(kwire.errors.QueueFullError, kwire.KafkaTimeoutError)
    # What a transactional call's failure says to do, by class.
    e = kwire.errors
    assert issubclass(e.TransactionTimeoutError, e.RetriableTransactionError)
    assert issubclass(e.TransactionTimeoutError, e.KafkaTimeoutError)
    assert issubclass(e.ProducerFencedError, e.FatalTransactionError)
    assert issubclass(e.FatalTransactionError, e.FatalProducerError)
    assert issubclass(e.TransactionStateError, e.IllegalStateError)
    assert not issubclass(e.AbortableTransactionError, e.FatalProducerError)
    made = e._make("kafka", 90, "PRODUCER_FENCED", "fenced", "transactional.id t", False, kind="fatal")
    assert type(made) is e.ProducerFencedError and made.kind == "fatal" and made.retriable is False
    made = e._make("kwire", 7, "timed_out", "timed out", "", True, kind="timed_out")
    assert type(made) is e.TransactionTimeoutError and made.retriable is True
    made = e._make("kafka", 48, "INVALID_TXN_STATE", "bad", "", False, kind="abortable")
    assert type(made) is e.AbortableTransactionError
    assert issubclass(kwire.errors.ConfigError, ValueError)
    assert kwire.__version__ == "0.1.0"


@pytest.mark.skipif(not sysconfig.get_config_var("Py_GIL_DISABLED"),
                    reason="a free-threaded (python3.13t) build only: tools/check-freethreaded")
def test_import_keeps_the_gil_disabled():
    # CPython re-enables the GIL (with a warning) for an extension that does
    # not declare Py_mod_gil_not_used; tools/check-freethreaded runs with
    # PYTHON_GIL=0, which would hide that, so ask a fresh interpreter.
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    out = subprocess.run([sys.executable, "-W", "error", "-c",
                          "import kwire, sys; print(sys._is_gil_enabled())"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
