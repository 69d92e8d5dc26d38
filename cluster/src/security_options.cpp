#include "kwire/cluster/security_options.hpp"

#include <charconv>
#include <chrono>
#include <map>
#include <string_view>
#include <vector>

#include "kwire/security/sasl_oauthbearer.hpp"

namespace kwire::cluster {
namespace {

/// The options of a Java JAAS line, e.g.
///   org.apache...PlainLoginModule required username="alice" password="x";
/// name=value pairs, values double-quoted (with \" and \\ escapes) or bare.
std::map<std::string, std::string> jaas_options(std::string_view jaas) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < jaas.size() && (jaas[i] == ' ' || jaas[i] == '\t' || jaas[i] == '\n' || jaas[i] == '\r')) ++i;
  };
  while (i < jaas.size()) {
    skip_space();
    std::size_t start = i;
    while (i < jaas.size() && jaas[i] != '=' && jaas[i] != ' ' && jaas[i] != ';' && jaas[i] != '\t') ++i;
    std::string name(jaas.substr(start, i - start));
    skip_space();
    if (i >= jaas.size() || jaas[i] != '=') {
      if (i < jaas.size() && (jaas[i] == ';' || i == start)) ++i;
      continue;  // a word such as the module class or "required"
    }
    ++i;
    skip_space();
    std::string value;
    if (i < jaas.size() && jaas[i] == '"') {
      ++i;
      while (i < jaas.size() && jaas[i] != '"') {
        if (jaas[i] == '\\' && i + 1 < jaas.size()) ++i;
        value += jaas[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < jaas.size() && jaas[i] != ' ' && jaas[i] != ';' && jaas[i] != '\t') value += jaas[i++];
    }
    out[name] = value;
  }
  return out;
}

/// librdkafka's sasl.oauthbearer.config: space-separated name=value pairs.
std::map<std::string, std::string> space_separated_options(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t end = text.find(' ', i);
    std::string_view item = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (!item.empty()) {
      auto eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0)
        throw ConfigError("sasl.oauthbearer.config", "expected name=value pairs separated by spaces");
      out[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct UnsecuredJwt {
  std::string principal;
  std::vector<std::string> scopes;
  std::int64_t life_seconds = 3600;
  std::map<std::string, std::string> extensions;
};

/// The unsecured-JWT recipe from sasl.oauthbearer.config (librdkafka) or from
/// a JAAS config for Kafka's OAuthBearerLoginModule (unsecuredLogin* options).
std::optional<UnsecuredJwt> unsecured_jwt_recipe(const ClientConfig& c) {
  if (c.enable_sasl_oauthbearer_unsecure_jwt) {
    UnsecuredJwt jwt;
    for (const auto& [name, value] : space_separated_options(c.sasl_oauthbearer_config)) {
      if (name == "principal") {
        jwt.principal = value;
      } else if (name == "scope") {
        jwt.scopes = split_commas(value);
      } else if (name == "lifeSeconds") {
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), jwt.life_seconds);
        if (ec != std::errc() || end != value.data() + value.size() || jwt.life_seconds <= 0)
          throw ConfigError("sasl.oauthbearer.config", "lifeSeconds must be a positive number of seconds");
      } else if (name.rfind("extension_", 0) == 0) {
        jwt.extensions[name.substr(10)] = value;
      } else {
        throw ConfigError("sasl.oauthbearer.config",
                          "unknown option \"" + name + "\" (expected principal, scope, lifeSeconds, extension_<name>)");
      }
    }
    if (jwt.principal.empty())
      throw ConfigError("sasl.oauthbearer.config",
                        "enable.sasl.oauthbearer.unsecure.jwt needs principal=<name> in sasl.oauthbearer.config");
    return jwt;
  }
  if (!c.sasl_jaas_config.empty()) {
    auto options = jaas_options(c.sasl_jaas_config);
    auto sub = options.find("unsecuredLoginStringClaim_sub");
    if (sub == options.end()) return std::nullopt;
    UnsecuredJwt jwt;
    jwt.principal = sub->second;
    if (auto scope = options.find("unsecuredLoginListClaim_scope"); scope != options.end())
      jwt.scopes = split_commas(scope->second);
    if (auto life = options.find("unsecuredLoginLifetimeSeconds"); life != options.end()) {
      const std::string& v = life->second;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), jwt.life_seconds);
      if (ec != std::errc() || end != v.data() + v.size() || jwt.life_seconds <= 0)
        throw ConfigError("sasl.jaas.config", "unsecuredLoginLifetimeSeconds must be a positive number of seconds");
    }
    for (const auto& [name, value] : options)
      if (name.rfind("unsecuredLoginExtension_", 0) == 0) jwt.extensions[name.substr(24)] = value;
    return jwt;
  }
  return std::nullopt;
}

