#pragma once
// The version checks every message codec starts with (STYLE.md lesson 1):
// a version outside [min_version, max_version] is refused, flexible versions
// (KIP-482) start at first_flexible_version, and a field holding a
// non-default value that the chosen version cannot carry is refused rather
// than dropped. Private to protocol/src.
#include <cstdint>
#include <system_error>

#include "kwire/protocol/client_error.hpp"

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

}  // namespace kwire::protocol::codec

// ---------------------------------------------------------------- helpers
// Shared by the admin codecs (and any codec that wants them). A codec may
// refuse in the middle of encode(): encode_message() then drops whatever
// was written, so a refused encode never leaves bytes behind.

#include <optional>
#include <string>
#include <vector>

#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"

namespace kwire::protocol::codec {

/// Tag buffers exist only in flexible versions: non-empty unknown tags
/// cannot be carried by a classic version.
inline bool tags_fit(const TaggedFields& tags, bool flex) noexcept { return flex || tags.empty(); }

inline void write_tags(Writer& out, const TaggedFields& tags, bool flex) {
  if (flex) out.write_tagged_fields(tags);
}
inline void read_tags(Reader& in, TaggedFields& tags, bool flex) {
  if (flex) in.read_tagged_fields(tags);
}

template <class T>
void write_array_length(Writer& out, const std::vector<T>& v, bool compact) {
  out.write_array_length(static_cast<std::int32_t>(v.size()), compact);
}

/// Smallest encoding of a (possibly empty) string: one byte compact, two classic.
constexpr std::size_t min_string_size(bool compact) noexcept { return compact ? 1 : 2; }
/// Smallest encoding of an array length: one byte compact, four classic.
constexpr std::size_t min_array_size(bool compact) noexcept { return compact ? 1 : 4; }
/// Smallest encoding of a tag buffer: one byte when flexible, none otherwise.
constexpr std::size_t min_tags_size(bool flex) noexcept { return flex ? 1 : 0; }

inline void write_string_array(Writer& out, const std::vector<std::string>& v, bool compact) {
  write_array_length(out, v, compact);
  for (const auto& s : v) out.write_string(s, compact);
}
inline void read_string_array(Reader& in, bool compact, std::vector<std::string>& out) {
  read_array(in, compact, min_string_size(compact), out, [&in, compact](std::string& s) { s = in.read_string(compact); });
}

/// A nullable array of strings: nullopt is written as the null array (-1).
inline void write_nullable_string_array(Writer& out, const std::optional<std::vector<std::string>>& v, bool compact) {
  if (!v) {
    out.write_array_length(-1, compact);
    return;
  }
  write_string_array(out, *v, compact);
}
inline void read_nullable_string_array(Reader& in, bool compact, std::optional<std::vector<std::string>>& out) {
  std::int32_t count = in.read_array_length(compact, min_string_size(compact));
  out.reset();
  if (!in.ok() || count < 0) return;
  auto& v = out.emplace();
  v.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count && in.ok(); ++i) v.push_back(in.read_string(compact));
}

inline void write_int32_array(Writer& out, const std::vector<std::int32_t>& v, bool compact) {
  write_array_length(out, v, compact);
  for (std::int32_t x : v) out.write_int32(x);
}

}  // namespace kwire::protocol::codec
