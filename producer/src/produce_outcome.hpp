#pragma once
// What the sender does with one partition's result in a Produce response (or
// with a request that failed as a whole): ONE classification function, so
// the decision table can be read — and tested — in one place (STYLE lesson
// 6; librdkafka's rd_kafka_err_action, Java's Sender.completeBatch).
//
// The classification is about the error alone. Whether a retry is still
// allowed (`retries`, delivery.timeout.ms) is the sender's second, separate
// question.
#include <cstdint>
#include <string_view>
#include <system_error>

namespace kwire::producer {

enum class ProduceAction : std::uint8_t {
  complete,  ///< written: deliver the offsets
  retry,     ///< send the same batch again after the retry backoff
  split,     ///< MESSAGE_TOO_LARGE with more than one record: split and resend the pieces
  fail,      ///< this batch fails with the error; the producer carries on
  fatal,     ///< this batch fails and the producer cannot continue (fenced, …)
};

/// Whether the batch may be in the log (what idempotence needs to choose
/// between resending with the same sequence and resetting sequences).
enum class Persisted : std::uint8_t {
  no,     ///< the broker rejected it: it is not in the log
  maybe,  ///< timed out or disconnected: unknown
  yes,    ///< it is in the log
};

struct ProduceErrorClass {
  ProduceAction action = ProduceAction::fail;
  /// Leader or partition information is stale: refresh metadata (with the
  /// refresh backoff) before the retry goes out.
  bool refresh_metadata = false;
  Persisted persisted = Persisted::no;
  friend bool operator==(const ProduceErrorClass&, const ProduceErrorClass&) = default;
};

/// The table:
///  * no error, DUPLICATE_SEQUENCE_NUMBER (an idempotent retry of a batch
///    already written) → complete, persisted.
///  * MESSAGE_TOO_LARGE → split when the batch has more than one record,
///    else fail (Java: only v2 batches with > 1 record are split).
///  * client_errc::disconnected, timed_out → retry + refresh, persisted maybe
///    (the request may have been written; Java's NetworkException and
///    request timeouts).
///  * REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS_AFTER_APPEND → retry, persisted
///    maybe (the leader may have the batch).
///  * any other Kafka code error_traits() marks retriable → retry, with a
///    metadata refresh when it is refresh_metadata (NOT_LEADER_OR_FOLLOWER,
///    UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, KAFKA_STORAGE_ERROR,
///    FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_ID, …), persisted no.
///  * error_traits() fatal (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH,
///    CLUSTER_AUTHORIZATION_FAILED, …) and client_errc::fatal_producer_state
///    → fatal.
///  * everything else (TOPIC_AUTHORIZATION_FAILED, INVALID_RECORD,
///    INVALID_TIMESTAMP, UNSUPPORTED_VERSION, RECORD_LIST_TOO_LARGE,
///    OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID without
///    idempotence, unknown codes, shutting_down, malformed responses) → fail.
///
/// CORRUPT_MESSAGE is retriable, as in Java (CorruptRecordException): the
/// bytes may have been damaged in transit, and ours carry a correct CRC.
ProduceErrorClass classify_produce_error(std::error_code error, std::int32_t record_count) noexcept;

std::string_view to_string(ProduceAction action) noexcept;
std::string_view to_string(Persisted persisted) noexcept;

}  // namespace kwire::producer
