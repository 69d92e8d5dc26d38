#pragma once
// SASL GSSAPI (Kerberos V5, RFC 4752) through Cyrus SASL (libsasl2 and its
// GSSAPI plug-in, Debian libsasl2-modules-gssapi-mit), as librdkafka does.
// Cyrus runs the whole exchange, including the final security-layer
// negotiation Kafka requires (the broker offers "no security layer"; the
// client answers with its choice, wrapped).
//
// Credentials come from the process's Kerberos environment — the credential
// cache (KRB5CCNAME) or MIT's client keytab (KRB5_CLIENT_KTNAME) — and
// KRB5_CONFIG says where the KDC is. With a keytab and a principal,
// kwire first runs `kinit -k -t <keytab> <principal>` (or the configured
// command), as librdkafka's sasl.kerberos.kinit.cmd does, at most once a
// minute per process.
//
// Blocking: Cyrus talks to the KDC synchronously inside step(), on the
// caller's thread (the network thread), as librdkafka's broker threads do.
#include <chrono>
#include <memory>
#include <string>

#include "kwire/security/sasl_mechanism.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::security {

struct GssapiOptions {
  /// The broker's Kerberos service name (sasl.kerberos.service.name): the
  /// broker principal is <service>/<broker host>@REALM.
  std::string service_name = "kafka";
  /// The client principal (sasl.kerberos.principal), e.g. "alice@KWIRE.TEST".
  std::string principal;
  /// A keytab for `principal` (sasl.kerberos.keytab).
  std::string keytab;
  /// sasl.kerberos.kinit.cmd: a /bin/sh command run instead of the default
  /// kinit; "%{sasl.kerberos.keytab}" and "%{sasl.kerberos.principal}" are
  /// replaced. Empty: `kinit -k -t <keytab> <principal>` when both are set,
  /// else nothing (the ticket cache must already hold a ticket).
  std::string kinit_command;
  /// Do not run kinit again within this time (librdkafka's
  /// sasl.kerberos.min.time.before.relogin).
  std::chrono::milliseconds min_time_before_relogin{60000};
};

class GssapiMechanism final : public SaslMechanism {
 public:
  /// `host` is the broker's host name as connected to: Kerberos asks for a
  /// ticket for <service>/<host>, so connect by the name in the broker's
  /// principal (e.g. "localhost", not "127.0.0.1").
  GssapiMechanism(GssapiOptions options, std::string host);
  ~GssapiMechanism() override;
  GssapiMechanism(const GssapiMechanism&) = delete;
  GssapiMechanism& operator=(const GssapiMechanism&) = delete;

  std::string_view name() const noexcept override { return "GSSAPI"; }
  StepResult step(std::span<const std::uint8_t> challenge) override;
  std::string principal() const override { return options_.principal; }
  std::string config_hint() const override {
    return "check sasl.kerberos.principal / sasl.kerberos.keytab / sasl.kerberos.service.name and KRB5_CONFIG";
  }

 private:
  struct Cyrus;
  GssapiOptions options_;
  std::string host_;
  std::unique_ptr<Cyrus> cyrus_;
  bool started_ = false;
  bool complete_ = false;
};

/// Runs the kinit step of `options` now unless it ran (successfully) within
/// min_time_before_relogin. Returns an empty string on success (or when
/// there is nothing to run), else a message (kinit's own first error line;
/// never a secret). Thread-safe; blocks while kinit runs.
std::string refresh_kerberos_ticket(const GssapiOptions& options);

}  // namespace kwire::security

KWIRE_PUBLIC_END
