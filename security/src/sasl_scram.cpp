#include "kwire/security/sasl_scram.hpp"

#include <charconv>
#include <stdexcept>

#include "crypto.hpp"

namespace kwire::security {
namespace {

using detail::as_bytes;
using detail::Bytes;

detail::Digest digest(ScramAlgorithm a) noexcept {
  return a == ScramAlgorithm::sha256 ? detail::Digest::sha256 : detail::Digest::sha512;
}

constexpr std::string_view kClientKey = "Client Key";
constexpr std::string_view kServerKey = "Server Key";
// base64("n,,"): the GS2 header of a client without channel binding.
constexpr std::string_view kChannelBinding = "biws";

std::string random_nonce() {
  static constexpr std::string_view chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  Bytes random = detail::random_bytes(32);
  std::string nonce;
  nonce.reserve(random.size());
  // 62 symbols: the modulo bias is irrelevant for a nonce (uniqueness, not secrecy).
  for (auto b : random) nonce += chars[b % chars.size()];
  return nonce;
}

bool valid_nonce(std::string_view nonce) noexcept {
  if (nonce.empty()) return false;
  for (char c : nonce)
    if (c < 0x21 || c > 0x7e || c == ',') return false;  // RFC 5802 "printable" minus ','
  return true;
}

/// Splits "a=1,b=2" into attributes; nullopt if any part lacks "x=".
struct Attribute {
  char name;
  std::string_view value;
};
std::optional<std::vector<Attribute>> parse_attributes(std::string_view message) {
  std::vector<Attribute> out;
  std::size_t pos = 0;
  while (pos <= message.size()) {
    std::size_t comma = message.find(',', pos);
    std::string_view part = message.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (part.size() < 2 || part[1] != '=') return std::nullopt;
    out.push_back({part[0], part.substr(2)});
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

Bytes xor_bytes(const Bytes& a, const Bytes& b) {
  Bytes out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
  return out;
}

/// Printable text for an error message: control characters are dropped and
/// the length is capped (the text comes from the broker).
std::string printable(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (char c : s.substr(0, max))
    if (c >= 0x20 && c < 0x7f) out += c;
  return out;
}

}  // namespace

std::vector<std::uint8_t> ScramMechanism::salted_password(ScramAlgorithm algorithm, std::string_view password,
                                                          std::span<const std::uint8_t> salt, std::uint32_t iterations) {
  return detail::pbkdf2(digest(algorithm), password, salt, iterations);
}

std::vector<std::uint8_t> ScramMechanism::random_salt(std::size_t bytes) { return detail::random_bytes(bytes); }

ScramMechanism::ScramMechanism(ScramAlgorithm algorithm, std::string username, std::string password,
                               std::string client_nonce)
    : algorithm_(algorithm),
      username_(std::move(username)),
      password_(std::move(password)),
      client_nonce_(std::move(client_nonce)) {}

ScramMechanism::~ScramMechanism() { detail::cleanse(password_); }

std::string_view ScramMechanism::name() const noexcept {
  return algorithm_ == ScramAlgorithm::sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

std::string ScramMechanism::escape_username(std::string_view username) {
  std::string out;
  out.reserve(username.size());
  for (char c : username) {
    if (c == '=')
      out += "=3D";
    else if (c == ',')
      out += "=2C";
    else
      out += c;
  }
  return out;
}

StepResult ScramMechanism::step(std::span<const std::uint8_t> challenge) {
  StepResult result = next_step(challenge);
  // A failed exchange stays failed: a later message (a second server-first,
  // say) must not restart it half-way with the old nonce.
  if (result.kind == StepResult::Kind::failed) state_ = State::done;
  return result;
}

StepResult ScramMechanism::next_step(std::span<const std::uint8_t> challenge) {
  std::string_view text(reinterpret_cast<const char*>(challenge.data()), challenge.size());
  try {
    switch (state_) {
      case State::initial:
        return client_first();
      case State::sent_first:
        return client_final(text);
      case State::sent_final:
        return verify_server_final(text);
      case State::done:
        break;
    }
  } catch (const std::exception&) {
    // Only OpenSSL failures throw here; their text carries no secret but
    // says nothing useful either.
    return StepResult::fail("a cryptographic operation failed (OpenSSL)");
  }
  return StepResult::fail(std::string(name()) + " exchange already finished");
}

StepResult ScramMechanism::client_first() {
  if (username_.empty()) return StepResult::fail(std::string(name()) + " needs a user name (sasl.username)");
  if (client_nonce_.empty()) client_nonce_ = random_nonce();
  if (!valid_nonce(client_nonce_)) return StepResult::fail("invalid SCRAM client nonce");
  client_first_bare_ = "n=" + escape_username(username_) + ",r=" + client_nonce_;
  std::string message = "n,," + client_first_bare_;
  state_ = State::sent_first;
  return StepResult::respond(Bytes(message.begin(), message.end()));
}

StepResult ScramMechanism::client_final(std::string_view server_first) {
  auto attributes = parse_attributes(server_first);
  if (!attributes || attributes->empty()) return StepResult::fail("malformed SCRAM server-first message");
  // RFC 5802 5.1: "m" announces a mandatory extension we cannot know.
  if ((*attributes)[0].name == 'm') return StepResult::fail("the broker requires an unsupported SCRAM extension");
  if (attributes->size() < 3 || (*attributes)[0].name != 'r' || (*attributes)[1].name != 's' ||
      (*attributes)[2].name != 'i')
    return StepResult::fail("malformed SCRAM server-first message (expected r=, s=, i=)");

  std::string_view nonce = (*attributes)[0].value;
  // The server's nonce must extend ours; otherwise this answer was not made
  // for this exchange (replay, or a confused peer).
  if (nonce.size() <= client_nonce_.size() || nonce.substr(0, client_nonce_.size()) != client_nonce_ ||
      !valid_nonce(nonce))
    return StepResult::fail("the SCRAM server nonce does not extend the client nonce");

  std::optional<Bytes> salt = detail::base64_decode((*attributes)[1].value);
  if (!salt || salt->empty()) return StepResult::fail("malformed SCRAM salt");

  std::string_view iter_text = (*attributes)[2].value;
  std::uint64_t iterations = 0;
  auto [end, ec] = std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), iterations);
  if (ec != std::errc() || end != iter_text.data() + iter_text.size() || iter_text.empty())
    return StepResult::fail("malformed SCRAM iteration count");
  if (iterations < kMinIterations)
    return StepResult::fail("the broker asked for " + std::to_string(iterations) + " SCRAM iterations, fewer than " +
                            std::to_string(kMinIterations));
  if (iterations > kMaxIterations)
    return StepResult::fail("the broker asked for " + std::to_string(iterations) + " SCRAM iterations, more than " +
                            std::to_string(kMaxIterations));

  const detail::Digest d = digest(algorithm_);
  std::string without_proof = "c=" + std::string(kChannelBinding) + ",r=" + std::string(nonce);
  std::string auth_message = client_first_bare_ + "," + std::string(server_first) + "," + without_proof;

  Bytes salted = detail::pbkdf2(d, password_, *salt, static_cast<std::uint32_t>(iterations));
  Bytes client_key = detail::hmac(d, salted, as_bytes(kClientKey));
  Bytes stored_key = detail::hash(d, client_key);
  Bytes client_signature = detail::hmac(d, stored_key, as_bytes(auth_message));
  Bytes proof = xor_bytes(client_key, client_signature);
  Bytes server_key = detail::hmac(d, salted, as_bytes(kServerKey));
  server_signature_ = detail::hmac(d, server_key, as_bytes(auth_message));
  detail::cleanse(salted);
  detail::cleanse(client_key);

  std::string message = without_proof + ",p=" + detail::base64_encode(proof);
  state_ = State::sent_final;
  return StepResult::respond(Bytes(message.begin(), message.end()));
}

StepResult ScramMechanism::verify_server_final(std::string_view server_final) {
  state_ = State::done;
  auto attributes = parse_attributes(server_final);
  if (!attributes || attributes->empty()) return StepResult::fail("malformed SCRAM server-final message");
  const Attribute& first = (*attributes)[0];
  if (first.name == 'e') return StepResult::fail("the broker refused: " + printable(first.value));
  if (first.name != 'v') return StepResult::fail("malformed SCRAM server-final message (expected v=)");
  std::optional<Bytes> signature = detail::base64_decode(first.value);
  if (!signature || !detail::equal_constant_time(*signature, server_signature_))
    return StepResult::fail("the broker's SCRAM signature is wrong: it does not know the password (or is not "
                            "the broker it claims to be)");
  return StepResult::done();
}

}  // namespace kwire::security
