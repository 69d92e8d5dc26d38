// ListOffsetsRequest decoder at every version kwire implements (v1-v10).
// Input: version byte, then the body (see fuzz_check.hpp).
#include "fuzz_check.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "message_round_trip.hpp"

using kwire::protocol::ListOffsetsRequest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, ListOffsetsRequest::min_version, ListOffsetsRequest::max_version);
  if (!in) return 0;
  ListOffsetsRequest message;
  if (kwire::protocol::decode_message(in->body, in->version, message)) return 0;
  kwire::fuzz::check_round_trip(in->body, in->version, message);
  return 0;
}
