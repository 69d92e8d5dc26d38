#include "kwire/protocol/consumer_group_heartbeat.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = ConsumerGroupHeartbeatRequest;
using Response = ConsumerGroupHeartbeatResponse;

// Every version is flexible.
constexpr bool kCompact = true;
// A topic id, an empty partition array, a tag buffer.
constexpr std::size_t kTopicPartitionsMinSize = 16 + 1 + 1;

void write_topic_partitions(Writer& out, const ConsumerGroupTopicPartitions& t) {
  out.write_uuid(t.topic_id);
  codec::write_int32_array(out, t.partitions, kCompact);
  out.write_tagged_fields(t.unknown_tags);
}

void read_topic_partitions(Reader& in, ConsumerGroupTopicPartitions& t) {
  t.topic_id = in.read_uuid();
  read_int32_array(in, kCompact, t.partitions);
  in.read_tagged_fields(t.unknown_tags);
}

// A nullable struct is preceded by a marker byte: -1 for null, 1 for present.
// Kafka reads any negative marker as null and any other as present; kwire
// accepts only the two Kafka writes, so that every accepted input re-encodes
// to itself.
constexpr std::int8_t kNullStruct = -1;
constexpr std::int8_t kPresentStruct = 1;

}  // namespace

// ------------------------------------------------------------------ request

std::error_code ConsumerGroupHeartbeatRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  // Not ignorable: a regex subscription must not silently become none.
  if (version < first_regex_version && subscribed_topic_regex) return codec::not_in_version();

  out.write_string(group_id, kCompact);
  out.write_string(member_id, kCompact);
  out.write_int32(member_epoch);
  out.write_nullable_string(instance_id, kCompact);
  out.write_nullable_string(rack_id, kCompact);
  out.write_int32(rebalance_timeout_ms);
  if (subscribed_topic_names)
    codec::write_string_array(out, *subscribed_topic_names, kCompact);
  else
    out.write_array_length(-1, kCompact);
  if (version >= first_regex_version) out.write_nullable_string(subscribed_topic_regex, kCompact);
  out.write_nullable_string(server_assignor, kCompact);
  codec::write_nullable_array_length(out, topic_partitions, kCompact);
  if (topic_partitions)
    for (const auto& t : *topic_partitions) write_topic_partitions(out, t);
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ConsumerGroupHeartbeatRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  *this = {};

  group_id = in.read_string(kCompact);
  member_id = in.read_string(kCompact);
  member_epoch = in.read_int32();
  instance_id = in.read_nullable_string(kCompact);
  rack_id = in.read_nullable_string(kCompact);
  rebalance_timeout_ms = in.read_int32();
  codec::read_nullable_array(in, kCompact, 1, subscribed_topic_names,
                             [&](std::string& name) { name = in.read_string(kCompact); });
  if (version >= first_regex_version) subscribed_topic_regex = in.read_nullable_string(kCompact);
  server_assignor = in.read_nullable_string(kCompact);
  codec::read_nullable_array(in, kCompact, kTopicPartitionsMinSize, topic_partitions,
                             [&](ConsumerGroupTopicPartitions& t) { read_topic_partitions(in, t); });
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code ConsumerGroupHeartbeatResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  // Every field exists at every version and every version is flexible:
  // nothing can be refused.
  out.write_int32(throttle_time_ms);
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_nullable_string(error_message, kCompact);
  out.write_nullable_string(member_id, kCompact);
  out.write_int32(member_epoch);
  out.write_int32(heartbeat_interval_ms);
  if (assignment) {
    out.write_int8(kPresentStruct);
    codec::write_array_length(out, assignment->topic_partitions, kCompact);
    for (const auto& t : assignment->topic_partitions) write_topic_partitions(out, t);
    out.write_tagged_fields(assignment->unknown_tags);
  } else {
    out.write_int8(kNullStruct);
  }
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ConsumerGroupHeartbeatResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  *this = {};

  throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  error_message = in.read_nullable_string(kCompact);
  member_id = in.read_nullable_string(kCompact);
  member_epoch = in.read_int32();
  heartbeat_interval_ms = in.read_int32();
  const std::int8_t marker = in.read_int8();
  if (marker == kPresentStruct) {
    auto& a = assignment.emplace();
    read_array(in, kCompact, kTopicPartitionsMinSize, a.topic_partitions,
               [&](ConsumerGroupTopicPartitions& t) { read_topic_partitions(in, t); });
    in.read_tagged_fields(a.unknown_tags);
  } else if (marker != kNullStruct && in.ok()) {
    in.fail(client_errc::malformed);
  }
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
