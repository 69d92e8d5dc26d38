// InitProducerIdRequest decoder at every version kwire implements. Input: version byte,
// then the body (see fuzz_check.hpp).
#include "fuzz_check.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "message_round_trip.hpp"

using kwire::protocol::InitProducerIdRequest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, InitProducerIdRequest::min_version, InitProducerIdRequest::max_version);
  if (!in) return 0;
  InitProducerIdRequest message;
  if (kwire::protocol::decode_message(in->body, in->version, message)) return 0;
  kwire::fuzz::check_round_trip(in->body, in->version, message);
  return 0;
}
