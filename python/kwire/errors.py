"""kwire's exceptions, named after kafka-python's where one exists.

Every error a record or a call can end with is a :class:`KafkaError`:

* ``.code`` -- the numeric code (Kafka's protocol error code for broker
  errors, kwire's ``client_errc`` value for the client's own),
* ``.name`` -- Kafka's name (``"MESSAGE_TOO_LARGE"``) or kwire's
  (``"queue_full"``),
* ``.category`` -- ``"kafka"`` (the broker said so), ``"kwire"`` (the
  client decided) or ``"config"``,
* ``.retriable`` -- whether trying again later may succeed,
* ``.detail`` -- kwire's explanation when it has more to say (which broker,
  which setting to check; never a secret), else ``""``.

``str(error)`` is the message followed by the detail.
"""

from __future__ import annotations

__all__ = [
    "KafkaError",
    "KafkaTimeoutError",
    "QueueFullError",
    "MessageSizeTooLargeError",
    "UnknownTopicOrPartitionError",
    "AuthenticationFailedError",
    "AuthorizationError",
    "KafkaConnectionError",
    "NoBrokersAvailable",
    "ProducerClosedError",
    "FatalProducerError",
    "BrokerResponseError",
    "ConfigError",
]


class KafkaError(Exception):
    """Base of every kwire error."""

    retriable = False

    def __init__(
        self,
        message: str = "",
        *,
        code: int = -1,
        name: str = "",
        category: str = "kwire",
        detail: str = "",
        retriable: bool | None = None,
    ) -> None:
        super().__init__(f"{message}: {detail}" if detail else message)
        self.message = message
        self.code = code
        self.name = name
        self.category = category
        self.detail = detail
        if retriable is not None:
            self.retriable = retriable


class KafkaTimeoutError(KafkaError):
    """A wait ran out: delivery.timeout.ms for a record, or the timeout of
    get()/flush()/close()."""

    retriable = True


class QueueFullError(KafkaTimeoutError):
    """buffer.memory stayed full for max.block.ms (kafka-python raises
    KafkaTimeoutError here too, hence the base class)."""


class MessageSizeTooLargeError(KafkaError):
    """The record is larger than max.request.size / buffer.memory, or the
    broker's message.max.bytes."""


class UnknownTopicOrPartitionError(KafkaError):
    """The topic (or the chosen partition) does not exist after
    max.block.ms."""


class AuthenticationFailedError(KafkaError):
    """A broker refused our TLS or SASL credentials; ``detail`` says which
    setting to check."""


class AuthorizationError(KafkaError):
    """An ACL refused the operation (topic, cluster, transactional id)."""


class KafkaConnectionError(KafkaError):
    """A connection failed or closed with requests outstanding."""

    retriable = True


class NoBrokersAvailable(KafkaConnectionError):
    """No bootstrap server answered (wait_for_cluster)."""


class ProducerClosedError(KafkaError):
    """The producer was closed: the record was refused, or close() could not
    deliver it in time."""


class FatalProducerError(KafkaError):
    """The producer hit a fatal error (fenced, epoch lost) and refuses work;
    create a new one."""


class BrokerResponseError(KafkaError):
    """Any other error code a broker returned."""


class ConfigError(KafkaError, ValueError):
    """An unknown configuration key or an invalid value; ``name`` is the key."""


_KWIRE_ERRORS: dict[str, type[KafkaError]] = {
    "timed_out": KafkaTimeoutError,
    "queue_full": QueueFullError,
    "record_too_large": MessageSizeTooLargeError,
    "record_exceeds_buffer_memory": MessageSizeTooLargeError,
    "unknown_topic": UnknownTopicOrPartitionError,
    "authentication_failed": AuthenticationFailedError,
    "no_broker_reachable": NoBrokersAvailable,
    "connect_failed": KafkaConnectionError,
    "resolve_failed": KafkaConnectionError,
    "disconnected": KafkaConnectionError,
    "shutting_down": ProducerClosedError,
    "fatal_producer_state": FatalProducerError,
    "invalid_config": ConfigError,
}

_KAFKA_ERRORS: dict[str, type[KafkaError]] = {
    "REQUEST_TIMED_OUT": KafkaTimeoutError,
    "MESSAGE_TOO_LARGE": MessageSizeTooLargeError,
    "RECORD_LIST_TOO_LARGE": MessageSizeTooLargeError,
    "UNKNOWN_TOPIC_OR_PARTITION": UnknownTopicOrPartitionError,
    "SASL_AUTHENTICATION_FAILED": AuthenticationFailedError,
    "ILLEGAL_SASL_STATE": AuthenticationFailedError,
    "UNSUPPORTED_SASL_MECHANISM": AuthenticationFailedError,
    "TOPIC_AUTHORIZATION_FAILED": AuthorizationError,
    "CLUSTER_AUTHORIZATION_FAILED": AuthorizationError,
    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED": AuthorizationError,
    "GROUP_AUTHORIZATION_FAILED": AuthorizationError,
    "PRODUCER_FENCED": FatalProducerError,
    "INVALID_PRODUCER_EPOCH": FatalProducerError,
    "NETWORK_EXCEPTION": KafkaConnectionError,
}


def _make(category: str, code: int, name: str, message: str, detail: str, retriable: bool) -> KafkaError:
    """Called by kwire._core for every error it raises or reports."""
    if category == "config":
        cls: type[KafkaError] = ConfigError
    elif category == "kafka":
        cls = _KAFKA_ERRORS.get(name, BrokerResponseError)
    else:
        cls = _KWIRE_ERRORS.get(name, KafkaError)
    return cls(message, code=code, name=name, category=category, detail=detail, retriable=retriable)
