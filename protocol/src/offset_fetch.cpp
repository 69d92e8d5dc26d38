#include "kwire/protocol/offset_fetch.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = OffsetFetchRequest;
using Response = OffsetFetchResponse;
using codec::not_in_version;
using codec::tags_fit;

constexpr std::int16_t kFirstGroups = Request::first_groups_version;
constexpr std::int16_t kFirstTopLevelError = 2;
constexpr std::int16_t kFirstThrottleTime = 3;
constexpr std::int16_t kFirstLeaderEpoch = 5;

bool by_id(std::int16_t version) noexcept { return version >= Request::first_topic_id_version; }

// Smallest encodings of array elements, so absurd counts fail before any
// reservation.
std::size_t topic_min_size(std::int16_t version, bool flex) noexcept {
  return codec::topic_key_min_size(by_id(version), flex) + (flex ? 1 + 1 : 4);  // key, array (, tags)
}
std::size_t request_group_min_size(std::int16_t version) noexcept {
  std::size_t size = 1 + 1 + 1;  // group id, topics, tags (always flexible)
  if (version >= Request::first_member_epoch_version) size += 1 + 4;
  return size;
}
std::size_t partition_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = 4 + 8 + (flex ? 1 + 1 : 2) + 2;  // index, offset, metadata (, tags), error
  if (version >= kFirstLeaderEpoch) size += 4;
  return size;
}
constexpr std::size_t kResponseGroupMinSize = 1 + 1 + 2 + 1;  // group id, topics, error, tags

// ------------------------------------------------------------ request topics

bool request_topics_fit(const std::optional<std::vector<Request::Topic>>& topics, std::int16_t version, bool flex) {
  if (!topics) return version >= Request::first_all_topics_version;
  for (const auto& t : *topics)
    if (!tags_fit(t.unknown_tags, flex) || !codec::topic_key_fits(t.name, t.topic_id, by_id(version))) return false;
  return true;
}

void write_request_topics(Writer& out, const std::optional<std::vector<Request::Topic>>& topics, std::int16_t version,
                          bool flex) {
  codec::write_nullable_array_length(out, topics, flex);
  if (!topics) return;
  for (const auto& t : *topics) {
    codec::write_topic_key(out, t.name, t.topic_id, by_id(version), flex);
    codec::write_int32_array(out, t.partition_indexes, flex);
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
}

void read_request_topics(Reader& in, std::optional<std::vector<Request::Topic>>& topics, std::int16_t version,
                         bool flex) {
  codec::read_nullable_array(in, flex, topic_min_size(version, flex), topics, [&](Request::Topic& t) {
    codec::read_topic_key(in, t.name, t.topic_id, by_id(version), flex);
    read_int32_array(in, flex, t.partition_indexes);
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  // Null means "all topics" only from v2; before, it is malformed.
  if (in.ok() && !topics && version < Request::first_all_topics_version) in.fail(client_errc::malformed);
}

// ----------------------------------------------------------- response topics

bool response_topics_fit(const std::vector<Response::Topic>& topics, std::int16_t version, bool flex) {
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex) || !codec::topic_key_fits(t.name, t.topic_id, by_id(version))) return false;
    for (const auto& p : t.partitions)
      if (!tags_fit(p.unknown_tags, flex)) return false;
  }
  return true;
}

void write_response_topics(Writer& out, const std::vector<Response::Topic>& topics, std::int16_t version, bool flex) {
  codec::write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    codec::write_topic_key(out, t.name, t.topic_id, by_id(version), flex);
    codec::write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition_index);
      out.write_int64(p.committed_offset);
      if (version >= kFirstLeaderEpoch) out.write_int32(p.committed_leader_epoch);
      out.write_nullable_string(p.metadata, flex);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
}

