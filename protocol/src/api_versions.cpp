#include "kwire/protocol/api_versions.hpp"

#include <algorithm>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/message.hpp"

namespace kwire::protocol {
namespace {

using Response = ApiVersionsResponse;

constexpr std::uint32_t kSupportedFeaturesTag = 0;
constexpr std::uint32_t kFinalizedFeaturesEpochTag = 1;
constexpr std::uint32_t kFinalizedFeaturesTag = 2;
constexpr std::uint32_t kZkMigrationReadyTag = 3;

bool in_range(std::int16_t version) noexcept {
  return version >= Response::min_version && version <= Response::max_version;
}

bool flexible(std::int16_t version) noexcept { return version >= Response::first_flexible_version; }

// Each feature entry: compact string (>= 1 byte), two int16, a tag buffer.
constexpr std::size_t kFeatureMinSize = 1 + 2 + 2 + 1;

void write_supported_features(Writer& out, const std::vector<Response::SupportedFeature>& features) {
  out.write_array_length(static_cast<std::int32_t>(features.size()), true);
  for (const auto& f : features) {
    out.write_string(f.name, true);
    out.write_int16(f.min_version);
    out.write_int16(f.max_version);
    out.write_tagged_fields(f.unknown_tags);
  }
}

void write_finalized_features(Writer& out, const std::vector<Response::FinalizedFeature>& features) {
  out.write_array_length(static_cast<std::int32_t>(features.size()), true);
  for (const auto& f : features) {
    out.write_string(f.name, true);
    out.write_int16(f.max_version_level);
    out.write_int16(f.min_version_level);
    out.write_tagged_fields(f.unknown_tags);
  }
}

}  // namespace

// ---------------------------------------------------------------- request

std::error_code ApiVersionsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  if (!flexible(version)) {
    // v0-2 have an empty body: refuse to drop what the caller set.
    if (!client_software_name.empty() || !client_software_version.empty() || !unknown_tags.empty())
      return make_error_code(client_errc::field_not_in_version);
    return {};
  }
  out.write_string(client_software_name, true);
  out.write_string(client_software_version, true);
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ApiVersionsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  *this = {};
  if (flexible(version)) {
    client_software_name = in.read_string(true);
    client_software_version = in.read_string(true);
    in.read_tagged_fields(unknown_tags);
  }
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code ApiVersionsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  // Check everything before writing anything, so a refused encode leaves no
  // partial message in the caller's buffer.
  if (version < 1 && throttle_time_ms != 0) return make_error_code(client_errc::field_not_in_version);
  if (!flex) {
    bool any_flexible_only = !supported_features.empty() || finalized_features_epoch != -1 ||
                             !finalized_features.empty() || zk_migration_ready || !unknown_tags.empty() ||
                             std::any_of(api_keys.begin(), api_keys.end(),
                                         [](const ApiVersion& a) { return !a.unknown_tags.empty(); });
    if (any_flexible_only) return make_error_code(client_errc::field_not_in_version);
  }

  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_array_length(static_cast<std::int32_t>(api_keys.size()), flex);
  for (const auto& api : api_keys) {
    out.write_int16(api.api_key);
    out.write_int16(api.min_version);
    out.write_int16(api.max_version);
    if (flex) out.write_tagged_fields(api.unknown_tags);
  }
  if (version >= 1) out.write_int32(throttle_time_ms);
  if (!flex) return {};

  // Known tagged fields are written only when they differ from their
  // defaults, as Kafka's generated code does.
  TaggedFields known;
  auto add_tag = [&known](std::uint32_t tag, auto&& write) {
    RawTaggedField field{tag, {}};
    Writer w(field.data);
    write(w);
    known.push_back(std::move(field));
  };
  if (!supported_features.empty())
    add_tag(kSupportedFeaturesTag, [&](Writer& w) { write_supported_features(w, supported_features); });
  if (finalized_features_epoch != -1)
    add_tag(kFinalizedFeaturesEpochTag, [&](Writer& w) { w.write_int64(finalized_features_epoch); });
  if (!finalized_features.empty())
    add_tag(kFinalizedFeaturesTag, [&](Writer& w) { write_finalized_features(w, finalized_features); });
  if (zk_migration_ready) add_tag(kZkMigrationReadyTag, [&](Writer& w) { w.write_bool(true); });
  out.write_tagged_fields(unknown_tags, std::move(known));
  return {};
}

