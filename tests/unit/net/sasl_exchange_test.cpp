// SaslExchange without a socket: the broker's responses are encoded here and
// fed in; the mechanism is PLAIN (real) or a scripted one (through
// SaslSettings::factory) to drive multi-step exchanges.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "kwire/protocol/sasl_handshake.hpp"
#include "kwire/security/sasl_settings.hpp"
#include "sasl_exchange.hpp"

using namespace std::chrono_literals;
using kwire::client_errc;
using kwire::errc;
using kwire::net::SaslExchange;
using kwire::protocol::ApiKey;
using Kind = SaslExchange::Action::Kind;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes(std::string_view s) { return {s.begin(), s.end()}; }
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

kwire::security::SaslSettings plain(const std::string& password = "alice-secret") {
  kwire::security::SaslSettings s;
  s.mechanism = "PLAIN";
  s.username = "alice";
  s.password = password;
  return s;
}

/// A mechanism that answers from a script and records the challenges.
struct Script {
  std::vector<kwire::security::StepResult> steps;
  std::vector<Bytes> challenges;
  std::string principal = "bob";
};

class ScriptedMechanism : public kwire::security::SaslMechanism {
 public:
  explicit ScriptedMechanism(Script& script) : script_(script) {}
  std::string_view name() const noexcept override { return "SCRIPTED"; }
  kwire::security::StepResult step(std::span<const std::uint8_t> challenge) override {
    script_.challenges.emplace_back(challenge.begin(), challenge.end());
    REQUIRE(next_ < script_.steps.size());
    return script_.steps[next_++];
  }
  std::string principal() const override { return script_.principal; }
  std::string config_hint() const override { return "check the script"; }

 private:
  Script& script_;
  std::size_t next_ = 0;
};

kwire::security::SaslSettings scripted(Script& script) {
  kwire::security::SaslSettings s;
  s.mechanism = "SCRIPTED";
  s.factory = [&script](std::string_view) { return std::make_unique<ScriptedMechanism>(script); };
  return s;
}

SaslExchange exchange(const kwire::security::SaslSettings& s, std::optional<std::int16_t> handshake = 1,
                      std::optional<std::int16_t> authenticate = 2) {
  return SaslExchange(s, "b1", "b1:9096", handshake, authenticate);
}

Bytes handshake_response(std::int16_t version, errc error = errc::none,
                         std::vector<std::string> mechanisms = {"PLAIN", "SCRAM-SHA-256"}) {
  kwire::protocol::SaslHandshakeResponse r;
  r.error_code = error;
  r.mechanisms = std::move(mechanisms);
  Bytes out;
  REQUIRE_FALSE(kwire::protocol::encode_message(r, version, out));
  return out;
}

Bytes authenticate_response(std::int16_t version, errc error = errc::none, std::optional<std::string> message = {},
                            Bytes auth = {}, std::int64_t lifetime_ms = 0) {
  kwire::protocol::SaslAuthenticateResponse r;
  r.error_code = error;
  r.error_message = std::move(message);
  r.auth_bytes = std::move(auth);
  r.session_lifetime_ms = lifetime_ms;
  Bytes out;
  REQUIRE_FALSE(kwire::protocol::encode_message(r, version, out));
  return out;
}

/// What a PLAIN exchange does when its SaslHandshake v1 gets `response`.
SaslExchange::Action after_handshake(const Bytes& response) {
  auto s = plain();
  SaslExchange x = exchange(s);
  REQUIRE(x.start().kind == Kind::send);
  return x.on_reply(response);
}

std::string sent_mechanism(const SaslExchange::Action& a) {
  kwire::protocol::SaslHandshakeRequest request;
  REQUIRE_FALSE(kwire::protocol::decode_message(a.body, a.version, request));
  return request.mechanism;
}

Bytes sent_token(const SaslExchange::Action& a) {
  if (a.raw) return a.body;
  kwire::protocol::SaslAuthenticateRequest request;
  REQUIRE_FALSE(kwire::protocol::decode_message(a.body, a.version, request));
  return request.auth_bytes;
}

}  // namespace

TEST_CASE("SaslHandshake v1 and SaslAuthenticate when the broker offers both (KIP-152)") {
  auto s = plain();
  SaslExchange x = exchange(s, 1, 2);
  auto a = x.start();
  REQUIRE(a.kind == Kind::send);
  CHECK(a.api == ApiKey::sasl_handshake);
  CHECK(a.version == 1);
  CHECK_FALSE(a.raw);
  CHECK(x.handshake_version() == 1);
  CHECK(sent_mechanism(a) == "PLAIN");

  a = x.on_reply(handshake_response(1));
  REQUIRE(a.kind == Kind::send);
  CHECK(a.api == ApiKey::sasl_authenticate);
  CHECK(a.version == 2);
  CHECK(a.expect_reply);
  CHECK(sent_token(a) == bytes(std::string("\0alice\0alice-secret", 19)));

  a = x.on_reply(authenticate_response(2));
  CHECK(a.kind == Kind::done);
  CHECK(x.mechanism_name() == "PLAIN");
  CHECK(x.session_lifetime_ms() == 0);
  CHECK_FALSE(x.needs_reauthentication());
}

