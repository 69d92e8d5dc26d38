#pragma once
// The version checks every message codec starts with (STYLE.md lesson 1):
// a version outside [min_version, max_version] is refused, flexible versions
// (KIP-482) start at first_flexible_version, and a field holding a
// non-default value that the chosen version cannot carry is refused rather
// than dropped. Private to protocol/src.
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"

namespace kwire::protocol::codec {

/// True when `version` is one this message's codec speaks.
template <class Message>
constexpr bool in_range(std::int16_t version) noexcept {
  return version >= Message::min_version && version <= Message::max_version;
}

/// True when `version` uses compact types and tagged fields (KIP-482).
template <class Message>
constexpr bool flexible(std::int16_t version) noexcept {
  return version >= Message::first_flexible_version;
}

inline std::error_code unsupported_version() noexcept { return make_error_code(client_errc::unsupported_version); }

/// A non-default value in a field the version lacks (encode refuses, writes nothing).
inline std::error_code not_in_version() noexcept { return make_error_code(client_errc::field_not_in_version); }

/// Tag buffers exist only in flexible versions: unknown tags the caller wants
/// written cannot be dropped silently at a version without them.
inline bool tags_fit(const TaggedFields& tags, bool flex) noexcept { return flex || tags.empty(); }

/// The tag buffer of a struct, in flexible versions only.
inline void write_tags(Writer& out, const TaggedFields& tags, bool flex) {
  if (flex) out.write_tagged_fields(tags);
}
inline void read_tags(Reader& in, TaggedFields& tags, bool flex) {
  if (flex) in.read_tagged_fields(tags);
}

/// Writes a non-nullable array, one element at a time through `write_one`.
template <class T, class WriteOne>
void write_array(Writer& out, const std::vector<T>& values, bool compact, WriteOne&& write_one) {
  out.write_array_length(static_cast<std::int32_t>(values.size()), compact);
  for (const T& v : values) write_one(v);
}

inline void write_int32_array(Writer& out, const std::vector<std::int32_t>& values, bool compact) {
  write_array(out, values, compact, [&out](std::int32_t v) { out.write_int32(v); });
}
inline void write_int64_array(Writer& out, const std::vector<std::int64_t>& values, bool compact) {
  write_array(out, values, compact, [&out](std::int64_t v) { out.write_int64(v); });
}
inline void write_string_array(Writer& out, const std::vector<std::string>& values, bool compact) {
  write_array(out, values, compact, [&out, compact](const std::string& v) { out.write_string(v, compact); });
}

inline void read_int64_array(Reader& in, bool compact, std::vector<std::int64_t>& out) {
  read_array(in, compact, 8, out, [&in](std::int64_t& v) { v = in.read_int64(); });
}
inline void read_string_array(Reader& in, bool compact, std::vector<std::string>& out) {
  // A string takes at least its length: 1 byte compact, 2 classic.
  read_array(in, compact, compact ? 1 : 2, out, [&in, compact](std::string& v) { v = in.read_string(compact); });
}

// Topics are keyed by name, or from some version on by id alone (KIP-516;
// `by_id`). The key the version lacks must hold its default: an empty name,
// a zero id.
inline bool topic_key_fits(const std::string& name, const Uuid& topic_id, bool by_id) noexcept {
  return by_id ? name.empty() : topic_id.is_zero();
}

inline void write_topic_key(Writer& out, const std::string& name, const Uuid& topic_id, bool by_id, bool compact) {
  if (by_id)
    out.write_uuid(topic_id);
  else
    out.write_string(name, compact);
}

inline void read_topic_key(Reader& in, std::string& name, Uuid& topic_id, bool by_id, bool compact) {
  if (by_id)
    topic_id = in.read_uuid();
  else
    name = in.read_string(compact);
}

/// Smallest encoding of a topic key: a 16-byte id, or an empty string.
constexpr std::size_t topic_key_min_size(bool by_id, bool compact) noexcept { return by_id ? 16 : compact ? 1 : 2; }

}  // namespace kwire::protocol::codec