std::shared_ptr<const security::TlsContext> make_tls(const ClientConfig& c) {
  security::TlsSettings s;
  s.ca_location = c.ssl_ca_location;
  s.ca_pem = c.ssl_ca_pem;
  s.certificate_location = c.ssl_certificate_location;
  s.certificate_pem = c.ssl_certificate_pem;
  s.key_location = c.ssl_key_location;
  s.key_pem = c.ssl_key_pem;
  s.key_password = c.ssl_key_password;
  s.verify_hostname = c.ssl_endpoint_identification_algorithm == "https";
  std::string error;
  auto context = security::TlsContext::create(s, error);
  if (!context) {
    // TlsContext's messages start with the property at fault ("ssl.key.location: ...").
    auto colon = error.find(':');
    std::string key = colon != std::string::npos && error.rfind("ssl.", 0) == 0 ? error.substr(0, colon)
                                                                               : std::string("security.protocol");
    std::string message = colon != std::string::npos && error.rfind("ssl.", 0) == 0 ? error.substr(colon + 2) : error;
    throw ConfigError(key, message);
  }
  return context;
}

security::SaslSettings make_sasl(const ClientConfig& c) {
  security::SaslSettings s;
  s.mechanism = c.sasl_mechanism;
  const bool password_based = s.mechanism == "PLAIN" || s.mechanism.rfind("SCRAM-", 0) == 0;
  if (password_based) {
    s.username = c.sasl_username;
    s.password = c.sasl_password;
    if ((s.username.empty() || s.password.empty()) && !c.sasl_jaas_config.empty()) {
      auto options = jaas_options(c.sasl_jaas_config);
      if (s.username.empty() && options.count("username")) s.username = options["username"];
      if (s.password.empty() && options.count("password")) s.password = options["password"];
    }
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"sasl.username", &s.username},
                              {"sasl.password", &s.password}})
      if (value->empty())
        throw ConfigError(key, std::string("required for sasl.mechanism=") + s.mechanism +
                                   " (or username=/password= in sasl.jaas.config)");
  } else if (s.mechanism == "OAUTHBEARER") {
    if (c.sasl_oauthbearer_token_provider) {
      s.oauthbearer_token_provider = c.sasl_oauthbearer_token_provider;
    } else if (!c.sasl_oauthbearer_token.empty()) {
      s.oauthbearer_token = c.sasl_oauthbearer_token;
    } else if (auto recipe = unsecured_jwt_recipe(c)) {
      // A fresh token (new iat/exp) for every authentication, so that a
      // KIP-368 re-authentication never presents an expired one.
      s.oauthbearer_principal = recipe->principal;
      s.oauthbearer_extensions = recipe->extensions;
      s.oauthbearer_token_provider = [principal = recipe->principal, scopes = recipe->scopes,
                                      life = recipe->life_seconds] {
        return security::make_unsecured_jwt(principal, std::chrono::seconds(life), scopes);
      };
    } else {
      throw ConfigError("sasl.oauthbearer.token",
                        "sasl.mechanism=OAUTHBEARER needs a token: set sasl.oauthbearer.token, a token provider "
                        "(ClientConfig::sasl_oauthbearer_token_provider), or enable.sasl.oauthbearer.unsecure.jwt "
                        "with sasl.oauthbearer.config=principal=<name>");
    }
  } else if (s.mechanism == "GSSAPI") {
    s.gssapi.service_name = c.sasl_kerberos_service_name;
    s.gssapi.principal = c.sasl_kerberos_principal;
    s.gssapi.keytab = c.sasl_kerberos_keytab;
    s.gssapi.kinit_command = c.sasl_kerberos_kinit_cmd;
    s.gssapi.min_time_before_relogin = std::chrono::milliseconds(c.sasl_kerberos_min_time_before_relogin);
    if (s.gssapi.service_name.empty())
      throw ConfigError("sasl.kerberos.service.name", "must not be empty for sasl.mechanism=GSSAPI");
  } else {
    throw ConfigError("sasl.mechanism", "unsupported mechanism " + s.mechanism);
  }
  return s;
}

}  // namespace

net::ConnectionSecurity make_security_options(const ClientConfig& config) {
  net::ConnectionSecurity security;
  if (config.uses_tls()) security.tls = make_tls(config);
  if (config.uses_sasl()) security.sasl = make_sasl(config);
  return security;
}

}  // namespace kwire::cluster