void read_response_topics(Reader& in, std::vector<Response::Topic>& topics, std::int16_t version, bool flex) {
  read_array(in, flex, topic_min_size(version, flex), topics, [&](Response::Topic& t) {
    codec::read_topic_key(in, t.name, t.topic_id, by_id(version), flex);
    read_array(in, flex, partition_min_size(version, flex), t.partitions, [&](Response::Partition& p) {
      p.partition_index = in.read_int32();
      p.committed_offset = in.read_int64();
      if (version >= kFirstLeaderEpoch) p.committed_leader_epoch = in.read_int32();
      p.metadata = in.read_nullable_string(flex);
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
}

}  // namespace

// ------------------------------------------------------------------ request

std::error_code OffsetFetchRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);

  // Validate first, so that a refused encode writes nothing.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < first_require_stable_version && require_stable) return not_in_version();
  if (version < kFirstGroups) {
    if (!groups.empty() || !request_topics_fit(topics, version, flex)) return not_in_version();
  } else {
    if (!group_id.empty() || topics != std::vector<Topic>{}) return not_in_version();
    for (const auto& g : groups)
      if (!request_topics_fit(g.topics, version, flex)) return not_in_version();
  }

  if (version < kFirstGroups) {
    out.write_string(group_id, flex);
    write_request_topics(out, topics, version, flex);
  } else {
    codec::write_array_length(out, groups, flex);
    for (const auto& g : groups) {
      out.write_string(g.group_id, flex);
      if (version >= first_member_epoch_version) {  // both ignorable below v9
        out.write_nullable_string(g.member_id, flex);
        out.write_int32(g.member_epoch);
      }
      write_request_topics(out, g.topics, version, flex);
      out.write_tagged_fields(g.unknown_tags);
    }
  }
  if (version >= first_require_stable_version) out.write_bool(require_stable);
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code OffsetFetchRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};

  if (version < kFirstGroups) {
    group_id = in.read_string(flex);
    read_request_topics(in, topics, version, flex);
  } else {
    read_array(in, flex, request_group_min_size(version), groups, [&](Group& g) {
      g.group_id = in.read_string(flex);
      if (version >= first_member_epoch_version) {
        g.member_id = in.read_nullable_string(flex);
        g.member_epoch = in.read_int32();
      }
      read_request_topics(in, g.topics, version, flex);
      in.read_tagged_fields(g.unknown_tags);
    });
  }
  if (version >= first_require_stable_version) require_stable = in.read_bool();
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code OffsetFetchResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);

  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstGroups) {
    if (!groups.empty() || !response_topics_fit(topics, version, flex)) return not_in_version();
  } else {
    // The v2-7 top-level ErrorCode is ignorable: left out from v8, where
    // each group carries its own.
    if (!topics.empty()) return not_in_version();
    for (const auto& g : groups)
      if (!response_topics_fit(g.topics, version, flex)) return not_in_version();
  }

  if (version >= kFirstThrottleTime) out.write_int32(throttle_time_ms);  // ignorable below v3
  if (version < kFirstGroups) {
    write_response_topics(out, topics, version, flex);
    if (version >= kFirstTopLevelError) out.write_int16(static_cast<std::int16_t>(error_code));  // ignorable
  } else {
    codec::write_array_length(out, groups, flex);
    for (const auto& g : groups) {
      out.write_string(g.group_id, flex);
      write_response_topics(out, g.topics, version, flex);
      out.write_int16(static_cast<std::int16_t>(g.error_code));
      out.write_tagged_fields(g.unknown_tags);
    }
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code OffsetFetchResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};

  if (version >= kFirstThrottleTime) throttle_time_ms = in.read_int32();
  if (version < kFirstGroups) {
    read_response_topics(in, topics, version, flex);
    if (version >= kFirstTopLevelError) error_code = static_cast<kwire::errc>(in.read_int16());
  } else {
    read_array(in, flex, kResponseGroupMinSize, groups, [&](Group& g) {
      g.group_id = in.read_string(flex);
      read_response_topics(in, g.topics, version, flex);
      g.error_code = static_cast<kwire::errc>(in.read_int16());
      in.read_tagged_fields(g.unknown_tags);
    });
  }
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
