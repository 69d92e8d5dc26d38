#include "kwire/security/sasl_oauthbearer.hpp"

#include "crypto.hpp"

namespace kwire::security {
namespace {

constexpr char kSeparator = '\x01';

// RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool valid_token(std::string_view token) noexcept {
  std::size_t i = 0;
  auto is_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '+' || c == '/';
  };
  while (i < token.size() && is_char(token[i])) ++i;
  if (i == 0) return false;
  while (i < token.size() && token[i] == '=') ++i;
  return i == token.size();
}

// RFC 7628 3.1: key = 1*(ALPHA); value = *(VCHAR / SP / HTAB / CR / LF).
bool valid_key(std::string_view key) noexcept {
  if (key.empty() || key == "auth") return false;
  for (char c : key)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  return true;
}

bool valid_value(std::string_view value) noexcept {
  for (char c : value)
    if (!((c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n')) return false;
  return true;
}

std::string printable(std::string_view s, std::size_t max = 300) {
  std::string out;
  for (char c : s.substr(0, max))
    if (c >= 0x20 && c < 0x7f) out += c;
  return out;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

OAuthBearerMechanism::OAuthBearerMechanism(std::string token, std::map<std::string, std::string> extensions,
                                           std::string principal)
    : token_(std::move(token)), extensions_(std::move(extensions)), principal_(std::move(principal)) {}

OAuthBearerMechanism::~OAuthBearerMechanism() { detail::cleanse(token_); }

StepResult OAuthBearerMechanism::step(std::span<const std::uint8_t> challenge) {
  switch (calls_++) {
    case 0: {
      if (token_.empty()) return StepResult::fail("no OAuth bearer token");
      if (!valid_token(token_))
        return StepResult::fail("the OAuth bearer token has characters RFC 6750 does not allow in a b64token");
      std::string message = "n,,";
      message += kSeparator;
      message += "auth=Bearer " + token_;
      message += kSeparator;
      for (const auto& [key, value] : extensions_) {
        if (!valid_key(key)) return StepResult::fail("invalid SASL extension name \"" + printable(key) + "\"");
        if (!valid_value(value)) return StepResult::fail("invalid value for SASL extension " + key);
        message += key + "=" + value;
        message += kSeparator;
      }
      message += kSeparator;
      std::vector<std::uint8_t> bytes(message.begin(), message.end());
      detail::cleanse(message);
      return StepResult::respond(std::move(bytes));
    }
    case 1: {
      if (challenge.empty()) return StepResult::done();
      // RFC 7628 3.2.2: the server explains in JSON and waits for a lone
      // %x01 before it fails the exchange; the broker's final error message
      // then reaches the caller together with this JSON.
      server_error_ = printable(std::string_view(reinterpret_cast<const char*>(challenge.data()), challenge.size()));
      return StepResult::respond({static_cast<std::uint8_t>(kSeparator)});
    }
    default:
      return StepResult::fail("the broker rejected the OAuth token" +
                              (server_error_.empty() ? std::string() : ": " + server_error_));
  }
}

std::string make_unsecured_jwt(const std::string& principal, std::chrono::seconds lifetime,
                               const std::vector<std::string>& scopes, std::chrono::system_clock::time_point now) {
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto exp = iat + lifetime.count();
  std::string header = R"({"alg":"none"})";
  std::string payload = R"({"sub":")" + json_escape(principal) + R"(","iat":)" + std::to_string(iat) +
                        R"(,"exp":)" + std::to_string(exp);
  if (!scopes.empty()) {
    payload += R"(,"scope":[)";
    for (std::size_t i = 0; i < scopes.size(); ++i) {
      if (i > 0) payload += ',';
      payload += '"' + json_escape(scopes[i]) + '"';
    }
    payload += ']';
  }
  payload += '}';
  // An unsecured JWS has an empty signature: "header.payload." (RFC 7515 A.5).
  return detail::base64url_encode(detail::as_bytes(header)) + "." + detail::base64url_encode(detail::as_bytes(payload)) +
         ".";
}

}  // namespace kwire::security
