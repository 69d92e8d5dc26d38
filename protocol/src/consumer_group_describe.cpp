#include "kwire/protocol/consumer_group_describe.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = ConsumerGroupDescribeRequest;
using Response = ConsumerGroupDescribeResponse;

// Every version is flexible.
constexpr bool kCompact = true;

// Smallest encodings of array elements, so absurd counts fail before any
// reservation.
constexpr std::size_t kTopicPartitionsMinSize = 16 + 1 + 1 + 1;  // id, name, partitions, tags
// Strings and nullable strings take a byte, arrays a byte, tags a byte.
constexpr std::size_t kMemberMinSize = 1 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + (1 + 1) + (1 + 1) + 1;
constexpr std::size_t kGroupMinSize = 2 + 1 + 1 + 1 + 4 + 4 + 1 + 1 + 4 + 1;

void write_assignment(Writer& out, const Response::Assignment& a) {
  codec::write_array_length(out, a.topic_partitions, kCompact);
  for (const auto& t : a.topic_partitions) {
    out.write_uuid(t.topic_id);
    out.write_string(t.topic_name, kCompact);
    codec::write_int32_array(out, t.partitions, kCompact);
    out.write_tagged_fields(t.unknown_tags);
  }
  out.write_tagged_fields(a.unknown_tags);
}

void read_assignment(Reader& in, Response::Assignment& a) {
  read_array(in, kCompact, kTopicPartitionsMinSize, a.topic_partitions, [&](Response::TopicPartitions& t) {
    t.topic_id = in.read_uuid();
    t.topic_name = in.read_string(kCompact);
    read_int32_array(in, kCompact, t.partitions);
    in.read_tagged_fields(t.unknown_tags);
  });
  in.read_tagged_fields(a.unknown_tags);
}

}  // namespace

// ------------------------------------------------------------------ request

std::error_code ConsumerGroupDescribeRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  codec::write_string_array(out, group_ids, kCompact);
  out.write_bool(include_authorized_operations);
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ConsumerGroupDescribeRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  *this = {};
  codec::read_string_array(in, kCompact, group_ids);
  include_authorized_operations = in.read_bool();
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code ConsumerGroupDescribeResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();

  out.write_int32(throttle_time_ms);
  codec::write_array_length(out, groups, kCompact);
  for (const auto& g : groups) {
    out.write_int16(static_cast<std::int16_t>(g.error_code));
    out.write_nullable_string(g.error_message, kCompact);
    out.write_string(g.group_id, kCompact);
    out.write_string(g.group_state, kCompact);
    out.write_int32(g.group_epoch);
    out.write_int32(g.assignment_epoch);
    out.write_string(g.assignor_name, kCompact);
    codec::write_array_length(out, g.members, kCompact);
    for (const auto& m : g.members) {
      out.write_string(m.member_id, kCompact);
      out.write_nullable_string(m.instance_id, kCompact);
      out.write_nullable_string(m.rack_id, kCompact);
      out.write_int32(m.member_epoch);
      out.write_string(m.client_id, kCompact);
      out.write_string(m.client_host, kCompact);
      codec::write_string_array(out, m.subscribed_topic_names, kCompact);
      out.write_nullable_string(m.subscribed_topic_regex, kCompact);
      write_assignment(out, m.assignment);
      write_assignment(out, m.target_assignment);
      if (version >= first_member_type_version) out.write_int8(m.member_type);  // ignorable at v0
      out.write_tagged_fields(m.unknown_tags);
    }
    out.write_int32(g.authorized_operations);
    out.write_tagged_fields(g.unknown_tags);
  }
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ConsumerGroupDescribeResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  *this = {};

  throttle_time_ms = in.read_int32();
  read_array(in, kCompact, kGroupMinSize, groups, [&](Group& g) {
    g.error_code = static_cast<kwire::errc>(in.read_int16());
    g.error_message = in.read_nullable_string(kCompact);
    g.group_id = in.read_string(kCompact);
    g.group_state = in.read_string(kCompact);
    g.group_epoch = in.read_int32();
    g.assignment_epoch = in.read_int32();
    g.assignor_name = in.read_string(kCompact);
    read_array(in, kCompact, kMemberMinSize, g.members, [&](Member& m) {
      m.member_id = in.read_string(kCompact);
      m.instance_id = in.read_nullable_string(kCompact);
      m.rack_id = in.read_nullable_string(kCompact);
      m.member_epoch = in.read_int32();
      m.client_id = in.read_string(kCompact);
      m.client_host = in.read_string(kCompact);
      codec::read_string_array(in, kCompact, m.subscribed_topic_names);
      m.subscribed_topic_regex = in.read_nullable_string(kCompact);
      read_assignment(in, m.assignment);
      read_assignment(in, m.target_assignment);
      if (version >= first_member_type_version) m.member_type = in.read_int8();
      in.read_tagged_fields(m.unknown_tags);
    });
    g.authorized_operations = in.read_int32();
    in.read_tagged_fields(g.unknown_tags);
  });
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
