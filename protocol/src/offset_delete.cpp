#include "kwire/protocol/offset_delete.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = OffsetDeleteRequest;
using Response = OffsetDeleteResponse;

// Classic encodings only: a topic is a name (int16 length) and an array (int32 count).
constexpr std::size_t kTopicMinSize = 2 + 4;

}  // namespace

std::error_code OffsetDeleteRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  out.write_string(group_id, false);
  write_array_length(out, topics, false);
  for (const auto& t : topics) {
    out.write_string(t.name, false);
    write_int32_array(out, t.partitions, false);
  }
  return {};
}

std::error_code OffsetDeleteRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  *this = {};
  group_id = in.read_string(false);
  read_array(in, false, kTopicMinSize, topics, [&](Topic& t) {
    t.name = in.read_string(false);
    read_int32_array(in, false, t.partitions);
  });
  return in.error();
}

std::error_code OffsetDeleteResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_int32(throttle_time_ms);
  write_array_length(out, topics, false);
  for (const auto& t : topics) {
    out.write_string(t.name, false);
    write_array_length(out, t.partitions, false);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition_index);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
    }
  }
  return {};
}

std::error_code OffsetDeleteResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  *this = {};
  error_code = static_cast<kwire::errc>(in.read_int16());
  throttle_time_ms = in.read_int32();
  read_array(in, false, kTopicMinSize, topics, [&](Topic& t) {
    t.name = in.read_string(false);
    read_array(in, false, 4 + 2, t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
    });
  });
  return in.error();
}

}  // namespace kwire::protocol
