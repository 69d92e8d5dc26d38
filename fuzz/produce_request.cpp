// ProduceRequest v3-v13 decoder, as the mock cluster runs it on a client's
// bytes. Input: version byte, then the body (see fuzz_check.hpp).
#include <algorithm>

#include "fuzz_check.hpp"
#include "kwire/protocol/produce.hpp"
#include "message_round_trip.hpp"

using kwire::protocol::ProduceRequest;

namespace {

// produce.hpp: encode() refuses a topic without the key its version carries
// (an empty name before v13, a zero topic id at v13), which the wire can
// still hold.
bool lacks_topic_key(const ProduceRequest& request, std::int16_t version) {
  return std::any_of(request.topic_data.begin(), request.topic_data.end(), [version](const auto& t) {
    return version >= ProduceRequest::first_topic_id_version ? t.topic_id.is_zero() : t.name.empty();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, ProduceRequest::min_version, ProduceRequest::max_version);
  if (!in) return 0;
  ProduceRequest request;
  if (kwire::protocol::decode_message(in->body, in->version, request)) return 0;
  const bool may_refuse = lacks_topic_key(request, in->version);
  // encoded_size() promises the exact size encode() writes.
  if (!may_refuse) {
    std::vector<std::uint8_t> out;
    KWIRE_FUZZ_CHECK(!kwire::protocol::encode_message(request, in->version, out), "encode failed");
    KWIRE_FUZZ_CHECK(out.size() == request.encoded_size(in->version), "encoded_size() is not the encoded size");
  }
  kwire::fuzz::check_round_trip(in->body, in->version, request, may_refuse);
  return 0;
}
