#pragma once
// The secured listeners of the broker under test (tests/broker/kafka-broker
// env) as client properties, shared by the security, producer, CLI and
// conformance tests: TLS, mutual TLS, SASL_PLAINTEXT and SASL_SSL with every
// SASL mechanism the harness enables, OAUTHBEARER (unsecured JWT) and
// GSSAPI (the harness's Kerberos KDC).
//
// GSSAPI needs this process pointed at the harness's krb5.conf with a
// ticket cache of its own (kerberos_env() sets both), and processes built
// with LeakSanitizer need suppressions for MIT krb5 / Cyrus SASL, which keep
// a few allocations for the process lifetime: this process gets them from
// __lsan_default_suppressions (secure_support.cpp); a CLI run gets them
// through the LSAN_OPTIONS prefix kerberos_env() returns.
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace kwire::test {

using Properties = std::map<std::string, std::string>;

/// The broker env's `name`; throws if it lacks it.
std::string env_var(const std::string& name);
/// True when the broker env has every one of `names` (non-empty); otherwise
/// says which is missing (doctest MESSAGE) and returns false.
bool has_env_vars(std::initializer_list<const char*> names);

Properties tls_properties();   ///< SSL with the harness's CA
Properties mtls_properties();  ///< SSL with the harness's CA and client certificate
/// SASL over `protocol` (SASL_PLAINTEXT or SASL_SSL) with `mechanism`
/// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); the harness's user and password
/// unless given.
Properties sasl_properties(const std::string& protocol, const std::string& mechanism, const std::string& user = "",
                           const std::string& password = "");
/// OAUTHBEARER over SASL_PLAINTEXT with an unsecured JWT for alice.
Properties oauth_properties();
/// GSSAPI over SASL_PLAINTEXT with the harness's keytab (call kerberos_env() first).
Properties gssapi_properties();

/// Points this process (and the commands it runs) at the harness's
/// krb5.conf and a private ticket cache; returns the environment prefix for
/// a CLI command line ("LSAN_OPTIONS=suppressions=...").
std::string kerberos_env();

/// One listener and mechanism: where, and how to talk to it.
struct SecureListener {
  std::string name;       ///< "SASL_SSL SCRAM-SHA-512"
  std::string bootstrap;  ///< host:port
  Properties properties;  ///< security.protocol, sasl.*, ssl.* (no bootstrap.servers)
  std::string mechanism;  ///< the SASL mechanism, "" without SASL
  std::string cli_env;    ///< prefix for a CLI command line (GSSAPI), else ""
};

/// Every secured listener x mechanism the broker env offers (missing ones
/// are left out): SSL, mTLS, SASL_PLAINTEXT and SASL_SSL with each of
/// KWIRE_SASL_MECHANISMS, OAUTHBEARER, GSSAPI.
std::vector<SecureListener> secure_listeners();

/// " -X key=value ..." for a CLI command line (quoted).
std::string cli_properties(const Properties& properties);

}  // namespace kwire::test
