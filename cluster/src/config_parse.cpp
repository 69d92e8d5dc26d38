// The value parsers every client's property table shares, ConfigError, and
// bootstrap.servers entries.
#include "kwire/cluster/detail/config_parse.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include "kwire/cluster/client_config.hpp"

namespace kwire {
namespace {

// Keys come from files and command lines: one holding control characters
// (an escape sequence, a stray CR) is shown quoted and escaped, so the
// message cannot rewrite the user's terminal and the stray byte is visible.
std::string shown_key(const std::string& key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '"' && c != '\\';
  });
  return plain ? key : cluster::detail::quote_value(key);
}

}  // namespace

ConfigError::ConfigError(std::string key, const std::string& message)
    : std::invalid_argument(shown_key(key) + ": " + message), key_(std::move(key)) {}

}  // namespace kwire

namespace kwire::cluster {
namespace detail {

namespace {
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
}  // namespace

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

std::string quote_value(std::string_view value) {
  constexpr std::size_t max_shown = 64;
  const bool cut = value.size() > max_shown;
  if (cut) value = value.substr(0, max_shown - 3);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  out += '"';
  return out;
}

std::int64_t parse_int(std::string_view key, std::string_view value, std::int64_t min,
                       std::int64_t max) {
  const std::string_view text = trim(value);
  std::int64_t result = 0;
  // from_chars accepts an optional '-' and digits only: no '+', no hex, no
  // trailing junk once we check that everything was consumed.
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || result < min ||
      result > max) {
    throw ConfigError(std::string(key), "expected an integer in [" + std::to_string(min) + ", " +
                                            std::to_string(max) + "], got " + quote_value(value));
  }
  return result;
}

bool parse_bool(std::string_view key, std::string_view value) {
  const std::string v = to_lower(trim(value));
  if (v == "true") return true;
  if (v == "false") return false;
  throw ConfigError(std::string(key), "expected true or false, got " + quote_value(value));
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
}  // namespace

const IgnoredDef* find_ignored(std::span<const IgnoredDef> ignored, std::string_view name) noexcept {
  for (const IgnoredDef& i : ignored)
    if (i.name == name) return &i;
  return nullptr;
}

void throw_unknown_key(std::string_view key, std::span<const UnsupportedDef> unsupported,
                       std::span<const std::string_view> candidates) {
  for (const auto& u : unsupported)
    if (u.name == key) throw ConfigError(std::string(key), std::string(u.why));

  // Suggest the closest known name when it is a plausible typo.
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 5) + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  std::string message = "unknown configuration key";
  if (!best.empty()) message += " (did you mean \"" + std::string(best) + "\"?)";
  throw ConfigError(std::string(key), message);
}

}  // namespace detail

namespace {

bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<BrokerAddress> parse_broker_address(std::string_view text) {
  std::string_view host;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    // An IPv6 literal: hex digits, ':' and '.', then an optional %zone.
    const auto zone = host.find('%');
    const std::string_view address = host.substr(0, zone);
    if (address.find(':') == std::string_view::npos) return std::nullopt;
    for (char c : address) {
      const bool hex_digit =
          (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex_digit && c != ':' && c != '.') return std::nullopt;
    }
    if (zone != std::string_view::npos) {
      const std::string_view zone_id = host.substr(zone + 1);
      if (zone_id.empty()) return std::nullopt;
      for (char c : zone_id)
        if (!is_host_char(c)) return std::nullopt;
    }
  } else {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    rest = text.substr(colon);
    if (host.empty()) return std::nullopt;
    for (char c : host)
      if (!is_host_char(c)) return std::nullopt;
  }
  if (rest.empty() || rest.front() != ':') return std::nullopt;
  const auto port = parse_port(rest.substr(1));
  if (!port) return std::nullopt;
  return BrokerAddress{std::string(host), *port};
}

}  // namespace kwire::cluster
