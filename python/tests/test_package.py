"""The installed package: typed (py.typed and the extension's .pyi), and
the public names in place."""

from __future__ import annotations

from pathlib import Path

import kwire


def test_type_information_is_installed():
    package = Path(kwire.__file__).parent
    assert (package / "py.typed").exists()
    stub = (package / "_core.pyi").read_text()
    assert "class Producer" in stub and "class DeliveryFuture" in stub
    assert "def get(self, timeout: float | None = None) -> RecordMetadata" in stub


def test_public_names():
    for name in ("Producer", "AIOProducer", "DeliveryFuture", "RecordMetadata", "TopicPartition",
                 "KafkaError", "KafkaTimeoutError"):
        assert hasattr(kwire, name), name
    assert issubclass(kwire.errors.QueueFullError, kwire.KafkaTimeoutError)
    assert issubclass(kwire.errors.ConfigError, ValueError)
    assert kwire.__version__ == "0.1.0"
