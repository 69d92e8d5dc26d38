#include "kwire/protocol/incremental_alter_configs.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = IncrementalAlterConfigsRequest;
using Response = IncrementalAlterConfigsResponse;

}  // namespace

std::error_code IncrementalAlterConfigsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  write_array_length(out, resources, flex);
  for (const auto& r : resources) {
    if (!tags_fit(r.unknown_tags, flex)) return not_in_version();
    out.write_int8(static_cast<std::int8_t>(r.resource_type));
    out.write_string(r.resource_name, flex);
    write_array_length(out, r.configs, flex);
    for (const auto& c : r.configs) {
      if (!tags_fit(c.unknown_tags, flex)) return not_in_version();
      out.write_string(c.name, flex);
      out.write_int8(static_cast<std::int8_t>(c.config_operation));
      out.write_nullable_string(c.value, flex);
      write_tags(out, c.unknown_tags, flex);
    }
    write_tags(out, r.unknown_tags, flex);
  }
  out.write_bool(validate_only);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code IncrementalAlterConfigsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  const std::size_t resource_min = 1 + min_string_size(flex) + min_array_size(flex) + min_tags_size(flex);
  const std::size_t config_min = 2 * min_string_size(flex) + 1 + min_tags_size(flex);
  read_array(in, flex, resource_min, resources, [&](Resource& r) {
    r.resource_type = static_cast<ConfigResourceType>(in.read_int8());
    r.resource_name = in.read_string(flex);
    read_array(in, flex, config_min, r.configs, [&](Config& c) {
      c.name = in.read_string(flex);
      c.config_operation = static_cast<ConfigOperation>(in.read_int8());
      c.value = in.read_nullable_string(flex);
      read_tags(in, c.unknown_tags, flex);
    });
    read_tags(in, r.unknown_tags, flex);
  });
  validate_only = in.read_bool();
  read_tags(in, unknown_tags, flex);
  return in.error();
}

std::error_code IncrementalAlterConfigsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  out.write_int32(throttle_time_ms);
  write_array_length(out, responses, flex);
  for (const auto& r : responses) {
    if (!tags_fit(r.unknown_tags, flex)) return not_in_version();
    out.write_int16(static_cast<std::int16_t>(r.error_code));
    out.write_nullable_string(r.error_message, flex);
    out.write_int8(static_cast<std::int8_t>(r.resource_type));
    out.write_string(r.resource_name, flex);
    write_tags(out, r.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code IncrementalAlterConfigsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  const std::size_t result_min = 2 + min_string_size(flex) + 1 + min_string_size(flex) + min_tags_size(flex);
  read_array(in, flex, result_min, responses, [&](Result& r) {
    r.error_code = static_cast<kwire::errc>(in.read_int16());
    r.error_message = in.read_nullable_string(flex);
    r.resource_type = static_cast<ConfigResourceType>(in.read_int8());
    r.resource_name = in.read_string(flex);
    read_tags(in, r.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
