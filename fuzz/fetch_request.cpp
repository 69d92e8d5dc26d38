// FetchRequest v4-v18 decoder (what a broker, or the mock cluster, reads).
// Input: version byte, then the body (see fuzz_check.hpp).
#include <algorithm>

#include "fuzz_check.hpp"
#include "kwire/protocol/fetch.hpp"
#include "message_round_trip.hpp"

using kwire::protocol::FetchRequest;

namespace {

// fetch.hpp: as in Produce, encode() refuses a topic (or forgotten topic)
// without the key its version carries, which the wire can still hold.
bool lacks_topic_key(const FetchRequest& request, std::int16_t version) {
  const bool by_id = version >= FetchRequest::first_topic_id_version;
  const auto missing = [by_id](const auto& t) { return by_id ? t.topic_id.is_zero() : t.topic.empty(); };
  return std::any_of(request.topics.begin(), request.topics.end(), missing) ||
         std::any_of(request.forgotten_topics_data.begin(), request.forgotten_topics_data.end(), missing);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, FetchRequest::min_version, FetchRequest::max_version);
  if (!in) return 0;
  FetchRequest request;
  if (kwire::protocol::decode_message(in->body, in->version, request)) return 0;
  kwire::fuzz::check_round_trip(in->body, in->version, request, lacks_topic_key(request, in->version));
  return 0;
}
