#include "kwire/protocol/header.hpp"

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {

std::error_code RequestHeader::encode(Writer& out) const {
  const bool flexible = request_header_version(api_key, api_version) >= 2;
  // Header v1 has no tag buffer: refuse rather than drop the tags silently.
  if (!flexible && !unknown_tags.empty()) return make_error_code(client_errc::field_not_in_version);
  out.write_int16(static_cast<std::int16_t>(api_key));
  out.write_int16(api_version);
  out.write_int32(correlation_id);
  out.write_nullable_string(client_id, /*compact=*/false);
  if (flexible) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code RequestHeader::decode(Reader& in, std::int16_t header_version) {
  api_key = static_cast<ApiKey>(in.read_int16());
  api_version = in.read_int16();
  correlation_id = in.read_int32();
  if (header_version >= 1) client_id = in.read_nullable_string(/*compact=*/false);
  if (header_version >= 2) in.read_tagged_fields(unknown_tags);
  return in.error();
}

void ResponseHeader::encode(Writer& out, std::int16_t header_version) const {
  out.write_int32(correlation_id);
  if (header_version >= 1) out.write_tagged_fields(unknown_tags);
}

std::error_code ResponseHeader::decode(Reader& in, std::int16_t header_version) {
  correlation_id = in.read_int32();
  if (header_version >= 1) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
