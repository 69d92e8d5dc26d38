#include "secure_support.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support.hpp"

namespace {

/// MIT krb5's GSS-API and Cyrus SASL keep a few allocations for the process
/// lifetime (gss_acquire_cred_from's union credential), which LeakSanitizer
/// reports at exit. kwire's own leaks are still reported.
constexpr const char* kLeakSuppressions = "leak:libgssapi_krb5\nleak:libkrb5\nleak:libsasl2\nleak:libgssapi\n";

}  // namespace

// The same suppressions for this process (GSSAPI through the producer and
// BlockingClient). One definition for the whole integration binary.
extern "C" const char* __lsan_default_suppressions() { return kLeakSuppressions; }

namespace kwire::test {

std::string env_var(const std::string& name) { return broker_env().get(name); }

bool has_env_vars(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (!broker_env().has(n) || broker_env().get(n).empty()) {
      MESSAGE("skipped: the broker environment has no " << n);
      return false;
    }
  return true;
}

Properties tls_properties() { return {{"security.protocol", "SSL"}, {"ssl.ca.location", env_var("KWIRE_SSL_CA")}}; }

Properties mtls_properties() {
  Properties p = tls_properties();
  p["ssl.certificate.location"] = env_var("KWIRE_SSL_CERT");
  p["ssl.key.location"] = env_var("KWIRE_SSL_KEY");
  return p;
}

Properties sasl_properties(const std::string& protocol, const std::string& mechanism, const std::string& user,
                           const std::string& password) {
  Properties p{{"security.protocol", protocol},
               {"sasl.mechanism", mechanism},
               {"sasl.username", user.empty() ? env_var("KWIRE_SASL_USERNAME") : user},
               {"sasl.password", password.empty() ? env_var("KWIRE_SASL_PASSWORD") : password}};
  if (protocol == "SASL_SSL") p["ssl.ca.location"] = env_var("KWIRE_SSL_CA");
  return p;
}

Properties oauth_properties() {
  return {{"security.protocol", "SASL_PLAINTEXT"},
          {"sasl.mechanism", "OAUTHBEARER"},
          {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
          {"sasl.oauthbearer.config", "principal=alice lifeSeconds=3600"}};
}

Properties gssapi_properties() {
  return {{"security.protocol", "SASL_PLAINTEXT"},
          {"sasl.mechanism", "GSSAPI"},
          {"sasl.kerberos.service.name", env_var("KWIRE_KERBEROS_SERVICE_NAME")},
          {"sasl.kerberos.principal", env_var("KWIRE_KERBEROS_PRINCIPAL")},
          {"sasl.kerberos.keytab", env_var("KWIRE_KERBEROS_KEYTAB")}};
}

std::string kerberos_env() {
  // Files that live as long as this process: the ticket cache and the
  // LeakSanitizer suppressions for the CLI.
  struct Files {
    std::string cache = "/tmp/kwire-itest-ccache-" + std::to_string(::getpid());
    std::string supp = "/tmp/kwire-itest-lsan-" + std::to_string(::getpid()) + ".supp";
    Files() { std::ofstream(supp) << kLeakSuppressions; }
    ~Files() {
      std::remove(supp.c_str());
      std::remove(cache.c_str());
    }
  };
  static const Files files;
  ::setenv("KRB5_CONFIG", env_var("KWIRE_KRB5_CONFIG").c_str(), 1);
  ::setenv("KRB5CCNAME", ("FILE:" + files.cache).c_str(), 1);
  return "LSAN_OPTIONS=suppressions=" + files.supp;
}

std::vector<SecureListener> secure_listeners() {
  const BrokerEnv& env = broker_env();
  auto has = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (!env.has(n) || env.get(n).empty()) return false;
    return true;
  };
  std::vector<SecureListener> out;
  if (has({"KWIRE_BOOTSTRAP_SSL", "KWIRE_SSL_CA"}))
    out.push_back({"SSL", env.get("KWIRE_BOOTSTRAP_SSL"), tls_properties(), "", ""});
  if (has({"KWIRE_BOOTSTRAP_MTLS", "KWIRE_SSL_CA", "KWIRE_SSL_CERT", "KWIRE_SSL_KEY"}))
    out.push_back({"mTLS", env.get("KWIRE_BOOTSTRAP_MTLS"), mtls_properties(), "", ""});
  if (has({"KWIRE_SASL_USERNAME", "KWIRE_SASL_PASSWORD"})) {
    std::vector<std::string> mechanisms;
    std::istringstream list(env.has("KWIRE_SASL_MECHANISMS") ? env.get("KWIRE_SASL_MECHANISMS")
                                                             : "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512");
    for (std::string m; std::getline(list, m, ',');)
      if (!m.empty()) mechanisms.push_back(m);
    for (const char* protocol : {"SASL_PLAINTEXT", "SASL_SSL"}) {
      const std::string var = std::string("KWIRE_BOOTSTRAP_") + protocol;
      if (!has({var.c_str()}) || (std::string(protocol) == "SASL_SSL" && !has({"KWIRE_SSL_CA"}))) continue;
      for (const std::string& m : mechanisms)
        out.push_back({std::string(protocol) + " " + m, env.get(var), sasl_properties(protocol, m), m, ""});
    }
  }
  if (has({"KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"}))
    out.push_back({"SASL_PLAINTEXT OAUTHBEARER", env.get("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"), oauth_properties(),
                   "OAUTHBEARER", ""});
  if (has({"KWIRE_BOOTSTRAP_SASL_GSSAPI", "KWIRE_KRB5_CONFIG", "KWIRE_KERBEROS_KEYTAB", "KWIRE_KERBEROS_PRINCIPAL",
           "KWIRE_KERBEROS_SERVICE_NAME"})) {
    const std::string cli_env = kerberos_env();
    out.push_back({"SASL_PLAINTEXT GSSAPI", env.get("KWIRE_BOOTSTRAP_SASL_GSSAPI"), gssapi_properties(), "GSSAPI",
                   cli_env});
  }
  return out;
}

std::string cli_properties(const Properties& properties) {
  std::string args;
  for (const auto& [k, v] : properties) args += " -X " + shell_quote(k + "=" + v);
  return args;
}

}  // namespace kwire::test
