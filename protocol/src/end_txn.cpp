#include "kwire/protocol/end_txn.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {

using Request = EndTxnRequest;
using Response = EndTxnResponse;

std::error_code EndTxnRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  out.write_string(transactional_id, flex);
  out.write_int64(producer_id);
  out.write_int16(producer_epoch);
  out.write_bool(committed);
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code EndTxnRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};
  transactional_id = in.read_string(flex);
  producer_id = in.read_int64();
  producer_epoch = in.read_int16();
  committed = in.read_bool();
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

std::error_code EndTxnResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  const bool has_id = version >= first_transaction_v2_version;
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  // Dropping a new id/epoch below v5 would leave a TV2 producer on an epoch
  // the coordinator has moved past.
  if (!has_id && (producer_id != -1 || producer_epoch != -1)) return codec::not_in_version();
  out.write_int32(throttle_time_ms);
  out.write_int16(static_cast<std::int16_t>(error_code));
  if (has_id) {
    out.write_int64(producer_id);
    out.write_int16(producer_epoch);
  }
  codec::write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code EndTxnResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  if (version >= first_transaction_v2_version) {
    producer_id = in.read_int64();
    producer_epoch = in.read_int16();
  }
  codec::read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
