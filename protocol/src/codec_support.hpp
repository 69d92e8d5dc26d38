#pragma once
// What every message codec shares (STYLE.md lessons 1-3): a version outside
// [min_version, max_version] is refused, flexible versions (KIP-482) start at
// first_flexible_version, a field holding a non-default value that the chosen
// version cannot carry is refused rather than dropped, and arrays are read
// only after their count was checked against the bytes left. A codec may
// refuse in the middle of encode(): encode_message() then drops whatever was
// written, so a refused encode never leaves bytes behind. Private to
// protocol/src.
#include <cstddef>
#include <cstdint>
#include <optional>
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

// ---------------------------------------------------------------- tag buffers

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

// ---------------------------------------------------------------- minimum sizes
// What the smallest element of an array takes, for read_array's check of a
// count against the bytes left.

/// Smallest encoding of a (possibly empty) string: one byte compact, two classic.
constexpr std::size_t min_string_size(bool compact) noexcept { return compact ? 1 : 2; }
/// Smallest encoding of an array length: one byte compact, four classic.
constexpr std::size_t min_array_size(bool compact) noexcept { return compact ? 1 : 4; }
/// Smallest encoding of a tag buffer: one byte when flexible, none otherwise.
constexpr std::size_t min_tags_size(bool flex) noexcept { return flex ? 1 : 0; }

// ---------------------------------------------------------------- arrays

/// Writes the element count of a non-nullable array.
template <class T>
void write_array_length(Writer& out, const std::vector<T>& elements, bool compact) {
  out.write_array_length(static_cast<std::int32_t>(elements.size()), compact);
}

/// Writes a non-nullable array, one element at a time through `write_one`.
template <class T, class WriteOne>
void write_array(Writer& out, const std::vector<T>& values, bool compact, WriteOne&& write_one) {
  write_array_length(out, values, compact);
  for (const T& v : values) write_one(v);
}

/// Writes a nullable array's count: -1 for null.
template <class T>
void write_nullable_array_length(Writer& out, const std::optional<std::vector<T>>& elements, bool compact) {
  out.write_array_length(elements ? static_cast<std::int32_t>(elements->size()) : -1, compact);
}

/// Reads a nullable array: nullopt for null, else each element through
/// `read_one(T&)` after the count was checked against the bytes left (at
/// least `min_element_size` per element), as read_array does.
template <class T, class ReadOne>
void read_nullable_array(Reader& in, bool compact, std::size_t min_element_size, std::optional<std::vector<T>>& out,
                         ReadOne&& read_one) {
  const std::int32_t count = in.read_array_length(compact, min_element_size);
  out.reset();
  if (!in.ok() || count < 0) return;
  auto& elements = out.emplace();
  elements.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count && in.ok(); ++i) read_one(elements.emplace_back());
}

inline void write_int32_array(Writer& out, const std::vector<std::int32_t>& values, bool compact) {
  write_array(out, values, compact, [&out](std::int32_t v) { out.write_int32(v); });
}
inline void write_int64_array(Writer& out, const std::vector<std::int64_t>& values, bool compact) {
  write_array(out, values, compact, [&out](std::int64_t v) { out.write_int64(v); });
}
inline void read_int64_array(Reader& in, bool compact, std::vector<std::int64_t>& out) {
  read_array(in, compact, 8, out, [&in](std::int64_t& v) { v = in.read_int64(); });
}

/// A non-nullable array of strings (topic names, group ids).
inline void write_string_array(Writer& out, const std::vector<std::string>& values, bool compact) {
  write_array(out, values, compact, [&out, compact](const std::string& v) { out.write_string(v, compact); });
}
inline void read_string_array(Reader& in, bool compact, std::vector<std::string>& out) {
  read_array(in, compact, min_string_size(compact), out,
             [&in, compact](std::string& v) { v = in.read_string(compact); });
}

/// A nullable array of strings: nullopt is the null array (-1).
inline void write_nullable_string_array(Writer& out, const std::optional<std::vector<std::string>>& values,
                                        bool compact) {
  write_nullable_array_length(out, values, compact);
  if (values)
    for (const auto& v : *values) out.write_string(v, compact);
}
inline void read_nullable_string_array(Reader& in, bool compact, std::optional<std::vector<std::string>>& out) {
  read_nullable_array(in, compact, min_string_size(compact), out,
                      [&in, compact](std::string& v) { v = in.read_string(compact); });
}

// ---------------------------------------------------------------- topic keys
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
