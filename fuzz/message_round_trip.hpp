#pragma once
// The decode/encode properties every Kafka message target checks, once the
// fuzzer's bytes `input` decoded at `version` into `decoded`.
//
// What must hold, and what need not:
//
//  1. decode(encode(x)) == x. Whatever the decoder accepted, the encoder
//     writes, and reading that back gives the same value. The only allowed
//     refusal is field_not_in_version for a value the wire can carry but the
//     encoder deliberately will not write (Produce: a topic with an empty
//     name before v13, or a zero topic id at v13 — see produce.hpp); the
//     target says when that applies. A refused encode leaves no bytes.
//
//  2. encode(decode(b')) == b' for b' = encode(x): the encoder's output is
//     canonical and a fixed point. This is the precise form of "re-encoding
//     decoded input gives the same bytes when the input was canonical": a
//     canonical input is one an encoder (ours, or Kafka's — the real broker
//     seeds, checked byte for byte in
//     tests/unit/protocol/fuzz_regressions_test.cpp) could have written.
//
//  3. b' is never longer than the input, and when it is as long, it differs
//     only where the input held a boolean byte other than 0 or 1. The reader
//     accepts exactly these non-canonical forms, all of which shrink or keep
//     the size when rewritten:
//       - varints padded with 0x80 continuation bytes (shrink);
//       - a known tagged field holding its default value (ApiVersions
//         FinalizedFeaturesEpoch -1, ZkMigrationReady false, empty
//         SupportedFeatures/FinalizedFeatures, Produce CurrentLeader -1/-1):
//         the encoder omits it, as Kafka's generated code does (shrink);
//       - booleans: any non-zero byte reads as true, written as 1 (same size).
//     Unknown tagged fields are kept verbatim and tags must be strictly
//     ascending on input, so tag order never changes. Nothing is ever
//     rewritten longer, so any growth, or a same-size difference that is not
//     a boolean, is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/message.hpp"

namespace kwire::fuzz {

template <protocol::KafkaMessage M>
void check_round_trip(std::span<const std::uint8_t> input, std::int16_t version, const M& decoded,
                      bool encode_may_refuse = false) {
  std::vector<std::uint8_t> canonical;
  const std::error_code ec = protocol::encode_message(decoded, version, canonical);
  if (ec) {
    KWIRE_FUZZ_CHECK(encode_may_refuse && ec == client_errc::field_not_in_version,
                     "encode refused a value its own decoder accepted");
    KWIRE_FUZZ_CHECK(canonical.empty(), "a refused encode left bytes behind");
    return;
  }

  M again;
  KWIRE_FUZZ_CHECK(!protocol::decode_message(canonical, version, again), "decode(encode(x)) failed");
  KWIRE_FUZZ_CHECK(again == decoded, "decode(encode(x)) != x");

  std::vector<std::uint8_t> twice;
  KWIRE_FUZZ_CHECK(!protocol::encode_message(again, version, twice), "re-encoding failed");
  KWIRE_FUZZ_CHECK(twice == canonical, "encode(decode(encode(x))) != encode(x): the encoding is not a fixed point");

  KWIRE_FUZZ_CHECK(canonical.size() <= input.size(), "re-encoding made the message longer");
  if (canonical.size() == input.size()) {
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (input[i] != canonical[i]) {
        KWIRE_FUZZ_CHECK(input[i] > 1 && canonical[i] == 1,
                         "same-size re-encoding differs at a byte that is not a non-canonical boolean");
      }
    }
  }
}

}  // namespace kwire::fuzz
