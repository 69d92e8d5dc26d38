// ProduceResponse v3-v13 decoder (with the KIP-951 leader hints from v10).
// Input: version byte, then the body (see fuzz_check.hpp).
#include <algorithm>

#include "fuzz_check.hpp"
#include "kwire/protocol/produce.hpp"
#include "message_round_trip.hpp"

using kwire::protocol::ProduceResponse;

namespace {

// As for requests (produce.hpp): a topic without the key its version
// carries decodes but is refused by encode().
bool lacks_topic_key(const ProduceResponse& response, std::int16_t version) {
  return std::any_of(response.responses.begin(), response.responses.end(), [version](const auto& t) {
    return version >= ProduceResponse::first_topic_id_version ? t.topic_id.is_zero() : t.name.empty();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, ProduceResponse::min_version, ProduceResponse::max_version);
  if (!in) return 0;
  ProduceResponse response;
  if (kwire::protocol::decode_message(in->body, in->version, response)) return 0;
  kwire::fuzz::check_round_trip(in->body, in->version, response, lacks_topic_key(response, in->version));
  return 0;
}
