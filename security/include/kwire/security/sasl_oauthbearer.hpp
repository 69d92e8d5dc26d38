#pragma once
// SASL OAUTHBEARER (RFC 7628) as Kafka runs it (KIP-255, KIP-342):
//
//   client  n,,\x01auth=Bearer <token>\x01[key=value\x01 ...]\x01
//   broker  empty token (accepted), or an error JSON such as
//           {"status":"invalid_token"} (RFC 7628 3.2.2)
//   client  \x01 (acknowledges the error; the broker then fails the
//           exchange with SASL_AUTHENTICATION_FAILED)
//
// The token is a bearer credential: it never appears in a message. Where it
// comes from is the caller's business (a static string, a callback that
// fetches one, or make_unsecured_jwt() for brokers that use Kafka's
// unsecured validator in tests).
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "kwire/security/sasl_mechanism.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::security {

class OAuthBearerMechanism final : public SaslMechanism {
 public:
  /// `extensions` are SASL extensions (KIP-342), e.g. {"logicalCluster",
  /// "lkc-123"}; keys are letters only and not "auth", values printable
  /// ASCII. `principal` is only for error messages. Invalid tokens or
  /// extensions fail the first step with a message naming what is wrong.
  explicit OAuthBearerMechanism(std::string token, std::map<std::string, std::string> extensions = {},
                                std::string principal = {});
  ~OAuthBearerMechanism() override;

  std::string_view name() const noexcept override { return "OAUTHBEARER"; }
  StepResult step(std::span<const std::uint8_t> challenge) override;
  std::string principal() const override { return principal_; }
  std::string config_hint() const override {
    return "check the OAuth token (sasl.oauthbearer.token, the token callback or sasl.oauthbearer.config)";
  }
  std::string server_error() const override { return server_error_; }

 private:
  std::string token_;
  std::map<std::string, std::string> extensions_;
  std::string principal_;
  std::string server_error_;
  int calls_ = 0;
};

/// An unsigned JWS ("alg":"none") that Kafka's unsecured validator
/// (OAuthBearerUnsecuredValidatorCallbackHandler) accepts — for tests and
/// development only, like librdkafka's enable.sasl.oauthbearer.unsecure.jwt.
/// Claims: "sub" = principal, "iat" = now, "exp" = now + lifetime, and
/// "scope" when `scopes` is not empty.
std::string make_unsecured_jwt(const std::string& principal, std::chrono::seconds lifetime,
                               const std::vector<std::string>& scopes = {},
                               std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace kwire::security

KWIRE_PUBLIC_END