TEST_CASE("SaslHandshake v0 and raw tokens when the broker lacks SaslAuthenticate or handshake v1") {
  Script script;
  script.steps = {kwire::security::StepResult::respond(bytes("first")),
                  kwire::security::StepResult::respond(bytes("second"), /*last=*/true)};
  auto s = scripted(script);
  std::optional<std::int16_t> handshake = 1, authenticate;
  SUBCASE("no SaslAuthenticate") {}
  SUBCASE("SaslHandshake v0 only") {
    handshake = 0;
    authenticate = 1;
  }
  SaslExchange x = exchange(s, handshake, authenticate);
  auto a = x.start();
  REQUIRE(a.kind == Kind::send);
  CHECK(a.version == 0);
  CHECK(sent_mechanism(a) == "SCRIPTED");

  a = x.on_reply(handshake_response(0));
  REQUIRE(a.kind == Kind::send);
  CHECK(a.raw);  // a bare size-prefixed frame, no request header
  CHECK(a.expect_reply);
  CHECK_FALSE(a.done_after_send);
  CHECK(a.body == bytes("first"));

  // The broker's reply is a bare frame too; it goes to the mechanism as is.
  a = x.on_reply(bytes("challenge"));
  REQUIRE(a.kind == Kind::send);
  CHECK(a.raw);
  CHECK(a.body == bytes("second"));
  CHECK_FALSE(a.expect_reply);  // after the last token nothing comes back
  CHECK(a.done_after_send);
  REQUIRE(script.challenges.size() == 2);
  CHECK(script.challenges[0].empty());
  CHECK(script.challenges[1] == bytes("challenge"));
  // No lifetime without SaslAuthenticate v1+, so no re-authentication.
  CHECK_FALSE(x.needs_reauthentication());
}

TEST_CASE("a multi-step exchange over SaslAuthenticate feeds each server token to the mechanism") {
  Script script;
  script.steps = {kwire::security::StepResult::respond(bytes("client-first")),
                  kwire::security::StepResult::respond(bytes("client-final")), kwire::security::StepResult::done()};
  auto s = scripted(script);
  SaslExchange x = exchange(s);
  REQUIRE(x.start().kind == Kind::send);
  auto a = x.on_reply(handshake_response(1));
  CHECK(sent_token(a) == bytes("client-first"));
  a = x.on_reply(authenticate_response(2, errc::none, {}, bytes("server-first")));
  CHECK(sent_token(a) == bytes("client-final"));
  a = x.on_reply(authenticate_response(2, errc::none, {}, bytes("server-final"), 3600000));
  CHECK(a.kind == Kind::done);
  CHECK(script.challenges.back() == bytes("server-final"));
  CHECK(x.session_lifetime_ms() == 3600000);
  CHECK(x.needs_reauthentication());
}

TEST_CASE("a last token over SaslAuthenticate: done on the broker's acceptance, its reply not fed back") {
  Script script;
  script.steps = {kwire::security::StepResult::respond(bytes("only"), /*last=*/true)};
  auto s = scripted(script);
  SaslExchange x = exchange(s);
  REQUIRE(x.start().kind == Kind::send);
  auto a = x.on_reply(handshake_response(1));
  CHECK(a.expect_reply);
  CHECK_FALSE(a.done_after_send);
  CHECK(x.on_reply(authenticate_response(2, errc::none, {}, bytes("ignored"), 500)).kind == Kind::done);
  CHECK(script.challenges.size() == 1);
  CHECK(x.session_lifetime_ms() == 500);
}

