#pragma once
// Encoding of the shared array elements in kwire/protocol/topic_partitions.hpp.
// Private to protocol/src. `flex` selects compact lengths and tag buffers.
#include <cstddef>
#include <vector>

#include "codec_support.hpp"
#include "kwire/protocol/topic_partitions.hpp"

namespace kwire::protocol::codec {

// Smallest encodings (lower bounds for read_array): a name and an array
// length, plus a tag buffer when flexible.
inline std::size_t topic_min_size(bool flex) noexcept { return flex ? 1 + 1 + 1 : 2 + 4; }
inline std::size_t partition_error_min_size(bool flex) noexcept { return 4 + 2 + (flex ? 1 : 0); }

// --- TopicPartitionIndexes ----------------------------------------------------

inline bool tags_fit(const std::vector<TopicPartitionIndexes>& topics, bool flex) noexcept {
  for (const auto& t : topics)
    if (!tags_fit(t.unknown_tags, flex)) return false;
  return true;
}

inline void write_topics(Writer& out, const std::vector<TopicPartitionIndexes>& topics, bool flex) {
  write_array(out, topics, flex, [&](const TopicPartitionIndexes& t) {
    out.write_string(t.name, flex);
    write_int32_array(out, t.partitions, flex);
    write_tags(out, t.unknown_tags, flex);
  });
}

inline void read_topics(Reader& in, std::vector<TopicPartitionIndexes>& topics, bool flex) {
  read_array(in, flex, topic_min_size(flex), topics, [&](TopicPartitionIndexes& t) {
    t.name = in.read_string(flex);
    read_int32_array(in, flex, t.partitions);
    read_tags(in, t.unknown_tags, flex);
  });
}

// --- TopicPartitionErrors -----------------------------------------------------

inline bool tags_fit(const std::vector<TopicPartitionErrors>& topics, bool flex) noexcept {
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return false;
    for (const auto& p : t.partitions)
      if (!tags_fit(p.unknown_tags, flex)) return false;
  }
  return true;
}

inline void write_partition_errors(Writer& out, const std::vector<PartitionErrorCode>& partitions, bool flex) {
  write_array(out, partitions, flex, [&](const PartitionErrorCode& p) {
    out.write_int32(p.partition_index);
    out.write_int16(static_cast<std::int16_t>(p.error_code));
    write_tags(out, p.unknown_tags, flex);
  });
}

inline void read_partition_errors(Reader& in, std::vector<PartitionErrorCode>& partitions, bool flex) {
  read_array(in, flex, partition_error_min_size(flex), partitions, [&](PartitionErrorCode& p) {
    p.partition_index = in.read_int32();
    p.error_code = static_cast<kwire::errc>(in.read_int16());
    read_tags(in, p.unknown_tags, flex);
  });
}

inline void write_topics(Writer& out, const std::vector<TopicPartitionErrors>& topics, bool flex) {
  write_array(out, topics, flex, [&](const TopicPartitionErrors& t) {
    out.write_string(t.name, flex);
    write_partition_errors(out, t.partitions, flex);
    write_tags(out, t.unknown_tags, flex);
  });
}

inline void read_topics(Reader& in, std::vector<TopicPartitionErrors>& topics, bool flex) {
  read_array(in, flex, topic_min_size(flex), topics, [&](TopicPartitionErrors& t) {
    t.name = in.read_string(flex);
    read_partition_errors(in, t.partitions, flex);
    read_tags(in, t.unknown_tags, flex);
  });
}

}  // namespace kwire::protocol::codec
