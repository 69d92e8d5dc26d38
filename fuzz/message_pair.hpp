#pragma once
// One libFuzzer target for both halves of an API (the admin targets): the
// first byte picks the request (even) or the response (odd), the second the
// version (fuzz_check.hpp's convention), the rest is the body. Whatever
// decodes must satisfy message_round_trip.hpp's properties.
//
// So `printf '\x01\x05' ; cat body` is a v5 response seed for a codec whose
// minimum version is 0.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "kwire/protocol/message.hpp"
#include "message_round_trip.hpp"

namespace kwire::fuzz {

template <protocol::KafkaMessage M>
void decode_and_round_trip(const std::uint8_t* data, std::size_t size) {
  auto in = split_version(data, size, M::min_version, M::max_version);
  if (!in) return;
  M message;
  if (protocol::decode_message(in->body, in->version, message)) return;
  check_round_trip(in->body, in->version, message);
}

template <protocol::KafkaMessage Request, protocol::KafkaMessage Response>
int fuzz_request_or_response(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0)
    decode_and_round_trip<Request>(data + 1, size - 1);
  else
    decode_and_round_trip<Response>(data + 1, size - 1);
  return 0;
}

}  // namespace kwire::fuzz
