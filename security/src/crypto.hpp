#pragma once
// Small OpenSSL-backed helpers shared by the SASL mechanisms (private to
// kwire::security; no OpenSSL type leaks out of this header).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kwire::security::detail {

using Bytes = std::vector<std::uint8_t>;

enum class Digest : std::uint8_t { sha256, sha512 };

std::size_t digest_size(Digest d) noexcept;

/// Standard base64 (RFC 4648 section 4) with padding.
std::string base64_encode(std::span<const std::uint8_t> data);
/// URL-safe base64 without padding (RFC 4648 section 5), as JWTs use.
std::string base64url_encode(std::span<const std::uint8_t> data);
/// Strict standard base64: padding required, no whitespace. nullopt if invalid.
std::optional<Bytes> base64_decode(std::string_view text);

Bytes hmac(Digest d, std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
Bytes hash(Digest d, std::span<const std::uint8_t> data);
/// PBKDF2 with HMAC-`d` (RFC 8018), output one digest long: SCRAM's Hi().
Bytes pbkdf2(Digest d, std::string_view password, std::span<const std::uint8_t> salt, std::uint32_t iterations);

/// Cryptographically random bytes (RAND_bytes); throws std::runtime_error
/// only if the OpenSSL generator fails.
Bytes random_bytes(std::size_t n);

/// Constant-time equality (CRYPTO_memcmp) of two equally long spans.
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

/// Overwrites memory that held a secret (OPENSSL_cleanse: not optimised away).
void cleanse(void* data, std::size_t n) noexcept;
inline void cleanse(std::string& s) noexcept { cleanse(s.data(), s.size()); }
inline void cleanse(Bytes& b) noexcept { cleanse(b.data(), b.size()); }

inline std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace kwire::security::detail
