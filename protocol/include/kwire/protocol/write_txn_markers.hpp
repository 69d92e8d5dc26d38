#pragma once
// WriteTxnMarkers (API key 27): writes COMMIT/ABORT control records
// (transaction markers) into partitions. The transaction coordinator sends it
// to partition leaders when a transaction ends (KIP-98); an administrator
// sends it to abort a hanging transaction whose coordinator will never end
// it (KIP-664, Admin.abortTransaction / kafka-transactions.sh abort: the
// producer id and epoch come from DescribeProducers, the coordinator epoch is
// -1 for such an abort).
//
// Request (WriteTxnMarkersRequest.json):
//   Version 0: Markers [{ProducerId, ProducerEpoch, TransactionResult,
//   Topics [{Name, PartitionIndexes}], CoordinatorEpoch}].
//   Version 1 is the first flexible version (KIP-482). Kafka 4.0 dropped v0
//   (KIP-896), so 3.9 brokers serve 0-1 and 4.x brokers 1-2.
//   Version 2 (Kafka 4.2, KIP-1228) adds TransactionVersion (int8, default
//   0) per marker, so a partition leader can require a strictly greater
//   epoch for transaction-version-2 markers.
//
// Response (WriteTxnMarkersResponse.json):
//   Version 0: Markers [{ProducerId, Topics [{Name, Partitions
//   [{PartitionIndex, ErrorCode}]}]}].
//   Version 1 is the first flexible version. Version 2 is the same as 1.
#include <cstdint>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/topic_partitions.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct WriteTxnMarkersRequest {
  static constexpr ApiKey api_key = ApiKey::write_txn_markers;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 1;
  /// First version carrying each marker's transaction version (KIP-1228).
  static constexpr std::int16_t first_transaction_version_version = 2;

  struct Marker {
    std::int64_t producer_id = 0;
    std::int16_t producer_epoch = 0;
    bool transaction_result = false;  ///< true: COMMIT, false: ABORT
    std::vector<TopicPartitionIndexes> topics;
    /// The coordinator's epoch; -1 for an administrator's abort (KIP-664).
    std::int32_t coordinator_epoch = 0;
    std::int8_t transaction_version = 0;  ///< v2+
    TaggedFields unknown_tags;            ///< v1+
    friend bool operator==(const Marker&, const Marker&) = default;
  };

  std::vector<Marker> markers;
  TaggedFields unknown_tags;  ///< v1+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const WriteTxnMarkersRequest&, const WriteTxnMarkersRequest&) = default;
};

struct WriteTxnMarkersResponse {
  static constexpr ApiKey api_key = ApiKey::write_txn_markers;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 1;

  struct MarkerResult {
    std::int64_t producer_id = 0;
    std::vector<TopicPartitionErrors> topics;
    TaggedFields unknown_tags;  ///< v1+
    friend bool operator==(const MarkerResult&, const MarkerResult&) = default;
  };

  std::vector<MarkerResult> markers;
  TaggedFields unknown_tags;  ///< v1+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const WriteTxnMarkersResponse&, const WriteTxnMarkersResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
