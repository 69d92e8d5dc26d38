#include "kwire/protocol/delete_records.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = DeleteRecordsRequest;
using Response = DeleteRecordsResponse;

std::size_t topic_min_size(bool flex) noexcept {
  return min_string_size(flex) + min_array_size(flex) + min_tags_size(flex);
}

}  // namespace

std::error_code DeleteRecordsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    out.write_string(t.name, flex);
    write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      out.write_int32(p.partition_index);
      out.write_int64(p.offset);
      write_tags(out, p.unknown_tags, flex);
    }
    write_tags(out, t.unknown_tags, flex);
  }
  out.write_int32(timeout_ms);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DeleteRecordsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  read_array(in, flex, topic_min_size(flex), topics, [&](Topic& t) {
    t.name = in.read_string(flex);
    read_array(in, flex, 4 + 8 + min_tags_size(flex), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.offset = in.read_int64();
      read_tags(in, p.unknown_tags, flex);
    });
    read_tags(in, t.unknown_tags, flex);
  });
  timeout_ms = in.read_int32();
  read_tags(in, unknown_tags, flex);
  return in.error();
}

std::error_code DeleteRecordsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  out.write_int32(throttle_time_ms);
  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    out.write_string(t.name, flex);
    write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      out.write_int32(p.partition_index);
      out.write_int64(p.low_watermark);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      write_tags(out, p.unknown_tags, flex);
    }
    write_tags(out, t.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DeleteRecordsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  read_array(in, flex, topic_min_size(flex), topics, [&](Topic& t) {
    t.name = in.read_string(flex);
    read_array(in, flex, 4 + 8 + 2 + min_tags_size(flex), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.low_watermark = in.read_int64();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      read_tags(in, p.unknown_tags, flex);
    });
    read_tags(in, t.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
