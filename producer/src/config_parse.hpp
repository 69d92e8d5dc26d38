#pragma once
// Private helpers for parsing property values. Every failure throws
// kwire::ConfigError naming the key; values are echoed only through
// quote_value() (escaped, truncated) and never for secret keys.
#include <cstdint>
#include <string>
#include <string_view>

namespace kwire::producer::detail {

/// Removes leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s) noexcept;
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);

/// `"value"` with control and non-ASCII bytes escaped (\xNN) and long values
/// cut to 64 characters, for error messages.
std::string quote_value(std::string_view value);

/// Strict decimal integer in [min, max]: optional '-', digits, nothing else
/// (surrounding whitespace is trimmed). Throws
/// `<key>: expected an integer in [min, max], got "<value>"`.
std::int64_t parse_int(std::string_view key, std::string_view value, std::int64_t min,
                       std::int64_t max);

/// true / false, any case.
bool parse_bool(std::string_view key, std::string_view value);

}  // namespace kwire::producer::detail

namespace kwire::producer {
struct ProducerConfig;
namespace detail {
/// Re-parses every integer and enumerated field through its property setter
/// (range checks, normalisation such as security.protocol's case), so that a
/// config filled in directly from C++ gets the same checks as one parsed.
void recheck_fields(ProducerConfig& config);
}  // namespace detail
}  // namespace kwire::producer
