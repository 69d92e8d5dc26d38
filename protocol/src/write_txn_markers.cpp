#include "kwire/protocol/write_txn_markers.hpp"

#include <cstddef>

#include "codec_support.hpp"
#include "topic_partitions_codec.hpp"

namespace kwire::protocol {
namespace {

using Request = WriteTxnMarkersRequest;
using Response = WriteTxnMarkersResponse;

// Lower bounds of one element's encoding, for read_array.
std::size_t marker_min_size(bool flex) noexcept { return 8 + 2 + 1 + (flex ? 1 : 4) + 4; }
std::size_t marker_result_min_size(bool flex) noexcept { return 8 + (flex ? 1 : 4); }

}  // namespace

// ---------------------------------------------------------------- request

std::error_code WriteTxnMarkersRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  const bool has_version = version >= first_transaction_version_version;
  // Validate first so that a refused encode writes nothing.
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  for (const Marker& m : markers) {
    if (!codec::tags_fit(m.unknown_tags, flex) || !codec::tags_fit(m.topics, flex)) return codec::not_in_version();
    if (!has_version && m.transaction_version != 0) return codec::not_in_version();
  }

  codec::write_array(out, markers, flex, [&](const Marker& m) {
    out.write_int64(m.producer_id);
    out.write_int16(m.producer_epoch);
    out.write_bool(m.transaction_result);
    codec::write_topics(out, m.topics, flex);
    out.write_int32(m.coordinator_epoch);
    if (has_version) out.write_int8(m.transaction_version);
    codec::write_tags(out, m.unknown_tags, flex);
  });
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code WriteTxnMarkersRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};
  read_array(in, flex, marker_min_size(flex), markers, [&](Marker& m) {
    m.producer_id = in.read_int64();
    m.producer_epoch = in.read_int16();
    m.transaction_result = in.read_bool();
    codec::read_topics(in, m.topics, flex);
    m.coordinator_epoch = in.read_int32();
    if (version >= first_transaction_version_version) m.transaction_version = in.read_int8();
    codec::read_tags(in, m.unknown_tags, flex);
  });
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code WriteTxnMarkersResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  for (const MarkerResult& m : markers)
    if (!codec::tags_fit(m.unknown_tags, flex) || !codec::tags_fit(m.topics, flex)) return codec::not_in_version();

  codec::write_array(out, markers, flex, [&](const MarkerResult& m) {
    out.write_int64(m.producer_id);
    codec::write_topics(out, m.topics, flex);
    codec::write_tags(out, m.unknown_tags, flex);
  });
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code WriteTxnMarkersResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};
  read_array(in, flex, marker_result_min_size(flex), markers, [&](MarkerResult& m) {
    m.producer_id = in.read_int64();
    codec::read_topics(in, m.topics, flex);
    codec::read_tags(in, m.unknown_tags, flex);
  });
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
