#include "kwire/security/sasl_settings.hpp"

#include <exception>

#include "kwire/security/sasl_oauthbearer.hpp"
#include "kwire/security/sasl_plain.hpp"
#include "kwire/security/sasl_scram.hpp"

namespace kwire::security {

std::unique_ptr<SaslMechanism> make_sasl_mechanism(const SaslSettings& settings, std::string_view host,
                                                   std::string& error) {
  error.clear();
  if (settings.factory) {
    auto mechanism = settings.factory(host);
    if (!mechanism) error = "the SASL mechanism factory returned nothing";
    return mechanism;
  }
  const std::string& name = settings.mechanism;
  if (name == "PLAIN") return std::make_unique<PlainMechanism>(settings.username, settings.password);
  if (name == "SCRAM-SHA-256")
    return std::make_unique<ScramMechanism>(ScramAlgorithm::sha256, settings.username, settings.password);
  if (name == "SCRAM-SHA-512")
    return std::make_unique<ScramMechanism>(ScramAlgorithm::sha512, settings.username, settings.password);
  if (name == "OAUTHBEARER") {
    std::string token = settings.oauthbearer_token;
    if (settings.oauthbearer_token_provider) {
      try {
        token = settings.oauthbearer_token_provider();
      } catch (const std::exception& e) {
        error = std::string("the OAuth token provider failed: ") + e.what();
        return nullptr;
      } catch (...) {
        error = "the OAuth token provider failed";
        return nullptr;
      }
    }
    if (token.empty()) {
      error = "no OAuth bearer token (set sasl.oauthbearer.token, a token provider, or "
              "enable.sasl.oauthbearer.unsecure.jwt)";
      return nullptr;
    }
    return std::make_unique<OAuthBearerMechanism>(std::move(token), settings.oauthbearer_extensions,
                                                  settings.oauthbearer_principal);
  }
  if (name == "GSSAPI") return std::make_unique<GssapiMechanism>(settings.gssapi, std::string(host));
  error = "unknown SASL mechanism \"" + name + "\" (kwire has PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI)";
  return nullptr;
}

}  // namespace kwire::security
