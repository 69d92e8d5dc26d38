#include "kwire/protocol/alter_user_scram_credentials.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = AlterUserScramCredentialsRequest;
using Response = AlterUserScramCredentialsResponse;

}  // namespace

std::error_code AlterUserScramCredentialsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  write_array_length(out, deletions, true);
  for (const auto& d : deletions) {
    out.write_string(d.name, true);
    out.write_int8(static_cast<std::int8_t>(d.mechanism));
    out.write_tagged_fields(d.unknown_tags);
  }
  write_array_length(out, upsertions, true);
  for (const auto& u : upsertions) {
    out.write_string(u.name, true);
    out.write_int8(static_cast<std::int8_t>(u.mechanism));
    out.write_int32(u.iterations);
    out.write_bytes(u.salt, true);
    out.write_bytes(u.salted_password, true);
    out.write_tagged_fields(u.unknown_tags);
  }
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code AlterUserScramCredentialsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  *this = {};
  read_array(in, true, 1 + 1 + 1, deletions, [&](Deletion& d) {
    d.name = in.read_string(true);
    d.mechanism = static_cast<ScramMechanism>(in.read_int8());
    in.read_tagged_fields(d.unknown_tags);
  });
  read_array(in, true, 1 + 1 + 4 + 1 + 1 + 1, upsertions, [&](Upsertion& u) {
    u.name = in.read_string(true);
    u.mechanism = static_cast<ScramMechanism>(in.read_int8());
    u.iterations = in.read_int32();
    u.salt = in.read_bytes(true);
    u.salted_password = in.read_bytes(true);
    in.read_tagged_fields(u.unknown_tags);
  });
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

std::error_code AlterUserScramCredentialsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  out.write_int32(throttle_time_ms);
  write_array_length(out, results, true);
  for (const auto& r : results) {
    out.write_string(r.user, true);
    out.write_int16(static_cast<std::int16_t>(r.error_code));
    out.write_nullable_string(r.error_message, true);
    out.write_tagged_fields(r.unknown_tags);
  }
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code AlterUserScramCredentialsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  *this = {};
  throttle_time_ms = in.read_int32();
  read_array(in, true, 1 + 2 + 1 + 1, results, [&](Result& r) {
    r.user = in.read_string(true);
    r.error_code = static_cast<kwire::errc>(in.read_int16());
    r.error_message = in.read_nullable_string(true);
    in.read_tagged_fields(r.unknown_tags);
  });
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
