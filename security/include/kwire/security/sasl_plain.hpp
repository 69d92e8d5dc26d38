#pragma once
// SASL PLAIN (RFC 4616): one message, "authzid NUL authcid NUL password".
// Kafka ignores the authzid unless it equals the user, so kwire sends it
// empty, as the Java client does. Use it over TLS only: the password
// crosses the wire as is.
#include <string>

#include "kwire/security/sasl_mechanism.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::security {

class PlainMechanism final : public SaslMechanism {
 public:
  PlainMechanism(std::string username, std::string password);
  ~PlainMechanism() override;

  std::string_view name() const noexcept override { return "PLAIN"; }
  /// step({}) -> respond("\0user\0password"); step(broker's empty answer) -> done.
  StepResult step(std::span<const std::uint8_t> challenge) override;
  std::string principal() const override { return username_; }
  std::string config_hint() const override { return "check sasl.username / sasl.password"; }

 private:
  std::string username_;
  std::string password_;
  int calls_ = 0;
};

}  // namespace kwire::security

KWIRE_PUBLIC_END
