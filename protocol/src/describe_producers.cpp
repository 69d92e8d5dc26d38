#include "kwire/protocol/describe_producers.hpp"

#include <cstddef>

#include "codec_support.hpp"
#include "topic_partitions_codec.hpp"

namespace kwire::protocol {
namespace {

using Request = DescribeProducersRequest;
using Response = DescribeProducersResponse;

// Every version is flexible (compact lengths, tag buffers).
constexpr bool kFlex = true;
// Lower bounds of one element's encoding, for read_array.
constexpr std::size_t kTopicMinSize = 1 + 1 + 1;
constexpr std::size_t kPartitionMinSize = 4 + 2 + 1 + 1 + 1;
constexpr std::size_t kProducerMinSize = 8 + 4 + 4 + 8 + 4 + 8 + 1;

}  // namespace

std::error_code DescribeProducersRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  codec::write_topics(out, topics, kFlex);
  codec::write_tags(out, unknown_tags, kFlex);
  return {};
}

std::error_code DescribeProducersRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  *this = {};
  codec::read_topics(in, topics, kFlex);
  codec::read_tags(in, unknown_tags, kFlex);
  return in.error();
}

std::error_code DescribeProducersResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  out.write_int32(throttle_time_ms);
  codec::write_array(out, topics, kFlex, [&](const Topic& t) {
    out.write_string(t.name, kFlex);
    codec::write_array(out, t.partitions, kFlex, [&](const Partition& p) {
      out.write_int32(p.partition_index);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      out.write_nullable_string(p.error_message, kFlex);
      codec::write_array(out, p.active_producers, kFlex, [&](const ProducerState& s) {
        out.write_int64(s.producer_id);
        out.write_int32(s.producer_epoch);
        out.write_int32(s.last_sequence);
        out.write_int64(s.last_timestamp);
        out.write_int32(s.coordinator_epoch);
        out.write_int64(s.current_txn_start_offset);
        codec::write_tags(out, s.unknown_tags, kFlex);
      });
      codec::write_tags(out, p.unknown_tags, kFlex);
    });
    codec::write_tags(out, t.unknown_tags, kFlex);
  });
  codec::write_tags(out, unknown_tags, kFlex);
  return {};
}

std::error_code DescribeProducersResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  *this = {};
  throttle_time_ms = in.read_int32();
  read_array(in, kFlex, kTopicMinSize, topics, [&](Topic& t) {
    t.name = in.read_string(kFlex);
    read_array(in, kFlex, kPartitionMinSize, t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      p.error_message = in.read_nullable_string(kFlex);
      read_array(in, kFlex, kProducerMinSize, p.active_producers, [&](ProducerState& s) {
        s.producer_id = in.read_int64();
        s.producer_epoch = in.read_int32();
        s.last_sequence = in.read_int32();
        s.last_timestamp = in.read_int64();
        s.coordinator_epoch = in.read_int32();
        s.current_txn_start_offset = in.read_int64();
        codec::read_tags(in, s.unknown_tags, kFlex);
      });
      codec::read_tags(in, p.unknown_tags, kFlex);
    });
    codec::read_tags(in, t.unknown_tags, kFlex);
  });
  codec::read_tags(in, unknown_tags, kFlex);
  return in.error();
}

}  // namespace kwire::protocol
