#pragma once
// Parsing property values and the property tables every client's config
// builds from (ClientConfig, ProducerConfig, later the consumer's and the
// admin client's): one parser, one set of ConfigError messages. Every failure
// throws kwire::ConfigError naming the key as the user wrote it; values are
// echoed only through quote_value() (escaped, truncated) and never for
// secret keys. Not part of the public API (detail/ is not installed), but
// exported from a shared libkwire_cluster: kwire_producer's config (and later
// the consumer's and the admin client's) calls it across that boundary.
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster::detail {

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
std::int64_t parse_int(std::string_view key, std::string_view value, std::int64_t min, std::int64_t max);

/// true / false, any case.
bool parse_bool(std::string_view key, std::string_view value);

inline constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();

// ---- property tables ---------------------------------------------------------

enum class Kind : std::uint8_t {
  /// An integer or a fixed set of words: get() prints a value set() accepts,
  /// so validate() can re-check a field filled in directly from C++.
  checked,
  text,    ///< free-form string, or a value validate() checks by itself
  secret,  ///< never echoed; describe() prints "[redacted]"
};

template <class Config>
struct KeyDef {
  using Setter = void (*)(Config&, std::string_view key, std::string_view value);
  using Getter = std::string (*)(const Config&);
  std::string_view name;
  Setter set;
  Getter get;  ///< how describe() prints it
  Kind kind;
};

template <class Config>
struct AliasDef {
  std::string_view alias;                              ///< librdkafka's (or an older Java) name
  std::string_view canonical;                          ///< the name it stands for
  typename KeyDef<Config>::Setter set = nullptr;       ///< when the alias's values mean something else
};

/// A well-known key kwire refuses, with what to do instead.
struct UnsupportedDef {
  std::string_view name;
  std::string_view why;
};

/// A well-known Java / librdkafka key without a kwire setting: accepted so a
/// pasted config works, with a warning saying why it changes nothing
/// (issue #19). `check`, when set, looks at the value first: it may accept a
/// value silently (return false: no warning) or throw ConfigError for a value
/// kwire cannot honour.
struct IgnoredDef {
  std::string_view name;
  std::string_view why;
  bool (*check)(std::string_view key, std::string_view value) = nullptr;
};

const IgnoredDef* find_ignored(std::span<const IgnoredDef> ignored, std::string_view name) noexcept;

template <class Config>
const KeyDef<Config>* find_key(std::span<const KeyDef<Config>> keys, std::string_view name) noexcept {
  for (const auto& k : keys)
    if (k.name == name) return &k;
  return nullptr;
}

/// A property name resolved: the canonical entry and the setter for the
/// name as given (an alias may parse its values differently).
template <class Config>
struct Lookup {
  const KeyDef<Config>* def = nullptr;
  typename KeyDef<Config>::Setter set = nullptr;
};

template <class Config>
Lookup<Config> lookup(std::span<const KeyDef<Config>> keys, std::span<const AliasDef<Config>> aliases,
                      std::string_view name) noexcept {
  if (const KeyDef<Config>* k = find_key(keys, name)) return {k, k->set};
  for (const auto& a : aliases) {
    if (a.alias == name) {
      const KeyDef<Config>* k = find_key(keys, a.canonical);
      return {k, a.set != nullptr ? a.set : k->set};
    }
  }
  return {};
}

/// Throws the ConfigError for an unknown key: the reason when it is a
/// well-known unsupported one, else "unknown configuration key" with the
/// closest of `candidates` (every accepted name) when it is a plausible typo.
[[noreturn]] void throw_unknown_key(std::string_view key, std::span<const UnsupportedDef> unsupported,
                                    std::span<const std::string_view> candidates);

/// describe(): one "key = value" line per entry of `keys`, appended to `out`.
template <class Config>
void describe_keys(std::span<const KeyDef<Config>> keys, const Config& config, std::string& out) {
  for (const auto& k : keys) {
    out += k.name;
    out += " = ";
    out += k.get(config);
    out += '\n';
  }
}

/// Every name in `keys` and `aliases`, appended to `out` (for throw_unknown_key).
template <class Config>
void append_names(std::span<const KeyDef<Config>> keys, std::span<const AliasDef<Config>> aliases,
                  std::vector<std::string_view>& out) {
  for (const auto& k : keys) out.push_back(k.name);
  for (const auto& a : aliases) out.push_back(a.alias);
}

// ---- generic setters / getters ---------------------------------------------------

template <typename T>
struct value_type_of {
  using type = T;
};
template <typename T>
struct value_type_of<std::optional<T>> {
  using type = T;
};

template <typename M>
struct member_class;
template <typename C, typename T>
struct member_class<T C::*> {
  using type = C;
};
template <auto Member>
using member_class_t = typename member_class<decltype(Member)>::type;

template <auto Member, std::int64_t Min, std::int64_t Max>
void set_int(member_class_t<Member>& c, std::string_view key, std::string_view value) {
  using Field = std::remove_cvref_t<decltype(c.*Member)>;
  using T = typename value_type_of<Field>::type;
  static_assert(Min >= std::numeric_limits<T>::min() && Max <= std::numeric_limits<T>::max());
  c.*Member = static_cast<T>(parse_int(key, value, Min, Max));
}

template <auto Member>
std::string get_int(const member_class_t<Member>& c) {
  const auto& v = c.*Member;
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, std::optional<std::int32_t>>)
    return v ? std::to_string(*v) : std::string("(unset)");
  else
    return std::to_string(v);
}

template <auto Member>
void set_bool(member_class_t<Member>& c, std::string_view key, std::string_view value) {
  c.*Member = parse_bool(key, value);
}

template <auto Member>
std::string get_bool(const member_class_t<Member>& c) {
  return (c.*Member) ? "true" : "false";
}

/// Free-form strings are kept verbatim (no trimming: a password may end in a space).
template <auto Member>
void set_string(member_class_t<Member>& c, std::string_view, std::string_view value) {
  c.*Member = std::string(value);
}

template <auto Member>
std::string get_string(const member_class_t<Member>& c) {
  return c.*Member;
}

/// Inline PEM is long and multi-line: describe() says only whether it is set.
template <auto Member>
std::string get_pem(const member_class_t<Member>& c) {
  const auto& v = c.*Member;
  return v.empty() ? std::string() : "(" + std::to_string(v.size()) + " bytes of PEM)";
}

template <auto Member>
std::string get_secret(const member_class_t<Member>& c) {
  return (c.*Member).empty() ? std::string() : std::string("[redacted]");
}

}  // namespace kwire::cluster::detail

KWIRE_PUBLIC_END
