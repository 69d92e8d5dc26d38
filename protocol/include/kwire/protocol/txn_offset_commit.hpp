#pragma once
// TxnOffsetCommit (API key 28): a transactional producer commits a consumer
// group's offsets as part of its transaction, to the GROUP coordinator
// (KIP-98 send_offsets_to_transaction; the offsets become visible when the
// transaction commits).
//
// Request (TxnOffsetCommitRequest.json):
//   Version 0: TransactionalId, GroupId, ProducerId, ProducerEpoch,
//   Topics [{Name, Partitions [{PartitionIndex, CommittedOffset,
//   CommittedMetadata}]}].
//   Version 1 is the same as version 0.
//   Version 2 adds CommittedLeaderEpoch (KIP-320; default -1).
//   Version 3 adds GenerationIdOrMemberEpoch (default -1), MemberId (default
//   "") and GroupInstanceId (default null) (KIP-447), so the group
//   coordinator can fence a consumer that was rebalanced away; under KIP-848
//   the first carries the member epoch. First flexible version (KIP-482).
//   Version 4: the broker may answer TRANSACTION_ABORTABLE (KIP-890).
//   Version 5 is transaction version 2 (KIP-890 part 2): the group
//   coordinator adds the offsets partition to the transaction itself, so no
//   AddOffsetsToTxn is sent. Only when transaction.version >= 2.
//   Version 6 (Kafka 4.4) addresses topics by TopicId instead of Name.
//
// Response (TxnOffsetCommitResponse.json):
//   Version 0: ThrottleTimeMs, Topics [{Name, Partitions [{PartitionIndex,
//   ErrorCode}]}].
//   Version 1: on quota violation the broker answers first, then throttles
//   (KIP-219). Version 2 is the same as 1.
//   Version 3: ILLEGAL_GENERATION, FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID
//   (KIP-447); first flexible version. Version 4: TRANSACTION_ABORTABLE.
//   Version 5 is the same as 4. Version 6 addresses topics by TopicId.
//
// Encoding rules: a field the version lacks must hold its default, else
// encode() fails with client_errc::field_not_in_version — CommittedLeaderEpoch
// too, and the topic key the version lacks (a topic id before v6, a name from
// v6), both of which Kafka's generated code would drop silently (they are
// "ignorable" in its schema). Decoding leaves the other key at its default.
#include <cstdint>
#include <optional>
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

struct TxnOffsetCommitRequest {
  static constexpr ApiKey api_key = ApiKey::txn_offset_commit;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 3;
  /// First version with the group member fields (KIP-447).
  static constexpr std::int16_t first_member_version = 3;
  /// First version with transaction version 2 semantics (KIP-890 part 2);
  /// a transaction-version-1 producer stays below it.
  static constexpr std::int16_t first_transaction_v2_version = 5;
  /// First version addressing topics by id.
  static constexpr std::int16_t first_topic_id_version = 6;

  struct Partition {
    std::int32_t partition_index = 0;
    std::int64_t committed_offset = 0;
    std::int32_t committed_leader_epoch = -1;  ///< v2+
    std::optional<std::string> committed_metadata = std::string();
    TaggedFields unknown_tags;  ///< v3+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;  ///< v0-5
    Uuid topic_id;     ///< v6+
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v3+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::string transactional_id;
  std::string group_id;
  std::int64_t producer_id = 0;
  std::int16_t producer_epoch = 0;
  std::int32_t generation_id_or_member_epoch = -1;  ///< v3+
  std::string member_id;                             ///< v3+
  std::optional<std::string> group_instance_id;      ///< v3+; static membership (KIP-345)
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const TxnOffsetCommitRequest&, const TxnOffsetCommitRequest&) = default;
};

struct TxnOffsetCommitResponse {
  static constexpr ApiKey api_key = ApiKey::txn_offset_commit;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 3;
  static constexpr std::int16_t first_topic_id_version = 6;

  struct Partition {
    std::int32_t partition_index = 0;
    kwire::errc error_code = kwire::errc::none;
    TaggedFields unknown_tags;  ///< v3+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;  ///< v0-5
    Uuid topic_id;     ///< v6+
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v3+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const TxnOffsetCommitResponse&, const TxnOffsetCommitResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