std::error_code ApiVersionsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return make_error_code(client_errc::unsupported_version);
  const bool flex = flexible(version);
  *this = {};
  error_code = static_cast<kwire::errc>(in.read_int16());
  read_array(in, flex, flex ? 7 : 6, api_keys, [&](ApiVersion& api) {
    api.api_key = in.read_int16();
    api.min_version = in.read_int16();
    api.max_version = in.read_int16();
    if (flex) in.read_tagged_fields(api.unknown_tags);
  });
  if (version >= 1) throttle_time_ms = in.read_int32();
  if (flex) {
    in.read_tagged_fields(unknown_tags, [this](std::uint32_t tag, Reader& field) {
      switch (tag) {
        case kSupportedFeaturesTag:
          read_array(field, true, kFeatureMinSize, supported_features, [&](SupportedFeature& f) {
            f.name = field.read_string(true);
            f.min_version = field.read_int16();
            f.max_version = field.read_int16();
            field.read_tagged_fields(f.unknown_tags);
          });
          return true;
        case kFinalizedFeaturesEpochTag:
          finalized_features_epoch = field.read_int64();
          return true;
        case kFinalizedFeaturesTag:
          read_array(field, true, kFeatureMinSize, finalized_features, [&](FinalizedFeature& f) {
            f.name = field.read_string(true);
            f.max_version_level = field.read_int16();
            f.min_version_level = field.read_int16();
            field.read_tagged_fields(f.unknown_tags);
          });
          return true;
        case kZkMigrationReadyTag:
          zk_migration_ready = field.read_bool();
          return true;
        default:
          return false;
      }
    });
  }
  return in.error();
}

const ApiVersionsResponse::ApiVersion* ApiVersionsResponse::find(ApiKey key) const noexcept {
  auto raw = static_cast<std::int16_t>(key);
  auto it = std::find_if(api_keys.begin(), api_keys.end(), [raw](const ApiVersion& a) { return a.api_key == raw; });
  return it == api_keys.end() ? nullptr : &*it;
}

std::optional<std::int16_t> ApiVersionsResponse::fallback_version(std::int16_t sent_version) const noexcept {
  if (error_code != kwire::errc::unsupported_version) return std::nullopt;
  std::int16_t next = 0;
  if (const ApiVersion* own = find(ApiKey::api_versions)) next = std::min(own->max_version, max_version);
  if (next >= sent_version) next = static_cast<std::int16_t>(sent_version - 1);
  if (next < min_version) return std::nullopt;
  return next;
}

std::error_code decode_api_versions_response(std::span<const std::uint8_t> body, std::int16_t request_version,
                                             ApiVersionsResponse& out, std::int16_t* decoded_version) {
  // KIP-511: the broker writes its UNSUPPORTED_VERSION answer in the v0
  // format whatever version we sent. The error code is the first field in
  // every version, so it can be read before choosing how to parse the rest.
  const bool looks_like_fallback = request_version > 0 && body.size() >= 2 &&
                                   ((body[0] << 8) | body[1]) == static_cast<int>(kwire::errc::unsupported_version);
  if (looks_like_fallback) {
    ApiVersionsResponse v0;
    if (!decode_message(body, 0, v0)) {
      out = std::move(v0);
      if (decoded_version) *decoded_version = 0;
      return {};
    }
  }
  std::error_code ec = decode_message(body, request_version, out);
  if (!ec && decoded_version) *decoded_version = request_version;
  return ec;
}

}  // namespace kwire::protocol
