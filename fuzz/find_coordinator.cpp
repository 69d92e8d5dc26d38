// FindCoordinator request and response decoders at every version kwire
// implements. Input: one byte whose low bit picks the request (0) or the
// response (1), a version byte, then the body (see fuzz_check.hpp).
#include "fuzz_check.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "message_round_trip.hpp"

namespace {

template <class Message>
void decode_one(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, Message::min_version, Message::max_version);
  if (!in) return;
  Message message;
  if (kwire::protocol::decode_message(in->body, in->version, message)) return;
  kwire::fuzz::check_round_trip(in->body, in->version, message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0)
    decode_one<kwire::protocol::FindCoordinatorRequest>(data + 1, size - 1);
  else
    decode_one<kwire::protocol::FindCoordinatorResponse>(data + 1, size - 1);
  return 0;
}
