#pragma once
// One SASL authentication with a broker as sans-I/O steps (STYLE lesson 8):
// what to send next, given the broker's last reply. Connection
// (connection.cpp) sends and receives; tests drive it with encoded
// responses (tests/unit/net/sasl_exchange_test.cpp).
//
//   SaslHandshake v1 (KIP-152)  then each token in a SaslAuthenticate
//                               request; the last response may carry the
//                               session lifetime (v1+, KIP-368)
//   SaslHandshake v0 (KIP-43)   then each token as a bare size-prefixed
//                               frame, answered by one, for brokers before
//                               1.0 that have no SaslAuthenticate; after the
//                               mechanism's last token nothing comes back
//
// Refusals become one secret-free sentence that names the broker, the
// mechanism, the user and the setting to check, e.g. "SASL mechanism
// SCRAM-SHA-512 is not enabled on b1:9096 (the listener offers: PLAIN);
// check sasl.mechanism".
//
// Threading: not thread-safe; Connection uses it on its io_context's thread.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/security/sasl_settings.hpp"

namespace kwire::net {

class SaslExchange {
 public:
  /// What the connection does next.
  struct Action {
    enum class Kind {
      send,  ///< write `body`; pass the reply (if `expect_reply`) to on_reply()
      done,  ///< authenticated
      fail,  ///< close with `error`; `detail` says why (empty for codec errors)
    };
    Kind kind = Kind::fail;
    /// send: SaslHandshake or SaslAuthenticate at `version`, or with `raw`
    /// a v0 token framed by its size only (no request header).
    protocol::ApiKey api{};
    std::int16_t version = 0;
    bool raw = false;
    bool expect_reply = true;
    /// send, v0 only: the mechanism's last token; authenticated once written
    /// (the broker answers nothing; it closes the connection on a refusal).
    bool done_after_send = false;
    std::vector<std::uint8_t> body;
    /// fail.
    std::error_code error;
    std::string detail;
  };

  /// One authentication (first or KIP-368 re-authentication) with the broker
  /// at `host` (the mechanism is made here, fresh: a new token for OAUTHBEARER)
  /// known as `address` ("host:port"), whose negotiated SaslHandshake and
  /// SaslAuthenticate versions are `handshake_version` and
  /// `authenticate_version` (nullopt: not offered).
  SaslExchange(const security::SaslSettings& settings, std::string host, std::string address,
               std::optional<std::int16_t> handshake_version, std::optional<std::int16_t> authenticate_version);
  ~SaslExchange();
  SaslExchange(SaslExchange&&) noexcept;
  SaslExchange& operator=(SaslExchange&&) noexcept;

  /// The SaslHandshake request (v1 when the broker offers both v1 and
  /// SaslAuthenticate, else v0), or a failure: an unusable mechanism, a
  /// broker without SaslHandshake.
  Action start();
  /// The reply to the last `send` that expected one: a SaslHandshake or
  /// SaslAuthenticate response body, or a bare v0 token.
  Action on_reply(std::span<const std::uint8_t> reply);

  /// The mechanism's name ("SASL" when it could not be made).
  const std::string& mechanism_name() const noexcept { return mechanism_name_; }
  /// The SaslHandshake version start() chose (-1 before).
  std::int16_t handshake_version() const noexcept { return handshake_version_; }
  /// The broker's session lifetime from the last SaslAuthenticate response
  /// (KIP-368); 0 when it set none.
  std::int64_t session_lifetime_ms() const noexcept { return session_lifetime_ms_; }
  /// True when the broker limits the session and the connection can
  /// re-authenticate: only SaslAuthenticate v1+ carries a lifetime, so such
  /// a broker always accepts a v1 handshake again (KIP-368).
  bool needs_reauthentication() const noexcept { return session_lifetime_ms_ > 0 && authenticate_version_; }

 private:
  enum class Awaiting { nothing, handshake, authenticate, raw_token };

  Action step(std::span<const std::uint8_t> challenge);
  Action send_token(std::vector<std::uint8_t> token, bool last);
  Action on_handshake(std::span<const std::uint8_t> bytes);
  Action on_authenticate(std::span<const std::uint8_t> bytes);
  Action refuse(std::string why) const;
  std::string for_user() const;

  std::string mechanism_error_;  ///< why the mechanism could not be made
  std::string address_;
  std::optional<std::int16_t> offered_handshake_;
  std::optional<std::int16_t> authenticate_version_;  ///< nullopt: v0 raw tokens
  std::unique_ptr<security::SaslMechanism> mechanism_;
  std::string mechanism_name_ = "SASL";
  std::int16_t handshake_version_ = -1;
  std::int64_t session_lifetime_ms_ = 0;
  Awaiting awaiting_ = Awaiting::nothing;
  bool last_token_ = false;
};

/// When to re-authenticate a session of `lifetime_ms` (KIP-368): at a point
/// in [85%, 95%] of it, `spread` in [0, 1] choosing where, as Kafka's Java
/// client does, so that many connections do not re-authenticate at once.
std::chrono::milliseconds reauthentication_delay(std::int64_t lifetime_ms, double spread) noexcept;
/// The same with a random `spread`.
std::chrono::milliseconds reauthentication_delay(std::int64_t lifetime_ms);

}  // namespace kwire::net
