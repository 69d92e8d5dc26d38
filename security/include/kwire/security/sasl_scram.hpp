#pragma once
// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka runs them
// (KIP-84): no channel binding ("n,,"), the password used as UTF-8 bytes
// without SASLprep (as Kafka's ScramFormatter does), and at least 4096
// iterations (Kafka's minimum for both mechanisms).
//
//   client-first  n,,n=<user>,r=<client nonce>
//   server-first  r=<client nonce + server nonce>,s=<salt>,i=<iterations>
//   client-final  c=biws,r=<nonce>,p=<proof>
//   server-final  v=<server signature>      (or e=<error>)
//
// The client checks that the server nonce extends its own, and verifies the
// server signature: a broker that does not know the password cannot pass.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "kwire/security/sasl_mechanism.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::security {

enum class ScramAlgorithm : std::uint8_t { sha256, sha512 };

class ScramMechanism final : public SaslMechanism {
 public:
  /// Kafka refuses fewer iterations (ScramMechanism.minIterations).
  static constexpr std::uint32_t kMinIterations = 4096;
  /// A broker asking for more is refused rather than obeyed: each iteration
  /// costs two HMACs, and a hostile server could otherwise stall the
  /// network thread for minutes.
  static constexpr std::uint32_t kMaxIterations = 1u << 20;

  /// `client_nonce`: empty means 32 random characters (alphanumeric);
  /// tests inject a fixed one to reproduce RFC vectors. A nonce containing
  /// ',' or a non-printable character is refused at the first step.
  ScramMechanism(ScramAlgorithm algorithm, std::string username, std::string password,
                 std::string client_nonce = {});
  ~ScramMechanism() override;

  std::string_view name() const noexcept override;
  StepResult step(std::span<const std::uint8_t> challenge) override;
  std::string principal() const override { return username_; }
  std::string config_hint() const override { return "check sasl.username / sasl.password"; }

  /// RFC 5802 section 5.1 "saslname": '=' becomes "=3D", ',' becomes "=2C".
  static std::string escape_username(std::string_view username);

  /// SaltedPassword := Hi(password, salt, iterations) (RFC 5802 section 3),
  /// the password's UTF-8 bytes as is (no SASLprep, as Kafka's ScramFormatter):
  /// what AlterUserScramCredentials carries (KIP-554) so the broker never
  /// sees the password. One digest long.
  static std::vector<std::uint8_t> salted_password(ScramAlgorithm algorithm, std::string_view password,
                                                   std::span<const std::uint8_t> salt, std::uint32_t iterations);
  /// `bytes` random bytes from OpenSSL's CSPRNG: a new credential's salt.
  static std::vector<std::uint8_t> random_salt(std::size_t bytes = 32);

 private:
  StepResult client_first();
  StepResult next_step(std::span<const std::uint8_t> challenge);
  StepResult client_final(std::string_view server_first);
  StepResult verify_server_final(std::string_view server_final);

  ScramAlgorithm algorithm_;
  std::string username_;
  std::string password_;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::vector<std::uint8_t> server_signature_;
  /// done: authenticated, or failed (every later step fails).
  enum class State : std::uint8_t { initial, sent_first, sent_final, done } state_ = State::initial;
};

}  // namespace kwire::security

KWIRE_PUBLIC_END
