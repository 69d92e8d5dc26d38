#pragma once
// Produce (API key 0): record batches for partitions, and per partition the
// offset the broker assigned or an error.
//
// kwire speaks v3-v13: v3 is the first version carrying record batch v2, and
// Kafka 4.x rejects v0-2 although it still advertises them (KAFKA-18659).
//
// Request (ProduceRequest.json, Kafka 4.1):
//   Version 3 adds TransactionalId and record batch v2 (KIP-98).
//   Version 4 is the same as 3; the client must handle KAFKA_STORAGE_ERROR.
//   Versions 5 and 6 are the same as 3 (v6: on quota violation the broker
//   answers first, then throttles, KIP-219).
//   Version 7: records may use zstd (KIP-110).
//   Version 8: the response has RecordErrors and ErrorMessage (KIP-467).
//   Version 9 is the first flexible version (KIP-482).
//   Version 10 is the same as 9; the response may carry leader hints (KIP-951).
//   Version 11: the broker may answer TRANSACTION_ABORTABLE (KIP-890).
//   Version 12 is the same as 11 (KIP-890 part 2: with transaction protocol
//   v2 a transactional Produce also adds the partition to the transaction, so
//   a v1-protocol transactional producer must stay at v11).
//   Version 13 addresses topics by TopicId instead of Name (KIP-516); the
//   broker may answer UNKNOWN_TOPIC_ID.
//
// Response (ProduceResponse.json, Kafka 4.1):
//   Version 2 added LogAppendTimeMs; version 3 is the same as 2.
//   Version 4: KAFKA_STORAGE_ERROR may be returned.
//   Version 5 adds LogStartOffset.
//   Version 8 adds RecordErrors and ErrorMessage (KIP-467).
//   Version 9 is the first flexible version.
//   Version 10 adds the tagged fields CurrentLeader (tag 0, per partition) and
//   NodeEndpoints (tag 0, top level) (KIP-951): on NOT_LEADER_OR_FOLLOWER the
//   broker names the new leader and its endpoint, saving a metadata round trip.
//   Version 11: TRANSACTION_ABORTABLE (KIP-890). Version 12 is the same as 11.
//   Version 13 addresses topics by TopicId instead of Name (KIP-516).
//   ThrottleTimeMs comes AFTER the topics array in every version.
//
// Encoding rules: a field the version lacks must hold its default, else
// encode() fails with client_errc::field_not_in_version. One exception:
// topics carry both `name` and `topic_id` (a producer knows both from
// Metadata), and each version writes the one it has (name before v13,
// topic_id from v13), as Kafka's schema marks both "ignorable"; encode()
// fails with field_not_in_version only when the one the version needs is
// missing (empty name before v13, zero topic id at v13). Decoding leaves the
// other one at its default.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct ProduceRequest {
  static constexpr ApiKey api_key = ApiKey::produce;
  static constexpr std::int16_t min_version = 3;
  static constexpr std::int16_t max_version = 13;
  static constexpr std::int16_t first_flexible_version = 9;
  /// First version addressing topics by id (KIP-516).
  static constexpr std::int16_t first_topic_id_version = 13;

  struct PartitionData {
    std::int32_t index = 0;
    /// The partition's record batches, as a view: encode() copies them once,
    /// straight into the request buffer, so they must outlive encode() only.
    /// decode() points them into its input (valid while the input lives).
    /// nullopt is a null records field.
    std::optional<std::span<const std::uint8_t>> records;
    TaggedFields unknown_tags;  ///< v9+
    /// Spans compare by content.
    friend bool operator==(const PartitionData& a, const PartitionData& b);
  };

  struct TopicData {
    std::string name;  ///< v3-12
    Uuid topic_id;     ///< v13+
    std::vector<PartitionData> partition_data;
    TaggedFields unknown_tags;  ///< v9+
    friend bool operator==(const TopicData&, const TopicData&) = default;
  };

  std::optional<std::string> transactional_id;  ///< null unless transactional
  /// 0: no response at all (the broker closes the connection on error),
  /// 1: the leader's write, -1: all in-sync replicas.
  std::int16_t acks = -1;
  std::int32_t timeout_ms = 30000;
  std::vector<TopicData> topic_data;
  TaggedFields unknown_tags;  ///< v9+

  std::error_code encode(Writer& out, std::int16_t version) const;
  /// encode() without the record batches: `out` gets every other byte, and
  /// each partition's (non-empty) records are appended to `splices` with the
  /// offset in `out` where they belong, so the request goes out with
  /// scatter-gather I/O and the batches are never copied into it. `out`
  /// with the splices inserted (append_spliced) is exactly encode()'s output.
  /// The records must then outlive the write, not just this call.
  std::error_code encode_gathered(Writer& out, std::int16_t version, std::vector<Splice>& splices) const;
  std::error_code decode(Reader& in, std::int16_t version);
  /// The exact number of bytes encode() writes at `version` (0 if the version
  /// is unsupported), so a caller can reserve the request buffer once and the
  /// record batches are copied exactly once.
  std::size_t encoded_size(std::int16_t version) const noexcept;
  friend bool operator==(const ProduceRequest&, const ProduceRequest&) = default;

 private:
  std::error_code encode_impl(Writer& out, std::int16_t version, std::vector<Splice>* splices) const;
};

