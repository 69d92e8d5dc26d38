#include "kwire/protocol/offset_for_leader_epoch.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = OffsetForLeaderEpochRequest;
using Response = OffsetForLeaderEpochResponse;
using codec::not_in_version;
using codec::tags_fit;

constexpr std::int16_t kFirstResponseLeaderEpoch = 1;
constexpr std::int16_t kFirstThrottleTime = 2;

// Smallest encodings of array elements, so absurd counts fail before any
// reservation.
std::size_t topic_min_size(bool flex) noexcept { return flex ? 1 + 1 + 1 : 2 + 4; }  // name, partitions (, tags)
std::size_t request_partition_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = 4 + 4 + (flex ? 1 : 0);
  if (version >= Request::first_current_leader_epoch_version) size += 4;
  return size;
}
std::size_t response_partition_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = 2 + 4 + 8 + (flex ? 1 : 0);
  if (version >= kFirstResponseLeaderEpoch) size += 4;
  return size;
}

template <class Topic>
bool topics_fit(const std::vector<Topic>& topics, bool flex) noexcept {
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return false;
    for (const auto& p : t.partitions)
      if (!tags_fit(p.unknown_tags, flex)) return false;
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------------ request

std::error_code OffsetForLeaderEpochRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex) || !topics_fit(topics, flex)) return not_in_version();

  if (version >= first_replica_id_version) out.write_int32(replica_id);  // ignorable below v3
  codec::write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    out.write_string(t.topic, flex);
    codec::write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition);
      if (version >= first_current_leader_epoch_version) out.write_int32(p.current_leader_epoch);  // ignorable
      out.write_int32(p.leader_epoch);
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code OffsetForLeaderEpochRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};

  if (version >= first_replica_id_version) replica_id = in.read_int32();
  read_array(in, flex, topic_min_size(flex), topics, [&](Topic& t) {
    t.topic = in.read_string(flex);
    read_array(in, flex, request_partition_min_size(version, flex), t.partitions, [&](Partition& p) {
      p.partition = in.read_int32();
      if (version >= first_current_leader_epoch_version) p.current_leader_epoch = in.read_int32();
      p.leader_epoch = in.read_int32();
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code OffsetForLeaderEpochResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex) || !topics_fit(topics, flex)) return not_in_version();

  if (version >= kFirstThrottleTime) out.write_int32(throttle_time_ms);  // ignorable below v2
  codec::write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    out.write_string(t.topic, flex);
    codec::write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      out.write_int32(p.partition);
      if (version >= kFirstResponseLeaderEpoch) out.write_int32(p.leader_epoch);  // ignorable at v0
      out.write_int64(p.end_offset);
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code OffsetForLeaderEpochResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};

  if (version >= kFirstThrottleTime) throttle_time_ms = in.read_int32();
  read_array(in, flex, topic_min_size(flex), topics, [&](Topic& t) {
    t.topic = in.read_string(flex);
    read_array(in, flex, response_partition_min_size(version, flex), t.partitions, [&](Partition& p) {
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      p.partition = in.read_int32();
      if (version >= kFirstResponseLeaderEpoch) p.leader_epoch = in.read_int32();
      p.end_offset = in.read_int64();
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
