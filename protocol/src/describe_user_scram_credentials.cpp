#include "kwire/protocol/describe_user_scram_credentials.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = DescribeUserScramCredentialsRequest;
using Response = DescribeUserScramCredentialsResponse;

}  // namespace

std::error_code DescribeUserScramCredentialsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  if (!users) {
    out.write_array_length(-1, true);
  } else {
    write_array_length(out, *users, true);
    for (const auto& u : *users) {
      out.write_string(u.name, true);
      out.write_tagged_fields(u.unknown_tags);
    }
  }
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code DescribeUserScramCredentialsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  *this = {};
  const std::int32_t count = in.read_array_length(true, 1 + 1);
  if (count >= 0 && in.ok()) {
    auto& list = users.emplace();
    list.reserve(static_cast<std::size_t>(count));
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
      auto& u = list.emplace_back();
      u.name = in.read_string(true);
      in.read_tagged_fields(u.unknown_tags);
    }
  }
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

std::error_code DescribeUserScramCredentialsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  out.write_int32(throttle_time_ms);
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_nullable_string(error_message, true);
  write_array_length(out, results, true);
  for (const auto& r : results) {
    out.write_string(r.user, true);
    out.write_int16(static_cast<std::int16_t>(r.error_code));
    out.write_nullable_string(r.error_message, true);
    write_array_length(out, r.credential_infos, true);
    for (const auto& c : r.credential_infos) {
      out.write_int8(static_cast<std::int8_t>(c.mechanism));
      out.write_int32(c.iterations);
      out.write_tagged_fields(c.unknown_tags);
    }
    out.write_tagged_fields(r.unknown_tags);
  }
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code DescribeUserScramCredentialsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  *this = {};
  throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  error_message = in.read_nullable_string(true);
  read_array(in, true, 1 + 2 + 1 + 1 + 1, results, [&](Result& r) {
    r.user = in.read_string(true);
    r.error_code = static_cast<kwire::errc>(in.read_int16());
    r.error_message = in.read_nullable_string(true);
    read_array(in, true, 1 + 4 + 1, r.credential_infos, [&](CredentialInfo& c) {
      c.mechanism = static_cast<ScramMechanism>(in.read_int8());
      c.iterations = in.read_int32();
      in.read_tagged_fields(c.unknown_tags);
    });
    in.read_tagged_fields(r.unknown_tags);
  });
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
