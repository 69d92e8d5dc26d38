#include "kwire/protocol/describe_transactions.hpp"

#include <cstddef>

#include "codec_support.hpp"
#include "topic_partitions_codec.hpp"

namespace kwire::protocol {
namespace {

using Request = DescribeTransactionsRequest;
using Response = DescribeTransactionsResponse;

constexpr bool kFlex = true;  // every version
constexpr std::size_t kStateMinSize = 2 + 1 + 1 + 4 + 8 + 8 + 2 + 1 + 1;

}  // namespace

std::error_code DescribeTransactionsRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  codec::write_string_array(out, transactional_ids, kFlex);
  codec::write_tags(out, unknown_tags, kFlex);
  return {};
}

std::error_code DescribeTransactionsRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  *this = {};
  codec::read_string_array(in, kFlex, transactional_ids);
  codec::read_tags(in, unknown_tags, kFlex);
  return in.error();
}

std::error_code DescribeTransactionsResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  out.write_int32(throttle_time_ms);
  codec::write_array(out, transaction_states, kFlex, [&](const TransactionState& s) {
    out.write_int16(static_cast<std::int16_t>(s.error_code));
    out.write_string(s.transactional_id, kFlex);
    out.write_string(s.transaction_state, kFlex);
    out.write_int32(s.transaction_timeout_ms);
    out.write_int64(s.transaction_start_time_ms);
    out.write_int64(s.producer_id);
    out.write_int16(s.producer_epoch);
    codec::write_topics(out, s.topics, kFlex);
    codec::write_tags(out, s.unknown_tags, kFlex);
  });
  codec::write_tags(out, unknown_tags, kFlex);
  return {};
}

std::error_code DescribeTransactionsResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  *this = {};
  throttle_time_ms = in.read_int32();
  read_array(in, kFlex, kStateMinSize, transaction_states, [&](TransactionState& s) {
    s.error_code = static_cast<kwire::errc>(in.read_int16());
    s.transactional_id = in.read_string(kFlex);
    s.transaction_state = in.read_string(kFlex);
    s.transaction_timeout_ms = in.read_int32();
    s.transaction_start_time_ms = in.read_int64();
    s.producer_id = in.read_int64();
    s.producer_epoch = in.read_int16();
    codec::read_topics(in, s.topics, kFlex);
    codec::read_tags(in, s.unknown_tags, kFlex);
  });
  codec::read_tags(in, unknown_tags, kFlex);
  return in.error();
}

}  // namespace kwire::protocol
