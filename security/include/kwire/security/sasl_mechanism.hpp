#pragma once
// A SASL mechanism as a pure step function (STYLE lesson 8, after franz-go's
// sasl package): bytes from the broker in, bytes for the broker (or "done",
// or an error) out. No socket, no clock: net::Connection drives it and unit
// tests feed it RFC vectors.
//
// The exchange, as Kafka runs it (KIP-43 / KIP-152):
//   step({})            -> respond(initial response)     every kwire mechanism
//                                                          speaks first
//   step(broker token)  -> respond(next) | done | failed  as often as needed
// The broker's answer to every response is fed to the next step(), except
// after a response marked `last`: then the mechanism is complete once the
// broker accepts it (with SaslAuthenticate the connection still reads the
// broker's answer, for its error code, but does not pass it on).
//
// Secrets: responses may carry a password or a token — never log them.
// Error messages never contain a secret.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::security {

/// What one step() decided.
struct StepResult {
  enum class Kind : std::uint8_t {
    respond,  ///< send `response` (possibly empty) to the broker
    done,     ///< authenticated: nothing more to send
    failed,   ///< give up: `message` says why (secret-free)
  };
  Kind kind = Kind::failed;
  std::vector<std::uint8_t> response;
  /// respond only: the mechanism is complete once this response is sent and
  /// accepted; the broker's answer is not fed to step() (GSSAPI's final
  /// security-layer message).
  bool last = false;
  std::string message;

  static StepResult respond(std::vector<std::uint8_t> bytes, bool last = false) {
    StepResult r;
    r.kind = Kind::respond;
    r.response = std::move(bytes);
    r.last = last;
    return r;
  }
  static StepResult done() {
    StepResult r;
    r.kind = Kind::done;
    return r;
  }
  static StepResult fail(std::string why) {
    StepResult r;
    r.kind = Kind::failed;
    r.message = std::move(why);
    return r;
  }
};

/// One authentication attempt: create a fresh mechanism for each connection
/// and each re-authentication (KIP-368). Not thread-safe; used on the
/// network thread only.
class SaslMechanism {
 public:
  virtual ~SaslMechanism() = default;

  /// The name sent in SaslHandshake: "PLAIN", "SCRAM-SHA-256", ...
  virtual std::string_view name() const noexcept = 0;

  /// The first call gets an empty challenge and returns the initial
  /// response; later calls get the broker's tokens.
  virtual StepResult step(std::span<const std::uint8_t> challenge) = 0;

  /// Who is authenticating, for error messages ("alice"); empty when
  /// unknown. Never a secret.
  virtual std::string principal() const { return {}; }

  /// The settings to check when the broker rejects us, for error messages,
  /// e.g. "check sasl.username / sasl.password".
  virtual std::string config_hint() const { return {}; }

  /// Anything the broker explained inside the exchange before it failed it
  /// (OAUTHBEARER's error JSON, RFC 7628 section 3.2.2); empty otherwise.
  virtual std::string server_error() const { return {}; }
};

}  // namespace kwire::security

KWIRE_PUBLIC_END
