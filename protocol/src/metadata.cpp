#include "kwire/protocol/metadata.hpp"

#include <cstddef>

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {
namespace {

constexpr std::int16_t kMinVersion = MetadataRequest::min_version;
constexpr std::int16_t kMaxVersion = MetadataRequest::max_version;
constexpr std::int16_t kFirstFlexible = MetadataRequest::first_flexible_version;

bool in_range(std::int16_t version) noexcept { return version >= kMinVersion && version <= kMaxVersion; }

std::error_code not_in_version() noexcept { return make_error_code(client_errc::field_not_in_version); }

void write_int32_array(Writer& out, const std::vector<std::int32_t>& values, bool compact) {
  out.write_array_length(static_cast<std::int32_t>(values.size()), compact);
  for (std::int32_t v : values) out.write_int32(v);
}

/// Tag buffers exist only in flexible versions; refuse to drop unknown tags
/// the caller wants written at a version that cannot carry them.
bool tags_fit(const TaggedFields& tags, bool flexible) noexcept { return flexible || tags.empty(); }

// Smallest encodings of one array element, so absurd counts are rejected
// before anything is reserved. Lower bounds only: never larger than the
// smallest valid element at that version.
std::size_t request_topic_min_size(std::int16_t version) noexcept {
  return version >= 10 ? 16 + 1 + 1 : 2;  // [uuid] + name (+ tag buffer)
}
std::size_t broker_min_size(std::int16_t version) noexcept {
  if (version >= kFirstFlexible) return 4 + 1 + 4 + 1 + 1;
  return version >= 1 ? 4 + 2 + 4 + 2 : 4 + 2 + 4;
}
std::size_t topic_min_size(std::int16_t version) noexcept {
  if (version >= kFirstFlexible) return 2 + 1 + (version >= 10 ? 16 : 0) + 1 + 1 + 4 + 1;
  return 2 + 2 + (version >= 1 ? 1 : 0) + 4 + (version >= 8 ? 4 : 0);
}
constexpr std::size_t kPartitionMinSize = 2 + 4 + 4 + 4 + 4;  // v0: error, index, leader, two int32 arrays

}  // namespace

// ---------------------------------------------------------------- request

std::error_code MetadataRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = version >= kFirstFlexible;

  // Validate first so that a refused encode writes nothing.
  if (version == 0 && topics && topics->empty()) return not_in_version();  // v0 cannot ask for "no topics"
  if (topics) {
    for (const Topic& t : *topics) {
      if (version < 10 && (!t.topic_id.is_zero() || !t.name)) return not_in_version();
      if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    }
  }
  if (version < 4 && !allow_auto_topic_creation) return not_in_version();
  if ((version < 8 || version > 10) && include_cluster_authorized_operations) return not_in_version();
  if (version < 8 && include_topic_authorized_operations) return not_in_version();
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  if (!topics) {
    // "All topics": null from v1, an empty array at v0.
    out.write_array_length(version >= 1 ? -1 : 0, flex);
  } else {
    out.write_array_length(static_cast<std::int32_t>(topics->size()), flex);
    for (const Topic& t : *topics) {
      if (version >= 10) out.write_uuid(t.topic_id);
      out.write_nullable_string(t.name, flex);
      if (flex) out.write_tagged_fields(t.unknown_tags);
    }
  }
  if (version >= 4) out.write_bool(allow_auto_topic_creation);
  if (version >= 8 && version <= 10) out.write_bool(include_cluster_authorized_operations);
  if (version >= 8) out.write_bool(include_topic_authorized_operations);
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code MetadataRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = version >= kFirstFlexible;
  *this = {};

  std::int32_t count = in.read_array_length(flex, request_topic_min_size(version));
  if (count < 0 && version == 0) in.fail(client_errc::malformed);  // not nullable at v0
  if (!in.ok()) return in.error();
  if (count >= 0 && !(version == 0 && count == 0)) {
    auto& list = topics.emplace();
    list.reserve(static_cast<std::size_t>(count));
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
      Topic& t = list.emplace_back();
      if (version >= 10) {
        t.topic_id = in.read_uuid();
        t.name = in.read_nullable_string(flex);
      } else {
        t.name = in.read_string(flex);
      }
      if (flex) in.read_tagged_fields(t.unknown_tags);
    }
  }
  if (version >= 4) allow_auto_topic_creation = in.read_bool();
  if (version >= 8 && version <= 10) include_cluster_authorized_operations = in.read_bool();
  if (version >= 8) include_topic_authorized_operations = in.read_bool();
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code MetadataResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = version >= kFirstFlexible;

  // Validate first so that a refused encode writes nothing.
  if (version < 3 && throttle_time_ms != 0) return not_in_version();
  for (const Broker& b : brokers) {
    if (version < 1 && b.rack) return not_in_version();
    if (!tags_fit(b.unknown_tags, flex)) return not_in_version();
  }
  if (version < 2 && cluster_id) return not_in_version();
  if (version < 1 && controller_id != -1) return not_in_version();
  for (const Topic& t : topics) {
    if (version < 12 && !t.name) return not_in_version();
    if (version < 10 && !t.topic_id.is_zero()) return not_in_version();
    if (version < 1 && t.is_internal) return not_in_version();
    if (version < 8 && t.topic_authorized_operations != kAuthorizedOperationsOmitted) return not_in_version();
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    for (const Partition& p : t.partitions) {
      if (version < 7 && p.leader_epoch != -1) return not_in_version();
      if (version < 5 && !p.offline_replicas.empty()) return not_in_version();
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
    }
  }
  if ((version < 8 || version > 10) && cluster_authorized_operations != kAuthorizedOperationsOmitted)
    return not_in_version();
  if (version < 13 && error_code != kwire::errc::none) return not_in_version();
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  if (version >= 3) out.write_int32(throttle_time_ms);
  out.write_array_length(static_cast<std::int32_t>(brokers.size()), flex);
  for (const Broker& b : brokers) {
    out.write_int32(b.node_id);
    out.write_string(b.host, flex);
    out.write_int32(b.port);
    if (version >= 1) out.write_nullable_string(b.rack, flex);
    if (flex) out.write_tagged_fields(b.unknown_tags);
  }
  if (version >= 2) out.write_nullable_string(cluster_id, flex);
  if (version >= 1) out.write_int32(controller_id);
  out.write_array_length(static_cast<std::int32_t>(topics.size()), flex);
  for (const Topic& t : topics) {
    out.write_int16(static_cast<std::int16_t>(t.error_code));
    out.write_nullable_string(t.name, flex);
    if (version >= 10) out.write_uuid(t.topic_id);
    if (version >= 1) out.write_bool(t.is_internal);
    out.write_array_length(static_cast<std::int32_t>(t.partitions.size()), flex);
    for (const Partition& p : t.partitions) {
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      out.write_int32(p.partition_index);
      out.write_int32(p.leader_id);
      if (version >= 7) out.write_int32(p.leader_epoch);
      write_int32_array(out, p.replica_nodes, flex);
      write_int32_array(out, p.isr_nodes, flex);
      if (version >= 5) write_int32_array(out, p.offline_replicas, flex);
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (version >= 8) out.write_int32(t.topic_authorized_operations);
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (version >= 8 && version <= 10) out.write_int32(cluster_authorized_operations);
  if (version >= 13) out.write_int16(static_cast<std::int16_t>(error_code));
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code MetadataResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = version >= kFirstFlexible;
  *this = {};

  if (version >= 3) throttle_time_ms = in.read_int32();
  read_array(in, flex, broker_min_size(version), brokers, [&](Broker& b) {
    b.node_id = in.read_int32();
    b.host = in.read_string(flex);
    b.port = in.read_int32();
    if (version >= 1) b.rack = in.read_nullable_string(flex);
    if (flex) in.read_tagged_fields(b.unknown_tags);
  });
  if (version >= 2) cluster_id = in.read_nullable_string(flex);
  if (version >= 1) controller_id = in.read_int32();
  read_array(in, flex, topic_min_size(version), topics, [&](Topic& t) {
    t.error_code = static_cast<kwire::errc>(in.read_int16());
    if (version >= 12)
      t.name = in.read_nullable_string(flex);
    else
      t.name = in.read_string(flex);
    if (version >= 10) t.topic_id = in.read_uuid();
    if (version >= 1) t.is_internal = in.read_bool();
    read_array(in, flex, kPartitionMinSize, t.partitions, [&](Partition& p) {
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      p.partition_index = in.read_int32();
      p.leader_id = in.read_int32();
      if (version >= 7) p.leader_epoch = in.read_int32();
      read_int32_array(in, flex, p.replica_nodes);
      read_int32_array(in, flex, p.isr_nodes);
      if (version >= 5) read_int32_array(in, flex, p.offline_replicas);
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (version >= 8) t.topic_authorized_operations = in.read_int32();
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (version >= 8 && version <= 10) cluster_authorized_operations = in.read_int32();
  if (version >= 13) error_code = static_cast<kwire::errc>(in.read_int16());
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
