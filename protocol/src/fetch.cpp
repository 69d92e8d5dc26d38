#include "kwire/protocol/fetch.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {
namespace {

constexpr std::int16_t kFirstFlexible = FetchRequest::first_flexible_version;
constexpr std::int16_t kFirstTopicId = FetchRequest::first_topic_id_version;
constexpr std::int16_t kFirstReplicaState = FetchRequest::first_replica_state_version;
constexpr std::int16_t kFirstLogStartOffset = 5;
constexpr std::int16_t kFirstSessions = 7;  // KIP-227
constexpr std::int16_t kFirstLeaderEpoch = 9;
constexpr std::int16_t kFirstRack = 11;  // KIP-392: RackId / PreferredReadReplica
constexpr std::int16_t kFirstNodeEndpoints = 16;
constexpr std::int16_t kFirstDirectoryId = 17;

// Tags (KIP-482), per level.
constexpr std::uint32_t kClusterIdTag = 0;
constexpr std::uint32_t kReplicaStateTag = 1;
constexpr std::uint32_t kReplicaDirectoryIdTag = 0;
constexpr std::uint32_t kDivergingEpochTag = 0;
constexpr std::uint32_t kCurrentLeaderTag = 1;
constexpr std::uint32_t kSnapshotIdTag = 2;
constexpr std::uint32_t kNodeEndpointsTag = 0;

bool in_range(std::int16_t version) noexcept {
  return version >= FetchRequest::min_version && version <= FetchRequest::max_version;
}

std::error_code unsupported() noexcept { return make_error_code(client_errc::unsupported_version); }
std::error_code not_in_version() noexcept { return make_error_code(client_errc::field_not_in_version); }

bool tags_fit(const TaggedFields& tags, bool flexible) noexcept { return flexible || tags.empty(); }

/// The topic key a version carries: a name before v13, an id from v13.
bool topic_key_fits(const std::string& name, const Uuid& topic_id, std::int16_t version) noexcept {
  return version >= kFirstTopicId ? !topic_id.is_zero() : !name.empty();
}

void write_topic_key(Writer& out, const std::string& name, const Uuid& topic_id, std::int16_t version, bool flex) {
  if (version >= kFirstTopicId)
    out.write_uuid(topic_id);
  else
    out.write_string(name, flex);
}

void read_topic_key(Reader& in, std::string& name, Uuid& topic_id, std::int16_t version, bool flex) {
  if (version >= kFirstTopicId)
    topic_id = in.read_uuid();
  else
    name = in.read_string(flex);
}

template <class T>
void write_array_length(Writer& out, const std::vector<T>& v, bool compact) {
  out.write_array_length(static_cast<std::int32_t>(v.size()), compact);
}

/// Encodes a tagged field's value with `write` into a RawTaggedField.
template <class WriteFn>
RawTaggedField tagged(std::uint32_t tag, WriteFn&& write) {
  RawTaggedField field{tag, {}};
  Writer w(field.data);
  write(w);
  return field;
}

// Smallest element encodings, so absurd counts fail before reserving.
std::size_t topic_min_size(std::int16_t version) noexcept {
  if (version >= kFirstTopicId) return 16 + 1 + 1;  // id, empty partition array, tags
  return version >= kFirstFlexible ? 1 + 1 + 1 : 2 + 4;
}
std::size_t request_partition_min_size(std::int16_t version) noexcept {
  std::size_t size = 4 + 8 + 4;  // partition, fetch offset, partition max bytes
  if (version >= kFirstLeaderEpoch) size += 4;
  if (version >= kFirstFlexible) size += 4 + 1;  // last fetched epoch, tags
  if (version >= kFirstLogStartOffset) size += 8;
  return size;
}
std::size_t response_partition_min_size(std::int16_t version) noexcept {
  const bool flex = version >= kFirstFlexible;
  std::size_t size = 4 + 2 + 8 + 8;  // index, error, high watermark, last stable offset
  if (version >= kFirstLogStartOffset) size += 8;
  size += flex ? 1 : 4;  // aborted transactions (null)
  if (version >= kFirstRack) size += 4;
  size += flex ? 1 : 4;  // records (null)
  if (flex) size += 1;
  return size;
}
std::size_t aborted_min_size(bool flex) noexcept { return 16 + (flex ? 1 : 0); }
constexpr std::size_t kNodeEndpointMinSize = 4 + 1 + 4 + 1 + 1;  // id, host, port, rack, tags

}  // namespace

