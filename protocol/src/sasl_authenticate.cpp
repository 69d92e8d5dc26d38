#include "kwire/protocol/sasl_authenticate.hpp"

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {
namespace {

using Request = SaslAuthenticateRequest;

bool in_range(std::int16_t version) noexcept {
  return version >= Request::min_version && version <= Request::max_version;
}

bool flexible(std::int16_t version) noexcept { return version >= Request::first_flexible_version; }

}  // namespace

// ---------------------------------------------------------------- request

std::error_code SaslAuthenticateRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  if (!flex && !unknown_tags.empty()) return make_error_code(client_errc::field_not_in_version);
  out.write_bytes(auth_bytes, flex);
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code SaslAuthenticateRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  *this = {};
  auth_bytes = in.read_bytes(flex);
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code SaslAuthenticateResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  if (!flex && !unknown_tags.empty()) return make_error_code(client_errc::field_not_in_version);
  // SessionLifetimeMs is "ignorable" in the schema: below v1 Kafka's own
  // generated code drops it (a v0 client cannot re-authenticate anyway), so
  // a lifetime is not an error at v0 — it is simply not sent.
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_nullable_string(error_message, flex);
  out.write_bytes(auth_bytes, flex);
  if (version >= first_session_lifetime_version) out.write_int64(session_lifetime_ms);
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code SaslAuthenticateResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  *this = {};
  error_code = static_cast<kwire::errc>(in.read_int16());
  error_message = in.read_nullable_string(flex);
  auth_bytes = in.read_bytes(flex);
  if (version >= first_session_lifetime_version) session_lifetime_ms = in.read_int64();
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
