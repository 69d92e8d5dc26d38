#include "kwire/protocol/find_coordinator.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {

using codec::flexible;
using codec::in_range;
using codec::not_in_version;
using codec::unsupported_version;

// ---------------------------------------------------------------- request

std::error_code FindCoordinatorRequest::encode(Writer& out, std::int16_t version) const {
  using R = FindCoordinatorRequest;
  if (!in_range<R>(version)) return unsupported_version();
  const bool flex = flexible<R>(version);
  const bool batched = version >= first_batched_version;
  // Validate first so that a refused encode writes nothing.
  if (version < first_key_type_version && key_type != CoordinatorType::group) return not_in_version();
  if (batched && !key.empty()) return not_in_version();
  if (!batched && !coordinator_keys.empty()) return not_in_version();
  if (!flex && !unknown_tags.empty()) return not_in_version();

  if (!batched) out.write_string(key, flex);
  if (version >= first_key_type_version) out.write_int8(static_cast<std::int8_t>(key_type));
  if (batched) {
    out.write_array_length(static_cast<std::int32_t>(coordinator_keys.size()), flex);
    for (const std::string& k : coordinator_keys) out.write_string(k, flex);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code FindCoordinatorRequest::decode(Reader& in, std::int16_t version) {
  using R = FindCoordinatorRequest;
  if (!in_range<R>(version)) return unsupported_version();
  const bool flex = flexible<R>(version);
  *this = {};
  if (version < first_batched_version) key = in.read_string(flex);
  if (version >= first_key_type_version) key_type = static_cast<CoordinatorType>(in.read_int8());
  if (version >= first_batched_version)
    read_array(in, flex, flex ? 1 : 2, coordinator_keys, [&in, flex](std::string& k) { k = in.read_string(flex); });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ---------------------------------------------------------------- response

namespace {

/// Smallest encoded Coordinator: empty key and host, no message, no tags.
constexpr std::size_t kMinCoordinatorSize = 1 + 4 + 1 + 4 + 2 + 1 + 1;

}  // namespace

std::error_code FindCoordinatorResponse::encode(Writer& out, std::int16_t version) const {
  using R = FindCoordinatorResponse;
  if (!in_range<R>(version)) return unsupported_version();
  const bool flex = flexible<R>(version);
  const bool batched = version >= FindCoordinatorRequest::first_batched_version;
  if (version < 1 && (throttle_time_ms != 0 || error_message)) return not_in_version();
  if (batched && (error_code != kwire::errc::none || error_message || node_id != 0 || !host.empty() || port != 0))
    return not_in_version();
  if (!batched && !coordinators.empty()) return not_in_version();
  if (!flex && !unknown_tags.empty()) return not_in_version();
  for (const Coordinator& c : coordinators)
    if (!c.unknown_tags.empty() && !flex) return not_in_version();

  if (version >= 1) out.write_int32(throttle_time_ms);
  if (!batched) {
    out.write_int16(static_cast<std::int16_t>(error_code));
    if (version >= 1) out.write_nullable_string(error_message, flex);
    out.write_int32(node_id);
    out.write_string(host, flex);
    out.write_int32(port);
  } else {
    out.write_array_length(static_cast<std::int32_t>(coordinators.size()), flex);
    for (const Coordinator& c : coordinators) {
      out.write_string(c.key, flex);
      out.write_int32(c.node_id);
      out.write_string(c.host, flex);
      out.write_int32(c.port);
      out.write_int16(static_cast<std::int16_t>(c.error_code));
      out.write_nullable_string(c.error_message, flex);
      out.write_tagged_fields(c.unknown_tags);  // batched versions are all flexible
    }
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code FindCoordinatorResponse::decode(Reader& in, std::int16_t version) {
  using R = FindCoordinatorResponse;
  if (!in_range<R>(version)) return unsupported_version();
  const bool flex = flexible<R>(version);
  *this = {};
  if (version >= 1) throttle_time_ms = in.read_int32();
  if (version < FindCoordinatorRequest::first_batched_version) {
    error_code = static_cast<kwire::errc>(in.read_int16());
    if (version >= 1) error_message = in.read_nullable_string(flex);
    node_id = in.read_int32();
    host = in.read_string(flex);
    port = in.read_int32();
  } else {
    read_array(in, flex, kMinCoordinatorSize, coordinators, [&in, flex](Coordinator& c) {
      c.key = in.read_string(flex);
      c.node_id = in.read_int32();
      c.host = in.read_string(flex);
      c.port = in.read_int32();
      c.error_code = static_cast<kwire::errc>(in.read_int16());
      c.error_message = in.read_nullable_string(flex);
      in.read_tagged_fields(c.unknown_tags);
    });
  }
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