// ------------------------------------------------------------------ request

std::error_code FetchRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;

  // Validate everything before writing anything.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version >= kFirstReplicaState && replica_id != -1) return not_in_version();  // moved into ReplicaState
  if (version < kFirstReplicaState && !replica_state.is_default()) return not_in_version();
  if (version < kFirstSessions && !forgotten_topics_data.empty()) return not_in_version();
  for (const auto& t : topics) {
    if (!topic_key_fits(t.topic, t.topic_id, version) || !tags_fit(t.unknown_tags, flex)) return not_in_version();
    for (const auto& p : t.partitions) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      // LastFetchedEpoch is not ignorable: dropping it would skip the
      // divergence check (KIP-595) the caller asked for.
      if (version < kFirstFlexible && p.last_fetched_epoch != -1) return not_in_version();
    }
  }
  for (const auto& f : forgotten_topics_data)
    if (!topic_key_fits(f.topic, f.topic_id, version) || !tags_fit(f.unknown_tags, flex)) return not_in_version();

  if (version < kFirstReplicaState) out.write_int32(replica_id);
  out.write_int32(max_wait_ms);
  out.write_int32(min_bytes);
  out.write_int32(max_bytes);
  out.write_int8(static_cast<std::int8_t>(isolation_level));
  if (version >= kFirstSessions) {
    out.write_int32(session_id);
    out.write_int32(session_epoch);
  }
  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    write_topic_key(out, t.topic, t.topic_id, version, flex);
    write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition);
      if (version >= kFirstLeaderEpoch) out.write_int32(p.current_leader_epoch);
      out.write_int64(p.fetch_offset);
      if (flex) out.write_int32(p.last_fetched_epoch);
      if (version >= kFirstLogStartOffset) out.write_int64(p.log_start_offset);
      out.write_int32(p.partition_max_bytes);
      if (flex) {
        TaggedFields known;
        if (version >= kFirstDirectoryId && !p.replica_directory_id.is_zero())
          known.push_back(tagged(kReplicaDirectoryIdTag, [&](Writer& w) { w.write_uuid(p.replica_directory_id); }));
        out.write_tagged_fields(p.unknown_tags, std::move(known));
      }
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (version >= kFirstSessions) {
    write_array_length(out, forgotten_topics_data, flex);
    for (const auto& f : forgotten_topics_data) {
      write_topic_key(out, f.topic, f.topic_id, version, flex);
      write_array_length(out, f.partitions, flex);
      for (std::int32_t p : f.partitions) out.write_int32(p);
      if (flex) out.write_tagged_fields(f.unknown_tags);
    }
  }
  if (version >= kFirstRack) out.write_string(rack_id, flex);
  if (flex) {
    TaggedFields known;
    if (cluster_id) known.push_back(tagged(kClusterIdTag, [&](Writer& w) { w.write_nullable_string(cluster_id, true); }));
    if (version >= kFirstReplicaState && !replica_state.is_default()) {
      known.push_back(tagged(kReplicaStateTag, [&](Writer& w) {
        w.write_int32(replica_state.replica_id);
        w.write_int64(replica_state.replica_epoch);
        w.write_tagged_fields(replica_state.unknown_tags);
      }));
    }
    out.write_tagged_fields(unknown_tags, std::move(known));
  }
  return {};
}

