"""kwire.Consumer: the synchronous group consumer.

``poll(timeout)`` hands out one :class:`Message` (confluent-kafka's shape),
``consume(max_records, timeout)`` a list, and iterating the consumer yields
messages as they come (kafka-python's shape).

kwire's poll returns a batch (up to max.poll.records); the messages of a
batch not handed out yet wait in this object's buffer. So that a message
is never committed before it was handed out, the buffer counts as not
consumed: ``commit()`` and ``position()`` start each partition at its first
buffered message, and ``close()``, ``seek()``, ``pause()``, ``assign()``,
``subscribe()`` and ``unsubscribe()`` put kwire's position back there (so
the auto-commit on close commits only what was handed out) before they drop
the buffer.
"""

from __future__ import annotations

import collections
import json
import weakref
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Tuple, Union

from . import _core
from ._config import kafka_properties
from ._core import Message
from .errors import ConsumerClosedError, DeserializationError

Partitions = Iterable[Tuple[str, int]]
# {TopicPartition: offset} or {TopicPartition: (offset, metadata)}, or an
# iterable of (topic, partition, offset) triples.
Offsets = Union[Mapping[Tuple[str, int], Union[int, Tuple[int, str]]], Iterable[Tuple[str, int, int]]]
CommitCallback = Callable[[Optional[Exception], Dict[Any, int]], Any]
RebalanceCallback = Callable[["Consumer", List[Any]], Any]
# f(bytes) -> object, or an object with deserialize(topic, data, headers).
Deserializer = Optional[Any]

# Open consumers, closed at interpreter exit (commit, leave the group).
_live: "weakref.WeakSet[Consumer]" = weakref.WeakSet()


def _deserialize(deserializer: Deserializer, message: Message, data: Optional[bytes]) -> Any:
    if deserializer is None or data is None:  # null stays None (a tombstone, a null key)
        return data
    if not callable(deserializer) and hasattr(deserializer, "deserialize"):
        return deserializer.deserialize(message.topic, data, message.headers)
    return deserializer(data)


class ConsumerGroupMetadata(NamedTuple):
    """The consumer's group membership, for
    ``Producer.send_offsets_to_transaction`` (KIP-447 fencing)."""

    group_id: str
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: Optional[str] = None


class OffsetAndTimestamp(NamedTuple):
    """What ``Consumer.offsets_for_times`` found for a partition
    (kafka-python's OffsetAndTimestamp): the first record at or after the
    time asked, its timestamp (ms) and leader epoch (None: not given)."""

    offset: int
    timestamp: int
    leader_epoch: Optional[int] = None


def _topic_partition(tp: Tuple[str, int]) -> Tuple[str, int]:
    topic, partition = tp
    return (topic, int(partition))


def offset_tuples(offsets: Offsets) -> List[Tuple[str, int, int, str]]:
    """``offsets`` as (topic, partition, offset, metadata) tuples."""
    out = []
    if isinstance(offsets, Mapping):
        for tp, value in offsets.items():
            topic, partition = _topic_partition(tp)
            if isinstance(value, tuple):
                offset, metadata = value
            else:
                offset, metadata = getattr(value, "offset", value), getattr(value, "metadata", "")
            out.append((topic, partition, int(offset), metadata or ""))
    else:
        for topic, partition, offset in offsets:
            out.append((topic, int(partition), int(offset), ""))
    return out


