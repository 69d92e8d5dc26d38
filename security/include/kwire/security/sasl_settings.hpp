#pragma once
// Which SASL mechanism a connection uses and with what credentials, and the
// factory that makes a fresh mechanism for each authentication (each
// connection, and each KIP-368 re-authentication on it).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "kwire/security/sasl_gssapi.hpp"
#include "kwire/security/sasl_mechanism.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::security {

/// Supplies an OAuth bearer token; called for every (re-)authentication, on
/// the network thread. Return the token, or throw (or return an empty string)
/// to fail the authentication; an exception's what() goes into the error
/// message, so it must not contain the token.
using OAuthBearerTokenProvider = std::function<std::string()>;

struct SaslSettings {
  /// PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or GSSAPI (upper case).
  std::string mechanism;

  // PLAIN and SCRAM.
  std::string username;
  std::string password;  ///< secret

  // OAUTHBEARER: the provider wins over the static token when both are set.
  std::string oauthbearer_token;  ///< secret
  OAuthBearerTokenProvider oauthbearer_token_provider;
  std::map<std::string, std::string> oauthbearer_extensions;  ///< KIP-342
  /// For error messages only (the token's subject, if known).
  std::string oauthbearer_principal;

  // GSSAPI.
  GssapiOptions gssapi;

  /// Replaces the built-in mechanisms (custom mechanisms, tests): called with
  /// the broker host for every authentication.
  std::function<std::unique_ptr<SaslMechanism>(std::string_view host)> factory;
};

/// A fresh mechanism for one authentication with the broker at `host`, or
/// nullptr with `error` set (an unknown mechanism name, a token provider that
/// failed). Never puts a secret in `error`.
std::unique_ptr<SaslMechanism> make_sasl_mechanism(const SaslSettings& settings, std::string_view host,
                                                   std::string& error);

}  // namespace kwire::security

KWIRE_PUBLIC_END
