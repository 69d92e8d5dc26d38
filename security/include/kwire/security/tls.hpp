#pragma once
// TLS settings (Kafka / librdkafka property names) turned into an OpenSSL
// client context, and OpenSSL's failures turned into messages a user can act
// on. No OpenSSL or Asio header here: the OpenSSL types are only forward
// declared, and net/ builds its asio::ssl::stream from the native session
// that new_session() returns.
//
// Verification is always on: the broker's chain must lead to a trusted CA
// (ssl.ca.location / ssl.ca.pem, or the system store when neither is set),
// and by default its certificate must name the host connected to
// (ssl.endpoint.identification.algorithm=https, the default since Kafka 2.0
// and librdkafka 2.0; "none" turns the name check off, never the chain
// check). TLS 1.2 and 1.3 only.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

struct ssl_ctx_st;  // OpenSSL's SSL_CTX
struct ssl_st;      // OpenSSL's SSL

namespace kwire::security {

enum class TlsVersion : std::uint8_t { tls1_2, tls1_3 };

struct TlsSettings {
  /// ssl.ca.location: a PEM file of CA certificates, or a directory of
  /// hashed certificates (c_rehash). Empty with ca_pem empty: system store.
  std::string ca_location;
  std::string ca_pem;  ///< ssl.ca.pem: CA certificate(s), PEM text
  /// ssl.certificate.location / ssl.certificate.pem: the client certificate
  /// (PEM, optionally followed by its chain), for mutual TLS.
  std::string certificate_location;
  std::string certificate_pem;
  /// ssl.key.location / ssl.key.pem: its private key (PEM, PKCS#8 or
  /// traditional, encrypted or not). ssl.key.pem is a secret.
  std::string key_location;
  std::string key_pem;
  std::string key_password;  ///< ssl.key.password (secret)
  /// ssl.endpoint.identification.algorithm: https -> true, none -> false.
  bool verify_hostname = true;
  TlsVersion min_version = TlsVersion::tls1_2;
  TlsVersion max_version = TlsVersion::tls1_3;
};

/// Why a TLS handshake (or the first read after it) failed.
struct TlsFailure {
  /// True when the peer was reached but rejected or failed verification —
  /// a configuration problem that retrying will not fix (wrong CA, name
  /// mismatch, expired or missing certificate). False for transport trouble.
  bool authentication = false;
  std::string message;  ///< one line, secret-free
};

/// An immutable OpenSSL client context, shared by every connection of a
/// client (thread-safe after creation, as SSL_CTX is).
class TlsContext {
 public:
  /// Loads the trust store, the client certificate and key, and sets the
  /// protocol versions. On failure returns nullptr and sets `error` to a
  /// message naming the property at fault (e.g. "ssl.key.location: cannot
  /// decrypt the private key (wrong ssl.key.password?)").
  static std::shared_ptr<const TlsContext> create(const TlsSettings& settings, std::string& error);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// A new client session for a connection to `host`: SNI (for host names,
  /// not IP addresses, RFC 6066) and, when enabled, the host name or IP
  /// address the certificate must carry. The caller owns the result (hand it
  /// to asio::ssl::stream, which frees it, or SSL_free it). nullptr with
  /// `error` set if OpenSSL refuses.
  ssl_st* new_session(const std::string& host, std::string& error) const;
  /// The same settings on a session made elsewhere (Boost.Asio's ssl::stream
  /// creates its own from native_handle()). False with `error` set if OpenSSL
  /// refuses; the caller still owns `session`.
  bool configure_session(ssl_st* session, const std::string& host, std::string& error) const;

  /// Explains a failed handshake or post-handshake read on `session`:
  /// `openssl_error` is the packed OpenSSL error (ERR_get_error(); Asio's
  /// ssl category carries it as the error value), 0 if none. `address` is
  /// "host:port" for the message.
  TlsFailure describe_failure(const ssl_st* session, unsigned long openssl_error, std::string_view address) const;

  ssl_ctx_st* native_handle() const noexcept { return ctx_; }
  bool verify_hostname() const noexcept { return verify_hostname_; }
  bool has_client_certificate() const noexcept { return has_client_certificate_; }

 private:
  TlsContext() = default;
  ssl_ctx_st* ctx_ = nullptr;
  bool verify_hostname_ = true;
  bool has_client_certificate_ = false;
};

}  // namespace kwire::security

KWIRE_PUBLIC_END