class Consumer(_core.Consumer):
    """Reads records from Kafka, alone (``assign``) or in a consumer group
    (``subscribe``; needs ``group.id``).

    ``config`` takes Kafka property names (``"group.id"``,
    ``"auto.offset.reset"``) or kafka-python's snake_case ones, also as
    keyword arguments: ``Consumer(bootstrap_servers="b:9092",
    group_id="billing", auto_offset_reset="earliest")``. ``topics`` given
    here are subscribed at once; as in kafka-python they may come first:
    ``Consumer("orders", bootstrap_servers=..., group_id=...)``.
    ``key_deserializer``/``value_deserializer``: ``f(bytes) -> object`` or
    an object with ``deserialize(topic, data, headers)``, run as messages
    are handed out (None stays None); one that raises makes the poll raise
    DeserializationError, with the message left next in line.

    Blocking calls release the GIL; a blocking poll answers Ctrl+C within
    200 ms, and ``close()`` from another thread ends it. One thread at a
    time should poll (as in Java); other calls are serialised.
    """

    def __init__(
        self,
        config: Union[Mapping[str, Any], str, None] = None,
        *topics: str,
        key_deserializer: Deserializer = None,
        value_deserializer: Deserializer = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(config, str):  # kafka-python's KafkaConsumer("orders", bootstrap_servers=...)
            config, topics = None, (config, *topics)
        super().__init__(kafka_properties(config, kwargs))
        self._buffer: Deque[Message] = collections.deque()
        self._key_deserializer = key_deserializer
        self._value_deserializer = value_deserializer
        _live.add(self)
        if topics:
            self.subscribe(topics)

    # ---- subscription -------------------------------------------------

    def subscribe(
        self,
        topics: Union[str, Iterable[str]] = (),
        on_assign: Optional[RebalanceCallback] = None,
        on_revoke: Optional[RebalanceCallback] = None,
        on_lost: Optional[RebalanceCallback] = None,
        *,
        pattern: Optional[str] = None,
        listener: Any = None,
    ) -> None:
        """Joins ``group.id`` for ``topics`` (a name or an iterable of names),
        or, as kafka-python's ``pattern=``, for every topic whose whole name
        matches the regular expression ``pattern`` (ECMAScript syntax; topics
        created later join the subscription at the next metadata refresh,
        ``metadata.max.age.ms``); replaces the previous subscription.

        Rebalance callbacks ``fn(consumer, [TopicPartition, ...])`` run inside
        poll()/consume()/close() on the calling thread: ``on_revoke`` before
        partitions go (commit what was processed here), ``on_assign`` after
        new ones arrive (seek here), ``on_lost`` when the member was removed
        from the group (do not commit; default: ``on_revoke``). They may call
        this consumer (commit, seek, position, ...) but not poll() or
        close(). An exception they raise comes out of the poll that ran them.
        ``listener``: an object with kafka-python's
        ``on_partitions_revoked(partitions)`` / ``on_partitions_assigned(partitions)``."""
        if listener is not None:
            if on_assign or on_revoke:
                raise ValueError("give listener or on_assign/on_revoke, not both")
            on_assign = lambda _, partitions: listener.on_partitions_assigned(partitions)  # noqa: E731
            on_revoke = lambda _, partitions: listener.on_partitions_revoked(partitions)  # noqa: E731
        names = [topics] if isinstance(topics, str) else list(topics)
        if (pattern is None) == (not names):
            raise ValueError("subscribe() takes topics or pattern=, exactly one of them")
        self._rewind_all()
        self._set_listener(on_assign, on_revoke, on_lost)
        if pattern is not None:
            self._subscribe_pattern(pattern)
        else:
            self._subscribe(names)

    def assign(self, partitions: Partitions) -> None:
        """Reads exactly ``partitions`` (TopicPartition or (topic, partition)
        pairs), without group membership."""
        self._rewind_all()
        self._assign([_topic_partition(tp) for tp in partitions])

    def unsubscribe(self) -> None:
        """Stops reading: an empty subscription (the member stays in the
        group with no partitions until close()) or an empty assignment."""
        self._rewind_all()
        self._unsubscribe()

    # ---- reading --------------------------------------------------------

    def poll(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message, or None when none arrived within ``timeout``
        seconds (None: wait until one arrives or the consumer is closed).
        Raises the first partition error kwire reports (e.g.
        NoOffsetForPartitionError) when there is no message to return."""
        if not self._buffer:
            self._buffer.extend(self._fetch(timeout))
            if not self._buffer:
                return None
        taken = self._take(1)
        return taken[0] if taken else None

    def consume(self, max_records: int = 500, timeout: Optional[float] = None) -> List[Message]:
        """Up to ``max_records`` messages: what is there once the first
        arrives (it does not wait to fill the batch); [] after ``timeout``
        seconds without any."""
        if max_records < 1:
            raise ValueError("max_records must be >= 1")
        if not self._buffer:
            self._buffer.extend(self._fetch(timeout))
        return self._take(max_records)

    def _take(self, count: int) -> List[Message]:
        """Up to `count` buffered messages, deserialized. A deserializer's
        error is raised when it concerns the first message (which stays in
        the buffer, next in line); after others, they are returned first."""
        buffer = self._buffer
        taken = [buffer.popleft() for _ in range(min(count, len(buffer)))]
        kd, vd = self._key_deserializer, self._value_deserializer
        if kd is None and vd is None:
            return taken
        out = []
        for i, m in enumerate(taken):
            try:
                out.append(m._with(_deserialize(kd, m, m.key), _deserialize(vd, m, m.value)))
            except Exception as cause:
                buffer.extendleft(reversed(taken[i:]))
                if out:
                    return out
                error = DeserializationError(
                    f"{m.topic}/{m.partition} offset {m.offset}: the deserializer raised {cause!r}",
                    name="deserialization")
                error.record = m
                raise error from cause
        return out

    def __iter__(self) -> Iterator[Message]:
        """Messages as they arrive, until the consumer is closed."""
        while not self.closed:
            try:
                message = self.poll(None)
            except ConsumerClosedError:  # closed by another thread
                return
            if message is not None:
                yield message

    # ---- offsets ----------------------------------------------------------

    def _next_offsets(self) -> Dict[Tuple[str, int], int]:
        """Per partition, the first message still in the buffer."""
        first: Dict[Tuple[str, int], int] = {}
        for message in self._buffer:
            first.setdefault((message.topic, message.partition), message.offset)
        return first

    def _handed_out(self, buffered: Dict[Tuple[str, int], int]) -> List[Tuple[str, int, int, str]]:
        """The offsets commit() takes by default, given the buffer's
        _next_offsets(): [] (kwire's own positions) when nothing is buffered."""
        if not buffered:
            return []
        to_commit = []
        for topic, partition in self.assignment():
            offset = buffered.get((topic, partition))
            if offset is None:
                offset = self._position(topic, partition)
            if offset is not None:
                to_commit.append((topic, partition, offset, ""))
        return to_commit

    def commit(
        self,
        offsets: Optional[Offsets] = None,
        *,
        message: Optional[Message] = None,
        asynchronous: bool = False,
        callback: Optional[CommitCallback] = None,
        timeout: Optional[float] = None,
    ) -> None:
        """Commits the group's offsets (the next offset to read per partition).

        Without arguments: every assigned partition's position, i.e. up to
        the last message handed out. ``message=m`` commits ``m.offset + 1``
        for its partition; ``offsets`` is ``{TopicPartition: offset}``.
        Synchronous by default (raises the commit's error, e.g. a
        KafkaError for REBALANCE_IN_PROGRESS; KafkaTimeoutError after
        ``timeout``, default default.api.timeout.ms); with
        ``asynchronous=True`` it returns at once and ``callback(error,
        offsets)`` runs inside a later poll()/commit()/close() on the
        calling thread (error None on success)."""
        if message is not None:
            if offsets is not None:
                raise ValueError("give offsets or message, not both")
            to_commit = [(message.topic, message.partition, message.offset + 1, "")]
        elif offsets is not None:
            to_commit = offset_tuples(offsets)
        else:
            to_commit = self._handed_out(self._next_offsets())
        if asynchronous:
            self._commit_async(to_commit, callback)
        else:
            if callback is not None:
                raise ValueError("callback is for asynchronous=True")
            self._commit(to_commit, timeout)

    def committed(self, partitions: Partitions, timeout: Optional[float] = None) -> Dict[Any, Optional[int]]:
        """The group's committed offsets: ``{TopicPartition: offset or None}``."""
        return self._committed([_topic_partition(tp) for tp in partitions], timeout)

    def offsets_for_times(
        self, timestamps: Mapping[Tuple[str, int], int], timeout: Optional[float] = None
    ) -> Dict[Any, Optional[OffsetAndTimestamp]]:
        """Per partition (``{TopicPartition: timestamp_ms}``), the first
        record whose timestamp is at or after the one given:
        ``{TopicPartition: OffsetAndTimestamp(offset, timestamp, leader_epoch)}``,
        None where no record is that recent (kafka-python's shape). The
        partitions need not be assigned to this consumer. Raises ValueError
        for a negative timestamp, KafkaTimeoutError after ``timeout`` seconds
        (default default.api.timeout.ms) naming the partitions unanswered,
        or the KafkaError of a partition that cannot be looked up."""
        asked = []
        for tp, timestamp in timestamps.items():
            topic, partition = _topic_partition(tp)
            if timestamp < 0:
                raise ValueError(f"offsets_for_times: the target time for {topic}/{partition} is {timestamp}; "
                                 "it cannot be negative")
            asked.append((topic, partition, int(timestamp)))
        found = self._offsets_for_times(asked, timeout)
        return {tp: None if answer is None else OffsetAndTimestamp(*answer) for tp, answer in found.items()}

    def beginning_offsets(self, partitions: Partitions, timeout: Optional[float] = None) -> Dict[Any, int]:
        """``{TopicPartition: offset}``: each partition's first offset (its
        log start), assigned to this consumer or not."""
        return self._beginning_offsets([_topic_partition(tp) for tp in partitions], timeout)

    def end_offsets(self, partitions: Partitions, timeout: Optional[float] = None) -> Dict[Any, int]:
        """``{TopicPartition: offset}``: each partition's end, the offset the
        next record written gets (the high watermark) -- under
        ``isolation.level=read_committed`` the last stable offset, before
        the first transaction still open."""
        return self._end_offsets([_topic_partition(tp) for tp in partitions], timeout)

    def position(self, partition: Tuple[str, int]) -> Optional[int]:
        """The offset of the next message poll() hands out for ``partition``
        (None: not known yet)."""
        topic, number = _topic_partition(partition)
        for message in self._buffer:
            if message.topic == topic and message.partition == number:
                return message.offset
        return self._position(topic, number)

    def seek(self, partition: Tuple[str, int], offset: int) -> None:
        """The next poll() reads ``partition`` from ``offset``."""
        topic, number = _topic_partition(partition)
        self._drop({(topic, number)})
        self._seek(topic, number, offset)

    def seek_to_beginning(self, *partitions: Tuple[str, int]) -> None:
        """Reads ``partitions`` (default: the whole assignment) from their start."""
        chosen = [_topic_partition(tp) for tp in partitions] or [tuple(tp) for tp in self.assignment()]
        self._drop(set(chosen))
        self._seek_to_beginning(chosen)

    def seek_to_end(self, *partitions: Tuple[str, int]) -> None:
        """Reads only records written from now on to ``partitions`` (default:
        the whole assignment)."""
        chosen = [_topic_partition(tp) for tp in partitions] or [tuple(tp) for tp in self.assignment()]
        self._drop(set(chosen))
        self._seek_to_end(chosen)

    def pause(self, *partitions: Tuple[str, int]) -> None:
        """Stops fetching ``partitions`` until resume(); their buffered
        messages are handed out again after it."""
        chosen = [_topic_partition(tp) for tp in partitions]
        self._rewind(set(chosen))
        self._pause(chosen)

    def resume(self, *partitions: Tuple[str, int]) -> None:
        self._resume([_topic_partition(tp) for tp in partitions])

    def watermarks(self, partition: Tuple[str, int]) -> Optional[Tuple[int, int, int]]:
        """(log start offset, high watermark, last stable offset) from the
        last fetch of ``partition``, or None before one."""
        return self._watermarks(*_topic_partition(partition))

    def statistics(self) -> Dict[str, Any]:
        """A snapshot of kwire's consumer statistics (docs/observability.md)
        as a dict: per partition position, committed offset, high watermark,
        lag, buffered bytes; totals; the group; the brokers. Records this
        object still buffers count as consumed (kwire handed them out)."""
        return json.loads(self.statistics_json())

    def group_metadata(self) -> ConsumerGroupMetadata:
        """For ``Producer.send_offsets_to_transaction(offsets, consumer.group_metadata())``:
        group id, generation, member id and group instance id, read together
        (after the poll that returned the messages being committed)."""
        return ConsumerGroupMetadata(*self._group_metadata())

    # ---- the buffer ---------------------------------------------------------

    def _drop(self, partitions: set) -> None:
        if self._buffer:
            self._buffer = collections.deque(
                m for m in self._buffer if (m.topic, m.partition) not in partitions)

    def _rewind(self, partitions: Optional[set] = None) -> None:
        """Puts kwire's position of each partition with buffered messages
        back at the first of them, and drops them."""
        if not self._buffer:
            return
        for (topic, partition), offset in self._next_offsets().items():
            if partitions is None or (topic, partition) in partitions:
                try:
                    self._seek(topic, partition, offset)
                except Exception:  # no longer assigned: nothing to put back
                    pass
        if partitions is None:
            self._buffer.clear()
        else:
            self._drop(partitions)

    def _rewind_all(self) -> None:
        self._rewind(None)

    # ---- closing -----------------------------------------------------------

    def close(self, timeout: Optional[float] = None) -> None:
        """Commits what was handed out (enable.auto.commit), leaves the group
        and stops, within ``timeout`` seconds (default
        default.api.timeout.ms). Idempotent; a poll on another thread
        returns at once."""
        self._begin_close()  # a poll on another thread returns now
        try:
            self._rewind_all()
        except Exception:  # already closed, or closing concurrently: nothing to put back
            pass
        self._close(timeout)

    def __enter__(self) -> "Consumer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<kwire.Consumer closed>"
        return f"<kwire.Consumer group_id={self.group_id!r} {len(self._buffer)} buffered>"


def _close_live_consumers() -> None:
    for consumer in list(_live):
        try:
            consumer.close()
        except Exception:  # at exit: report nothing more than kwire logged
            pass
