#pragma once
// Whole-message helpers shared by every codec and by the net layer.
//
// Every API message struct follows one convention (STYLE.md lesson 1):
//   static constexpr ApiKey api_key;
//   static constexpr std::int16_t min_version, max_version;
//   std::error_code encode(Writer&, std::int16_t version) const;
//   std::error_code decode(Reader&, std::int16_t version);
// encode() fails with client_errc::unsupported_version outside
// [min_version, max_version] and with client_errc::field_not_in_version when
// a field holds a non-default value the version cannot carry; decode() returns
// the reader's error. These helpers add the checks that concern a whole body.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// A request or response struct following the codec convention above.
template <class M>
concept KafkaMessage = requires(const M& cm, M& m, Writer& w, Reader& r, std::int16_t v) {
  { M::api_key } -> std::convertible_to<ApiKey>;
  { M::min_version } -> std::convertible_to<std::int16_t>;
  { M::max_version } -> std::convertible_to<std::int16_t>;
  { cm.encode(w, v) } -> std::same_as<std::error_code>;
  { m.decode(r, v) } -> std::same_as<std::error_code>;
};

/// Decodes a complete message body (the bytes after the response or request
/// header) at `version`. Fails with client_errc::trailing_bytes if the message
/// ends before the body does: a length mismatch means we and the peer disagree
/// on the version or schema, and guessing on would misread later fields.
/// On failure `out` holds a partially decoded value.
template <KafkaMessage M>
std::error_code decode_message(std::span<const std::uint8_t> body, std::int16_t version, M& out) {
  Reader in(body);
  if (std::error_code ec = out.decode(in, version)) return ec;
  if (!in.ok()) return in.error();
  if (!in.at_end()) return make_error_code(client_errc::trailing_bytes);
  return {};
}

/// Appends the encoding of `message` at `version` to `out` (so a header can be
/// written first into the same buffer). On failure `out` is restored to its
/// previous size, so no half-written message is ever left behind.
template <KafkaMessage M>
std::error_code encode_message(const M& message, std::int16_t version, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  Writer writer(out);
  std::error_code ec = message.encode(writer, version);
  if (ec) out.resize(start);
  return ec;
}

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
