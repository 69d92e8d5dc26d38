#pragma once
// AddOffsetsToTxn (API key 25): adds a consumer group's offsets partition
// (__consumer_offsets for GroupId) to the producer's transaction, before
// TxnOffsetCommit sends the offsets themselves to the group coordinator
// (KIP-98 send_offsets_to_transaction). Not sent under transaction version 2
// (KIP-890): TxnOffsetCommit v5+ adds the partition implicitly.
//
// Request (AddOffsetsToTxnRequest.json):
//   Version 0: TransactionalId, ProducerId, ProducerEpoch, GroupId.
//   Version 1 is the same as version 0.
//   Version 2: the broker may answer PRODUCER_FENCED (KIP-588).
//   Version 3 is the first flexible version (KIP-482).
//   Version 4: the broker may answer TRANSACTION_ABORTABLE (KIP-890).
//
// Response (AddOffsetsToTxnResponse.json):
//   Version 0: ThrottleTimeMs, ErrorCode.
//   Version 1: on quota violation the broker answers first, then throttles
//   (KIP-219). Versions 2-4 as the request (new error codes; v3 flexible).
#include <cstdint>
#include <string>
#include <system_error>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct AddOffsetsToTxnRequest {
  static constexpr ApiKey api_key = ApiKey::add_offsets_to_txn;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 3;

  std::string transactional_id;
  std::int64_t producer_id = 0;
  std::int16_t producer_epoch = 0;
  std::string group_id;  ///< the consumer group whose offsets join the transaction
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const AddOffsetsToTxnRequest&, const AddOffsetsToTxnRequest&) = default;
};

struct AddOffsetsToTxnResponse {
  static constexpr ApiKey api_key = ApiKey::add_offsets_to_txn;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 3;

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const AddOffsetsToTxnResponse&, const AddOffsetsToTxnResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
