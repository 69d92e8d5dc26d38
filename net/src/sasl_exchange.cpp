#include "sasl_exchange.hpp"

#include <random>
#include <utility>

#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "kwire/protocol/sasl_handshake.hpp"

namespace kwire::net {

namespace {

using Action = SaslExchange::Action;

Action fail_with(std::error_code ec, std::string detail = {}) {
  Action a;
  a.kind = Action::Kind::fail;
  a.error = ec;
  a.detail = std::move(detail);
  return a;
}

Action done() {
  Action a;
  a.kind = Action::Kind::done;
  return a;
}

/// "Authentication failed: ..." as the broker put it, or the error's name.
std::string broker_reason(kwire::errc code, const std::optional<std::string>& message) {
  if (message && !message->empty()) return *message;
  return make_error_code(code).message();
}

}  // namespace

SaslExchange::SaslExchange(const security::SaslSettings& settings, std::string host, std::string address,
                           std::optional<std::int16_t> handshake_version,
                           std::optional<std::int16_t> authenticate_version)
    : address_(std::move(address)),
      offered_handshake_(handshake_version),
      authenticate_version_(authenticate_version),
      mechanism_(security::make_sasl_mechanism(settings, host, mechanism_error_)) {
  if (mechanism_) mechanism_name_ = std::string(mechanism_->name());
}

SaslExchange::~SaslExchange() = default;
SaslExchange::SaslExchange(SaslExchange&&) noexcept = default;
SaslExchange& SaslExchange::operator=(SaslExchange&&) noexcept = default;

Action SaslExchange::refuse(std::string why) const {
  return fail_with(make_error_code(client_errc::authentication_failed), std::move(why));
}

std::string SaslExchange::for_user() const {
  std::string who = mechanism_ ? mechanism_->principal() : std::string();
  return who.empty() ? std::string() : " for user " + who;
}

Action SaslExchange::start() {
  session_lifetime_ms_ = 0;
  if (!mechanism_) return refuse("SASL with " + address_ + " failed: " + mechanism_error_);
  if (!offered_handshake_) return refuse("SASL with " + address_ + " failed: the broker does not offer SaslHandshake");
  // v1 announces SaslAuthenticate framing (KIP-152); without SaslAuthenticate
  // fall back to the v0 raw tokens (brokers before 1.0).
  handshake_version_ = *offered_handshake_ >= 1 && authenticate_version_ ? std::int16_t{1} : std::int16_t{0};
  if (handshake_version_ == 0) authenticate_version_.reset();

  Action a;
  a.kind = Action::Kind::send;
  a.api = protocol::ApiKey::sasl_handshake;
  a.version = handshake_version_;
  protocol::SaslHandshakeRequest request{mechanism_name_};
  if (std::error_code ec = protocol::encode_message(request, a.version, a.body)) return fail_with(ec);
  awaiting_ = Awaiting::handshake;
  return a;
}

Action SaslExchange::on_reply(std::span<const std::uint8_t> reply) {
  const Awaiting was = std::exchange(awaiting_, Awaiting::nothing);
  switch (was) {
    case Awaiting::handshake: return on_handshake(reply);
    case Awaiting::authenticate: return on_authenticate(reply);
    case Awaiting::raw_token: return step(reply);
    case Awaiting::nothing: break;
  }
  // A reply nothing asked for: the exchange and the broker disagree.
  return fail_with(make_error_code(client_errc::correlation_mismatch));
}

Action SaslExchange::on_handshake(std::span<const std::uint8_t> bytes) {
  protocol::SaslHandshakeResponse response;
  if (std::error_code ec = protocol::decode_message(bytes, handshake_version_, response)) return fail_with(ec);
  if (response.error_code == kwire::errc::unsupported_sasl_mechanism) {
    std::string offered;
    for (const auto& m : response.mechanisms) offered += (offered.empty() ? "" : ", ") + m;
    return refuse("SASL mechanism " + mechanism_name_ + " is not enabled on " + address_ +
                  " (the listener offers: " + (offered.empty() ? "none" : offered) + "); check sasl.mechanism");
  }
  if (response.error_code == kwire::errc::illegal_sasl_state)
    return refuse("SaslHandshake refused by " + address_ +
                  " (ILLEGAL_SASL_STATE): is it a SASL listener? check security.protocol");
  if (response.error_code != kwire::errc::none)
    return refuse("SaslHandshake refused by " + address_ + ": " + make_error_code(response.error_code).message());
  return step({});
}

Action SaslExchange::step(std::span<const std::uint8_t> challenge) {
  security::StepResult result = mechanism_->step(challenge);
  switch (result.kind) {
    case security::StepResult::Kind::failed:
      return refuse("SASL " + mechanism_name_ + " authentication" + for_user() + " on " + address_ +
                    " failed: " + result.message);
    case security::StepResult::Kind::done:
      return done();
    case security::StepResult::Kind::respond:
      break;
  }
  return send_token(std::move(result.response), result.last);
}

Action SaslExchange::send_token(std::vector<std::uint8_t> token, bool last) {
  Action a;
  a.kind = Action::Kind::send;
  if (!authenticate_version_) {
    // SaslHandshake v0: the token goes as a bare size-prefixed frame, and the
    // broker answers with one; after the mechanism's last token nothing
    // comes back.
    a.api = protocol::ApiKey::sasl_handshake;
    a.raw = true;
    a.expect_reply = !last;
    a.done_after_send = last;
    a.body = std::move(token);
    if (!last) awaiting_ = Awaiting::raw_token;
    return a;
  }
  protocol::SaslAuthenticateRequest request;
  request.auth_bytes = std::move(token);
  a.api = protocol::ApiKey::sasl_authenticate;
  a.version = *authenticate_version_;
  if (std::error_code ec = protocol::encode_message(request, a.version, a.body)) return fail_with(ec);
  last_token_ = last;
  awaiting_ = Awaiting::authenticate;
  return a;
}

Action SaslExchange::on_authenticate(std::span<const std::uint8_t> bytes) {
  protocol::SaslAuthenticateResponse response;
  if (std::error_code ec = protocol::decode_message(bytes, *authenticate_version_, response)) return fail_with(ec);
  if (response.error_code != kwire::errc::none) {
    // "SASL authentication failed for user alice on 127.0.0.1:19096
    // (SCRAM-SHA-256): <broker's message>; check sasl.username / sasl.password"
    const std::string reason = broker_reason(response.error_code, response.error_message);
    std::string text =
        "SASL authentication failed" + for_user() + " on " + address_ + " (" + mechanism_name_ + "): " + reason;
    // OAUTHBEARER's error JSON, unless the broker's message already is it.
    if (std::string extra = mechanism_->server_error(); !extra.empty() && reason.find(extra) == std::string::npos)
      text += " [broker: " + extra + "]";
    if (std::string hint = mechanism_->config_hint(); !hint.empty()) text += "; " + hint;
    return refuse(std::move(text));
  }
  session_lifetime_ms_ = response.session_lifetime_ms;
  if (last_token_) return done();
  return step(response.auth_bytes);
}

std::chrono::milliseconds reauthentication_delay(std::int64_t lifetime_ms, double spread) noexcept {
  const double clamped = spread < 0 ? 0 : spread > 1 ? 1 : spread;
  const double fraction = 0.85 + 0.10 * clamped;
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(lifetime_ms) * fraction));
}

std::chrono::milliseconds reauthentication_delay(std::int64_t lifetime_ms) {
  static thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_real_distribution<double> spread(0.0, 1.0);
  return reauthentication_delay(lifetime_ms, spread(random));
}

}  // namespace kwire::net
