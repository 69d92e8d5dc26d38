#include "kwire/protocol/header.hpp"

namespace kwire::protocol {

void RequestHeader::encode(Writer& out) const {
  out.write_int16(static_cast<std::int16_t>(api_key));
  out.write_int16(api_version);
  out.write_int32(correlation_id);
  out.write_nullable_string(client_id, /*compact=*/false);
  if (request_header_version(api_key, api_version) >= 2) out.write_tagged_fields(unknown_tags);
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