struct ProduceResponse {
  static constexpr ApiKey api_key = ApiKey::produce;
  static constexpr std::int16_t min_version = 3;
  static constexpr std::int16_t max_version = 13;
  static constexpr std::int16_t first_flexible_version = 9;
  static constexpr std::int16_t first_topic_id_version = 13;

  /// KIP-467: a record that made the broker drop the whole batch.
  struct BatchIndexAndErrorMessage {
    std::int32_t batch_index = 0;
    std::optional<std::string> batch_index_error_message;
    TaggedFields unknown_tags;  ///< v9+
    friend bool operator==(const BatchIndexAndErrorMessage&, const BatchIndexAndErrorMessage&) = default;
  };

  /// KIP-951 leader hint; -1/-1 (the default) means "none" and is not sent.
  struct LeaderIdAndEpoch {
    std::int32_t leader_id = -1;
    std::int32_t leader_epoch = -1;
    TaggedFields unknown_tags;
    bool is_default() const noexcept { return leader_id == -1 && leader_epoch == -1 && unknown_tags.empty(); }
    friend bool operator==(const LeaderIdAndEpoch&, const LeaderIdAndEpoch&) = default;
  };

  struct PartitionResponse {
    std::int32_t index = 0;
    kwire::errc error_code = kwire::errc::none;
    std::int64_t base_offset = -1;
    std::int64_t log_append_time_ms = -1;  ///< -1 unless the topic uses LogAppendTime
    std::int64_t log_start_offset = -1;    ///< v5+
    std::vector<BatchIndexAndErrorMessage> record_errors;  ///< v8+
    std::optional<std::string> error_message;              ///< v8+
    LeaderIdAndEpoch current_leader;                       ///< v10+, tag 0
    TaggedFields unknown_tags;                             ///< v9+
    friend bool operator==(const PartitionResponse&, const PartitionResponse&) = default;
  };

  struct TopicResponse {
    std::string name;  ///< v3-12
    Uuid topic_id;     ///< v13+
    std::vector<PartitionResponse> partition_responses;
    TaggedFields unknown_tags;  ///< v9+
    friend bool operator==(const TopicResponse&, const TopicResponse&) = default;
  };

  /// KIP-951: endpoints of the leaders named in CurrentLeader.
  struct NodeEndpoint {
    std::int32_t node_id = 0;
    std::string host;
    std::int32_t port = 0;
    std::optional<std::string> rack;
    TaggedFields unknown_tags;
    friend bool operator==(const NodeEndpoint&, const NodeEndpoint&) = default;
  };

  std::vector<TopicResponse> responses;
  std::int32_t throttle_time_ms = 0;         ///< after `responses` on the wire
  std::vector<NodeEndpoint> node_endpoints;  ///< v10+, tag 0; sent only when non-empty
  TaggedFields unknown_tags;                 ///< v9+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ProduceResponse&, const ProduceResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
