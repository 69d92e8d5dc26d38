#include "kwire/protocol/describe_configs.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = DescribeConfigsRequest;
using Response = DescribeConfigsResponse;

constexpr std::int16_t kFirstSynonyms = 1;  // IncludeSynonyms, ConfigSource, Synonyms; IsDefault gone
constexpr std::int16_t kFirstDocumentation = 3;  // IncludeDocumentation, ConfigType, Documentation

std::size_t config_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = 2 * min_string_size(flex) + 1 + 1 + 1;  // name, value, read_only, is_default|source, sensitive
  if (version >= kFirstSynonyms) size += min_array_size(flex);
  if (version >= kFirstDocumentation) size += 1 + min_string_size(flex);
  return size + min_tags_size(flex);
}

}  // namespace

// ---------------------------------------------------------------- request

std::error_code DescribeConfigsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstSynonyms && include_synonyms) return not_in_version();
  if (version < kFirstDocumentation && include_documentation) return not_in_version();

  write_array_length(out, resources, flex);
  for (const auto& r : resources) {
    if (!tags_fit(r.unknown_tags, flex)) return not_in_version();
    out.write_int8(static_cast<std::int8_t>(r.resource_type));
    out.write_string(r.resource_name, flex);
    write_nullable_string_array(out, r.configuration_keys, flex);
    write_tags(out, r.unknown_tags, flex);
  }
  if (version >= kFirstSynonyms) out.write_bool(include_synonyms);
  if (version >= kFirstDocumentation) out.write_bool(include_documentation);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DescribeConfigsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  const std::size_t resource_min = 1 + min_string_size(flex) + min_array_size(flex) + min_tags_size(flex);
  read_array(in, flex, resource_min, resources, [&](Resource& r) {
    r.resource_type = static_cast<ConfigResourceType>(in.read_int8());
    r.resource_name = in.read_string(flex);
    read_nullable_string_array(in, flex, r.configuration_keys);
    read_tags(in, r.unknown_tags, flex);
  });
  if (version >= kFirstSynonyms) include_synonyms = in.read_bool();
  if (version >= kFirstDocumentation) include_documentation = in.read_bool();
  read_tags(in, unknown_tags, flex);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code DescribeConfigsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  out.write_int32(throttle_time_ms);
  write_array_length(out, results, flex);
  for (const auto& r : results) {
    if (!tags_fit(r.unknown_tags, flex)) return not_in_version();
    out.write_int16(static_cast<std::int16_t>(r.error_code));
    out.write_nullable_string(r.error_message, flex);
    out.write_int8(static_cast<std::int8_t>(r.resource_type));
    out.write_string(r.resource_name, flex);
    write_array_length(out, r.configs, flex);
    for (const auto& c : r.configs) {
      if (!tags_fit(c.unknown_tags, flex)) return not_in_version();
      if (version >= kFirstSynonyms && c.is_default) return not_in_version();
      if (version < kFirstSynonyms && (c.config_source != ConfigSource::unspecified || !c.synonyms.empty()))
        return not_in_version();
      if (version < kFirstDocumentation && (c.config_type != 0 || c.documentation)) return not_in_version();
      out.write_string(c.name, flex);
      out.write_nullable_string(c.value, flex);
      out.write_bool(c.read_only);
      if (version < kFirstSynonyms) out.write_bool(c.is_default);
      if (version >= kFirstSynonyms) out.write_int8(static_cast<std::int8_t>(c.config_source));
      out.write_bool(c.is_sensitive);
      if (version >= kFirstSynonyms) {
        write_array_length(out, c.synonyms, flex);
        for (const auto& s : c.synonyms) {
          if (!tags_fit(s.unknown_tags, flex)) return not_in_version();
          out.write_string(s.name, flex);
          out.write_nullable_string(s.value, flex);
          out.write_int8(static_cast<std::int8_t>(s.source));
          write_tags(out, s.unknown_tags, flex);
        }
      }
      if (version >= kFirstDocumentation) {
        out.write_int8(c.config_type);
        out.write_nullable_string(c.documentation, flex);
      }
      write_tags(out, c.unknown_tags, flex);
    }
    write_tags(out, r.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DescribeConfigsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  const std::size_t result_min = 2 + min_string_size(flex) + 1 + min_string_size(flex) + min_array_size(flex) +
                                 min_tags_size(flex);
  const std::size_t synonym_min = 2 * min_string_size(flex) + 1 + min_tags_size(flex);
  read_array(in, flex, result_min, results, [&](Result& r) {
    r.error_code = static_cast<kwire::errc>(in.read_int16());
    r.error_message = in.read_nullable_string(flex);
    r.resource_type = static_cast<ConfigResourceType>(in.read_int8());
    r.resource_name = in.read_string(flex);
    read_array(in, flex, config_min_size(version, flex), r.configs, [&](Config& c) {
      c.name = in.read_string(flex);
      c.value = in.read_nullable_string(flex);
      c.read_only = in.read_bool();
      if (version < kFirstSynonyms) c.is_default = in.read_bool();
      if (version >= kFirstSynonyms) c.config_source = static_cast<ConfigSource>(in.read_int8());
      c.is_sensitive = in.read_bool();
      if (version >= kFirstSynonyms) {
        read_array(in, flex, synonym_min, c.synonyms, [&](Synonym& s) {
          s.name = in.read_string(flex);
          s.value = in.read_nullable_string(flex);
          s.source = static_cast<ConfigSource>(in.read_int8());
          read_tags(in, s.unknown_tags, flex);
        });
      }
      if (version >= kFirstDocumentation) {
        c.config_type = in.read_int8();
        c.documentation = in.read_nullable_string(flex);
      }
      read_tags(in, c.unknown_tags, flex);
    });
    read_tags(in, r.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
