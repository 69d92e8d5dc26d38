#pragma once
// Turning consumed records into text: kcat-style format strings, JSON
// strings for arbitrary bytes, base64.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <kwire/protocol/record_batch.hpp>

namespace kwire::cli {

/// RFC 4648 base64 with padding.
std::string base64_encode(std::span<const std::uint8_t> bytes);

/// A quoted JSON string for `bytes`: valid UTF-8 sequences as they are
/// (with JSON's escapes), every other byte as \u00XX.
std::string json_text(std::span<const std::uint8_t> bytes);

/// Appends `record` rendered with kcat's format tokens (%s %S %k %K %t %p %o
/// %T %h %%, escapes \n \r \t \\) to `out`.
void format_record(std::string& out, std::string_view format, const std::string& topic, std::int32_t partition,
                   const protocol::Record& record);

}  // namespace kwire::cli
