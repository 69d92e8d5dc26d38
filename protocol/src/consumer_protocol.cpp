#include "kwire/protocol/consumer_protocol.hpp"

#include <algorithm>

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

// Never flexible: strings are int16-prefixed, bytes and arrays int32.
constexpr bool compact = false;

/// Reads the int16 version prefix. Returns the version whose fields follow:
/// a newer version than we know is read as our newest, since later versions
/// only append fields (ConsumerProtocol.checkSubscriptionVersion).
template <class M>
std::int16_t read_version(Reader& in, std::int16_t* wire_version) {
  const std::int16_t version = in.read_int16();
  if (wire_version != nullptr) *wire_version = version;
  if (in.ok() && version < M::min_version) in.fail(client_errc::unsupported_version);
  return std::min(version, M::max_version);
}

void write_topic_partitions(Writer& out, const std::vector<ConsumerProtocolTopicPartitions>& list) {
  out.write_array_length(static_cast<std::int32_t>(list.size()), compact);
  for (const auto& entry : list) {
    out.write_string(entry.topic, compact);
    out.write_array_length(static_cast<std::int32_t>(entry.partitions.size()), compact);
    for (std::int32_t partition : entry.partitions) out.write_int32(partition);
  }
}

void read_topic_partitions(Reader& in, std::vector<ConsumerProtocolTopicPartitions>& list) {
  // Each entry is at least an empty topic (2 bytes) and an empty array (4).
  read_array(in, compact, 6, list, [&in](ConsumerProtocolTopicPartitions& entry) {
    entry.topic = in.read_string(compact);
    read_int32_array(in, compact, entry.partitions);
  });
}

}  // namespace

// ---------------------------------------------------------------- subscription

std::error_code ConsumerProtocolSubscription::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<ConsumerProtocolSubscription>(version)) return codec::unsupported_version();
  // Java drops these "ignorable" fields silently at older versions; we refuse,
  // so that a cooperative member never advertises "owns nothing" by accident.
  if (version < first_owned_partitions_version && !owned_partitions.empty()) return codec::not_in_version();
  if (version < first_generation_id_version && generation_id != -1) return codec::not_in_version();
  if (version < first_rack_id_version && rack_id.has_value()) return codec::not_in_version();

  out.write_int16(version);
  out.write_array_length(static_cast<std::int32_t>(topics.size()), compact);
  for (const auto& topic : topics) out.write_string(topic, compact);
  out.write_nullable_bytes(user_data, compact);
  if (version >= first_owned_partitions_version) write_topic_partitions(out, owned_partitions);
  if (version >= first_generation_id_version) out.write_int32(generation_id);
  if (version >= first_rack_id_version) out.write_nullable_string(rack_id, compact);
  return {};
}

std::error_code ConsumerProtocolSubscription::decode(Reader& in, std::int16_t* wire_version) {
  *this = {};
  const std::int16_t version = read_version<ConsumerProtocolSubscription>(in, wire_version);
  if (!in.ok()) return in.error();
  read_array(in, compact, 2, topics, [&in](std::string& topic) { topic = in.read_string(compact); });
  user_data = in.read_nullable_bytes(compact);
  if (version >= first_owned_partitions_version) read_topic_partitions(in, owned_partitions);
  if (version >= first_generation_id_version) generation_id = in.read_int32();
  if (version >= first_rack_id_version) rack_id = in.read_nullable_string(compact);
  return in.error();
}

// ---------------------------------------------------------------- assignment

std::error_code ConsumerProtocolAssignment::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<ConsumerProtocolAssignment>(version)) return codec::unsupported_version();
  out.write_int16(version);
  write_topic_partitions(out, assigned_partitions);
  out.write_nullable_bytes(user_data, compact);
  return {};
}

std::error_code ConsumerProtocolAssignment::decode(Reader& in, std::int16_t* wire_version) {
  *this = {};
  (void)read_version<ConsumerProtocolAssignment>(in, wire_version);
  if (!in.ok()) return in.error();
  read_topic_partitions(in, assigned_partitions);
  user_data = in.read_nullable_bytes(compact);
  return in.error();
}

}  // namespace kwire::protocol
