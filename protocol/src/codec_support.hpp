#pragma once
// The version checks every message codec starts with (STYLE.md lesson 1):
// a version outside [min_version, max_version] is refused, flexible versions
// (KIP-482) start at first_flexible_version, and a field holding a
// non-default value that the chosen version cannot carry is refused rather
// than dropped. Private to protocol/src.
#include <cstdint>
#include <system_error>
#include <vector>

#include "kwire/protocol/client_error.hpp"
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

/// Unknown tagged fields can only be written back by a flexible version.
inline bool tags_fit(const TaggedFields& tags, bool flexible) noexcept { return flexible || tags.empty(); }

/// Writes the element count of a non-nullable array.
template <class T>
void write_array_length(Writer& out, const std::vector<T>& elements, bool compact) {
  out.write_array_length(static_cast<std::int32_t>(elements.size()), compact);
}

}  // namespace kwire::protocol::codec
