#include "kwire/protocol/sasl_handshake.hpp"

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {
namespace {

bool in_range(std::int16_t version) noexcept {
  return version >= SaslHandshakeRequest::min_version && version <= SaslHandshakeRequest::max_version;
}

// Each mechanism name is at least its int16 length.
constexpr std::size_t kMinStringSize = 2;

}  // namespace

std::error_code SaslHandshakeRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  out.write_string(mechanism, false);
  return {};
}

std::error_code SaslHandshakeRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  *this = {};
  mechanism = in.read_string(false);
  return in.error();
}

std::error_code SaslHandshakeResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_array_length(static_cast<std::int32_t>(mechanisms.size()), false);
  for (const auto& m : mechanisms) out.write_string(m, false);
  return {};
}

std::error_code SaslHandshakeResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  *this = {};
  error_code = static_cast<kwire::errc>(in.read_int16());
  read_array(in, false, kMinStringSize, mechanisms, [&in](std::string& m) { m = in.read_string(false); });
  return in.error();
}

}  // namespace kwire::protocol