std::error_code FetchRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;
  *this = {};

  if (version < kFirstReplicaState) replica_id = in.read_int32();
  max_wait_ms = in.read_int32();
  min_bytes = in.read_int32();
  max_bytes = in.read_int32();
  isolation_level = static_cast<IsolationLevel>(in.read_int8());
  if (version >= kFirstSessions) {
    session_id = in.read_int32();
    session_epoch = in.read_int32();
  }
  read_array(in, flex, topic_min_size(version), topics, [&](Topic& t) {
    read_topic_key(in, t.topic, t.topic_id, version, flex);
    read_array(in, flex, request_partition_min_size(version), t.partitions, [&](Partition& p) {
      p.partition = in.read_int32();
      if (version >= kFirstLeaderEpoch) p.current_leader_epoch = in.read_int32();
      p.fetch_offset = in.read_int64();
      if (flex) p.last_fetched_epoch = in.read_int32();
      if (version >= kFirstLogStartOffset) p.log_start_offset = in.read_int64();
      p.partition_max_bytes = in.read_int32();
      if (flex) {
        in.read_tagged_fields(p.unknown_tags, [&](std::uint32_t tag, Reader& field) {
          if (version < kFirstDirectoryId || tag != kReplicaDirectoryIdTag) return false;
          p.replica_directory_id = field.read_uuid();
          return true;
        });
      }
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (version >= kFirstSessions) {
    read_array(in, flex, topic_min_size(version), forgotten_topics_data, [&](ForgottenTopic& f) {
      read_topic_key(in, f.topic, f.topic_id, version, flex);
      read_int32_array(in, flex, f.partitions);
      if (flex) in.read_tagged_fields(f.unknown_tags);
    });
  }
  if (version >= kFirstRack) rack_id = in.read_string(flex);
  if (flex) {
    in.read_tagged_fields(unknown_tags, [&](std::uint32_t tag, Reader& field) {
      if (tag == kClusterIdTag) {
        cluster_id = field.read_nullable_string(true);
        return true;
      }
      if (tag == kReplicaStateTag && version >= kFirstReplicaState) {
        replica_state.replica_id = field.read_int32();
        replica_state.replica_epoch = field.read_int64();
        field.read_tagged_fields(replica_state.unknown_tags);
        return true;
      }
      return false;
    });
  }
  return in.error();
}

// ----------------------------------------------------------------- response

bool operator==(const FetchResponse::Partition& a, const FetchResponse::Partition& b) {
  if (a.partition_index != b.partition_index || a.error_code != b.error_code || a.high_watermark != b.high_watermark ||
      a.last_stable_offset != b.last_stable_offset || a.log_start_offset != b.log_start_offset ||
      a.diverging_epoch != b.diverging_epoch || a.current_leader != b.current_leader ||
      a.snapshot_id != b.snapshot_id || a.aborted_transactions != b.aborted_transactions ||
      a.preferred_read_replica != b.preferred_read_replica || a.unknown_tags != b.unknown_tags ||
      a.records.has_value() != b.records.has_value())
    return false;
  return !a.records || std::ranges::equal(*a.records, *b.records);
}

std::error_code FetchResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;

  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstSessions && session_id != 0) return not_in_version();
  if (version < kFirstNodeEndpoints && !node_endpoints.empty()) return not_in_version();
  for (const auto& n : node_endpoints)
    if (!tags_fit(n.unknown_tags, flex)) return not_in_version();
  for (const auto& t : responses) {
    if (!topic_key_fits(t.topic, t.topic_id, version) || !tags_fit(t.unknown_tags, flex)) return not_in_version();
    for (const auto& p : t.partitions) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      if (version < kFirstRack && p.preferred_read_replica != -1) return not_in_version();
      if (!flex && (!p.diverging_epoch.is_default() || !p.current_leader.is_default() || !p.snapshot_id.is_default()))
        return not_in_version();
      if (p.aborted_transactions)
        for (const auto& a : *p.aborted_transactions)
          if (!tags_fit(a.unknown_tags, flex)) return not_in_version();
      if (p.records && p.records->size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        return make_error_code(client_errc::record_too_large);
    }
  }

  out.write_int32(throttle_time_ms);
  if (version >= kFirstSessions) {
    out.write_int16(static_cast<std::int16_t>(error_code));
    out.write_int32(session_id);
  }
  write_array_length(out, responses, flex);
  for (const auto& t : responses) {
    write_topic_key(out, t.topic, t.topic_id, version, flex);
    write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition_index);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      out.write_int64(p.high_watermark);
      out.write_int64(p.last_stable_offset);
      if (version >= kFirstLogStartOffset) out.write_int64(p.log_start_offset);
      if (p.aborted_transactions) {
        write_array_length(out, *p.aborted_transactions, flex);
        for (const auto& a : *p.aborted_transactions) {
          out.write_int64(a.producer_id);
          out.write_int64(a.first_offset);
          if (flex) out.write_tagged_fields(a.unknown_tags);
        }
      } else {
        out.write_array_length(-1, flex);
      }
      if (version >= kFirstRack) out.write_int32(p.preferred_read_replica);
      if (p.records)
        out.write_bytes(*p.records, flex);
      else
        out.write_null_bytes(flex);
      if (flex) {
        // Like Kafka's generator, a tagged struct equal to its default is
        // left out.
        TaggedFields known;
        if (!p.diverging_epoch.is_default()) {
          known.push_back(tagged(kDivergingEpochTag, [&](Writer& w) {
            w.write_int32(p.diverging_epoch.epoch);
            w.write_int64(p.diverging_epoch.end_offset);
            w.write_tagged_fields(p.diverging_epoch.unknown_tags);
          }));
        }
        if (!p.current_leader.is_default()) {
          known.push_back(tagged(kCurrentLeaderTag, [&](Writer& w) {
            w.write_int32(p.current_leader.leader_id);
            w.write_int32(p.current_leader.leader_epoch);
            w.write_tagged_fields(p.current_leader.unknown_tags);
          }));
        }
        if (!p.snapshot_id.is_default()) {
          known.push_back(tagged(kSnapshotIdTag, [&](Writer& w) {
            w.write_int64(p.snapshot_id.end_offset);
            w.write_int32(p.snapshot_id.epoch);
            w.write_tagged_fields(p.snapshot_id.unknown_tags);
          }));
        }
        out.write_tagged_fields(p.unknown_tags, std::move(known));
      }
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (flex) {
    TaggedFields known;
    if (!node_endpoints.empty()) {
      known.push_back(tagged(kNodeEndpointsTag, [&](Writer& w) {
        write_array_length(w, node_endpoints, true);
        for (const auto& n : node_endpoints) {
          w.write_int32(n.node_id);
          w.write_string(n.host, true);
          w.write_int32(n.port);
          w.write_nullable_string(n.rack, true);
          w.write_tagged_fields(n.unknown_tags);
        }
      }));
    }
    out.write_tagged_fields(unknown_tags, std::move(known));
  }
  return {};
}

std::error_code FetchResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;
  *this = {};

  throttle_time_ms = in.read_int32();
  if (version >= kFirstSessions) {
    error_code = static_cast<kwire::errc>(in.read_int16());
    session_id = in.read_int32();
  }
  read_array(in, flex, topic_min_size(version), responses, [&](Topic& t) {
    read_topic_key(in, t.topic, t.topic_id, version, flex);
    read_array(in, flex, response_partition_min_size(version), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      p.high_watermark = in.read_int64();
      p.last_stable_offset = in.read_int64();
      if (version >= kFirstLogStartOffset) p.log_start_offset = in.read_int64();
      const std::int32_t aborted = in.read_array_length(flex, aborted_min_size(flex));
      if (in.ok() && aborted >= 0) {
        auto& list = p.aborted_transactions.emplace();
        list.reserve(static_cast<std::size_t>(aborted));  // checked against the input above
        for (std::int32_t i = 0; i < aborted && in.ok(); ++i) {
          auto& a = list.emplace_back();
          a.producer_id = in.read_int64();
          a.first_offset = in.read_int64();
          if (flex) in.read_tagged_fields(a.unknown_tags);
        }
      }
      if (version >= kFirstRack) p.preferred_read_replica = in.read_int32();
      p.records = in.read_bytes_view(flex);  // zero-copy: a view into the input
      if (flex) {
        in.read_tagged_fields(p.unknown_tags, [&](std::uint32_t tag, Reader& field) {
          switch (tag) {
            case kDivergingEpochTag:
              p.diverging_epoch.epoch = field.read_int32();
              p.diverging_epoch.end_offset = field.read_int64();
              field.read_tagged_fields(p.diverging_epoch.unknown_tags);
              return true;
            case kCurrentLeaderTag:
              p.current_leader.leader_id = field.read_int32();
              p.current_leader.leader_epoch = field.read_int32();
              field.read_tagged_fields(p.current_leader.unknown_tags);
              return true;
            case kSnapshotIdTag:
              p.snapshot_id.end_offset = field.read_int64();
              p.snapshot_id.epoch = field.read_int32();
              field.read_tagged_fields(p.snapshot_id.unknown_tags);
              return true;
            default: return false;
          }
        });
      }
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (flex) {
    in.read_tagged_fields(unknown_tags, [&](std::uint32_t tag, Reader& field) {
      if (version < kFirstNodeEndpoints || tag != kNodeEndpointsTag) return false;
      read_array(field, true, kNodeEndpointMinSize, node_endpoints, [&field](NodeEndpoint& n) {
        n.node_id = field.read_int32();
        n.host = field.read_string(true);
        n.port = field.read_int32();
        n.rack = field.read_nullable_string(true);
        field.read_tagged_fields(n.unknown_tags);
      });
      return true;
    });
  }
  return in.error();
}

}  // namespace kwire::protocol
