#include "kwire/protocol/list_transactions.hpp"

#include <cstddef>

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = ListTransactionsRequest;
using Response = ListTransactionsResponse;

constexpr bool kFlex = true;  // every version
constexpr std::size_t kStateMinSize = 1 + 8 + 1 + 1;

}  // namespace

std::error_code ListTransactionsRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  // Validate first so that a refused encode writes nothing.
  if (version < first_duration_filter_version && duration_filter != -1) return codec::not_in_version();
  if (version < first_pattern_version && transactional_id_pattern) return codec::not_in_version();
  codec::write_string_array(out, state_filters, kFlex);
  codec::write_int64_array(out, producer_id_filters, kFlex);
  if (version >= first_duration_filter_version) out.write_int64(duration_filter);
  if (version >= first_pattern_version) out.write_nullable_string(transactional_id_pattern, kFlex);
  codec::write_tags(out, unknown_tags, kFlex);
  return {};
}

std::error_code ListTransactionsRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  *this = {};
  codec::read_string_array(in, kFlex, state_filters);
  codec::read_int64_array(in, kFlex, producer_id_filters);
  if (version >= first_duration_filter_version) duration_filter = in.read_int64();
  if (version >= first_pattern_version) transactional_id_pattern = in.read_nullable_string(kFlex);
  codec::read_tags(in, unknown_tags, kFlex);
  return in.error();
}

std::error_code ListTransactionsResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  out.write_int32(throttle_time_ms);
  out.write_int16(static_cast<std::int16_t>(error_code));
  codec::write_string_array(out, unknown_state_filters, kFlex);
  codec::write_array(out, transaction_states, kFlex, [&](const TransactionState& s) {
    out.write_string(s.transactional_id, kFlex);
    out.write_int64(s.producer_id);
    out.write_string(s.transaction_state, kFlex);
    codec::write_tags(out, s.unknown_tags, kFlex);
  });
  codec::write_tags(out, unknown_tags, kFlex);
  return {};
}

std::error_code ListTransactionsResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  *this = {};
  throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  codec::read_string_array(in, kFlex, unknown_state_filters);
  read_array(in, kFlex, kStateMinSize, transaction_states, [&](TransactionState& s) {
    s.transactional_id = in.read_string(kFlex);
    s.producer_id = in.read_int64();
    s.transaction_state = in.read_string(kFlex);
    codec::read_tags(in, s.unknown_tags, kFlex);
  });
  codec::read_tags(in, unknown_tags, kFlex);
  return in.error();
}

}  // namespace kwire::protocol
