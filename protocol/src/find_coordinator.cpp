#include "kwire/protocol/find_coordinator.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = FindCoordinatorRequest;
using Response = FindCoordinatorResponse;

// Smallest Coordinator entry: key (empty string), NodeId, Host (empty),
// Port, ErrorCode, ErrorMessage (null), tag buffer. Only ever flexible.
constexpr std::size_t kMinCoordinatorSize = 1 + 4 + 1 + 4 + 2 + 1 + 1;

}  // namespace

// ---------------------------------------------------------------- request

std::error_code FindCoordinatorRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  const bool batched = version >= first_batched_version;
  // Validate first so that a refused encode writes nothing. Below v4 a
  // second key would be lost, and from v4 a top-level Key would be; a key
  // type the version lacks would ask the broker for the wrong coordinator
  // (KeyType is not ignorable). A share key type below v6 is a value, not
  // a missing field: the wire carries it and the broker refuses it, as it
  // would any key type it does not know.
  if (batched ? !key.empty() : !coordinator_keys.empty()) return codec::not_in_version();
  if (version < first_key_type_version && key_type != 0) return codec::not_in_version();
  if (!flex && !unknown_tags.empty()) return codec::not_in_version();

  if (!batched) out.write_string(key, flex);
  if (version >= first_key_type_version) out.write_int8(key_type);
  if (batched) {
    out.write_array_length(static_cast<std::int32_t>(coordinator_keys.size()), flex);
    for (const auto& k : coordinator_keys) out.write_string(k, flex);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code FindCoordinatorRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  const bool batched = version >= first_batched_version;
  *this = {};
  if (!batched) key = in.read_string(flex);
  if (version >= first_key_type_version) key_type = in.read_int8();
  if (batched)
    read_array(in, flex, flex ? 1 : 2, coordinator_keys, [&in, flex](std::string& k) { k = in.read_string(flex); });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code FindCoordinatorResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  const bool batched = version >= first_batched_version;
  if (batched) {
    // The single-key result has no place at v4+: it would vanish.
    if (error_code != kwire::errc::none || error_message || node_id != 0 || !host.empty() || port != 0)
      return codec::not_in_version();
  } else if (!coordinators.empty()) {
    return codec::not_in_version();
  }
  if (!flex && !unknown_tags.empty()) return codec::not_in_version();

  // ThrottleTimeMs and ErrorMessage are ignorable: dropped at v0 as Kafka does.
  if (version >= first_throttle_time_version) out.write_int32(throttle_time_ms);
  if (!batched) {
    out.write_int16(static_cast<std::int16_t>(error_code));
    if (version >= first_throttle_time_version) out.write_nullable_string(error_message, flex);
    out.write_int32(node_id);
    out.write_string(host, flex);
    out.write_int32(port);
  } else {
    out.write_array_length(static_cast<std::int32_t>(coordinators.size()), flex);
    for (const auto& c : coordinators) {
      out.write_string(c.key, flex);
      out.write_int32(c.node_id);
      out.write_string(c.host, flex);
      out.write_int32(c.port);
      out.write_int16(static_cast<std::int16_t>(c.error_code));
      out.write_nullable_string(c.error_message, flex);
      out.write_tagged_fields(c.unknown_tags);
    }
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code FindCoordinatorResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  const bool batched = version >= first_batched_version;
  *this = {};
  if (version >= first_throttle_time_version) throttle_time_ms = in.read_int32();
  if (!batched) {
    error_code = static_cast<kwire::errc>(in.read_int16());
    if (version >= first_throttle_time_version) error_message = in.read_nullable_string(flex);
    node_id = in.read_int32();
    host = in.read_string(flex);
    port = in.read_int32();
  } else {
    // Batched versions are all flexible (v4 > first flexible v3).
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
