#pragma once
// The security keys of a client configuration — security.protocol, sasl.*,
// ssl.* (Kafka's and librdkafka's names, parsed by ClientConfig) — turned
// into the net::ConnectionSecurity that every connection of the client uses:
//
//   PLAINTEXT       no TLS, no SASL
//   SSL             TLS (ssl.ca.location / ssl.ca.pem / the system store,
//                   ssl.certificate.* and ssl.key.* for mutual TLS,
//                   ssl.endpoint.identification.algorithm)
//   SASL_PLAINTEXT  SASL (sasl.mechanism and its credentials)
//   SASL_SSL        both
//
// Credentials for sasl.mechanism:
//   PLAIN, SCRAM-SHA-256/512  sasl.username + sasl.password, or the
//                             username="..." password="..." options of a
//                             Java sasl.jaas.config
//   OAUTHBEARER               ClientConfig::sasl_oauthbearer_token_provider
//                             (C++), else sasl.oauthbearer.token, else an
//                             unsecured JWT (enable.sasl.oauthbearer.unsecure.jwt
//                             with sasl.oauthbearer.config "principal=..."; or a
//                             JAAS config with unsecuredLoginStringClaim_sub)
//   GSSAPI                    sasl.kerberos.service.name / principal / keytab /
//                             kinit.cmd / min.time.before.relogin, with the
//                             process's Kerberos setup (KRB5_CONFIG, KRB5CCNAME)
#include "kwire/net/connection.hpp"
#include "kwire/cluster/client_config.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

/// Build it once per client and put it in every ConnectionOptions::security:
/// the TLS context is loaded here (CA bundle, certificate, key), so a missing
/// file or a wrong ssl.key.password fails now, not at the first connection.
/// Throws ConfigError naming the key at fault; never puts a secret in it.
net::ConnectionSecurity make_security_options(const ClientConfig& config);

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
