#pragma once
// The consumer's embedded protocol ("consumer" protocol type of the classic
// group protocol): the bytes a member puts in JoinGroup's
// Protocols[].Metadata (its subscription) and the bytes the leader puts in
// SyncGroup's Assignments[].Assignment (each member's partitions). The broker
// never reads them; Java, librdkafka and kwire members of one group must.
//
// Unlike API messages these carry their own int16 version prefix and are
// never flexible (ConsumerProtocolSubscription.json,
// ConsumerProtocolAssignment.json):
//
// Subscription:
//   Version 0: Topics [string], UserData (nullable bytes).
//   Version 1 adds OwnedPartitions [{Topic, Partitions [int32]}] (KIP-429:
//   the cooperative assignor needs to know what each member owns).
//   Version 2 adds GenerationId (default -1): the generation in which the
//   member last owned OwnedPartitions, so the leader can discard stale
//   claims (KAFKA-12170).
//   Version 3 adds RackId (nullable string, KIP-881 rack-aware assignment).
// Assignment:
//   Versions 0-3: AssignedPartitions [{Topic, Partitions [int32]}], UserData
//   (nullable bytes). Versions 1-3 only track the subscription's versions.
//
// Compatibility rules, as Java's ConsumerProtocol applies them:
//   * A version newer than 3 is read as version 3 and whatever follows is
//     ignored: newer versions may only append fields.
//   * Bytes after the last field are ignored at every version (Java never
//     checks), so a kwire leader accepts whatever a Java leader would.
//   * A negative version is refused (unsupported_version).
// Encoding refuses a non-default value in a field the chosen version lacks
// (field_not_in_version) rather than dropping it, as the API codecs do.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// One topic's partitions, as both formats list them.
struct ConsumerProtocolTopicPartitions {
  std::string topic;
  std::vector<std::int32_t> partitions;
  friend bool operator==(const ConsumerProtocolTopicPartitions&, const ConsumerProtocolTopicPartitions&) = default;
};

/// A member's subscription: JoinGroup Protocols[].Metadata.
struct ConsumerProtocolSubscription {
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static constexpr std::int16_t first_owned_partitions_version = 1;
  static constexpr std::int16_t first_generation_id_version = 2;
  static constexpr std::int16_t first_rack_id_version = 3;

  std::vector<std::string> topics;
  std::optional<std::vector<std::uint8_t>> user_data;
  std::vector<ConsumerProtocolTopicPartitions> owned_partitions;  ///< v1+
  std::int32_t generation_id = -1;                                ///< v2+; -1: unknown
  std::optional<std::string> rack_id;                             ///< v3+

  /// Writes the int16 version prefix, then the fields of that version.
  std::error_code encode(Writer& out, std::int16_t version) const;
  /// Reads the version prefix and the fields (see the rules above); the
  /// version found on the wire is stored in `wire_version` when given.
  std::error_code decode(Reader& in, std::int16_t* wire_version = nullptr);
  friend bool operator==(const ConsumerProtocolSubscription&, const ConsumerProtocolSubscription&) = default;
};

/// A member's assignment: SyncGroup Assignments[].Assignment (from the
/// leader) and the SyncGroup response's Assignment (to each member).
struct ConsumerProtocolAssignment {
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;

  std::vector<ConsumerProtocolTopicPartitions> assigned_partitions;
  std::optional<std::vector<std::uint8_t>> user_data;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t* wire_version = nullptr);
  friend bool operator==(const ConsumerProtocolAssignment&, const ConsumerProtocolAssignment&) = default;
};

/// The whole encoding of `message` at `version` appended to `out`. A
/// refused encode writes nothing (encode() checks before writing).
template <class M>
std::error_code encode_consumer_protocol(const M& message, std::int16_t version, std::vector<std::uint8_t>& out) {
  Writer writer(out);
  return message.encode(writer, version);
}

/// Decodes a whole metadata/assignment blob (trailing bytes ignored, as
/// Java does). `wire_version`, when given, receives the version prefix.
template <class M>
std::error_code decode_consumer_protocol(std::span<const std::uint8_t> bytes, M& out,
                                         std::int16_t* wire_version = nullptr) {
  Reader in(bytes);
  return out.decode(in, wire_version);
}

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