TEST_CASE("refusals say what the broker offers, who was refused and what to check, never the secret") {
  SUBCASE("mechanism not enabled: the listener's mechanisms") {
    auto a = after_handshake(handshake_response(1, errc::unsupported_sasl_mechanism, {"SCRAM-SHA-256", "OAUTHBEARER"}));
    REQUIRE(a.kind == Kind::fail);
    CHECK(a.error == client_errc::authentication_failed);
    CHECK(a.detail ==
          "SASL mechanism PLAIN is not enabled on b1:9096 (the listener offers: SCRAM-SHA-256, OAUTHBEARER); "
          "check sasl.mechanism");
  }
  SUBCASE("mechanism not enabled, nothing offered") {
    auto a = after_handshake(handshake_response(1, errc::unsupported_sasl_mechanism, {}));
    CHECK(contains(a.detail, "(the listener offers: none)"));
  }
  SUBCASE("ILLEGAL_SASL_STATE: not a SASL listener") {
    auto a = after_handshake(handshake_response(1, errc::illegal_sasl_state));
    CHECK(a.error == client_errc::authentication_failed);
    CHECK(contains(a.detail, "SaslHandshake refused by b1:9096 (ILLEGAL_SASL_STATE): is it a SASL listener?"));
  }
  SUBCASE("another handshake error: its message") {
    auto a = after_handshake(handshake_response(1, errc::invalid_request));
    CHECK(a.detail == "SaslHandshake refused by b1:9096: " + make_error_code(errc::invalid_request).message());
  }
  SUBCASE("wrong password: the broker's message, the user, the hint") {
    auto s = plain("wrong-secret");
    SaslExchange x = exchange(s);
    x.start();
    x.on_reply(handshake_response(1));
    auto a = x.on_reply(authenticate_response(2, errc::sasl_authentication_failed,
                                              "Authentication failed: Invalid username or password"));
    REQUIRE(a.kind == Kind::fail);
    CHECK(a.error == client_errc::authentication_failed);
    CHECK(a.detail ==
          "SASL authentication failed for user alice on b1:9096 (PLAIN): Authentication failed: Invalid username or "
          "password; check sasl.username / sasl.password");
    CHECK_FALSE(contains(a.detail, "wrong-secret"));
  }
  SUBCASE("a refusal without a message: the error's name") {
    Script script;
    script.steps = {kwire::security::StepResult::respond(bytes("t"))};
    auto s = scripted(script);
    SaslExchange x = exchange(s);
    x.start();
    x.on_reply(handshake_response(1));
    auto a = x.on_reply(authenticate_response(2, errc::sasl_authentication_failed));
    CHECK(a.detail == "SASL authentication failed for user bob on b1:9096 (SCRIPTED): " +
                          make_error_code(errc::sasl_authentication_failed).message() + "; check the script");
  }
  SUBCASE("the mechanism gives up") {
    Script script;
    kwire::security::StepResult failed;
    failed.message = "no token";
    script.steps = {failed};
    auto s = scripted(script);
    SaslExchange x = exchange(s);
    x.start();
    auto a = x.on_reply(handshake_response(1));
    CHECK(a.error == client_errc::authentication_failed);
    CHECK(a.detail == "SASL SCRIPTED authentication for user bob on b1:9096 failed: no token");
  }
  SUBCASE("an unknown mechanism") {
    kwire::security::SaslSettings s;
    s.mechanism = "NOPE";
    SaslExchange x = exchange(s);
    auto a = x.start();
    CHECK(a.error == client_errc::authentication_failed);
    CHECK(contains(a.detail, "SASL with b1:9096 failed: "));
    CHECK(x.mechanism_name() == "SASL");
  }
  SUBCASE("a broker without SaslHandshake") {
    auto s = plain();
    SaslExchange x = exchange(s, std::nullopt, 2);
    auto a = x.start();
    CHECK(a.detail == "SASL with b1:9096 failed: the broker does not offer SaslHandshake");
  }
}

TEST_CASE("undecodable responses and unexpected replies fail without a detail") {
  auto s = plain();
  SaslExchange x = exchange(s);
  SUBCASE("a reply before anything was sent") {
    auto a = x.on_reply(bytes("x"));
    CHECK(a.kind == Kind::fail);
    CHECK(a.error == client_errc::correlation_mismatch);
  }
  SUBCASE("a truncated SaslHandshake response") {
    x.start();
    auto a = x.on_reply(Bytes{0});
    CHECK(a.kind == Kind::fail);
    CHECK(a.error);
    CHECK(a.error != client_errc::authentication_failed);
    CHECK(a.detail.empty());
  }
}

TEST_CASE("KIP-368: re-authenticate between 85% and 95% of the session lifetime") {
  using kwire::net::reauthentication_delay;
  CHECK(reauthentication_delay(10000, 0.0) == 8500ms);
  CHECK(reauthentication_delay(10000, 0.5) == 9000ms);
  CHECK(reauthentication_delay(10000, 1.0) == 9500ms);
  CHECK(reauthentication_delay(10000, 7.0) == 9500ms);  // clamped
  CHECK(reauthentication_delay(3600000, 0.0) == 3060000ms);
  bool varies = false;
  const auto first = reauthentication_delay(100000);
  for (int i = 0; i < 200; ++i) {
    const auto d = reauthentication_delay(100000);
    CHECK(d >= 85000ms);
    CHECK(d <= 95000ms);
    varies = varies || d != first;
  }
  CHECK(varies);  // spread out, so that many connections do not re-authenticate at once
}

TEST_CASE("a re-authentication starts a fresh exchange with a fresh mechanism") {
  int made = 0;
  kwire::security::SaslSettings s = plain();
  auto inner = s;
  s.factory = [&made, inner](std::string_view host) {
    ++made;
    std::string error;
    kwire::security::SaslSettings copy = inner;
    return kwire::security::make_sasl_mechanism(copy, host, error);
  };
  for (int round = 0; round < 2; ++round) {
    SaslExchange x = exchange(s);
    REQUIRE(x.start().kind == Kind::send);
    x.on_reply(handshake_response(1));
    CHECK(x.on_reply(authenticate_response(2, errc::none, {}, {}, 1000)).kind == Kind::done);
    CHECK(x.needs_reauthentication());
  }
  CHECK(made == 2);
}
