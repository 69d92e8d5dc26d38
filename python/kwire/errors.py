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
    "IllegalStateError",
    "ConsumerClosedError",
    "NoOffsetForPartitionError",
    "DeserializationError",
    "TransactionError",
    "RetriableTransactionError",
    "TransactionTimeoutError",
    "AbortableTransactionError",
    "FatalTransactionError",
    "ProducerFencedError",
    "TransactionStateError",
    "TransactionAbortedError",
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


class IllegalStateError(KafkaError):
    """A call the client's state does not allow: subscribe() without
    group.id, assign() after subscribe(), a consumer used after close()."""


class ConsumerClosedError(IllegalStateError):
    """The consumer is closed (or closing)."""


class DeserializationError(KafkaError, ValueError):
    """A key or value deserializer raised; ``record`` is the raw message (it
    stays next in line: seek() past it to skip it)."""

    record = None


class NoOffsetForPartitionError(KafkaError):
    """A partition has no committed offset (or it is out of range) and
    auto.offset.reset is none: seek() first."""


# ---- transactions: the class says what to do next (the ``kind`` of kwire's
# TransactionStatus, KIP-1050's categories as the caller sees them).


class TransactionError(KafkaError):
    """A transactional call failed; ``kind`` is kwire's category
    (``"timed_out"``, ``"failed"``, ``"usage"``, ``"abortable"``, ``"fatal"``)."""

    kind = ""


class RetriableTransactionError(TransactionError):
    """The call failed and nothing else changed: call the same method again."""

    retriable = True


class TransactionTimeoutError(RetriableTransactionError, KafkaTimeoutError):
    """Not done within the timeout; the call goes on in the background:
    call the SAME method again to pick up its result."""


class AbortableTransactionError(TransactionError):
    """The transaction cannot commit: abort_transaction(), then go on with
    the next one."""


class FatalTransactionError(TransactionError, FatalProducerError):
    """The producer cannot go on (every later call fails alike): close it
    and create a new one."""


class ProducerFencedError(FatalTransactionError):
    """Another producer with the same transactional.id took over
    (PRODUCER_FENCED): this one is a zombie; close it."""


class TransactionAbortedError(KafkaError):
    """A record (or offset commit) failed because its transaction was
    aborted (abort_transaction(), or an abortable error)."""


class TransactionStateError(TransactionError, IllegalStateError):
    """Wrong call for the transaction's state (commit outside a transaction,
    begin twice, a producer without transactional.id)."""


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
    "illegal_state": IllegalStateError,
    "closed": ConsumerClosedError,
    "no_offset_for_partition": NoOffsetForPartitionError,
    "invalid_state": IllegalStateError,  # e.g. send() outside a transaction
    "aborted": TransactionAbortedError,
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
    "PRODUCER_FENCED": ProducerFencedError,
    "INVALID_PRODUCER_EPOCH": FatalProducerError,
    "NETWORK_EXCEPTION": KafkaConnectionError,
}


_TRANSACTION_ERRORS: dict[str, type[TransactionError]] = {
    "timed_out": TransactionTimeoutError,
    "failed": RetriableTransactionError,
    "usage": TransactionStateError,
    "abortable": AbortableTransactionError,
    "fatal": FatalTransactionError,
}

_FENCED = {"PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "TRANSACTIONAL_ID_NOT_FOUND"}


def _make(
    category: str, code: int, name: str, message: str, detail: str, retriable: bool | None, kind: str = ""
) -> KafkaError:
    """Called by kwire._core for every error it raises or reports; ``kind``
    is set for the result of a transactional call."""
    if kind:
        cls: type[KafkaError] = _TRANSACTION_ERRORS.get(kind, TransactionError)
        if cls is FatalTransactionError and name in _FENCED:
            cls = ProducerFencedError
        error = cls(message, code=code, name=name, category=category, detail=detail)
        error.kind = kind  # type: ignore[attr-defined]
        return error
    if category == "config":
        cls = ConfigError
    elif category == "kafka":
        cls = _KAFKA_ERRORS.get(name, BrokerResponseError)
    else:
        cls = _KWIRE_ERRORS.get(name, KafkaError)
    return cls(message, code=code, name=name, category=category, detail=detail, retriable=retriable)
