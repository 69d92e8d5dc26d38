#include "kwire/protocol/txn_offset_commit.hpp"

#include <cstddef>

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = TxnOffsetCommitRequest;
using Response = TxnOffsetCommitResponse;

bool by_topic_id(std::int16_t version) noexcept { return version >= Request::first_topic_id_version; }

template <class Topic>
bool topic_key_fits(const Topic& t, std::int16_t version) noexcept {
  return codec::topic_key_fits(t.name, t.topic_id, by_topic_id(version));
}

template <class Topic>
void write_topic_key(Writer& out, const Topic& t, std::int16_t version, bool flex) {
  codec::write_topic_key(out, t.name, t.topic_id, by_topic_id(version), flex);
}

template <class Topic>
void read_topic_key(Reader& in, Topic& t, std::int16_t version, bool flex) {
  codec::read_topic_key(in, t.name, t.topic_id, by_topic_id(version), flex);
}

// Lower bounds of one element's encoding, for read_array.
std::size_t topic_min_size(std::int16_t version, bool flex) noexcept {
  return codec::topic_key_min_size(by_topic_id(version), flex) + (flex ? 1 + 1 : 4);
}
std::size_t request_partition_min_size(bool flex) noexcept { return 4 + 8 + (flex ? 1 + 1 : 2); }
std::size_t response_partition_min_size(bool flex) noexcept { return 4 + 2 + (flex ? 1 : 0); }

}  // namespace

// ---------------------------------------------------------------- request

std::error_code TxnOffsetCommitRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  const bool members = version >= first_member_version;
  // Validate first so that a refused encode writes nothing.
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  if (!members && (generation_id_or_member_epoch != -1 || !member_id.empty() || group_instance_id))
    return codec::not_in_version();
  for (const Topic& t : topics) {
    if (!topic_key_fits(t, version) || !codec::tags_fit(t.unknown_tags, flex)) return codec::not_in_version();
    for (const Partition& p : t.partitions) {
      if (!codec::tags_fit(p.unknown_tags, flex)) return codec::not_in_version();
      if (version < 2 && p.committed_leader_epoch != -1) return codec::not_in_version();
    }
  }

  out.write_string(transactional_id, flex);
  out.write_string(group_id, flex);
  out.write_int64(producer_id);
  out.write_int16(producer_epoch);
  if (members) {
    out.write_int32(generation_id_or_member_epoch);
    out.write_string(member_id, flex);
    out.write_nullable_string(group_instance_id, flex);
  }
  codec::write_array(out, topics, flex, [&](const Topic& t) {
    write_topic_key(out, t, version, flex);
    codec::write_array(out, t.partitions, flex, [&](const Partition& p) {
      out.write_int32(p.partition_index);
      out.write_int64(p.committed_offset);
      if (version >= 2) out.write_int32(p.committed_leader_epoch);
      out.write_nullable_string(p.committed_metadata, flex);
      codec::write_tags(out, p.unknown_tags, flex);
    });
    codec::write_tags(out, t.unknown_tags, flex);
  });
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code TxnOffsetCommitRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};
  transactional_id = in.read_string(flex);
  group_id = in.read_string(flex);
  producer_id = in.read_int64();
  producer_epoch = in.read_int16();
  if (version >= first_member_version) {
    generation_id_or_member_epoch = in.read_int32();
    member_id = in.read_string(flex);
    group_instance_id = in.read_nullable_string(flex);
  }
  read_array(in, flex, topic_min_size(version, flex), topics, [&](Topic& t) {
    read_topic_key(in, t, version, flex);
    read_array(in, flex, request_partition_min_size(flex), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.committed_offset = in.read_int64();
      if (version >= 2) p.committed_leader_epoch = in.read_int32();
      p.committed_metadata = in.read_nullable_string(flex);
      codec::read_tags(in, p.unknown_tags, flex);
    });
    codec::read_tags(in, t.unknown_tags, flex);
  });
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code TxnOffsetCommitResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  for (const Topic& t : topics) {
    if (!topic_key_fits(t, version) || !codec::tags_fit(t.unknown_tags, flex)) return codec::not_in_version();
    for (const Partition& p : t.partitions)
      if (!codec::tags_fit(p.unknown_tags, flex)) return codec::not_in_version();
  }

  out.write_int32(throttle_time_ms);
  codec::write_array(out, topics, flex, [&](const Topic& t) {
    write_topic_key(out, t, version, flex);
    codec::write_array(out, t.partitions, flex, [&](const Partition& p) {
      out.write_int32(p.partition_index);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      codec::write_tags(out, p.unknown_tags, flex);
    });
    codec::write_tags(out, t.unknown_tags, flex);
  });
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code TxnOffsetCommitResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  read_array(in, flex, topic_min_size(version, flex), topics, [&](Topic& t) {
    read_topic_key(in, t, version, flex);
    read_array(in, flex, response_partition_min_size(flex), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      codec::read_tags(in, p.unknown_tags, flex);
    });
    codec::read_tags(in, t.unknown_tags, flex);
  });
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
